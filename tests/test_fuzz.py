"""Fuzzing: mutated workbooks end in a result or a planner error, never anything else.

Hypothesis starts from the valid minimal scenario of ``tests/workbooks.py`` and mutates it:
cell values and their types, sheet names, deleted and duplicated rows and sheets, swapped
columns; then, in a second test, the XML inside the written .xlsx and its raw bytes (flips,
insertions, truncation). Whatever comes out, :func:`~planner.io.validate.load_scenario` and,
for a workbook that loads, a quick ``planner.api.run(..., modes=["min_cost"])`` must return
or raise a :class:`~planner.errors.PlannerError`; any other exception is a bug.

The quick profile (40 examples a test) runs by default. The long one runs by hand::

    PLANNER_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_fuzz.py

A failure prints the smallest workbook edit that triggers it and a ``@reproduce_failure``
blob to replay it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from workbooks import Tables, minimal_scenario_tables, write_workbook

import planner.api
from planner.errors import PlannerError
from planner.io.validate import load_scenario
from planner.model.solve import SolveOptions

EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "40"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SHEETS = list(minimal_scenario_tables())

WORDS = [
    "", " ", "  A ", "=1+1", "=A2", "#N/A", "#DIV/0!", "1,200", "12%", "0,5", "1e999", "NaN",
    "inf", "-1", "0", "1", "yes", "no", "TRUE", "maybe", "resource", "product", "capability",
    "input", "output", "*", "A", "B", "C", "a", "ore", "chip", "Chip", "compute", "fab", "dc",
    "name", "shortfall_penalty", "currency", "description", "\u200b", "日本", "@SUM(1)",
    "+x", "\t=tab",
]  # fmt: skip
"""Texts that mean something to the reader: ids, choices, numbers as text, formulas."""

texts = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
)
values = st.one_of(
    st.none(),
    texts,
    st.booleans(),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.sampled_from([0, 1, 2, 0.5, -3, 1e-300, 1e300, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 1, 1)),
    st.times(),
)
titles = st.one_of(
    st.sampled_from(["countries", " Targets ", "Lists", "Read me", "Countires", "Scratch"]),
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=31),
)

Edit = Callable[[Tables], None]


def _set(sheet: str, row: int, column: int, value: object) -> Edit:
    def edit(tables: Tables) -> None:
        if sheet not in tables:
            return
        table = tables[sheet]
        while len(table) <= row:
            table.append([])
        cells = table[row]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = value

    return edit


def _delete_row(sheet: str, row: int) -> Edit:
    def edit(tables: Tables) -> None:
        if sheet in tables and row < len(tables[sheet]):
            del tables[sheet][row]

    return edit


def _duplicate_row(sheet: str, row: int) -> Edit:
    def edit(tables: Tables) -> None:
        if sheet in tables and row < len(tables[sheet]):
            tables[sheet].append(list(tables[sheet][row]))

    return edit


def _swap_columns(sheet: str, first: int, second: int) -> Edit:
    def edit(tables: Tables) -> None:
        for cells in tables.get(sheet, []):
            cells.extend([None] * (max(first, second) + 1 - len(cells)))
            cells[first], cells[second] = cells[second], cells[first]

    return edit


def _delete_sheet(sheet: str) -> Edit:
    return lambda tables: tables.pop(sheet, None) and None


def _rename_sheet(sheet: str, title: str) -> Edit:
    def edit(tables: Tables) -> None:
        taken = {t.casefold() for t in tables}
        if sheet in tables and title.casefold() not in taken:
            renamed = {title if k == sheet else k: v for k, v in tables.items()}
            tables.clear()
            tables.update(renamed)

    return edit


sheets = st.sampled_from(SHEETS)
rows = st.integers(min_value=0, max_value=6)
columns = st.integers(min_value=0, max_value=9)
edits = st.one_of(
    st.builds(_set, sheets, rows, columns, values),
    st.builds(_set, sheets, rows, columns, values),  # twice as likely as the rest
    st.builds(_delete_row, sheets, rows),
    st.builds(_duplicate_row, sheets, rows),
    st.builds(_swap_columns, sheets, columns, columns),
    st.builds(_delete_sheet, sheets),
    st.builds(_rename_sheet, sheets, titles),
)


def load_and_run(path: Path) -> None:
    """The planner's chain on one file; only a PlannerError may escape it."""
    try:
        loaded = load_scenario(path)
        planner.api.run(loaded, modes=["min_cost"], options=SolveOptions(time_limit=20))
    except PlannerError:
        pass


@FUZZ
@given(st.lists(edits, min_size=1, max_size=6))
def test_mutated_cells_and_sheets_end_in_a_result_or_a_planner_error(changes: list[Edit]) -> None:
    tables = minimal_scenario_tables()
    for change in changes:
        change(tables)
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(Path(folder) / "fuzz.xlsx", tables)
        load_and_run(path)


# --- bytes ---------------------------------------------------------------------------------

FRAGMENTS = [
    b"<", b">", b'"', b"&", b"&amp;", b"\x00", b"\xff\xfe", b"</row>", b"<row>", b'r="XFD1"',
    b'r="A0"', b'r="1048577"', b't="s"', b't="b"', b't="e"', b't="d"', b"<v>", b"</v>",
    b"<v>x</v>", b"<f>1/0</f>", b'<mergeCell ref="A1:B2"/>', b'hidden="1"', b"<!--",
    b"<![CDATA[", b"9" * 30,
]  # fmt: skip
"""Bytes that mean something to an XML or spreadsheet parser."""

Damage = Callable[[bytes], bytes]


def _at(data: bytes, where: float) -> int:
    return min(len(data), int(where * len(data)))


def _splice(where: float, remove: int, insert: bytes) -> Damage:
    def damage(data: bytes) -> bytes:
        start = _at(data, where)
        return data[:start] + insert + data[start + remove :]

    return damage


def _flip(where: float, mask: int) -> Damage:
    def damage(data: bytes) -> bytes:
        if not data:
            return data
        index = min(len(data) - 1, _at(data, where))
        return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]

    return damage


def _truncate(where: float) -> Damage:
    return lambda data: data[: _at(data, where)]


def _rewrite(pattern: bytes, occurrence: int, replacement: bytes) -> Damage:
    """Replace the text of one match of ``pattern`` (its group 1), keeping the rest."""

    def damage(data: bytes) -> bytes:
        matches = list(re.finditer(pattern, data))
        if not matches:
            return data
        match = matches[occurrence % len(matches)]
        return data[: match.start(1)] + replacement + data[match.end(1) :]

    return damage


REWRITES: list[tuple[bytes, list[bytes]]] = [
    (rb' r="([A-Z]*\d*)"', [b"A1", b"XFD1", b"XFE1", b"A0", b"A1048577", b"ZZZZ9", b"", b"1A"]),
    (rb' t="(\w+)"', [b"s", b"n", b"b", b"e", b"str", b"inlineStr", b"d", b"x", b""]),
    (rb"<v>([^<]*)</v>", [b"", b"x", b"1e999", b"NaN", b"9" * 400, b"-0", b"99999", b"1.5.5"]),
    (rb"<t>([^<]*)</t>", [w.encode() for w in WORDS]),
    (rb"<row( )", [b' hidden="1" ', b' r="1048577" ', b' r="0" ', b' r="2" ', b' spans="x" ']),
    (rb'<sheet name="([^"]*)"', [b"Countries", b"Lists", b"Targets", b"x" * 40, b""]),
    (rb"<sheet( )name", [b' state="hidden" ', b' state="veryHidden" ', b' state="x" ']),
    (
        rb"</sheetData>()",
        [
            b'<mergeCells><mergeCell ref="%s"/></mergeCells>' % ref
            for ref in (b"A1:B2", b"A2:A3", b"A1:XFD1048576", b"B2", b"Z1:A1", b"A1:ZZZZ1")
        ],
    ),
    (rb"<sheetData>()", [b'<cols><col min="1" max="3" hidden="1"/></cols>', b'<col min="x"/>']),
]
"""Where a spreadsheet parser looks (addresses, types, values, row and sheet attributes,
merged ranges, hidden columns) and what a damaged or crafted file may put there."""

rewrites = st.sampled_from(REWRITES).flatmap(
    lambda target: st.builds(
        _rewrite, st.just(target[0]), st.integers(0, 50), st.sampled_from(target[1])
    )
)

fractions = st.floats(min_value=0, max_value=1)
damages = st.one_of(
    rewrites,
    rewrites,
    st.builds(_splice, fractions, st.integers(0, 8), st.sampled_from(FRAGMENTS)),
    st.builds(_splice, fractions, st.integers(0, 8), st.binary(max_size=8)),
    st.builds(_flip, fractions, st.integers(1, 255)),
    st.builds(_truncate, fractions),
)


WORKSHEETS = [f"xl/worksheets/sheet{n}.xml" for n in range(1, len(SHEETS) + 1)]

parts = st.one_of(
    st.sampled_from(WORKSHEETS),  # where the cells are: three times as likely
    st.sampled_from(WORKSHEETS),
    st.sampled_from(WORKSHEETS),
    st.sampled_from(["xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml", "other"]),
)


def _damage_part(archive: Path, part: str, damage: Damage) -> None:
    with zipfile.ZipFile(archive) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    names = [info.filename for info, _ in items]
    if part not in names:  # a sheet that was deleted, or "other": the last part
        part = names[-1]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, damage(data) if info.filename == part else data)


@FUZZ
@given(
    st.lists(st.tuples(parts, damages), max_size=4),
    st.lists(damages, max_size=1),
    st.lists(edits, max_size=2),
)
def test_damaged_xml_and_bytes_end_in_a_result_or_a_planner_error(
    xml: list[tuple[str, Damage]], raw: list[Damage], changes: list[Edit]
) -> None:
    """XML parts are damaged inside a sound zip; then the zip's own bytes."""
    tables = minimal_scenario_tables()
    for change in changes:
        change(tables)
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(Path(folder) / "fuzz.xlsx", tables)
        for part, damage in xml:
            _damage_part(path, part, damage)
        data: Any = path.read_bytes()
        for damage in raw:
            data = damage(data)
        path.write_bytes(data)
        load_and_run(path)
