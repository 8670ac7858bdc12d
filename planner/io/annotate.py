"""An annotated copy of the user's workbook: every problem marked where it is.

Contract of this stage: :func:`write_annotated` takes the path of a workbook, the problems
found in it (errors, and optionally warnings) and an output path, and writes a copy of the
workbook in which

- each problem's cell is filled (light red for an error, yellow for a warning) and carries
  a note saying what is wrong and how to fix it (a note already on the cell is kept below
  the planner's text);
- a problem located at a row only (e.g. a value under no header) marks the row's first
  cell; one located at a column only marks the column's header cell; problems about a whole
  sheet or the file itself are listed on the Errors sheet only;
- a new **Errors** sheet, placed first and opened first, lists every problem (severity,
  sheet, row, column, cell, message), the cell a link to the marked cell;
- sheets, rows and columns holding a marked cell are unhidden, so every link lands.

Sheet names and headers match the problem's as the reader does: ignoring case and
surrounding spaces. The copy is written whole or not at all (:func:`~planner.io.files.atomic_write`)
and never over its input. Every message, id and header on the Errors sheet is written with
:func:`~planner.io.xlsx.write_text`, so text from the input never becomes a formula; the user's
own cells, formulas included, are copied as they are.

What the copy cannot keep: the workbook goes through openpyxl, which drops what it does not
model: pictures, shapes, text boxes, form controls, slicers, sparklines, macros, threaded
comments and some Excel extensions (for instance data-validation lists stored as
extensions); charts and pivot tables may lose parts of their formatting. Nothing on the
user's sheets moves. The note on the Errors sheet's first cell says so, and lists what
openpyxl reported dropping. The input must already have passed the reader's checks
(:func:`~planner.io.reader.read_workbook`): this stage re-reads it in full.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final
from warnings import catch_warnings, simplefilter

import openpyxl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from planner.errors import InputError, Problem
from planner.io.files import atomic_write
from planner.io.xlsx import add_note, fit_columns, write_header, write_text, write_value
from planner.scenario.sheets import normalise_name, problem_order

ERROR_FILL: Final = PatternFill("solid", fgColor="FFC7CE")
"""Light red, Excel's "Bad" cell style: a cell that must change."""
WARNING_FILL: Final = PatternFill("solid", fgColor="FFEB9C")
"""Yellow, Excel's "Neutral" cell style: a cell worth a second look."""
LINK_FONT: Final = Font(color="0563C1", underline="single")
"""Excel's hyperlink blue."""

ERRORS_TITLE: Final = "Errors"
HEADERS: Final = ("severity", "sheet", "row", "column", "cell", "message")
MAX_TEXT: Final = 32_000
"""Longest text written to one cell (Excel holds 32,767 characters)."""

_INTRO = (
    "Written by the planner: every problem found in your workbook, one per row. Click a "
    "cell reference to go to the marked cell; each has a note saying how to fix it. Make "
    "the fixes in your original workbook (this copy was rewritten by a program and may "
    "lack pictures, shapes and macros)."
)


class Severity(StrEnum):
    """How much a problem matters: errors stop the run, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class _Mark:
    """A problem and, when it has one, the cell of the copy that shows it."""

    severity: Severity
    problem: Problem
    title: str | None
    """The user's title of the problem's sheet, when the workbook has it."""
    cell: str | None
    """The marked cell (e.g. ``C4``), or None for a problem listed only on the Errors sheet."""

    @property
    def link(self) -> str | None:
        """The link's target inside the workbook, e.g. ``'Countries'!C4``."""
        if self.title is None:
            return None
        return f"{_quote(self.title)}!{self.cell or 'A1'}"


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


# --- reading the copy ----------------------------------------------------------------------


def _load(source: Path) -> tuple[Workbook, list[str]]:
    """The workbook in full (styles, notes, formulas kept) and what openpyxl said it drops."""
    data = source.read_bytes()
    with catch_warnings(record=True) as caught:
        simplefilter("always")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)
        except Exception as exc:  # any failure parsing the user's file is the file's problem
            raise InputError(
                f"cannot copy the workbook to annotate it ({type(exc).__name__}: {exc}); "
                "open it in a spreadsheet program and save it as .xlsx again",
                path=str(source),
            ) from exc
    dropped = sorted({str(w.message) for w in caught})
    if _has_pictures(data):
        dropped.append("Pictures are not copied.")
    return book, dropped


def _has_pictures(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(name.startswith("xl/media/") for name in archive.namelist())


# --- placing each problem ------------------------------------------------------------------


def _sheet(book: Workbook, name: str) -> Worksheet | None:
    """The first worksheet whose title matches ``name``, ignoring case and spaces."""
    wanted = normalise_name(name)
    return next((ws for ws in book.worksheets if normalise_name(ws.title) == wanted), None)


def _header(sheet: Worksheet) -> dict[str, int]:
    """Normalised header text -> column number, from row 1 (the first of duplicates)."""
    columns: dict[str, int] = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        text = "" if cell.value is None else str(cell.value)  # rich text prints as its text
        if text.strip():
            columns.setdefault(normalise_name(text), cell.column)
    return columns


def _anchor(sheet: Worksheet, row: int, column: int) -> str:
    """The cell to mark: the top-left cell of a merged range, else the cell itself."""
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            row, column = merged.min_row, merged.min_col
            break
    return f"{get_column_letter(column)}{row}"


def _place(book: Workbook, severity: Severity, problem: Problem) -> _Mark:
    sheet = _sheet(book, problem.sheet) if problem.sheet else None
    if sheet is None:
        return _Mark(severity, problem, None, None)
    column = _header(sheet).get(normalise_name(problem.column)) if problem.column else None
    if problem.row is None:
        cell = None if column is None else _anchor(sheet, 1, column)
    else:
        cell = _anchor(sheet, problem.row, column or 1)
    return _Mark(severity, problem, sheet.title, cell)


# --- marking cells -------------------------------------------------------------------------


def _note(marks: Sequence[_Mark], previous: str | None) -> str:
    parts = [f"{m.severity.value.capitalize()}: {m.problem.message}" for m in marks]
    if previous:
        parts.append(f"(The note that was here: {previous})")
    return _fit("\n\n".join(parts))


def _reveal(sheet: Worksheet, coordinate: str) -> None:
    """Unhide the sheet, row and column of a marked cell."""
    cell = sheet[coordinate]
    sheet.sheet_state = "visible"
    sheet.row_dimensions[cell.row].hidden = False
    sheet.column_dimensions[cell.column_letter].hidden = False


def _mark_cells(book: Workbook, marks: Iterable[_Mark]) -> None:
    by_cell: dict[tuple[str, str], list[_Mark]] = defaultdict(list)
    for mark in marks:
        if mark.title is not None and mark.cell is not None:
            by_cell[(mark.title, mark.cell)].append(mark)
    for (title, coordinate), here in by_cell.items():
        sheet = book[title]
        cell = sheet[coordinate]
        errors = any(m.severity is Severity.ERROR for m in here)
        cell.fill = ERROR_FILL if errors else WARNING_FILL
        previous = cell.comment.text if cell.comment is not None else None
        add_note(cell, _note(here, previous), width=360)
        _reveal(sheet, coordinate)


# --- the Errors sheet ----------------------------------------------------------------------


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def _free_title(book: Workbook) -> str:
    """``Errors``, or ``Errors 2``, ... when the workbook already has a sheet of that name."""
    taken = {normalise_name(title) for title in book.sheetnames}
    title, n = ERRORS_TITLE, 1
    while normalise_name(title) in taken:
        n += 1
        title = f"{ERRORS_TITLE} {n}"
    return title


def _write_row(sheet: Worksheet, row: int, mark: _Mark) -> None:
    problem = mark.problem
    values = (
        mark.severity.value,
        mark.title or problem.sheet or "workbook",
        problem.row,
        problem.column,
    )
    for column, value in enumerate(values, start=1):
        write_value(sheet.cell(row=row, column=column), value)
    link = mark.link
    if link is not None:
        cell = sheet.cell(row=row, column=5)
        write_text(cell, f"{mark.title}!{mark.cell}" if mark.cell else str(mark.title))
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link)
        cell.font = LINK_FONT
    message = sheet.cell(row=row, column=6)
    write_text(message, _fit(problem.message))
    message.alignment = Alignment(wrap_text=True, vertical="top")


def _errors_sheet(book: Workbook, marks: Sequence[_Mark], dropped: Sequence[str]) -> None:
    sheet = book.create_sheet(_free_title(book), 0)
    write_header(sheet, HEADERS)
    for row, mark in enumerate(marks, start=2):
        _write_row(sheet, row, mark)
    if not marks:
        write_text(sheet.cell(row=2, column=6), "No problems found.")
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(2, len(marks) + 1)}"
    fit_columns(sheet, maximum=40)
    sheet.column_dimensions[get_column_letter(len(HEADERS))].width = 100
    intro = _INTRO if not dropped else _INTRO + "\n\nWhile copying: " + " ".join(dropped)
    add_note(sheet["A1"], _fit(intro), width=360)
    for other in book.worksheets:
        other.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = 0


# --- the stage -----------------------------------------------------------------------------


def _order(mark: _Mark) -> tuple[object, ...]:
    return (mark.severity is not Severity.ERROR, *problem_order(mark.problem))


def write_annotated(
    source: Path | str,
    problems: Iterable[Problem],
    out: Path | str,
    *,
    warnings: Iterable[Problem] = (),
) -> Path:
    """Write a copy of ``source`` with every problem marked and listed on an Errors sheet.

    Args:
        source: the user's workbook (.xlsx), already accepted by the reader.
        problems: the errors found in it (e.g. ``InputError.problems``).
        out: where to write the copy; never the input itself.
        warnings: problems that do not stop a run (e.g. :func:`planner.analysis.checks.check`'s).

    Returns:
        The path written.

    Raises:
        OutputError: ``out`` is the input, is open in a spreadsheet program, or cannot be
            written.
        InputError: the workbook cannot be read in full.
    """
    source = Path(source)
    entries = [(Severity.ERROR, p) for p in problems]
    entries += [(Severity.WARNING, p) for p in warnings]

    def write(tmp: Path) -> None:
        book, dropped = _load(source)
        marks = sorted((_place(book, s, p) for s, p in entries), key=_order)
        _mark_cells(book, marks)
        _errors_sheet(book, marks, dropped)
        book.save(tmp)

    return atomic_write(out, write, inputs=(source,))
