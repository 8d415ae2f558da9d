"""Reading and writing tables: CSV (any encoding found in practice) and Excel workbooks (.xlsx).

Reading is defensive: the size of a file is checked before anything is read (and the unpacked
size of a workbook, against zip bombs), a damaged workbook is a clear error, and merged cells are
filled with the value of their top-left cell, so titles and client names merged over several
rows read as they look. Writing escapes cell text that a spreadsheet would run as a formula
(OWASP "CSV injection": text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading apostrophe), and CSV is written as UTF-8 with a byte-order mark and CRLF, which
Excel opens with Chinese intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import ValidationError
from ..i18n import _
from .encoding import decode_text

#: Largest file an import reads (CSV or .xlsx on disk).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest unpacked content of a workbook.
MAX_XLSX_UNPACKED_BYTES = 600 * 1024 * 1024
#: Most data rows an import accepts.
MAX_ROWS = 200_000
#: Rows of each sheet read to find the header and choose the sheet.
HEAD_ROWS = 30
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that starts with + or - but is only a number or a phone number is not a formula risk.
_NUMBER_LIKE = re.compile(r"^[+-]?\d[\d\s().\-/]*(;ext=\d+)?$")


@dataclass
class Sheet:
    """One table: ``rows`` are ``(row number as the spreadsheet shows it, cell values)``."""

    name: str
    rows: list[tuple[int, list[Any]]]


@dataclass
class TableFile:
    path: Path
    format: str  # csv | xlsx
    encoding: str | None
    sheets: list[Sheet] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------
def check_size(path: Path, limit: int = MAX_FILE_BYTES) -> int:
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise ValidationError(
            "file", _("The file cannot be opened: {error}").format(error=exc.strerror or exc)
        ) from None
    if size > limit:
        raise ValidationError(
            "file",
            _(
                "The file is too large to import ({size} MB; at most {limit} MB). Split it into smaller files."
            ).format(size=round(size / 1024 / 1024, 1), limit=limit // (1024 * 1024)),
        )
    return size


def read_table_file(path: Path | str, *, choose: Callable[[list[Sheet]], str] | None = None) -> TableFile:
    """Read a CSV or .xlsx file into sheets of rows; raises :class:`ValidationError` (field
    ``file``) for anything that is not a readable table.

    ``choose``: for a workbook, called with the first :data:`HEAD_ROWS` rows of every sheet; it
    returns the name of the one sheet to read in full (the others are left out)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ValidationError(
            "file",
            _("Old Excel files (.xls) cannot be read; in Excel choose “Save As” → “Excel Workbook (.xlsx)”."),
        )
    check_size(path)
    if suffix in XLSX_SUFFIXES or (suffix not in CSV_SUFFIXES and zipfile.is_zipfile(path)):
        return _read_xlsx(path, choose)
    return _read_csv(path)


def _read_csv(path: Path) -> TableFile:
    data = path.read_bytes()
    text, encoding = decode_text(data)
    sample = text[:20_000]
    delimiter = ","
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS + 50:
                raise ValidationError(
                    "file",
                    _("The file has more than {n} rows; split it into smaller files.").format(n=MAX_ROWS),
                )
            rows.append((number, record))
    except csv.Error as exc:
        raise ValidationError("file", _("The CSV file is malformed: {error}").format(error=exc)) from None
    return TableFile(path, "csv", encoding, [Sheet(path.stem, rows)])


def _damaged() -> ValidationError:
    return ValidationError(
        "file",
        _("The file is damaged or is not an Excel workbook (.xlsx); open it in Excel and save it again."),
    )


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row), 1-based, read from the sheet's XML without parsing
    it all (``mergeCells`` follows the cell data)."""
    from openpyxl.utils import column_index_from_string

    out: list[tuple[int, int, int, int]] = []
    tail = b""
    with archive.open(part) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            if b"mergeCell" in buf:
                for m in _MERGE_RE.finditer(buf):
                    out.append(
                        (
                            column_index_from_string(m[1].decode()),
                            int(m[2]),
                            column_index_from_string(m[3].decode()),
                            int(m[4]),
                        )
                    )
                cut = buf.rfind(b"<")
                tail = buf[cut:] if cut >= 0 and b">" not in buf[cut:] else b""
            else:
                tail = buf[-200:]
    return list(dict.fromkeys(out))


def _load_workbook(path: Path) -> Any:  # an openpyxl Workbook (openpyxl has no type stubs here)
    """``openpyxl.load_workbook(path, read_only=True, data_only=True)``, less one needless pass.

    Opening a read-only workbook, openpyxl looks in each sheet for the ``<dimension>`` element
    (the used range) and, listening for the *end* of elements, stops at the end of
    ``<sheetData>``; so a sheet without that element — every sheet written by openpyxl's
    write-only mode, our own exports included — is parsed in full once just to open the file,
    before it is read. The element comes before ``<sheetData>`` (ECMA-376 §18.3.1.99), so this
    looks only at the start of the sheet and finds the same range, or none, as openpyxl does.

    Text cells are read faster too. openpyxl builds a rich-text object for every string (each
    shared string, and each inline string — openpyxl itself writes strings inline) just to take
    its text; a string that is one plain ``<t>`` element is taken as it is here, and any other
    (runs of rich text, phonetic guides, attributes) goes through openpyxl as before. The text is
    the same either way: the ``<t>`` element's, "" when it is empty."""
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
    from openpyxl.worksheet._read_only import EMPTY_CELL, ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG, INLINE_STRING, WorkSheetParser
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    string_tag, text_tag = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"

    def plain_text(node: Any) -> str | None:  # node: an XML element of openpyxl's iterparse
        """The text of ``<si>`` or ``<is>`` holding one plain ``<t>`` and nothing else, else None."""
        if len(node) == 1 and not node.attrib:
            t = node[0]
            if t.tag == text_tag and len(t) == 0:
                return t.text or ""
        return None

    class Parser(WorkSheetParser):  # type: ignore[misc]  # openpyxl has no type stubs: Any
        def parse_cell(self, element: Any) -> Any:
            if element.get("t") == "inlineStr" and self.data_only and not self.rich_text:
                child = element.find(INLINE_STRING)
                value = plain_text(child) if child is not None else None
                if value is not None:  # as openpyxl's parse_cell, less the rich-text object
                    style_id = element.get("s", 0)
                    if style_id:
                        style_id = int(style_id)
                    coordinate = element.get("r")
                    if coordinate:
                        row, column = coordinate_to_tuple(coordinate)
                        self.col_counter = column
                    else:
                        self.col_counter += 1
                        row, column = self.row_counter, self.col_counter
                    return {
                        "row": row,
                        "column": column,
                        "value": value,
                        "data_type": "s",
                        "style_id": style_id,
                    }
            return super().parse_cell(element)

    def read_strings(src: IO[bytes]) -> list[str]:  # openpyxl's read_string_table, less the rich-text objects
        strings: list[str] = []
        for _event, node in iterparse(src):
            if node.tag == string_tag:
                text = plain_text(node)
                if text is None:
                    text = Text.from_tree(node).content
                strings.append(text.replace("x005F_", ""))
                node.clear()
        return strings

    class Worksheet(ReadOnlyWorksheet):  # type: ignore[misc]  # openpyxl has no type stubs: Any
        def _get_size(self) -> None:
            with self._get_source() as src:
                for _event, element in iterparse(src, events=("start",)):
                    if element.tag == DIMENSION_TAG:
                        ref = element.get("ref")
                        if ref:
                            self._min_column, self._min_row, self._max_column, self._max_row = (
                                range_boundaries(ref)
                            )
                        return
                    if element.tag == DATA_TAG:
                        return

        def _cells_by_row(
            self,
            min_col: int,
            min_row: int,
            max_col: int | None,
            max_row: int | None,
            values_only: bool = False,
        ) -> Iterator[Sequence[Any]]:
            # openpyxl's ReadOnlyWorksheet._cells_by_row (3.1), with the parser above
            filler = EMPTY_CELL if not values_only else None
            max_col = max_col or self.max_column
            max_row = max_row or self.max_row
            empty_row: Sequence[Any] = []
            if max_col is not None:
                empty_row = (filler,) * (max_col + 1 - min_col)
            counter = min_row
            idx = 1
            with self._get_source() as src:
                parser = Parser(
                    src,
                    self._shared_strings,
                    data_only=self.parent.data_only,
                    epoch=self.parent.epoch,
                    date_formats=self.parent._date_formats,
                    timedelta_formats=self.parent._timedelta_formats,  # noqa: SLF001
                )
                for idx, row in parser.parse():  # noqa: B007 - read after the loop, as openpyxl does
                    if max_row is not None and idx > max_row:
                        break
                    for _ in range(counter, idx):  # rows missing from the file
                        counter += 1
                        yield empty_row
                    if counter <= idx:
                        yield self._get_row(row, min_col, max_col, values_only)
                        counter += 1
            if max_row is not None and max_row < idx:
                for _ in range(counter, max_row + 1):
                    yield empty_row

    class Reader(ExcelReader):  # type: ignore[misc]  # openpyxl has no type stubs: Any
        def read_strings(self) -> None:  # as openpyxl's, with read_strings above
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = read_strings(src)

        def read_worksheets(self) -> None:  # as openpyxl's in read-only mode, with the sheet above
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Worksheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)  # noqa: SLF001

    reader = Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _read_xlsx(path: Path, choose: Callable[[list[Sheet]], str] | None = None) -> TableFile:
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(path) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise ValidationError(
                    "file",
                    _("The workbook unpacks to more than {n} MB; split it into smaller files.").format(
                        n=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)
                    ),
                )
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile):
        raise _damaged() from None
    try:
        wb = _load_workbook(path)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        EOFError,
        OSError,
        SyntaxError,
    ):
        raise _damaged() from None
    except Exception as exc:  # noqa: BLE001 - lxml/et parse errors of a mangled part
        if type(exc).__name__ in ("ParseError", "XMLSyntaxError"):
            raise _damaged() from None
        raise
    try:
        archive = wb._archive  # noqa: SLF001 - read-only workbooks keep their archive open
        merged = {
            ws.title: _merged_ranges(archive, ws._worksheet_path) if hasattr(ws, "_worksheet_path") else []  # noqa: SLF001
            for ws in wb.worksheets
        }
        if choose is None:
            sheets = [_read_sheet(ws, merged[ws.title]) for ws in wb.worksheets]
        else:
            heads = [_read_sheet(ws, merged[ws.title], HEAD_ROWS) for ws in wb.worksheets]
            name = choose(heads)
            sheets = [_read_sheet(wb[name], merged[name])]
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure inside a damaged part
        if isinstance(exc, (KeyError, ValueError, TypeError, EOFError, OSError, zipfile.BadZipFile)) or type(
            exc
        ).__name__ in ("ParseError", "XMLSyntaxError"):
            raise _damaged() from None
        raise
    finally:
        wb.close()
    return TableFile(path, "xlsx", None, sheets)


def _read_sheet(ws: Any, merged: list[tuple[int, int, int, int]], limit: int | None = None) -> Sheet:
    rows: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(ws.iter_rows(values_only=True, max_row=limit), start=1):
        if len(rows) > MAX_ROWS + 50:
            raise ValidationError(
                "file",
                _("The sheet “{sheet}” has more than {n} rows; split it into smaller files.").format(
                    sheet=ws.title, n=MAX_ROWS
                ),
            )
        rows.append((number, list(values)))
    if merged:
        _fill_merged(rows, merged)
    return Sheet(ws.title, rows)


def _fill_merged(rows: list[tuple[int, list[Any]]], merged: list[tuple[int, int, int, int]]) -> None:
    by_number = {number: cells for number, cells in rows}
    for min_col, min_row, max_col, max_row in merged:
        top = by_number.get(min_row)
        if top is None or len(top) < min_col:
            continue
        value = top[min_col - 1]
        if value is None:
            continue
        for r in range(min_row, max_row + 1):
            cells = by_number.get(r)
            if cells is None:
                continue
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for c in range(min_col, max_col + 1):
                if cells[c - 1] is None:
                    cells[c - 1] = value


def cell_value(value: Any) -> Any:
    """A cell as the validators expect it: text stripped (the apostrophe our exports add before
    formula characters removed), whole floats as ints, midnight datetimes as dates."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
            text = text[1:]
        return text or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


# -- writing ------------------------------------------------------------------------------------
def escape_cell(value: Any) -> Any:
    """Text a spreadsheet could run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value and value[0] in _FORMULA_START and not _NUMBER_LIKE.match(value):
        return "'" + value
    return value


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def write_csv(path: Path | str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """CSV as Excel reads it best: UTF-8 with BOM, CRLF; returns the number of data rows."""
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([escape_cell(h) for h in headers])
        for row in rows:
            writer.writerow(
                [escape_cell(str(v)) if not isinstance(v, str) else escape_cell(v) for v in map(_text, row)]
            )
            n += 1
    return n


def write_xlsx(path: Path | str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> int:
    """A workbook with one sheet per ``(title, headers, rows)``; every text cell is stored as
    text (never a formula) and escaped like CSV. Returns the number of data rows written."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    n = 0
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        ws.freeze_panes = "A2"  # the header stays in view
        sample = rows[:200] if isinstance(rows, list) else []
        for i, h in enumerate(headers, start=1):  # wide enough for header and first rows (CJK: double)
            texts = [str(h), *(str(_text(r[i - 1])) for r in sample if i - 1 < len(r))]
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 50)
        header_cells = []
        for h in headers:
            c = WriteOnlyCell(ws, value=escape_cell(h))
            c.data_type = "s"
            c.font = bold
            header_cells.append(c)
        ws.append(header_cells)
        for row in rows:
            cells = []
            for v in row:
                v = _text(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else v
                if isinstance(v, str):
                    c = WriteOnlyCell(ws, value=escape_cell(v))
                    c.data_type = "s"
                    cells.append(c)
                else:
                    cells.append(v)
            ws.append(cells)
            n += 1
    wb.save(path)
    return n
