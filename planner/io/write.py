"""Writing a scenario as a workbook that :func:`planner.load` reads back equal.

Contract: :func:`write_scenario` writes one sheet per sheet of the contract
(:data:`planner.scenario.sheets.SHEETS`, in its order) with the contract's columns, derived
from the contract rather than listed here, so a new sheet or column is written as soon as
it is in the contract. An optional sheet with no rows, and an optional column that is blank
in every row, are left out, as a user would leave them. Text goes through
:func:`~planner.io.xlsx.write_text` (an id such as ``=HYPERLINK(...)`` stays inert text),
yes/no cells are written ``yes``/``no``, lists (a stress's regimes, an uncertain input's
values and weights) as comma text, a Stresses row leaves blank the columns its action does
not read (the validator rejects them), the Sampling sheet is written when it differs from
its defaults, and the file is written whole or not at all
(:func:`~planner.io.files.atomic_write`).

:func:`write_tables` is the lower step, shared with the bundled scenarios' builder and the
benchmark generator: sheets given as a header and rows of plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from openpyxl import Workbook

from planner.io.files import atomic_write
from planner.io.xlsx import fit_columns, write_header, write_value
from planner.scenario.rules import STRESS_COLUMNS, STRESS_OPTIONAL
from planner.scenario.schema import RECORD_MODELS, Sampling, Scenario
from planner.scenario.sheets import SAMPLING_KEYS, SCENARIO_KEYS, SHEETS, Cell, Sheet

Value = str | float | int | bool | None
"""A cell as written: text, a number, or blank."""


@dataclass(frozen=True)
class Table:
    """One sheet to write: its header and its rows (``None`` leaves a cell blank)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]


def scenario_tables(scenario: Scenario) -> dict[str, Table]:
    """The scenario's sheets as tables, in contract order, as :func:`write_scenario` writes
    them."""
    tables = {"Scenario": _settings(scenario)}
    for sheet in SHEETS:
        if sheet.name in RECORD_MODELS:
            records = getattr(scenario, RECORD_MODELS[sheet.name][0])
            if records or sheet.required:
                tables[sheet.name] = _records(sheet, [_cells(sheet, r.fields()) for r in records])
        elif sheet.name == "Sampling" and scenario.sampling != Sampling():
            tables[sheet.name] = _sampling(scenario.sampling)
    return tables


def _cells(sheet: Sheet, fields: dict[str, object]) -> dict[str, object]:
    """A record's fields as its row holds them: a Stresses row without the columns its
    action does not read."""
    if sheet.name == "Stresses":
        for column in STRESS_OPTIONAL - STRESS_COLUMNS[str(fields["action"])]:
            fields[column] = None
    return fields


def write_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` as a workbook; :func:`planner.load` of it gives it back equal.

    Args:
        scenario: any valid scenario (loaded, built in Python or edited).
        path: the .xlsx file to write (replaced whole, or left as it was on failure).

    Returns:
        The path written.

    Raises:
        OutputError: the path cannot be written (its folder is missing, the file is open
            in a spreadsheet program).
    """
    return write_tables(scenario_tables(scenario), path)


def write_tables(tables: Mapping[str, Table], path: str | Path) -> Path:
    """Write one sheet per table, in order: a styled, frozen header, then the rows.

    Text is written as text whatever its first character; numbers as numbers.
    """

    def write(tmp: Path) -> None:
        workbook_of(tables).save(tmp)

    return atomic_write(path, write)


def workbook_of(tables: Mapping[str, Table]) -> Workbook:
    """The openpyxl workbook of :func:`write_tables`, for callers that save it their way."""
    book = Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        write_header(sheet, table.columns)
        for r, row in enumerate(table.rows, start=2):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    write_value(sheet.cell(row=r, column=c), value)
        fit_columns(sheet)
    return book


def _cell(column_cell: Cell, value: object) -> Value:
    if value is None:
        return None
    if column_cell is Cell.YESNO:
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return ", ".join(str(v.value if isinstance(v, Enum) else v) for v in value) or None
    return str(value)


def _settings(scenario: Scenario) -> Table:
    rows = []
    for key, column in SCENARIO_KEYS.items():
        value = getattr(scenario, key, None)
        if value is not None:
            rows.append((key, _cell(column.cell, value)))
    return Table(("key", "value"), tuple(rows))


def _sampling(sampling: Sampling) -> Table:
    rows = tuple(
        (key, _cell(column.cell, getattr(sampling, key))) for key, column in SAMPLING_KEYS.items()
    )
    return Table(("key", "value"), rows)


def _records(sheet: Sheet, records: Iterable[Mapping[str, object]]) -> Table:
    rows = [tuple(_cell(c.cell, record.get(c.name)) for c in sheet.columns) for record in records]
    kept = [
        i
        for i, column in enumerate(sheet.columns)
        if column.required or any(row[i] is not None for row in rows)
    ]
    return Table(
        tuple(sheet.columns[i].name for i in kept),
        tuple(tuple(row[i] for i in kept) for row in rows),
    )
