"""Validating a raw workbook into a :class:`~planner.scenario.schema.Scenario`, at the boundary.

Contract of this stage: :func:`validate` parses every cell by its column's
:class:`~planner.scenario.sheets.Cell` kind, fills defaults, then checks the cross-sheet rules of
the README ("The workbook") and docs/model.md. It returns a scenario only when the workbook has no
problem at all; otherwise it raises one :class:`~planner.errors.InputError` carrying every
problem found, the reader's included, sorted by sheet (contract order), row and column.
Each problem names the sheet and column as the contract spells them, the Excel row, what is
wrong and how to fix it. Later stages trust the scenario and never re-check it.

Cell rules, by kind:

- numbers are finite; Excel booleans and dates are not numbers. Text that is
  unambiguously a plain number (``"1200"``, ``" 0.5 "``: a cell formatted as text) is
  read as that number; any other text (``"ten"``, ``"1,200"``, ``"12%"``) is an error
  that says what to type instead. Bounds come from the column (>= or > its minimum);
- yes/no accepts yes/no, true/false, y/n and 1/0 in any case, and Excel booleans;
- choices (``kind``, ``role``, the Scenario sheet's ``key``) ignore case;
- ids and references are text stripped of surrounding spaces (zero-width ones too) and
  case-sensitive; a whole number typed as an id (1) is the id ``"1"``. Two ids of one
  sheet that differ only in case (``USA``, ``usa``) are an error: they would be two
  different countries, which is almost always a typo, and spreadsheet programs (lookups,
  pivot tables) treat them as one;
- blank optional cells take the column's default; ``name`` defaults to the country id
  and ``layer`` to the process id.

:func:`planner.io.load.load` chains :func:`~planner.io.reader.read_workbook`, :func:`validate`
and the checks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from planner.errors import InputError, Problem
from planner.io.reader import (
    UNREADABLE,
    CellValue,
    RawSheet,
    RawWorkbook,
    Record,
    Unreadable,
    ZipLimits,
)
from planner.scenario import uncertain
from planner.scenario.locate import Key, Locator
from planner.scenario.rules import RECORD_SHEETS, Row, Value, check, suggest
from planner.scenario.schema import (
    RECORD_MODELS,
    Sampling,
    Scenario,
)
from planner.scenario.sheets import (
    DEFAULT_FROM_ID,
    NO,
    PERIOD_COLUMN,
    SAMPLING_KEYS,
    SCENARIO_KEYS,
    SHEET_BY_NAME,
    YES,
    Cell,
    Column,
    Sheet,
    is_blank,
    problem_order,
    strip_text,
)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    warnings: tuple[Problem, ...]
    """Things worth telling the user that did not stop validation."""
    path: Path
    sha256: str
    """SHA-256 (hex) of the workbook's bytes."""


# --- one cell ------------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell's value does not fit its column; the message says how to fix it."""


_SHOWN = 40
"""Longest value quoted in a message; longer ones are cut, with their length."""


def _show(value: object) -> str:
    """A cell value as the user typed it, for messages."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    whole = isinstance(value, float) and value.is_integer()
    text = f"{value:.0f}" if whole else str(value)
    if len(text) > _SHOWN:
        text = f"{text[: _SHOWN - 10]}... ({len(text)} characters)"
    return f"'{text}'" if isinstance(value, str) else text


def _parse_id(column: Column, value: CellValue) -> str:
    if isinstance(value, bool):
        raise _CellError(f"{_show(value)} is a yes/no value, not an id; type {column.rule}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else str(value)
    if isinstance(value, str):
        text = strip_text(value)
        if column.name == PERIOD_COLUMN and _PLAIN_NUMBER.fullmatch(text):
            # periods compare as text, but 2026 and 2026.0 name one period (DESIGN.md)
            number = float(text)
            return f"{number:.0f}" if number.is_integer() else str(number)
        return text
    raise _CellError(
        f"{_show(value)} is a date or time, not an id; format the cell as Text and retype it"
    )


def _parse_text(column: Column, value: CellValue) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value)


def _parse_yesno(column: Column, value: CellValue) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = strip_text(str(value)).casefold()
    if text in YES | NO:
        return text in YES
    raise _CellError(f"{_show(value)} is not yes or no; type yes or no")


def _parse_choice(column: Column, value: CellValue) -> str:
    text = strip_text(str(value)).casefold()
    if text in column.choices:
        return text
    raise _CellError(
        f"{_show(value)} is not a valid {column.name}; type {column.rule}"
        f"{suggest(text, column.choices)}"
    )


_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_PERCENT = re.compile(r"([+-]?(\d+\.?\d*|\.\d+))\s*%")


def _number_from_text(text: str) -> float:
    """A number typed as text, when it is unambiguous; otherwise how to type it."""
    clean = strip_text(text).replace("\u00a0", " ")
    if _PLAIN_NUMBER.fullmatch(clean):
        return float(clean)
    shown = f"{_show(text)} is text, not a number"
    if _THOUSANDS.fullmatch(clean):
        digits = clean.replace(",", "").replace(" ", "")
        raise _CellError(f"{shown}: type {digits} (without thousands separators)")
    if _DECIMAL_COMMA.fullmatch(clean):
        raise _CellError(f"{shown}: type {clean.replace(',', '.')} (with a point for decimals)")
    if match := _PERCENT.fullmatch(clean):
        share = float(match.group(1)) / 100
        raise _CellError(
            f"{shown}: type {match.group(1)} without the % sign (or {share:g} for a fraction)"
        )
    raise _CellError(f"{shown}; type a number with digits only, e.g. 1200 or 0.5")


def _parse_number(column: Column, value: CellValue) -> float:
    if isinstance(value, bool):
        raise _CellError(f"{_show(value)} is a yes/no value, not a number; type {column.rule}")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer too long for a float, from a crafted file
            number = math.inf
    elif isinstance(value, str):
        number = _number_from_text(value)
    else:
        raise _CellError(f"{_show(value)} is a date or time, not a number; type {column.rule}")
    if not math.isfinite(number):
        raise _CellError(f"{_show(value)} is not a finite number; type {column.rule}")
    _check_bound(column, number)
    return number


def _check_bound(column: Column, number: float) -> None:
    if column.whole and not number.is_integer():
        raise _CellError(f"{number:g} is not a whole number; type {column.rule}")
    if column.maximum is not None and number > column.maximum:
        raise _CellError(f"{number:g} is too large; type {column.rule}")
    bound = column.minimum
    if bound is None:
        return
    if number < bound or (column.strict and number == bound):
        what = "negative" if number < 0 else "too small"
        raise _CellError(f"{number:g} is {what}; type {column.rule}")


_PARSERS: dict[Cell, Callable[[Column, CellValue], Value]] = {
    Cell.ID: _parse_id,
    Cell.COUNTRY: _parse_id,
    Cell.COMMODITY: _parse_id,
    Cell.PROCESS: _parse_id,
    Cell.PERIOD: _parse_id,
    Cell.GENERATION: _parse_id,
    Cell.TEXT: _parse_text,
    Cell.YESNO: _parse_yesno,
    Cell.NUMBER: _parse_number,
    Cell.CHOICE: _parse_choice,
}


def _blank_message(column: Column) -> str:
    if column.cell is Cell.ID:
        return f"the id is blank; type {column.rule}, or delete the row"
    if column.cell is Cell.TEXT:
        return f"the cell is blank; type a value for `{column.name}`"
    return f"the cell is blank; type {column.rule}"


def _parse_cell(column: Column, value: CellValue) -> Value:
    """The cell's value, raising :class:`_CellError` with the fix when it does not fit."""
    if is_blank(value):
        if column.required:
            raise _CellError(_blank_message(column))
        return None if column.default is None else _default(column)
    return _PARSERS[column.cell](column, value)


def _default(column: Column) -> Value:
    default = column.default
    assert isinstance(default, str | float | bool), "sheets.py defaults are plain values"
    return default


# --- one sheet -----------------------------------------------------------------------------


@dataclass
class _Tables:
    """Every sheet's parsed rows, with every problem found so far."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def of(self, sheet: str) -> list[Row]:
        """The parsed rows of ``sheet`` (none when the workbook lacks it)."""
        return self.rows.get(sheet, [])


def _parse_at(
    where: tuple[str, int, str], column: Column, value: CellValue, problems: list[Problem]
) -> Value | Unreadable:
    """The cell's value, or :data:`UNREADABLE` once its problem is reported.

    Args:
        where: the cell's sheet, Excel row and column, for the problem.
        column: how to parse it.
        value: the cell as read (:data:`UNREADABLE` when the reader reported it already).
        problems: where the problem goes.
    """
    if isinstance(value, Unreadable):
        return value
    try:
        return _parse_cell(column, value)
    except _CellError as error:
        problems.append(Problem(*where, str(error)))
        return UNREADABLE


def _parse_record(
    sheet: Sheet, raw: RawSheet, record: Record, problems: list[Problem]
) -> dict[str, Value]:
    """A record's cells parsed, defaults filled; cells that fail are reported and left out."""
    values: dict[str, Value] = {}
    inherits = sheet.periodic and not is_blank(record.values.get(PERIOD_COLUMN))
    for column in sheet.columns:
        typed = record.values.get(column.name)
        if inherits and column.name not in sheet.key and is_blank(typed):
            continue  # a period row's blank cell: filled from its blank-period row later
        if column.name in raw.header:
            where = (sheet.name, record.row, column.name)
            value = _parse_at(where, column, record.values[column.name], problems)
        elif column.required:  # the missing header is already reported
            continue
        else:
            value = _parse_cell(column, None)
        if not isinstance(value, Unreadable):
            values[column.name] = value
    if sheet.name in DEFAULT_FROM_ID:
        column_name, id_column = DEFAULT_FROM_ID[sheet.name]
        if values.get(column_name, "") is None:
            values[column_name] = values.get(id_column)
    return values


def _parse_records(sheet: Sheet, raw: RawSheet, tables: _Tables) -> None:
    tables.rows[sheet.name] = [
        Row(sheet.name, _parse_record(sheet, raw, r, tables.problems), r.row, r.values)
        for r in raw.records
    ]
    if sheet.periodic:
        _inherit(sheet, raw, tables)


def _inherit(sheet: Sheet, raw: RawSheet, tables: _Tables) -> None:
    """Fill a period row's blank cells, cell by cell, from the row with the same key and a
    blank period, then from the column's default (DESIGN.md, "The `period` column").

    A required cell left blank in a period row whose key has no blank-period row is an
    error; a cell of the blank-period row that failed to parse is reported there already.
    """
    rows = tables.of(sheet.name)
    base: dict[tuple[str | None, ...], Row] = {}
    for row in rows:
        if row.values.get(PERIOD_COLUMN) is None:
            base.setdefault(tuple(row.text(c) for c in sheet.key), row)
    for row in rows:
        if row.values.get(PERIOD_COLUMN) is None:
            continue
        key = tuple(row.text(c) for c in sheet.key)
        parent = base.get(key) if None not in key else None
        for column in sheet.columns:
            if column.name not in row.values and column.name not in sheet.key:
                _fill(row, column, parent, column.name in raw.header, tables.problems)


def _fill(
    row: Row, column: Column, parent: Row | None, headed: bool, problems: list[Problem]
) -> None:
    """One blank cell of a period row: the parent's value, else the default, else an error."""
    if parent is not None and column.name in parent.values:
        row.values[column.name] = parent.values[column.name]
    elif parent is not None and column.name in parent.typed:
        return  # the parent's cell did not parse: reported there
    elif not column.required:
        row.values[column.name] = _parse_cell(column, None)
    elif isinstance(row.typed.get(column.name), Unreadable):
        return  # reported by the reader
    elif headed or parent is not None:
        problems.append(
            row.problem(
                column.name,
                "the cell is blank and no row with the same "
                f"{' and '.join(SHEET_BY_NAME[row.sheet].key)} has a blank period to take "
                f"it from; type {column.rule}",
            )
        )


def parse_key(sheet: Sheet, values: Mapping[str, CellValue]) -> tuple[str, ...] | None:
    """A record's key as validation reads it: ids stripped, choices in lower case.

    Args:
        sheet: the record's sheet.
        values: the record's cells as read (:attr:`~planner.io.reader.Record.values`).

    Returns:
        The key cells' values in :attr:`~planner.scenario.sheets.Sheet.key` order, or None when
        one of them is blank or does not parse.
    """
    ignored: list[Problem] = []  # validation reports them
    cells = [_parse_at(("", 0, ""), sheet.column(c), values.get(c), ignored) for c in sheet.key]
    key = tuple(cell for cell in cells if isinstance(cell, str))
    return key if len(key) == len(sheet.key) else None


# --- the Scenario sheet --------------------------------------------------------------------

_SETTING_KEY = SHEET_BY_NAME["Scenario"].column("key")


def _parse_settings(raw: RawSheet | None, problems: list[Problem]) -> dict[str, Value]:
    """The Scenario sheet's key/value rows as Scenario fields."""
    if raw is None or "key" not in raw.header:  # already reported by the reader
        return {}
    settings: dict[str, Value] = {}
    rows: dict[str, int] = {}
    bad_keys = 0
    for record in raw.records:
        key = _parse_at(
            ("Scenario", record.row, "key"), _SETTING_KEY, record.values["key"], problems
        )
        if not isinstance(key, str):
            bad_keys += 1
        elif key in rows:
            message = f"`{key}` is already set in row {rows[key]}; keep one row per key"
            problems.append(Problem("Scenario", record.row, "key", message))
        else:
            rows[key] = record.row
            settings[key] = _setting_value(key, record, problems)
    if "name" not in rows and not bad_keys:  # else a bad key may be the intended `name`
        problems.append(
            Problem(
                "Scenario",
                None,
                "key",
                "the scenario has no `name`; add a row with key `name` and a short name "
                "as its value",
            )
        )
    return {k: v for k, v in settings.items() if v is not None}


def _setting_value(key: str, record: Record, problems: list[Problem]) -> Value:
    if "value" not in record.values:  # the missing column is already reported
        return None
    found: list[Problem] = []
    where = ("Scenario", record.row, "value")
    value = _parse_at(where, SCENARIO_KEYS[key], record.values["value"], found)
    # The row's `value` cell holds any setting: say which one the message is about.
    problems += (Problem(*where, f"`{key}`: {p.message}") for p in found)
    return None if isinstance(value, Unreadable) else value


# --- the stage -----------------------------------------------------------------------------


_SAMPLING_KEY = SHEET_BY_NAME["Sampling"].column("key")


def _parse_sampling(raw: RawSheet | None, problems: list[Problem]) -> dict[str, Value]:
    """The Sampling sheet's key/value rows: ``design`` and whole numbers ``samples``, ``seed``."""
    if raw is None or "key" not in raw.header:
        return {}
    settings: dict[str, Value] = {}
    rows: dict[str, int] = {}
    for record in raw.records:
        where = ("Sampling", record.row, "key")
        key = _parse_at(where, _SAMPLING_KEY, record.values["key"], problems)
        if not isinstance(key, str):
            continue
        if key in rows:
            message = f"`{key}` is already set in row {rows[key]}; keep one row per key"
            problems.append(Problem("Sampling", record.row, "key", message))
            continue
        rows[key] = record.row
        value: Value | Unreadable = None
        if "value" in record.values:
            where = ("Sampling", record.row, "value")
            value = _parse_at(where, SAMPLING_KEYS[key], record.values["value"], problems)
        if isinstance(value, float) and not value.is_integer():
            problems.append(
                Problem("Sampling", record.row, "value", f"{value:g} is not a whole number")
            )
        elif value is not None and not isinstance(value, Unreadable):
            settings[key] = int(value) if isinstance(value, float) else value
    return settings


def _build(
    settings: Mapping[str, Value],
    sampling: Mapping[str, Value],
    tables: _Tables,
    locator: Locator,
) -> Scenario:
    """The scenario, from rows that passed every rule.

    Validating the :class:`Scenario` checks the cross-sheet rules once more, on its
    records; the locator places anything found at its Excel row.
    """
    fields: dict[str, object] = dict(settings)
    fields["sampling"] = Sampling.model_validate(sampling)
    for sheet, (name, model) in RECORD_MODELS.items():
        fields[name] = tuple(model.model_validate(r.values) for r in tables.rows.get(sheet, []))
    return Scenario.model_validate(fields, context=locator.context())


def validate(raw: RawWorkbook) -> Scenario:
    """Parse and check a raw workbook into a scenario.

    Args:
        raw: the workbook as read by :func:`~planner.io.reader.read_workbook`.

    Returns:
        The validated scenario.

    Raises:
        InputError: with every problem found, the reader's included, in sheet, row and
            column order (the first :data:`MAX_LISTED` of them, then a note saying how
            many more there are).
    """
    tables = _Tables(problems=list(raw.errors))
    settings = _parse_settings(raw.sheets.get("Scenario"), tables.problems)
    sampling = _parse_sampling(raw.sheets.get("Sampling"), tables.problems)
    for sheet in RECORD_SHEETS:
        if sheet.name in raw.sheets and sheet.name != "Sampling":  # Sampling: key/value
            _parse_records(sheet, raw.sheets[sheet.name], tables)
    tables.problems += check(tables.rows)
    for row in tables.rows.get("Uncertain", []):
        tables.problems += uncertain.list_problems(row.row, row.values)
    if not tables.problems:
        locator = locate(raw)
        scenario = _build(settings, sampling, tables, locator)
        tables.problems += uncertain.check(scenario, locator)
    if tables.problems:
        total = len(set(tables.problems))
        raise InputError(
            _listed(tables.problems), path=str(raw.path), warnings=raw.warnings, total=total
        )
    return scenario


MAX_LISTED: Final = 500
"""Most problems listed at once: a workbook with thousands (a sheet pasted in the wrong
place) is fixed a few at a time, and a list of all of them only buries the first."""


def _listed(problems: Iterable[Problem]) -> list[Problem]:
    """The problems in sheet, row and column order, at most :data:`MAX_LISTED` and a note."""
    ordered = sorted(set(problems), key=problem_order)
    if len(ordered) <= MAX_LISTED:
        return ordered
    more = len(ordered) - MAX_LISTED
    note = Problem(
        "",
        None,
        "",
        f"... and {more:,} more problems, not listed; fix the ones above and check again",
    )
    return [*ordered[:MAX_LISTED], note]


def load_scenario(path: str | Path, *, limits: ZipLimits | None = None) -> LoadedScenario:
    """:func:`planner.load` without the domain checks: the reader's warnings only.

    Kept for the tests that name it; it takes the same path as :func:`planner.load`
    (:func:`planner.io.load.load`). New code calls :func:`planner.load`.
    """
    from planner.io.load import load  # load imports this module

    return load(path, limits=limits, checks=False)


def locate(raw: RawWorkbook) -> Locator:
    """The Excel row of every record of ``raw``, indexed by its sheet and key."""
    rows: dict[tuple[str, Key], int] = {}
    for name, sheet in raw.sheets.items():
        for record in sheet.records:
            key = parse_key(SHEET_BY_NAME[name], record.values)
            if key is not None:
                rows.setdefault((name, key), record.row)  # validation kept the first
    return Locator(rows)
