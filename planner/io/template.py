"""The empty scenario workbook behind ``planner template PATH``.

Contract: :func:`write_template` writes, atomically, a workbook that a person can fill
without reading the code. Its first sheet, "Read me", explains the purpose, the workflow,
the conventions and each sheet; then come the sheets of :data:`planner.scenario.sheets.SHEETS`, in
that order, each with its header row spelt as the contract spells it. Everything on them
comes from :mod:`planner.scenario.sheets`:

- every header cell carries a note with the column's meaning, unit, value rule and whether
  it is required (or what a blank means);
- drop-down lists offer yes/no, the choices of choice columns, and, in every reference
  column, the ids typed on the sheet that defines them (e.g. Resources.country lists
  ``Countries!$A$2:$A$1000``); number columns reject text and numbers below their bound;
- the Scenario sheet lists its keys, with the defaults filled in and ``name`` left blank.

Spreadsheet validation only guards typing (pasted values bypass it) and ignores case, so
``planner validate`` stays the final word; the template is a guide, not a gate.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from planner.errors import OutputError
from planner.io.files import atomic_write
from planner.io.xlsx import (
    LIGHT_HEADER_FILL,
    add_note,
    fit_columns,
    write_header,
    write_text,
    write_value,
)
from planner.scenario.sheets import (
    ANY_COMMODITY,
    REFERENCED_SHEET,
    SCENARIO_KEYS,
    SHEET_BY_NAME,
    SHEETS,
    Cell,
    Column,
    Sheet,
)

EXAMPLES: dict[str, dict[str, str]] = {
    "Periods": {"period": "2026", "year": "2026", "length": "4"},
    "Budgets": {"country": "USA", "period": "2030", "budget": "120"},
    "Generations": {"generation": "N3", "frontier_year": "2022"},
    "Commodities": {
        "generation": "N3",
        "world_price": "2.5",
        "world_premium": "0.2",
        "sovereign": "yes",
        "backstop_cost": "40",
    },
    "Capacity": {"lifetime": "20", "lead_time": "3", "period": "2030"},
    "Processes": {"available_from": "2028", "available_until": "2040"},
    "Resources": {"period": "2030"},
    "Targets": {"period": "2030"},
    "Links": {"period": "2030"},
    "Learning": {
        "process": "fab",
        "progress_ratio": "0.8",
        "reference": "100",
        "driver": "builds",
        "applies_to": "new_cost",
        "pool": "regime",
        "spillover": "0.1",
        "steps_per_doubling": "2",
        "max_doublings": "6",
    },
    "Experience": {"country": "USA", "process": "fab", "initial": "60"},
}
"""An example value per column of the version-2 sheets and columns, shown in the header's
note and, for each sheet, as one example row on the Read me sheet (never on the sheet
itself, where it would be read as data)."""

README_SHEET = "Read me"
"""The name of the explanatory first sheet; the planner does not read it."""

LAST_ROW = 1000
"""Drop-down lists and number checks cover rows 2 to this row of every sheet."""

_TEXT_WIDTH = 24
_README_WIDTHS = {"A": 24, "B": 100}


def write_template(path: Path | str, *, force: bool = False) -> Path:
    """Write the empty scenario workbook to ``path``.

    Args:
        path: where to write; must end in ``.xlsx``.
        force: replace a file already at ``path`` (by default such a file is refused: it
            may be a filled-in workbook).

    Returns:
        The path written.

    Raises:
        OutputError: the path does not end in ``.xlsx``, a file is there and ``force`` is
            false, its folder does not exist, or the file is open in a spreadsheet program.
    """
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{out}: a scenario workbook is an .xlsx file; end the path in .xlsx")
    if out.exists() and not force:
        raise OutputError(
            f"{out}: a file is already there (perhaps a filled-in workbook); it was left as it "
            "is. Choose another path, or pass --force to replace it with an empty template"
        )
    workbook = build_template()
    return atomic_write(out, workbook.save)


def build_template() -> Workbook:
    """The template as an in-memory openpyxl workbook (see the module's contract)."""
    workbook = Workbook()
    readme = workbook.active
    readme.title = README_SHEET
    _write_readme(readme)
    for sheet in SHEETS:
        _write_sheet(workbook.create_sheet(sheet.name), sheet)
    return workbook


# --- the data sheets ----------------------------------------------------------------------


def _write_sheet(worksheet: Worksheet, sheet: Sheet) -> None:
    write_header(worksheet, [column.name for column in sheet.columns])
    if sheet.name == "Scenario":
        _prefill_scenario(worksheet)
    fit_columns(worksheet, minimum=12)
    for index, column in enumerate(sheet.columns, start=1):
        _set_up_column(worksheet, sheet, column, get_column_letter(index))


def _set_up_column(worksheet: Worksheet, sheet: Sheet, column: Column, letter: str) -> None:
    """The header's note and shade, the cells' typing check, and text columns' width."""
    header = worksheet[f"{letter}1"]
    add_note(header, _header_note(sheet, column))
    if not column.required:
        header.fill = LIGHT_HEADER_FILL
    validation = _validation(column)
    if validation is not None:
        worksheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
    if column.cell is Cell.TEXT:
        worksheet.column_dimensions[letter].width = _TEXT_WIDTH


def _prefill_scenario(worksheet: Worksheet) -> None:
    """One row per Scenario key; defaults as values, ``name`` left for the user."""
    for row, (key, column) in enumerate(SCENARIO_KEYS.items(), start=2):
        cell = worksheet.cell(row=row, column=1)
        write_text(cell, key)
        add_note(cell, _describe(column))
        if column.default not in (None, ""):
            write_value(worksheet.cell(row=row, column=2), column.default)


def _header_note(sheet: Sheet, column: Column) -> str:
    if sheet.name == "Scenario" and column.name == "value":
        keys = ", ".join(SCENARIO_KEYS)
        return _describe(
            column,
            blank=f"Whether it may be blank depends on the key ({keys}): see the note on each key.",
        )
    lines = [_describe(column)]
    example = EXAMPLES.get(sheet.name, {}).get(column.name)
    if example is not None:
        lines.append(f"Example: {example}")
    if column.cell is Cell.YESNO:
        lines.append("Also accepted: true/false, y/n, 1/0.")
    if column.cell in REFERENCED_SHEET:
        lines.append(
            f"Pick from the list, which shows the ids on the {REFERENCED_SHEET[column.cell]} sheet."
        )
    if column.wildcard:
        lines.append(
            f"Type {ANY_COMMODITY} for every tradable commodity; the list then warns, "
            "answer Yes to keep it."
        )
    return "\n".join(lines)


def _describe(column: Column, *, blank: str | None = None) -> str:
    """Meaning, unit, rule and required-or-default of one column, one item a line.

    Args:
        column: the column.
        blank: what to say about blank cells, instead of what the column's default says.
    """
    status = "required" if column.required else "optional"
    lines = [f"{column.name} ({status})", column.help]
    if column.unit:
        unit = column.unit
        if "money" in unit:
            unit += " (in the currency named on the Scenario sheet)"
        lines.append(f"Unit: {unit}")
    lines.append(f"Value: {column.rule}")
    if blank is not None:
        lines.append(blank)
    elif column.required:
        lines.append("Required: never leave it blank.")
    elif column.default in (None, ""):
        lines.append("May be left blank.")
    else:
        lines.append(f"Blank means {_show(column.default)}.")
    return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- drop-down lists and number checks ----------------------------------------------------


def _validation(column: Column) -> DataValidation | None:
    """The typing check for ``column``'s cells, or None for free text and ids."""
    if column.cell is Cell.YESNO:
        return _choose('"yes,no"', "yes or no", "Pick yes or no.")
    if column.cell is Cell.CHOICE:
        choices = ",".join(column.choices)
        return _choose(f'"{choices}"', column.name, f"Pick one of: {', '.join(column.choices)}.")
    if column.cell in REFERENCED_SHEET:
        defining = REFERENCED_SHEET[column.cell]
        letter = _id_letter(defining)
        source = f"{_sheet_ref(defining)}!${letter}$2:${letter}${LAST_ROW}"
        error = (
            f"Pick a {column.cell.value} id from the {defining} sheet; "
            f"add it there first if it is new."
        )
        if not column.wildcard:
            return _choose(source, f"Unknown {column.cell.value}", error)
        warning = _choose(
            source, f"Unknown {column.cell.value}", f"{error} {ANY_COMMODITY} is fine."
        )
        warning.errorStyle = "warning"
        return warning
    if column.cell is Cell.NUMBER:
        return _number(column)
    return None


def _choose(source: str, title: str, error: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title[:32],
        error=error,
    )


def _number(column: Column) -> DataValidation:
    kind = "whole" if column.whole else "decimal"
    if column.minimum is None:  # years: any number a spreadsheet holds
        operator, low, high = "between", f"{-_ANY_NUMBER:g}", f"{_ANY_NUMBER:g}"
    elif column.maximum is not None:  # a strict minimum of 0 is checked by the planner
        operator, low, high = "between", f"{column.minimum:g}", f"{column.maximum:g}"
    else:
        operator = "greaterThan" if column.strict else "greaterThanOrEqual"
        low, high = f"{column.minimum:g}", None
    return DataValidation(
        type=kind,
        operator=operator,
        formula1=low,
        formula2=high,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"Invalid {column.name}"[:32],
        error=f"{column.name} must be {column.rule}.",
    )


_ANY_NUMBER = 1e9
"""The bounds of the typing check of number columns without a lower bound (years)."""


def _sheet_ref(name: str) -> str:
    """The sheet's name as a formula spells it: quoted only when it has to be."""
    return name if name.isidentifier() and name.isascii() else quote_sheetname(name)


def _id_letter(name: str) -> str:
    """The letter of the id column of the sheet called ``name``."""
    sheet = SHEET_BY_NAME[name]
    letter: str = get_column_letter(sheet.columns.index(sheet.column(sheet.key[0])) + 1)
    return letter


# --- the Read me sheet --------------------------------------------------------------------

_PURPOSE = (
    "This workbook describes one scenario for the coalition capability planner. On the same "
    "data, the planner compares self-sufficient national AI stacks (each member alone, no "
    "trade), a braided coalition (members trade with each other, and with non-members only "
    "where the Links sheet allows) and an open world (every country trades with every "
    "other). It answers two questions: what it costs to meet every member's capability "
    "target (min_cost), and how much capability the members' budgets can buy "
    "(max_capability)."
)

_WORKFLOW = (
    "Scenario: type the scenario's name next to the key `name`; change the currency label "
    "and the shortfall penalty if you need to.",
    "Countries and Commodities first: every country (member yes or no) and every commodity "
    "(kind resource, product or capability). Their ids feed the drop-down lists of the "
    "other sheets.",
    "Processes, then Recipe: the steps of the stack, and what one unit of each step's "
    "activity consumes (input) and produces (output).",
    "Resources, Capacity and Targets: what each country can draw of each resource, where "
    "each process can run and be built, and the capability each member aims for.",
    "Links (optional): trade bans, links to non-members, and link costs and capacities.",
    "Periods, Budgets and Generations (optional): the horizon's periods (without them one "
    "period of one year), budgets per period, and technology generations. A `period` "
    "column on Resources, Capacity, Targets and Links limits a row to one period; its blank "
    "cells take the values of the row with the same key and a blank period.",
    "Learning and Experience (optional): processes whose cost falls by a progress ratio "
    "per doubling of experience, who learns together (pool), and the experience each country "
    "starts with. Every country that can run a learning process needs some initial "
    "experience (its own, or by spillover).",
    "Run `planner validate FILE`: it lists every problem at once, with sheet, row and "
    "column. Fix them and repeat until it says the scenario is valid.",
    "Run `planner run FILE` to solve every regime and mode and write the report.",
)

_CONVENTIONS = (
    "Ids (of countries, commodities and processes) are case-sensitive text: `USA` and `usa` "
    "are two different ids. The drop-down check ignores case, so `planner validate` has "
    "the last word.",
    "Sheet names and headers match ignoring case and surrounding spaces; keep the sheets "
    "and headers of this template.",
    "yes/no columns accept yes/no, true/false, y/n or 1/0.",
    "Dark headers are required columns. Lighter headers are optional: leave the cell blank "
    "(or drop the column) to use the default that the header's note gives.",
    "Hover over a header cell to read its note: meaning, unit, rule, and default.",
    "Money columns are in the currency named on the Scenario sheet.",
    "Blank rows are ignored. Columns whose header starts with `#` or `note` are yours and "
    "are ignored; any other extra column is an error.",
    f"Drop-down lists and number checks cover rows 2 to {LAST_ROW}; the lists offer the ids "
    f"typed in rows 2 to {LAST_ROW} of their sheet.",
    "The planner does not read this sheet.",
)


def _write_readme(worksheet: Worksheet) -> None:
    rows: list[tuple[str, str, str]] = [("Coalition capability planner", "", "title")]
    rows += [("Purpose", _PURPOSE, "text"), ("", "", "text")]
    rows += [("How to fill it", "", "heading")]
    rows += [(f"Step {n}", step, "text") for n, step in enumerate(_WORKFLOW, start=1)]
    rows += [("", "", "text"), ("Conventions", "", "heading")]
    rows += [("", rule, "text") for rule in _CONVENTIONS]
    rows += [("", "", "text"), ("The sheets", "", "heading")]
    rows += [(_sheet_label(sheet), _sheet_text(sheet), "sheet") for sheet in SHEETS]
    rows += [("", "", "text"), ("Example rows", "", "heading")]
    rows += [(name, _example_row(name), "sheet") for name in EXAMPLES]
    fonts = {
        "title": Font(name="Calibri", size=16, bold=True),
        "heading": Font(name="Calibri", size=13, bold=True),
        "sheet": Font(name="Calibri", bold=True),
        "text": Font(name="Calibri", bold=False),
    }
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, (label, text, style) in enumerate(rows, start=1):
        first, second = worksheet.cell(row=number, column=1), worksheet.cell(row=number, column=2)
        if label:
            write_text(first, label)
        if text:
            write_text(second, text)
        first.font = fonts[style]
        first.alignment = Alignment(vertical="top")
        second.alignment = wrap
        # Spreadsheet programs do not grow a row to fit wrapped text written by a script.
        lines = -(-len(text) // (_README_WIDTHS["B"] - 10)) or 1
        worksheet.row_dimensions[number].height = 15 * lines + (8 if style == "title" else 0)
    for letter, width in _README_WIDTHS.items():
        worksheet.column_dimensions[letter].width = width
    worksheet.sheet_properties.tabColor = "1F4E78"
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_setup.fitToWidth, worksheet.page_setup.fitToHeight = 1, 0


def _example_row(name: str) -> str:
    sheet = SHEET_BY_NAME[name]
    return "; ".join(
        f"{c.name} = {EXAMPLES[name][c.name]}" for c in sheet.columns if c.name in EXAMPLES[name]
    )


def _sheet_label(sheet: Sheet) -> str:
    return sheet.name if sheet.required else f"{sheet.name} (optional)"


def _sheet_text(sheet: Sheet) -> str:
    if len(sheet.key) == 1:
        key = f"One row per {sheet.key[0]}."
    else:
        key = f"One row per ({', '.join(sheet.key)})."
    columns = ", ".join(
        column.name if column.required else f"{column.name} (optional)" for column in sheet.columns
    )
    return f"{sheet.help} {key} Columns: {columns}."
