"""Reading a scenario workbook into raw tables, before any cell is interpreted.

Contract of this stage: :func:`read_workbook` turns a path into a :class:`RawWorkbook`, or
raises :class:`~planner.errors.InputError` when the file itself cannot be used (missing,
empty, truncated, password-protected, not an .xlsx, or too large when unpacked), with a
message that names the file and says what to do.

A :class:`RawWorkbook` holds, for each sheet of the contract (:mod:`planner.sheets`) that
the file has, its header (contract column -> Excel column letter) and its records: the
Excel row number and the raw value of every contract column, blank rows skipped. Sheet
names and headers match ignoring case and surrounding spaces. Problems with the layout
(missing or duplicated sheets and headers, unknown columns, values under no header) and
with single cells (formulas without a saved result, error values such as ``#DIV/0!``) are
collected in :attr:`RawWorkbook.errors`, never raised here: validation reports them
together with its own. A cell behind such a problem holds :data:`UNREADABLE`. Unknown and
hidden sheets are :attr:`RawWorkbook.warnings`.

Nothing here executes or evaluates anything from the file: openpyxl parses the XML through
defusedxml, formulas are never computed (only the results a spreadsheet program saved are
read), and the zip container is checked against :class:`ZipLimits` before any XML is
parsed. The SHA-256 is of the very bytes that were parsed.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Final, NamedTuple

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter

from planner.errors import InputError, Problem
from planner.sheets import SHEET_BY_NAME, SHEETS, Sheet, is_note_column, normalise_name

MIB: Final = 1024 * 1024


class Unreadable(Enum):
    """The type of :data:`UNREADABLE`."""

    CELL = "unreadable"


UNREADABLE: Final = Unreadable.CELL
"""A cell whose problem the reader has already reported (e.g. a formula with no result)."""

RawValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
"""What a cell holds once read: openpyxl's value, never a formula."""

CellValue = RawValue | Unreadable
"""A record's value: a raw value, or :data:`UNREADABLE`."""

TEMPLATE_SHEETS: Final = frozenset({"read me", "lists"})
"""Sheets the template adds beside the contract's; ignored without a warning."""


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
    """Things worth saying that do not stop the run (unknown or hidden sheets)."""


@dataclass(frozen=True)
class ZipLimits:
    """Bounds checked on the .xlsx container before any of its XML is parsed.

    An .xlsx file is a zip archive; a crafted one (a "zip bomb") can unpack to many
    gigabytes. A genuine scenario workbook is far below every default.
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
                "(or raise the limit)",
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
    names = {info.filename for info in parts}
    if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis"):
        return f"this is an OpenDocument spreadsheet (.ods), not .xlsx; {_RESAVE}"
    if not any(name.startswith("xl/") for name in names):
        return f"this is a zip archive but not an Excel workbook; {_RESAVE}"
    if any(info.flag_bits & 0x1 for info in parts):
        return "parts of the workbook are encrypted; save it again without a password"
    if len(parts) > limits.max_parts:
        return (
            f"the workbook has {len(parts)} parts, more than the limit of {limits.max_parts}; "
            "it may be crafted to exhaust memory (raise the limit only if you trust it)"
        )
    return _check_sizes(parts, limits)


def _check_sizes(parts: Sequence[zipfile.ZipInfo], limits: ZipLimits) -> str | None:
    unpacked = sum(info.file_size for info in parts)
    if unpacked > limits.max_unpacked_mb * MIB:
        return (
            f"the workbook unpacks to {unpacked / MIB:.0f} MiB, more than the "
            f"{limits.max_unpacked_mb:g} MiB limit; it may be crafted to exhaust memory "
            "(raise the limit only if you trust it)"
        )
    for info in parts:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIB and ratio > limits.max_ratio:
            return (
                f"the part {info.filename} is compressed {ratio:.0f} to 1, beyond the limit "
                f"of {limits.max_ratio:g}; the file may be a zip bomb (raise the limit only "
                "if you trust it)"
            )
    return None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet holds a formula (a fast scan, so most files parse once)."""
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            with archive.open(info) as part:
                tail = b""
                while chunk := part.read(MIB):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


# --- parsing with openpyxl -----------------------------------------------------------------

RawCell = tuple[RawValue, str]
"""A cell's value and openpyxl data type (``e`` for an error value such as ``#N/A``)."""


@dataclass
class _Grid:
    """A sheet's cells as plain values, before interpretation."""

    title: str
    hidden: bool
    rows: list[tuple[RawCell, ...]] = field(default_factory=list)


_CONTRACT_NAMES = frozenset(normalise_name(s.name) for s in SHEETS)


def _wanted(title: str) -> bool:
    return normalise_name(title) in _CONTRACT_NAMES


def _load_grids(data: bytes) -> list[_Grid]:
    """Every sheet's title; the cells of the sheets the contract names."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        grids = []
        for sheet in book.worksheets:
            grid = _Grid(sheet.title, getattr(sheet, "sheet_state", "visible") != "visible")
            if _wanted(sheet.title) and hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # declared sizes are often wrong: read to the end
                grid.rows = [
                    tuple((cell.value, cell.data_type) for cell in row)
                    for row in sheet.iter_rows(min_row=1)
                ]
            grids.append(grid)
        return grids
    finally:
        book.close()


def _formula_cells(data: bytes) -> set[tuple[str, int, int]]:
    """``(sheet title, row, column)`` of every formula in the contract's sheets."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found: set[tuple[str, int, int]] = set()
        for sheet in book.worksheets:
            if _wanted(sheet.title) and hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()
                for row in sheet.iter_rows(min_row=1):
                    found |= {(sheet.title, c.row, c.column) for c in row if c.data_type == "f"}
        return found
    finally:
        book.close()


def _parse(
    path: Path, data: bytes, formulas: bool
) -> tuple[list[_Grid], set[tuple[str, int, int]]]:
    """Run openpyxl over the bytes, turning any failure into a message about the file.

    The catch is broad on purpose and covers only the third-party parse of the user's
    file: whatever a malformed or hostile file makes openpyxl raise, the user gets an
    answer, not a traceback. Interpretation happens outside, on plain values.
    """
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it does not read (e.g. data validation
            # extensions); they do not affect the values read.
            warnings.simplefilter("ignore")
            return _load_grids(data), _formula_cells(data) if formulas else set()
    except Exception as exc:
        if _caused_by(exc, DefusedXmlException):
            raise _file_error(
                path,
                "the workbook contains XML entity declarations, which are refused because "
                f"they can be used to attack the computer reading them; {_RESAVE}",
            ) from exc
        raise _file_error(
            path,
            f"the file could not be read as an Excel workbook ({type(exc).__name__}: {exc}); "
            f"{_RESAVE} again",
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
    by_norm = {normalise_name(s.name): s for s in SHEETS}
    matched: dict[str, _Grid] = {}
    for grid in grids:
        sheet = by_norm.get(normalise_name(grid.title))
        if sheet is None:
            if normalise_name(grid.title) not in TEMPLATE_SHEETS:
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
        Problem(s.name, None, "", f"the workbook has no sheet `{s.name}`; add it")
        for s in SHEETS
        if s.required and s.name not in matched
    ]
    return matched


def _unknown_sheet(title: str) -> Problem:
    close = difflib.get_close_matches(title, [s.name for s in SHEETS], n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return Problem(
        title, None, "", f"the sheet `{title}` is not part of the scenario format; ignored{hint}"
    )


@dataclass(frozen=True)
class _Header:
    """Where the columns of one sheet are."""

    columns: dict[str, int]
    """Contract column name -> 0-based position."""
    ignored: frozenset[int]
    """Positions of note columns and unknown columns (already reported)."""


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_header(sheet: Sheet, cells: Sequence[RawCell], found: _Found) -> _Header:
    """Match row 1 against the sheet's columns, reporting what does not fit."""
    by_norm = {normalise_name(c.name): c.name for c in sheet.columns}
    columns: dict[str, int] = {}
    ignored: set[int] = set()
    unknown: list[tuple[int, str]] = []
    for position, (value, _) in enumerate(cells):
        if _is_blank(value):
            continue
        text = str(value).strip()
        name = by_norm.get(normalise_name(text))
        if is_note_column(text) or name is None:
            ignored.add(position)
            if not is_note_column(text):
                unknown.append((position, text))
        elif name in columns:
            found.errors.append(_duplicate_header(sheet, name, columns[name], position))
        else:
            columns[name] = position
    missing = [c.name for c in sheet.columns if c.required and c.name not in columns]
    found.errors += _header_problems(sheet, unknown, missing)
    return _Header(columns, frozenset(ignored))


def _duplicate_header(sheet: Sheet, name: str, first: int, again: int) -> Problem:
    return Problem(
        sheet.name,
        1,
        name,
        f"the header `{name}` appears twice, in columns {get_column_letter(first + 1)} and "
        f"{get_column_letter(again + 1)}; delete or rename one",
    )


def _header_problems(
    sheet: Sheet, unknown: Sequence[tuple[int, str]], missing: Sequence[str]
) -> list[Problem]:
    """Unknown columns (with the likeliest intended name) and missing required ones.

    A misspelt required header is reported once, as an unknown column with its correction.
    """
    problems = []
    corrected = set()
    known = [c.name for c in sheet.columns]
    for position, text in unknown:
        close = difflib.get_close_matches(text.lower(), known, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`? Otherwise " if close else ""
        corrected |= set(close)
        problems.append(
            Problem(
                sheet.name,
                1,
                text,
                f"unknown column `{text}` (column {get_column_letter(position + 1)}); {hint}"
                f"rename it to one of {_names(known)}, or start its header with `#` or `note` "
                "to keep it as a note",
            )
        )
    problems += [
        Problem(sheet.name, 1, name, f"the required column `{name}` is missing; add it in row 1")
        for name in missing
        if name not in corrected
    ]
    return problems


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


# --- interpreting records ------------------------------------------------------------------


def _cell(cells: Sequence[RawCell], position: int) -> RawCell:
    return cells[position] if position < len(cells) else (None, "n")


def _is_blank_row(
    cells: Sequence[RawCell], row: int, header: _Header, formulas: set[tuple[int, int]]
) -> bool:
    return all(
        position in header.ignored or (_is_blank(value) and (row, position + 1) not in formulas)
        for position, (value, _) in enumerate(cells)
    )


def _read_value(
    sheet: Sheet, column: str, cell: RawCell, where: tuple[int, bool], found: _Found
) -> CellValue:
    """The value of one cell; :data:`UNREADABLE`, with its problem recorded, if it has none."""
    value, data_type = cell
    row, is_formula = where
    if data_type == "e":
        found.errors.append(
            Problem(
                sheet.name,
                row,
                column,
                f"the cell shows the error {value}; fix its formula or type the value",
            )
        )
        return UNREADABLE
    if value is None and is_formula:
        found.errors.append(
            Problem(
                sheet.name,
                row,
                column,
                "the cell holds a formula with no saved result (the workbook was written by a "
                "program and never opened in a spreadsheet); open and save it in a spreadsheet "
                "program, or type the value instead of the formula",
            )
        )
        return UNREADABLE
    return value


def _stray_values(
    sheet: Sheet, cells: Sequence[RawCell], row: int, header: _Header
) -> Iterator[Problem]:
    """Values in columns that have no header at all."""
    used = set(header.columns.values()) | header.ignored
    for position, (value, _) in enumerate(cells):
        if position not in used and not _is_blank(value):
            letter = get_column_letter(position + 1)
            yield Problem(
                sheet.name,
                row,
                "",
                f"cell {letter}{row} holds a value but column {letter} has no header; "
                "add a header or clear the cell",
            )


def _read_records(
    sheet: Sheet,
    grid: _Grid,
    header: _Header,
    formulas: set[tuple[int, int]],
    found: _Found,
) -> tuple[Record, ...]:
    records = []
    for row, cells in enumerate(grid.rows[1:], start=2):
        if _is_blank_row(cells, row, header, formulas):
            continue
        found.errors += _stray_values(sheet, cells, row, header)
        values = {
            name: _read_value(
                sheet,
                name,
                _cell(cells, position),
                (row, (row, position + 1) in formulas),
                found,
            )
            for name, position in header.columns.items()
        }
        records.append(Record(row, MappingProxyType(values)))
    return tuple(records)


def _read_sheet(
    sheet: Sheet, grid: _Grid, formulas: set[tuple[str, int, int]], found: _Found
) -> RawSheet:
    header = _read_header(sheet, grid.rows[0] if grid.rows else (), found)
    mine = {(row, column) for title, row, column in formulas if title == grid.title}
    letters = {name: get_column_letter(position + 1) for name, position in header.columns.items()}
    return RawSheet(
        sheet.name,
        grid.title,
        MappingProxyType(letters),
        _read_records(sheet, grid, header, mine, found),
    )


# --- the stage -----------------------------------------------------------------------------

_SHEET_RANK = {s.name: i for i, s in enumerate(SHEETS, start=1)}


def problem_order(problem: Problem) -> tuple[int, str, int, int, str, str]:
    """Sort key: the file first, then sheets in contract order, rows, columns."""
    sheet = SHEET_BY_NAME.get(problem.sheet)
    columns = [c.name for c in sheet.columns] if sheet else []
    column = columns.index(problem.column) if problem.column in columns else len(columns)
    return (
        _SHEET_RANK.get(problem.sheet, 0 if not problem.sheet else len(SHEETS) + 1),
        problem.sheet,
        -1 if problem.row is None else problem.row,
        column,
        problem.column,
        problem.message,
    )


def read_workbook(path: str | Path, *, limits: ZipLimits | None = None) -> RawWorkbook:
    """Read a scenario workbook's contract sheets as raw records.

    Args:
        path: the .xlsx file.
        limits: bounds on the zip container (defaults: :class:`ZipLimits`).

    Returns:
        The raw workbook, with layout and cell problems in ``errors`` (not raised).

    Raises:
        InputError: the file is missing, unreadable or not a usable .xlsx workbook.
    """
    path = Path(path)
    limits = limits or ZipLimits()
    data = _read_bytes(path, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            reason = _check_package(archive, limits)
            formulas = reason is None and _has_formulas(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _file_error(path, _not_a_zip(data)) from exc
    if reason is not None:
        raise _file_error(path, reason)
    grids, formula_cells = _parse(path, data, formulas)
    found = _Found()
    matched = _match_sheets(grids, found)
    sheets = {
        s.name: _read_sheet(s, matched[s.name], formula_cells, found)
        for s in SHEETS
        if s.name in matched
    }
    return RawWorkbook(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        sheets=MappingProxyType(sheets),
        errors=tuple(sorted(found.errors, key=problem_order)),
        warnings=tuple(sorted(found.warnings, key=problem_order)),
    )
