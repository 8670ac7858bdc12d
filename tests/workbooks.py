"""Building small scenario workbooks from Python tables, for any test that needs a file.

A *table* is a list of rows, the header first, exactly as they should appear in the sheet
(``None`` leaves a cell empty; a string starting with ``=`` becomes a formula with no saved
result, as a program that never opened the file in a spreadsheet would write it)::

    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 2, "cost", "ten")  # Excel row 2, column `cost`
    row = add_row(tables, "Targets", {"country": "C", "commodity": "compute", "amount": 1})
    path = write_workbook(tmp_path / "s.xlsx", tables)

:func:`minimal_scenario_tables` is a small valid scenario and :data:`MINIMAL_SCENARIO` the
:class:`~planner.scenario.schema.Scenario` it validates to.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

from planner.scenario.schema import (
    Capacity,
    Commodity,
    Country,
    Kind,
    Link,
    Process,
    RecipeLine,
    Resource,
    Role,
    Scenario,
    Target,
)

Table = list[list[object]]
"""Rows of one sheet, the header row first."""

Tables = dict[str, Table]
"""Sheet name -> table, in sheet order."""


def records_workbook(path: Path, tables: Mapping[str, Sequence[Mapping[str, object]]]) -> Path:
    """Tables of row dicts as a workbook (a header of every column the rows use, in order
    of appearance), the required sheets the tables lack added with their header only."""
    from planner.scenario.sheets import SHEETS

    lists: dict[str, list[list[object]]] = {}
    for sheet, rows in tables.items():
        header = list(dict.fromkeys(c for r in rows for c in r))
        lists[sheet] = [header, *([r.get(c) for c in header] for r in rows)]
    for sheet in SHEETS:
        if sheet.required and sheet.name not in lists:
            lists[sheet.name] = [[c.name for c in sheet.columns if c.required]]
    return write_workbook(path, lists)


def write_workbook(path: Path, tables: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """Write one sheet per table, in the order given, and return the path."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in tables.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


_MINIMAL: Tables = {
    "Scenario": [["key", "value"], ["name", "minimal"], ["shortfall_penalty", 500]],
    "Countries": [
        ["country", "name", "member", "budget"],
        ["A", "Alpha", "yes", 100],
        ["B", None, "yes", 50],
        ["C", "Gamma", "no", None],
    ],
    "Commodities": [
        ["commodity", "unit", "kind", "tradable", "trade_cost"],
        ["ore", "t", "resource", "yes", 1],
        ["chip", "k units", "product", "yes", 0.5],
        ["compute", "EFLOP", "capability", "no", None],
    ],
    "Resources": [
        ["country", "commodity", "available", "cost"],
        ["A", "ore", 10, 2],
        ["B", "ore", 5, 3],
        ["C", "ore", 20, 1],
    ],
    "Processes": [
        ["process", "layer", "description"],
        ["fab", "chips", "wafer fabrication"],
        ["dc", None, None],
    ],
    "Recipe": [
        ["process", "commodity", "role", "amount"],
        ["fab", "ore", "input", 2],
        ["fab", "chip", "output", 1],
        ["dc", "chip", "input", 1],
        ["dc", "compute", "output", 1],
    ],
    "Capacity": [
        ["country", "process", "existing", "cost", "max_new", "new_cost", "fixed_cost", "min_new"],
        ["A", "fab", 5, 1, None, None, None, None],
        ["A", "dc", 2, 1, None, None, None, None],
        ["B", "dc", 0, 1, 10, 4, 20, 2],
    ],
    "Targets": [
        ["country", "commodity", "amount", "weight"],
        ["A", "compute", 2, None],
        ["B", "compute", 3, 2],
    ],
    "Links": [
        ["exporter", "importer", "commodity", "allowed", "cost", "capacity"],
        ["C", "A", "ore", "yes", None, 4],
    ],
}

MINIMAL_SCENARIO = Scenario(
    name="minimal",
    shortfall_penalty=500,
    countries=(
        Country(country="A", name="Alpha", member=True, budget=100),
        Country(country="B", name="B", member=True, budget=50),
        Country(country="C", name="Gamma", member=False, budget=0),
    ),
    commodities=(
        Commodity(commodity="ore", unit="t", kind=Kind.RESOURCE, tradable=True, trade_cost=1),
        Commodity(
            commodity="chip", unit="k units", kind=Kind.PRODUCT, tradable=True, trade_cost=0.5
        ),
        Commodity(commodity="compute", unit="EFLOP", kind=Kind.CAPABILITY, tradable=False),
    ),
    resources=(
        Resource(country="A", commodity="ore", available=10, cost=2),
        Resource(country="B", commodity="ore", available=5, cost=3),
        Resource(country="C", commodity="ore", available=20, cost=1),
    ),
    processes=(
        Process(process="fab", layer="chips", description="wafer fabrication"),
        Process(process="dc", layer="dc"),
    ),
    recipe=(
        RecipeLine(process="fab", commodity="ore", role=Role.INPUT, amount=2),
        RecipeLine(process="fab", commodity="chip", role=Role.OUTPUT, amount=1),
        RecipeLine(process="dc", commodity="chip", role=Role.INPUT, amount=1),
        RecipeLine(process="dc", commodity="compute", role=Role.OUTPUT, amount=1),
    ),
    capacity=(
        Capacity(country="A", process="fab", existing=5, cost=1),
        Capacity(country="A", process="dc", existing=2, cost=1),
        Capacity(
            country="B",
            process="dc",
            existing=0,
            cost=1,
            max_new=10,
            new_cost=4,
            fixed_cost=20,
            min_new=2,
        ),
    ),
    targets=(
        Target(country="A", commodity="compute", amount=2),
        Target(country="B", commodity="compute", amount=3, weight=2),
    ),
    links=(Link(exporter="C", importer="A", commodity="ore", allowed=True, capacity=4),),
)
"""What :func:`minimal_scenario_tables` validates to."""


def minimal_scenario_tables() -> Tables:
    """A small valid scenario as tables (a fresh copy each call, free to edit).

    Three countries (members A and B, non-member C), ore -> chip -> compute through the
    processes ``fab`` and ``dc``, a fixed-cost build in B, and a capped ore link C -> A.
    Row 2 of every sheet is its first record.
    """
    return copy.deepcopy(_MINIMAL)


def set_cell(tables: Tables, sheet: str, row: int, column: str, value: object) -> Tables:
    """Set the cell at Excel ``row`` under header ``column`` (added if absent); returns tables."""
    table = tables[sheet]
    header = table[0]
    if column not in header:
        header.append(column)
    position = header.index(column)
    while len(table) < row:
        table.append([])
    cells = table[row - 1]
    cells.extend([None] * (position + 1 - len(cells)))
    cells[position] = value
    return tables


def add_row(tables: Tables, sheet: str, record: Mapping[str, object]) -> int:
    """Append a record (header name -> value) to a sheet; returns its Excel row number."""
    table = tables[sheet]
    row = len(table) + 1
    table.append([])
    for column, value in record.items():
        set_cell(tables, sheet, row, column, value)
    return row
