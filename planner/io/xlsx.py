"""Small openpyxl helpers shared by every workbook the planner writes.

Contract: text that may come from a user (ids, names, descriptions) is written with
:func:`write_text`, which stores it as a string cell whatever its first character, so an id
such as ``=HYPERLINK("...")`` stays inert text in Excel and LibreOffice. The other helpers
give every sheet the same look: a styled, frozen header row, notes on header cells, widths
measured from the content, and a few number formats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MONEY = "#,##0.00"
"""Number format for money: thousands separators, two decimals."""
NUMBER = "#,##0.00"
"""Number format for quantities."""

HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
"""Dark blue: the default header fill."""
LIGHT_HEADER_FILL = PatternFill("solid", fgColor="5B7FA6")
"""A lighter blue for secondary headers, e.g. optional columns."""

AUTHOR = "planner"
"""The author shown on notes the planner writes."""

# Characters that make a spreadsheet program treat typed text as a formula, or that hide
# a formula behind leading whitespace; the fullwidth forms are accepted by some programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def write_text(cell: Cell, value: str) -> None:
    """Store ``value`` in ``cell`` as text, never as a formula or an error code.

    openpyxl turns a string starting with ``=`` into a formula and ``#N/A`` into an error
    cell; this undoes both by forcing the string type. Text starting with ``= + - @`` or a
    tab or line break also gets Excel's quote prefix, so that editing the cell by hand
    (F2, Enter) keeps it text. Control characters that XML cannot hold are dropped.

    Args:
        cell: an openpyxl cell.
        value: the text, e.g. an id typed by a user.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_STARTS):
        cell.quotePrefix = True


def write_value(cell: Cell, value: object, number_format: str | None = None) -> None:
    """Store a value of any kind safely: text via :func:`write_text`, numbers as numbers.

    NaN becomes an empty cell; an infinite number becomes the text ``inf`` or ``-inf``
    (a spreadsheet cannot hold it as a number).

    Args:
        cell: an openpyxl cell.
        value: None, a bool, an int, a float or anything else (written as its ``str``).
        number_format: applied to numeric values when given.
    """
    if isinstance(value, float) and math.isnan(value):
        value = None
    if isinstance(value, float) and math.isinf(value):
        write_text(cell, "inf" if value > 0 else "-inf")
    elif value is None or isinstance(value, bool):
        cell.value = value
    elif isinstance(value, int | float):
        cell.value = value
        if number_format is not None:
            cell.number_format = number_format
    else:
        write_text(cell, str(value))


def write_header(
    sheet: Worksheet, headers: Sequence[str], *, row: int = 1, fill: PatternFill = HEADER_FILL
) -> None:
    """Write a styled header row and freeze the sheet below it.

    Args:
        sheet: the worksheet.
        headers: the header texts, from column A on.
        row: the header's row number.
        fill: the header cells' background.
    """
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=index)
        write_text(cell, header)
        cell.font = HEADER_FONT
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
    sheet.freeze_panes = f"A{row + 1}"


def add_note(cell: Cell, text: str, *, width: int = 280) -> None:
    """Attach a note (an Excel comment) to ``cell``, sized to show ``text`` whole.

    Args:
        cell: an openpyxl cell.
        text: the note; line breaks are kept.
        width: the note box's width in points.
    """
    chars_per_line = max(1, width // 6)
    lines = sum(1 + len(line) // chars_per_line for line in text.splitlines() or [""])
    note = Comment(text, AUTHOR, width=width, height=24 + 15 * lines)
    cell.comment = note


def fit_columns(sheet: Worksheet, *, minimum: float = 8, maximum: float = 60) -> None:
    """Set each column's width from its longest line of content, within bounds.

    openpyxl cannot measure rendered text, so the width is the character count plus a
    margin, which suits Calibri 11 well enough.

    Args:
        sheet: the worksheet.
        minimum: the narrowest width, in characters.
        maximum: the widest width, in characters.
    """
    for index, column in enumerate(sheet.iter_cols(), start=1):
        longest = max((_display_length(cell.value) for cell in column), default=0)
        width = min(maximum, max(minimum, longest + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width


def _display_length(value: object) -> int:
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return max(len(line) for line in text.splitlines() or [""])
