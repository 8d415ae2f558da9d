"""The architecture's rules hold: Qt only in the UI, no SQLAlchemy in the UI, layers in order."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "accountdesk"
IMPORT_RE = re.compile(r"^\s*(from|import)\s+([\w.]+)", re.M)


def _imports(path: Path) -> set[str]:
    return {m.group(2).split(".")[0] for m in IMPORT_RE.finditer(path.read_text(encoding="utf-8"))}


def test_qt_is_imported_only_below_ui():
    offenders = [
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if "ui" not in p.relative_to(PKG).parts[:1] and _imports(p) & {"PySide6", "shiboken6"}
    ]
    assert offenders == []


def test_the_ui_never_imports_sqlalchemy():
    offenders = [str(p.relative_to(PKG)) for p in (PKG / "ui").rglob("*.py") if "sqlalchemy" in _imports(p)]
    assert offenders == []


@pytest.mark.skipif(
    shutil.which("lint-imports") is None and not (Path(sys.executable).parent / "lint-imports").exists(),
    reason="import-linter not installed",
)
def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe], cwd=PKG.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


# -- import cycles ---------------------------------------------------------------------------------
def _module_names() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        if "versions" in p.parts:  # migration scripts are loaded by Alembic, not imported
            continue
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _import_graph() -> dict[str, set[str]]:
    """module -> the accountdesk modules it imports, at the top or inside a function (a deferred
    import is still a dependency); imports under ``if TYPE_CHECKING:`` do not count."""
    import ast

    modules = _module_names()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    def walk(node: ast.AST):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            yield child
            yield from walk(child)

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join([*base, node.module] if node.module else base)
                # ``from pkg import mod`` depends on pkg.mod; ``from mod import name`` on mod
                targets = [
                    f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names
                ]
            for target in targets:
                if target.startswith("accountdesk"):
                    found = resolve(target)
                    if found and found != name:
                        deps.add(found)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    """No module imports, even deferred inside a function, a module that imports it back
    (issue 17: agenda->search->health->agenda, engine<->migrate, app<->main_window, ... are gone)."""
    graph = _import_graph()
    assert "accountdesk.store.migrate" in graph["accountdesk.store.profile"]  # the graph sees imports
    assert _cycles(graph) == []


# -- one look ------------------------------------------------------------------------------------
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b(?![\w-])")


def test_colours_are_written_only_in_ui_style():
    """Every colour of the UI is a name in ui/style.py (issue 17): a hex colour written anywhere
    else in accountdesk/ui, in code or in a comment, fails this test."""
    found = [
        f"{p.relative_to(PKG)}:{n}: {line.strip()}"
        for p in sorted((PKG / "ui").rglob("*.py"))
        if p != PKG / "ui" / "style.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if HEX_COLOUR.search(line)
    ]
    assert found == []


def test_the_colour_pattern_finds_colours():
    assert HEX_COLOUR.search('QColor("#1f6feb")') and HEX_COLOUR.search("color: #fff;")
    assert not HEX_COLOUR.search("QFrame#card { }") and not HEX_COLOUR.search("issue #17")


def _literal_style_sheets(source: str) -> list[int]:
    """Lines of ``setStyleSheet(...)`` calls given a written style sheet (a string or f-string
    other than "", which clears one) rather than a name from ui/style.py."""
    import ast

    def written(node: ast.expr) -> bool:
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and node.value != ""
        if isinstance(node, ast.IfExp):
            return written(node.body) or written(node.orelse)
        if isinstance(node, ast.BinOp):
            return written(node.left) or written(node.right)
        return False

    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setStyleSheet"
        and node.args
        and written(node.args[0])
    ]


def test_style_sheets_are_written_only_in_ui_style():
    found = [
        f"{p.relative_to(PKG)}:{n}"
        for p in sorted((PKG / "ui").rglob("*.py"))
        if p != PKG / "ui" / "style.py"
        for n in _literal_style_sheets(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_written_style_sheet_is_found():
    assert _literal_style_sheets('w.setStyleSheet("color: red;")') == [1]
    assert _literal_style_sheets('w.setStyleSheet(f"color: {c};")') == [1]
    assert _literal_style_sheets('w.setStyleSheet("a: b;" if x else style.MUTED_CSS)') == [1]
    assert _literal_style_sheets('w.setStyleSheet(style.MUTED_CSS if x else "")') == []
    assert _literal_style_sheets('w.setStyleSheet(style.swatch_css(c, outline=k == "plan"))') == []


#: Qt's item-model classes: a class deriving from one (or from a model of ours) is an item model.
_QT_MODELS = re.compile(
    r"\bQ(Abstract(Table|List|Item)Model|StandardItemModel|StringListModel|\w*ProxyModel)\b"
)


def _item_model_classes(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(_QT_MODELS.search(ast.unparse(b)) or ast.unparse(b).endswith("Model") for b in node.bases)
    ]


def test_item_models_live_in_ui_item_models():
    """One place for the UI's item models (issue 17): none is defined outside ui/item_models."""
    home = PKG / "ui" / "item_models"
    offenders = [
        f"{p.relative_to(PKG)}: {name}"
        for p in sorted((PKG / "ui").rglob("*.py"))
        if home not in p.parents
        for name in _item_model_classes(p)
    ]
    assert offenders == []


def test_an_item_model_outside_its_home_is_found(tmp_path):
    stray = tmp_path / "page.py"
    stray.write_text("class Grid(QAbstractTableModel):\n    pass\nclass Week(_DayGridModel):\n    pass\n")
    assert _item_model_classes(stray) == ["Grid", "Week"]
