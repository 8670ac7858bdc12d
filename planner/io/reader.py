"""Reading a scenario workbook into raw tables, before any cell is interpreted.

Contract of this stage: :func:`read_workbook` turns a path into a :class:`RawWorkbook`, or
raises :class:`~planner.errors.InputError` when the file itself cannot be used (missing,
empty, truncated, password-protected, not an .xlsx, too large when unpacked, or holding
XML that could attack the reader), with a message that names the file and says what to do.

A :class:`RawWorkbook` holds, for each sheet of the contract (:mod:`planner.scenario.sheets`) that
the file has, its header (contract column -> Excel column letter) and its records: the
Excel row number and the raw value of every contract column, blank rows skipped. Sheet
names and headers match ignoring case and surrounding spaces (:mod:`planner.scenario.sheets` holds
these matching rules). Problems with the layout (missing or duplicated sheets and headers,
unknown columns, header cells showing an error, values under no header, merged cells) and
with single cells (formulas without a saved result, error values such as
``#DIV/0!``, stored values that cannot be read) are collected in :attr:`RawWorkbook.errors`,
never raised here: validation reports them together with its own. A cell behind such a
problem holds :data:`UNREADABLE`. Unknown sheets (but not the template's own, a
``Sources`` sheet, or one named ``#...`` or ``note...``), and hidden sheets, rows and columns
(which are read like any other), are :attr:`RawWorkbook.warnings`.

Nothing here executes or evaluates anything from the file, and what it costs to read is
bounded by the file's size:

- the zip container is checked against :class:`ZipLimits` (file size, unpacked size,
  number of parts, compression ratio) before any XML is parsed;
- an XML part with a document type declaration (the only place XML entities can be
  declared: "billion laughs", external entities) is refused before any sheet is parsed,
  and openpyxl parses through defusedxml besides;
- formulas are never computed: only the results a spreadsheet program saved are read;
- sheets are read sparsely, cell by cell as stored, so a cell placed at Excel's last
  column or row costs what it weighs in the file, and addresses beyond Excel's limits are
  refused.

The SHA-256 is of the very bytes that were parsed.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final, NamedTuple
from xml.parsers import expat

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.exceptions import CellCoordinatesException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from planner.errors import InputError, Problem, quoted
from planner.scenario.sheets import (
    SHEETS,
    Sheet,
    closest,
    is_blank,
    is_note_column,
    is_note_sheet,
    problem_order,
    sheet_named,
    strip_text,
)

MIB: Final = 1024 * 1024

EXCEL_ROWS: Final = 1_048_576
"""Excel's last row: no genuine workbook has a cell below it."""
EXCEL_COLUMNS: Final = 16_384
"""Excel's last column (XFD)."""


class Unreadable(Enum):
    """The type of :data:`UNREADABLE`."""

    CELL = "unreadable"


UNREADABLE: Final = Unreadable.CELL
"""A cell whose problem the reader has already reported (e.g. a formula with no result)."""

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
"""What a cell holds once read: openpyxl's value, never a formula."""

CellValue = RawValue | Unreadable
"""A record's value: a raw value, or :data:`UNREADABLE`."""


class Record(NamedTuple):
    """One non-blank row of a sheet."""

    row: int
    """The Excel row number (the header is row 1)."""
    values: Mapping[str, CellValue]
    """The raw value of every contract column the sheet has, keyed by contract name."""


@dataclass(frozen=True)
class RawSheet:
    """One sheet of the contract, as found in the file."""

    name: str
    """The contract's spelling of the sheet name."""
    title: str
    """The sheet's name as the file spells it."""
    header: Mapping[str, str]
    """Contract column name -> Excel column letter, for the columns the sheet has."""
    records: tuple[Record, ...]
    """The non-blank rows below the header, in sheet order."""


@dataclass(frozen=True)
class RawWorkbook:
    """A workbook's contract sheets, unparsed, with the problems found while reading."""

    path: Path
    sha256: str
    """SHA-256 (hex) of the bytes that were read."""
    sheets: Mapping[str, RawSheet]
    """The contract sheets the file has, keyed by contract name, in contract order."""
    errors: tuple[Problem, ...] = ()
    """Layout and cell problems; validation raises them together with its own."""
    warnings: tuple[Problem, ...] = ()
    """Things worth saying that do not stop the run (unknown or hidden sheets, hidden rows
    and columns)."""


@dataclass(frozen=True)
class ZipLimits:
    """Bounds checked on the .xlsx container before any of its XML is parsed.

    An .xlsx file is a zip archive; a crafted one (a "zip bomb") can unpack to many
    gigabytes. A genuine scenario workbook is far below every default. The command line
    raises them with ``--max-file-mb``, ``--max-unpacked-mb``, ``--max-parts`` and
    ``--max-ratio``.
    """

    max_file_mb: float = 100.0
    """Largest file read, in MiB."""
    max_unpacked_mb: float = 100.0
    """Largest total unpacked size of the archive's parts, in MiB."""
    max_parts: int = 10_000
    """Most parts (files inside the archive)."""
    max_ratio: float = 200.0
    """Highest unpacked/packed ratio of any part over 1 MiB unpacked."""


# --- the file itself -----------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_RESAVE = "open it in a spreadsheet program and save it as an Excel Workbook (.xlsx)"
_TRUST = "raise the limit only if you trust the file"


def _file_error(path: Path, message: str) -> InputError:
    return InputError(Problem("", None, "", message), path=str(path))


def _read_bytes(path: Path, limits: ZipLimits) -> bytes:
    """The file's bytes, or an :class:`InputError` saying why they cannot be had."""
    try:
        if not path.exists():
            raise _file_error(path, "no such file; check the path and the file name")
        if path.is_dir():
            raise _file_error(path, "this is a folder; give the path of a scenario workbook")
        size = path.stat().st_size
        if size > limits.max_file_mb * MIB:
            raise _file_error(
                path,
                f"the file is {size / MIB:.0f} MiB, more than the {limits.max_file_mb:g} MiB "
                "limit; a scenario workbook is much smaller, so check it is the right file "
                f"(or raise the limit with --max-file-mb)",
            )
        return path.read_bytes()
    except OSError as exc:
        raise _file_error(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _not_a_zip(data: bytes) -> str:
    """Why bytes that are not a zip archive cannot be an .xlsx workbook."""
    if not data:
        return f"the file is empty (0 bytes); {_RESAVE} again, or start from `planner template`"
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            return (
                "the workbook is password-protected (encrypted), so it cannot be read; "
                "open it, remove the password (File > Info > Protect Workbook, or "
                "Save As without a password) and save it as .xlsx"
            )
        return f"this is an old-format Excel file (.xls), not .xlsx; {_RESAVE}"
    if data.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return (
            "the file is damaged or incomplete (perhaps cut short while copying, saving or "
            "downloading); copy it again or save it again from the spreadsheet program"
        )
    if _looks_like_text(data[:4096]):
        return f"this is a text file (CSV or plain text), not an Excel workbook; {_RESAVE}"
    return f"this is not an Excel workbook (.xlsx); {_RESAVE}"


def _looks_like_text(head: bytes) -> bool:
    """Whether the start of a file is text (UTF-8, or UTF-16 with its byte-order mark)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _check_package(archive: zipfile.ZipFile, limits: ZipLimits) -> str | None:
    """Why a zip archive cannot be read as a workbook, or None when it can."""
    parts = archive.infolist()
    if len(parts) > limits.max_parts:
        return (
            f"the workbook has {len(parts)} parts, more than the limit of {limits.max_parts}; "
            f"it may be crafted to exhaust memory ({_TRUST}: --max-parts)"
        )
    names = {info.filename for info in parts}
    if any(info.flag_bits & 0x1 for info in parts):
        return "parts of the workbook are encrypted; save it again without a password"
    reason = _check_sizes(parts, limits)
    if reason is not None:
        return reason
    if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis"):
        return f"this is an OpenDocument spreadsheet (.ods), not .xlsx; {_RESAVE}"
    if not any(name.startswith("xl/") for name in names):
        return f"this is a zip archive but not an Excel workbook; {_RESAVE}"
    return _check_prologs(archive, parts)


def _check_sizes(parts: Sequence[zipfile.ZipInfo], limits: ZipLimits) -> str | None:
    unpacked = sum(info.file_size for info in parts)
    if unpacked > limits.max_unpacked_mb * MIB:
        return (
            f"the workbook unpacks to {unpacked / MIB:.0f} MiB, more than the "
            f"{limits.max_unpacked_mb:g} MiB limit; it may be crafted to exhaust memory "
            f"({_TRUST}: --max-unpacked-mb)"
        )
    for info in parts:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIB and ratio > limits.max_ratio:
            return (
                f"the part {info.filename} is compressed {ratio:.0f} to 1, beyond the limit "
                f"of {limits.max_ratio:g}; the file may be a zip bomb ({_TRUST}: --max-ratio)"
            )
    return None


class _Prolog(Exception):
    """Raised from expat's handlers to stop reading a part once its prolog is known."""

    def __init__(self, doctype: bool) -> None:
        super().__init__()
        self.doctype = doctype


def _raise_prolog(doctype: bool) -> Any:
    def handler(*_: object) -> None:
        raise _Prolog(doctype)

    return handler


def _declares_doctype(part: IO[bytes]) -> bool:
    """Whether an XML part opens with a document type declaration.

    Entities (the "billion laughs" expansion, external entities that read local files or
    the network) can only be declared in a DTD, which must come before the root element,
    so expat reads just up to the first element and stops. Excel never writes a DTD.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _raise_prolog(True)
    parser.StartElementHandler = _raise_prolog(False)
    try:
        while chunk := part.read(64 * 1024):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Prolog as stop:
        return stop.doctype
    except expat.ExpatError:  # not XML: left for openpyxl to refuse, if it reads the part
        return False
    return False


def _check_prologs(archive: zipfile.ZipFile, parts: Sequence[zipfile.ZipInfo]) -> str | None:
    for info in parts:
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as part:
                if _declares_doctype(part):
                    return _entities_refused(info.filename)
    return None


def _entities_refused(where: str) -> str:
    return (
        f"the workbook contains XML entity declarations (a DOCTYPE in {where}), which are "
        "refused because they can be used to attack the computer reading them (to exhaust "
        "its memory or read its files); spreadsheet programs never write them, so if you "
        f"trust the file, {_RESAVE} again"
    )


# --- parsing with openpyxl -----------------------------------------------------------------


class _Damaged(Exception):
    """A sheet's XML breaks Excel's own rules: the file is damaged or crafted."""


class _Cell(NamedTuple):
    """One stored cell, before interpretation."""

    value: RawValue
    data_type: str
    """openpyxl's type (``n``, ``s``, ``b``, ``d``; ``e`` for an error value such as
    ``#N/A``), or :data:`_GARBLED` for a stored value that cannot be read as its type."""
    formula: bool
    """Whether the cell holds a formula (``value`` is then the saved result, if any)."""


_GARBLED: Final = "?"


def _counts_as_blank(cell: _Cell) -> bool:
    return is_blank(cell.value) and not cell.formula and cell.data_type not in ("e", _GARBLED)


class _SheetParser(WorkSheetParser):  # type: ignore[misc]  # openpyxl is untyped
    """openpyxl's own worksheet parser, made to flag formulas and survive garbled cells.

    With ``data_only`` the parser returns a formula's saved result and forgets the
    formula; the flag keeps what is needed to report a formula with no result. A cell
    whose stored value cannot be read as its declared type (``<v>x</v>`` in a number
    cell, a shared-string index out of range) is kept as :data:`_GARBLED` and reported at
    its cell instead of failing the whole file. Addresses beyond Excel's limits are
    refused as damage.
    """

    row_counter: int
    col_counter: int
    row_dimensions: dict[str, dict[str, str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_rows: set[int] = set()

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
        """The row's number and cells; only whether it is hidden is kept of its attributes
        (openpyxl would keep them all, a dictionary for each of up to a million rows)."""
        number, cells = super().parse_row(row)
        attributes = self.row_dimensions.pop(str(number), None)
        if attributes is not None and _is_true(attributes.get("hidden")):
            self.hidden_rows.add(number)
        return number, cells

    def parse_cell(self, element: Any) -> dict[str, Any]:
        try:
            cell: dict[str, Any] = super().parse_cell(element)
        except (ValueError, TypeError, LookupError, ArithmeticError) as exc:
            cell = self._garbled(element, exc)
        if not 1 <= cell["column"] <= EXCEL_COLUMNS:
            raise _Damaged(f"a cell lies beyond Excel's last column ({element.get('r')})")
        cell["formula"] = element.find(FORMULA_TAG) is not None
        return cell

    def _garbled(self, element: Any, exc: Exception) -> dict[str, Any]:
        address = element.get("r")
        try:
            column = coordinate_to_tuple(address)[1] if address else self.col_counter + 1
        except (ValueError, TypeError, CellCoordinatesException):
            raise _Damaged(f"a cell has the address {str(address)[:20]!r}") from exc
        self.col_counter = column
        text = element.findtext(VALUE_TAG)
        return {"row": self.row_counter, "column": column, "value": text, "data_type": _GARBLED}


@dataclass
class _Grid:
    """A sheet's stored cells as plain values, before interpretation.

    Sparse: only rows and cells that hold something (a value, a formula or an error) are
    kept, so a sheet costs what it weighs in the file however far its cells lie.
    """

    title: str
    hidden: bool
    rows: dict[int, dict[int, _Cell]] = field(default_factory=dict)
    """Excel row number -> column number (1 is A) -> cell."""
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Merged ranges as (first column, first row, last column, last row)."""
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: tuple[tuple[int, int], ...] = ()
    """Hidden column spans (first, last), as the file stores them."""


def _is_true(flag: object) -> bool:
    return str(flag).strip().lower() in ("1", "true")


def _read_grid(book: Any, sheet: Any) -> _Grid:
    """A contract sheet's cells, merged ranges and hidden rows and columns, in one pass.

    This drives openpyxl's read-only worksheet parser directly (the read-only sheet's
    source, shared strings and the workbook's date formats are private attributes of
    openpyxl 3.1): its public ``iter_rows`` pads every row to the widest one and fills
    every gap, so one cell at column XFD in each row would cost gigabytes.
    """
    grid = _Grid(sheet.title, sheet.sheet_state != "visible")
    with sheet._get_source() as source:
        parser = _SheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if not 1 <= number <= EXCEL_ROWS:
                raise _Damaged(f"a row is numbered {number}, beyond Excel's limits")
            kept = {
                c["column"]: _Cell(c["value"], c["data_type"], c["formula"])
                for c in cells
                if c["value"] is not None or c["formula"] or c["data_type"] in ("e", _GARBLED)
            }
            if kept:
                grid.rows.setdefault(number, {}).update(kept)
    if parser.merged_cells is not None:
        grid.merged = [
            (m.min_col, m.min_row, m.max_col, m.max_row) for m in parser.merged_cells.mergeCell
        ]
    grid.hidden_rows = frozenset(parser.hidden_rows)
    grid.hidden_columns = tuple(
        (int(attrs["min"]), int(attrs.get("max", attrs["min"])))
        for attrs in parser.column_dimensions.values()
        if _is_true(attrs.get("hidden"))
    )
    return grid


def _load_grids(data: bytes) -> list[_Grid]:
    """Every sheet's title; the cells of the sheets the contract names."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        grids = []
        for title in book.sheetnames:
            sheet = book[title]
            if sheet_named(title) is not None and isinstance(sheet, ReadOnlyWorksheet):
                grids.append(_read_grid(book, sheet))
            else:
                hidden = getattr(sheet, "sheet_state", "visible") != "visible"
                grids.append(_Grid(title, hidden))
        return grids
    finally:
        book.close()


def _parse(path: Path, data: bytes) -> list[_Grid]:
    """Run openpyxl over the bytes, turning any failure into a message about the file.

    The catch is broad on purpose and covers only the parse of the user's file: whatever
    a malformed or hostile file makes openpyxl raise, the user gets an answer, not a
    traceback. Interpretation happens outside, on plain values.
    """
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it does not read (e.g. data validation
            # extensions) and about dates out of range (read as error cells); neither
            # affects the values read.
            warnings.simplefilter("ignore")
            return _load_grids(data)
    except _Damaged as exc:
        raise _file_error(
            path, f"the file is damaged or was not written by a spreadsheet program: {exc}"
        ) from exc
    except Exception as exc:
        if _caused_by(exc, DefusedXmlException):
            raise _file_error(path, _entities_refused("an XML part")) from exc
        raise _file_error(
            path,
            f"the file could not be read as an Excel workbook ({type(exc).__name__}: "
            f"{str(exc)[:200]}); {_RESAVE} again",
        ) from exc


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# --- interpreting sheets and headers -------------------------------------------------------


@dataclass
class _Found:
    """What the reader finds, gathered before it is frozen into a :class:`RawWorkbook`."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _match_sheets(grids: Sequence[_Grid], found: _Found) -> dict[str, _Grid]:
    """The grids of the contract's sheets, keyed by contract name."""
    matched: dict[str, _Grid] = {}
    unknown = []
    for grid in grids:
        sheet = sheet_named(grid.title)
        if sheet is None:
            if not is_note_sheet(grid.title):
                unknown.append(grid.title)
                found.warnings.append(_unknown_sheet(grid.title))
        elif sheet.name in matched:
            found.errors.append(
                Problem(
                    sheet.name,
                    None,
                    "",
                    f"two sheets match `{sheet.name}`: `{matched[sheet.name].title}` and "
                    f"`{grid.title}`; keep one (the first is read)",
                )
            )
        else:
            matched[sheet.name] = grid
            if grid.hidden:
                found.warnings.append(
                    Problem(sheet.name, None, "", "the sheet is hidden; it is read as usual")
                )
    found.errors += [
        _missing_sheet(s.name, unknown) for s in SHEETS if s.required and s.name not in matched
    ]
    return matched


def _missing_sheet(name: str, unknown: Sequence[str]) -> Problem:
    close = closest(name, unknown)
    fix = f"rename the sheet `{close}` to `{name}`" if close else "add it"
    return Problem(name, None, "", f"the workbook has no sheet `{name}`; {fix}")


def _unknown_sheet(title: str) -> Problem:
    close = closest(title, [s.name for s in SHEETS])
    hint = f" (did you mean `{close}`?)" if close else ""
    return Problem(
        title, None, "", f"the sheet `{title}` is not part of the scenario format; ignored{hint}"
    )


@dataclass(frozen=True)
class _Header:
    """Where the columns of one sheet are (column numbers, 1 is A)."""

    columns: dict[str, int]
    """Contract column name -> column number."""
    notes: frozenset[int]
    """Note columns (headers starting with ``#`` or ``note``)."""
    unknown: frozenset[int]
    """Columns with an unknown or unreadable header (already reported)."""

    @property
    def ignored(self) -> frozenset[int]:
        """Columns whose cells are not read."""
        return self.notes | self.unknown


def _read_header(sheet: Sheet, cells: Mapping[int, _Cell], found: _Found) -> _Header:
    """Match row 1 against the sheet's columns, reporting what does not fit."""
    columns: dict[str, int] = {}
    notes: set[int] = set()
    faulty: set[int] = set()
    unknown: list[tuple[int, str]] = []
    for position, cell in sorted(cells.items()):
        fault = _fault(cell)
        if fault is not None:  # e.g. `#REF!`: no name, and no `#` note header either
            faulty.add(position)
            found.errors.append(_faulty_header(sheet, position, fault[0]))
            continue
        if is_blank(cell.value):
            continue
        text = strip_text(str(cell.value))
        column = sheet.column_for(text)
        if is_note_column(text):
            notes.add(position)
        elif column is None:
            unknown.append((position, text))
        elif column.name in columns:
            found.errors.append(
                _duplicate_header(sheet, column.name, columns[column.name], position)
            )
        else:
            columns[column.name] = position
    missing = [c.name for c in sheet.columns if c.required and c.name not in columns]
    found.errors += _header_problems(sheet, unknown, missing)
    return _Header(columns, frozenset(notes), frozenset(faulty | {p for p, _ in unknown}))


def _faulty_header(sheet: Sheet, position: int, what: str) -> Problem:
    return Problem(
        sheet.name,
        1,
        "",
        f"the header cell {get_column_letter(position)}1 {what}; type the column's name there "
        "instead",
    )


def _duplicate_header(sheet: Sheet, name: str, first: int, again: int) -> Problem:
    return Problem(
        sheet.name,
        1,
        name,
        f"the header `{name}` appears twice, in columns {get_column_letter(first)} and "
        f"{get_column_letter(again)}; delete or rename one",
    )


def _header_problems(
    sheet: Sheet, unknown: Sequence[tuple[int, str]], missing: Sequence[str]
) -> list[Problem]:
    """Unknown columns (with the likeliest intended name) and missing required ones.

    A misspelt required header is reported once, as an unknown column with its correction.
    """
    known = [c.name for c in sheet.columns]
    problems = []
    corrected = set()
    for position, text in unknown:
        close = closest(text, known)
        hint = ""
        if close is not None:
            corrected.add(close)
            hint = f"did you mean `{close}`? Otherwise "
        problems.append(
            Problem(
                sheet.name,
                1,
                text,
                f"unknown column `{text}` (column {get_column_letter(position)}); {hint}"
                f"rename it to one of {quoted(known)}, or start its header with `#` or `note` "
                "to keep it as a note",
            )
        )
    problems += [
        Problem(sheet.name, 1, name, f"the required column `{name}` is missing; add it in row 1")
        for name in missing
        if name not in corrected
    ]
    return problems


# --- interpreting records ------------------------------------------------------------------

_EMPTY: Final = _Cell(None, "n", False)


def _is_blank_row(cells: Mapping[int, _Cell], header: _Header) -> bool:
    ignored = header.ignored
    return all(position in ignored or _counts_as_blank(c) for position, c in cells.items())


def _fault(cell: _Cell) -> tuple[str, str] | None:
    """What keeps a cell from having a value, and how to fix it, or None when it has one."""
    if cell.data_type == "e":
        return f"shows the error {cell.value or 'value'}", "fix its formula or type the value"
    if cell.data_type == _GARBLED:
        return (
            f"holds a stored value ({str(cell.value)[:40]!r}) that cannot be read, so the file "
            "may be damaged",
            "type the value again and save the workbook from a spreadsheet program",
        )
    if cell.value is None and cell.formula:
        return (
            "holds a formula with no saved result (the workbook was written by a program and "
            "never opened in a spreadsheet)",
            "open and save it in a spreadsheet program, or type the value instead of the formula",
        )
    return None


def _read_value(sheet: Sheet, column: str, cell: _Cell, row: int, found: _Found) -> CellValue:
    """The value of one cell; :data:`UNREADABLE`, with its problem recorded, if it has none."""
    fault = _fault(cell)
    if fault is None:
        return cell.value
    what, fix = fault
    found.errors.append(Problem(sheet.name, row, column, f"the cell {what}; {fix}"))
    return UNREADABLE


def _stray_values(sheet: Sheet, strays: Mapping[int, list[int]]) -> Iterator[Problem]:
    """Values in columns that have no header at all: one problem per column."""
    for position, rows in sorted(strays.items()):
        letter = get_column_letter(position)
        if len(rows) == 1:
            where = f"cell {letter}{rows[0]} holds a value"
        else:
            where = (
                f"{len(rows)} cells of column {letter} (rows {rows[0]} to {rows[-1]}) hold values"
            )
        yield Problem(
            sheet.name,
            rows[0],
            "",
            f"{where} but column {letter} has no header; add a header or clear the cells",
        )


def _read_records(sheet: Sheet, grid: _Grid, header: _Header, found: _Found) -> list[Record]:
    records = []
    used = set(header.columns.values()) | header.ignored
    strays: dict[int, list[int]] = {}
    for row in sorted(grid.rows):
        cells = grid.rows[row]
        if row == 1 or _is_blank_row(cells, header):
            continue
        for position, cell in cells.items():
            if position not in used and not _counts_as_blank(cell):
                strays.setdefault(position, []).append(row)
        values = {
            name: _read_value(sheet, name, cells.get(position, _EMPTY), row, found)
            for name, position in header.columns.items()
        }
        records.append(Record(row, MappingProxyType(values)))
    found.errors += _stray_values(sheet, strays)
    return records


def _merged_cells(sheet: Sheet, grid: _Grid, header: _Header) -> Iterator[Problem]:
    """Merged ranges, at their top-left cell, unless they lie only in note columns.

    A merged range holds its value in its top-left cell alone: the other cells read as
    blank, which is never what the person who merged them meant.
    """
    named = sorted((position, name) for name, position in header.columns.items())
    for first_column, first_row, last_column, last_row in grid.merged:
        columns = range(first_column, last_column + 1)
        if len(columns) * (last_row - first_row + 1) < 2:
            continue
        if all(c in header.notes for c in columns):  # stops at the first other column
            continue
        cells = (
            f"{get_column_letter(first_column)}{first_row}:"
            f"{get_column_letter(last_column)}{last_row}"
        )
        column = next((name for position, name in named if position in columns), "")
        if first_row == 1:
            message = (
                f"the header cells {cells} are merged; unmerge them and give each column "
                "its own header"
            )
        else:
            message = (
                f"cells {cells} are merged, so only the first holds a value and the others "
                "read as blank; unmerge them and fill every cell"
            )
        yield Problem(sheet.name, first_row, column, message)


def _runs(numbers: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive numbers in a sorted sequence, as (first, last)."""
    start = 0
    for index in range(1, len(numbers) + 1):
        if index == len(numbers) or numbers[index] != numbers[index - 1] + 1:
            yield numbers[start], numbers[index - 1]
            start = index


def _hidden_parts(
    sheet: Sheet, grid: _Grid, header: _Header, records: Sequence[Record]
) -> Iterator[Problem]:
    """Warnings for hidden columns of the contract and hidden rows that hold data.

    Hidden rows are read like any other: one warning per run of consecutive rows.
    """
    for name, position in header.columns.items():
        if any(first <= position <= last for first, last in grid.hidden_columns):
            yield Problem(sheet.name, 1, name, "the column is hidden; it is read as usual")
    hidden = sorted(grid.hidden_rows & ({1} | {r.row for r in records}))
    for first, last in _runs(hidden):
        joint = " and " if last == first + 1 else " to "
        what = f"row {first} is" if first == last else f"rows {first}{joint}{last} are"
        yield Problem(sheet.name, first, "", f"{what} hidden; read as usual (unhide to check)")


def _read_sheet(sheet: Sheet, grid: _Grid, found: _Found) -> RawSheet:
    header = _read_header(sheet, grid.rows.get(1, {}), found)
    records = _read_records(sheet, grid, header, found)
    found.errors += _merged_cells(sheet, grid, header)
    found.warnings += _hidden_parts(sheet, grid, header, records)
    letters = {name: get_column_letter(position) for name, position in header.columns.items()}
    return RawSheet(sheet.name, grid.title, MappingProxyType(letters), tuple(records))


# --- the stage -----------------------------------------------------------------------------


_ZIP_FAILURES = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)
"""What :mod:`zipfile` raises on a damaged or unsupported archive."""


def read_workbook(path: str | Path, *, limits: ZipLimits | None = None) -> RawWorkbook:
    """Read a scenario workbook's contract sheets as raw records.

    Args:
        path: the .xlsx file.
        limits: bounds on the zip container (defaults: :class:`ZipLimits`).

    Returns:
        The raw workbook, with layout and cell problems in ``errors`` (not raised).

    Raises:
        InputError: the file is missing, unreadable, not a usable .xlsx workbook, beyond
            the limits, or holds XML entity declarations.
    """
    path = Path(path)
    limits = limits or ZipLimits()
    data = _read_bytes(path, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            reason = _check_package(archive, limits)
    except _ZIP_FAILURES as exc:
        raise _file_error(path, _not_a_zip(data)) from exc
    if reason is not None:
        raise _file_error(path, reason)
    grids = _parse(path, data)
    found = _Found()
    matched = _match_sheets(grids, found)
    sheets = {s.name: _read_sheet(s, matched[s.name], found) for s in SHEETS if s.name in matched}
    return RawWorkbook(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        sheets=MappingProxyType(sheets),
        errors=tuple(sorted(found.errors, key=problem_order)),
        warnings=tuple(sorted(found.warnings, key=problem_order)),
    )
