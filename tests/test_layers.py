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
