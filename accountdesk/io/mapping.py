"""Column mapping: which column of a spreadsheet fills which field.

Header names are matched in English or Chinese against each field's name, its label (in every
shipped language) and its aliases (``domain/schema.py``), after normalising width, case, spaces
and notes such as “（必填）” or “*”. The header row itself is found among the first rows of the
sheet (titles and notes above it are skipped).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..domain.schema import SCHEMAS
from ..errors import ValidationError
from ..i18n import N_, _, load_catalogue

KINDS = {"clients": "client", "contacts": "contact", "equipment": "equipment"}
HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class Target:
    """A field a column may fill: a schema field, or a link column of the import (``client``)."""

    name: str
    label: str  # English msgid
    aliases: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return _(self.label)


_CLIENT_LINKS = (
    Target(
        "client",
        N_("Client name"),
        (
            "client",
            "company",
            "client name",
            "company name",
            "customer",
            "客户",
            "客户名称",
            "公司",
            "公司名称",
            "单位",
            "单位名称",
            "企业名称",
            "所属客户",
            "所属公司",
        ),
    ),
    Target(
        "client_uscc",
        N_("Client credit code"),
        (
            "uscc",
            "credit code",
            "client uscc",
            "统一社会信用代码",
            "信用代码",
            "客户信用代码",
            "社会信用代码",
        ),
    ),
)
#: Columns of a contacts or equipment file that say which client a row belongs to.
LINK_TARGETS = {"contacts": _CLIENT_LINKS, "equipment": _CLIENT_LINKS, "clients": ()}

_NOTE_RE = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_DROP_RE = re.compile(r"[\s*:：_\-/.·]+")


def header_key(text: Any) -> str:
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    t = _NOTE_RE.sub("", t) or t
    return _DROP_RE.sub("", t)


@cache
def _zh_labels() -> dict[str, str]:
    cat = load_catalogue("zh_CN")
    if cat is None:
        return {}
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string}


def targets(kind: str) -> list[Target]:
    """Every field a column of a ``kind`` file may fill, in form order."""
    entity = KINDS[kind]
    out = list(LINK_TARGETS[kind])
    out += [Target(s.name, s.label, s.aliases) for s in SCHEMAS[entity].values()]
    return out


@cache
def _lookup(kind: str) -> dict[str, str]:
    """normalised header -> target name; link targets win over fields (so 客户名称 in a
    contacts file is the client, not the contact's name)."""
    zh = _zh_labels()
    table: dict[str, str] = {}
    for t in targets(kind):
        for word in (t.name, t.label, zh.get(t.label, ""), *t.aliases):
            key = header_key(word)
            if key and key not in table:
                table[key] = t.name
    return table


def match_header(kind: str, header: Any) -> str | None:
    return _lookup(kind).get(header_key(header))


def score_row(kind: str, cells: list[Any]) -> int:
    """How many distinct targets a row's cells name (to find the header row)."""
    found = {match_header(kind, c) for c in cells if isinstance(c, str)}
    found.discard(None)
    return len(found)


def find_header(kinds: list[str], rows: list[tuple[int, list[Any]]]) -> tuple[str, int, int]:
    """``(kind, index into rows, score)`` of the best header row among the first rows."""
    best = ("", -1, 0)
    for kind in kinds:
        for i, (_number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
            s = score_row(kind, cells)
            if s > best[2]:
                best = (kind, i, s)
    return best


def column_names(cells: list[Any], width: int) -> list[str]:
    """Display names of the columns: the header text, or the column letter when blank; repeated
    names get a suffix so that each is unique."""
    from openpyxl.utils import get_column_letter

    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(width):
        raw = cells[i] if i < len(cells) else None
        name = (
            str(raw).strip()
            if raw is not None and str(raw).strip()
            else _("Column {letter}").format(letter=get_column_letter(i + 1))
        )
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def auto_mapping(kind: str, columns: list[str]) -> dict[str, str | None]:
    """column -> target name (or None); a target is used by its first matching column only."""
    used: set[str] = set()
    out: dict[str, str | None] = {}
    for col in columns:
        target = match_header(kind, col)
        if target is not None and target not in used:
            used.add(target)
            out[col] = target
        else:
            out[col] = None
    return out


def apply_overrides(
    kind: str, columns: list[str], mapping: dict[str, str | None], overrides: dict[str, str | None]
) -> dict[str, str | None]:
    """Manual choices win: ``{column: field}``; a field of ``""``/``None`` ignores the column.
    A column may be named by its header or its letter (``C``); a field by its name or label."""
    from openpyxl.utils import column_index_from_string

    valid = {t.name for t in targets(kind)}
    out = dict(mapping)
    for col, target in overrides.items():
        column = col.strip()
        if column not in out:
            letter = column.upper()
            if letter.isalpha() and len(letter) <= 3:
                idx = column_index_from_string(letter) - 1
                if 0 <= idx < len(columns):
                    column = columns[idx]
            if column not in out:
                matches = [c for c in columns if header_key(c) == header_key(column)]
                if len(matches) != 1:
                    raise ValidationError(
                        "map",
                        _("There is no column “{column}” in the file (columns: {columns}).").format(
                            column=col, columns=", ".join(columns)
                        ),
                    )
                column = matches[0]
        name = (target or "").strip()
        if not name:
            out[column] = None
            continue
        if name not in valid:
            name = match_header(kind, name) or name
        if name not in valid:
            raise ValidationError(
                "map",
                _("Unknown field “{field}”; choose one of: {fields}.").format(
                    field=target, fields=", ".join(sorted(valid))
                ),
            )
        for other, t in out.items():  # one column per field: the override takes it over
            if t == name and other != column:
                out[other] = None
        out[column] = name
    return out
