#!/usr/bin/env python3
"""Keep the gettext catalogues in step with the code.

    python scripts/i18n.py update [AREA...]   extract the strings of these areas (default: all) and
                                              add new ones to their .po files (zh_CN: empty, to
                                              translate; en: the English text); drop stale ones
    python scripts/i18n.py check [AREA...]    list strings lacking a zh_CN or en translation (exit 1)

Areas and the code they cover are listed in AREAS. A string may appear in several areas.
"""

from __future__ import annotations

import sys
from fnmatch import fnmatch
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "accountdesk"
LOCALE = PKG / "locale"
LANGS = ("zh_CN", "en")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "tr": None}

#: area -> file patterns under accountdesk/ (first matching area wins for a file). Each area has
#: its own catalogue files so that work on different areas never edits the same file.
AREAS = {
    "security": [
        "store/crypto*.py",
        "cli/security.py",
        "ui/security*.py",
        "ui/dialogs/passphrase.py",
        "ui/dialogs/lock.py",
        "services/security.py",
    ],
    "attach": [
        "services/attachments*.py",
        "cli/attachments.py",
        "domain/files.py",
        "store/blobs.py",
        "sync/files.py",
        "ui/workspace/attachments*.py",
        "ui/workspace/file_drops.py",
        "ui/widgets/thumbnails.py",
        "reports/attachments.py",
    ],
    "demo": ["services/demo/*.py", "cli/demo.py"],
    "alerts": ["services/alerts.py", "ui/alerts.py", "ui/widgets/bell.py"],
    "calendar": ["services/calendar*.py", "ui/pages/calendar*.py", "ui/item_models/calendar.py"],
    "supervisor": [
        "domain/standards.py",
        "services/standards.py",
        "services/saved_views.py",
        "services/dashboard.py",
        "services/bulk.py",
        "ui/pages/dashboard*.py",
        "ui/dialogs/standards*.py",
        "ui/dialogs/bulk*.py",
        "ui/widgets/charts.py",
        "ui/widgets/saved_views.py",
        "ui/workspace/equipment_list.py",
        "cli/standards.py",
    ],
    "insight": [
        "services/scheduling.py",
        "services/health.py",
        "services/segmentation.py",
        "services/search.py",
        "services/agenda*.py",
        "store/search/*.py",
        "cli/agenda.py",
    ],
    "sync": [
        "sync/**/*.py",
        "sync/*.py",
        "cli/sync*.py",
        "cli/conflicts.py",
        "cli/history.py",
        "cli/team.py",
        "services/handover.py",
    ],
    "server": ["server/**/*.py", "server/*.py"],
    "workspace": [
        "ui/workspace/**/*.py",
        "ui/workspace/*.py",
        "ui/forms/*.py",
        "ui/pages/calendar.py",
        "ui/pages/feedback.py",
    ],
    "ui": ["ui/**/*.py", "ui/*.py"],
    "reports": [
        "reports/**/*.py",
        "reports/*.py",
        "cli/report*.py",
        "cli/dossier.py",
        "services/dossier/*.py",
    ],
    "io": [
        "io/**/*.py",
        "io/*.py",
        "cli/io*.py",
        "cli/imports.py",
        "cli/exports.py",
        "cli/backup.py",
        "cli/duplicates.py",
        "services/duplicates.py",
        "services/merge.py",
    ],
    "cli": ["cli/*.py"],
    "core": ["*.py", "domain/*.py", "models/*.py", "store/*.py", "migrations/*.py", "services/*.py"],
}


def area_of(path: Path) -> str | None:
    rel = path.relative_to(PKG)
    for area, patterns in AREAS.items():
        if any(rel.match(p) if "**" not in p else fnmatch(str(rel), p.replace("**/", "*")) for p in patterns):
            return area
    return None


def extract(area: str) -> dict[str, list[str]]:
    """msgid -> locations (plural ids are keyed by their singular)."""
    from babel.messages.extract import extract_from_file

    found: dict[str, list[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        if "versions" in path.parts or area_of(path) != area:
            continue
        rel = str(path.relative_to(PKG))
        for lineno, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            key = message[0] if isinstance(message, tuple) else message
            if key:
                found.setdefault(key, []).append(f"{rel}:{lineno}")
        # Babel does not look inside f-strings: a ``_("…")`` written in one would never reach the
        # catalogues (and "0 missing" would hide it). The syntax tree sees every call.
        for lineno, key in calls_in_fstrings(path):
            if f"{rel}:{lineno}" not in found.get(key, []):
                found.setdefault(key, []).append(f"{rel}:{lineno}")
    return found


def calls_in_fstrings(path: Path) -> list[tuple[int, str]]:
    """``(line, msgid)`` of every gettext call with a literal argument inside an f-string."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for fstring in ast.walk(tree):
        if not isinstance(fstring, ast.JoinedStr):
            continue
        for node in ast.walk(fstring):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "gettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                out.append((node.lineno, node.args[0].value))
    return out


def po_path(lang: str, area: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{area}.po"


def load(lang: str, area: str) -> Catalog:
    path = po_path(lang, area)
    if path.exists():
        with open(path, "rb") as fh:
            return read_po(fh, locale=lang)
    return Catalog(locale=lang, project="AccountDesk", domain=area, charset="utf-8")


def save(cat: Catalog, lang: str, area: str) -> None:
    path = po_path(lang, area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, sort_output=True, include_lineno=False)


def update(areas) -> None:
    for area in areas:
        found = extract(area)
        for lang in LANGS:
            cat = load(lang, area)
            if not found and not po_path(lang, area).exists():
                continue
            for msgid, locs in found.items():
                if msgid not in cat:
                    cat.add(msgid, msgid if lang == "en" else "")
                cat[msgid].locations = [(loc.rsplit(":", 1)[0], None) for loc in locs[:3]]
            # drop entries no longer in the code (keep the catalogue tidy)
            for msg in list(cat):
                if msg.id and msg.id not in found:
                    del cat[msg.id]
            save(cat, lang, area)


def missing(areas=tuple(AREAS)) -> list[tuple[str, str, str]]:
    out = []
    for area in areas:
        found = extract(area)
        for lang in LANGS:
            cat = load(lang, area)
            for msgid in found:
                msg = cat.get(msgid)
                if msg is None or not msg.string:
                    out.append((lang, area, msgid))
    return out


def main() -> int:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    areas = sys.argv[2:] or list(AREAS)
    unknown = [a for a in areas if a not in AREAS]
    if unknown:
        print(f"unknown areas: {unknown}; known: {list(AREAS)}")
        return 2
    if cmd == "update":
        update(areas)
        return 0
    gaps = missing(areas)
    for lang, area, msgid in gaps:
        print(f"{lang} {area}.po: {msgid!r}")
    print(f"{len(gaps)} missing")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
