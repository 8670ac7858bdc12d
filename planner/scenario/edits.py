"""Editing a scenario in Python: small functions from a scenario to a new, checked one.

Contract: every edit takes a valid :class:`~planner.scenario.schema.Scenario` and returns a
new frozen one, validated from scratch like a workbook (every field and every cross-sheet
rule of :mod:`planner.scenario.rules`), so no cached value of the old scenario survives.
A problem raises one :class:`~planner.errors.InputError` with every problem found, each
naming the sheet, the record's key and the column. The scenario passed in is never changed.

Sheets and columns are named as in the workbook (:mod:`planner.scenario.sheets`), so an
analyst writes what they see in Excel::

    import planner
    scenario = planner.load("scenarios/pax_silica.xlsx").scenario
    without_korea = planner.without_members(scenario, ["KOR"])
    doubled = planner.scaled(scenario, "Countries", "budget", 2)
    cheaper_fabs = planner.scaled(scenario, "Capacity", "new_cost", 0.8, process="fab")

``**where`` picks the rows an edit applies to by column values: ``country="KOR"``, or a
list, tuple or set for any of several values (``country=["KOR", "JPN"]``); ``yes``/``no``
columns take True/False (or ``"yes"``/``"no"``). No filter means every row of the sheet. An
edit that matches no row is an error naming the sheet and the filter, so a typo never
passes as an edit that did nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner.errors import InputError, Problem, quoted
from planner.scenario.rules import RECORD_SHEETS, suggest
from planner.scenario.schema import RECORD_MODELS, Action, Scenario
from planner.scenario.sheets import (
    DEFAULT_FROM_ID,
    NO,
    SCENARIO_KEYS,
    SHEET_BY_NAME,
    YES,
    Cell,
    Column,
    Sheet,
)

Record = dict[str, Any]
"""One row of a sheet: column name -> value."""

_RECORD_SHEET_NAMES = tuple(s.name for s in RECORD_SHEETS)


def with_members(scenario: Scenario, members: Iterable[str]) -> Scenario:
    """The scenario whose coalition is exactly ``members``.

    Every other country becomes a non-member, and the Targets rows of countries that stop
    being members go (targets are for members only), as do the Stresses cases with an
    ``exit`` of a country that is no longer a member (only a member can leave; the whole
    case goes, its other actions too). Budgets and Links rows stay: a non-member's budget is
    not used, and a Links row may name a non-member.

    Args:
        scenario: the scenario to edit.
        members: country ids from the Countries sheet.

    Raises:
        InputError: an id is not in Countries.
    """
    wanted = _known_countries(scenario, members)
    countries = [_fields(c) | {"member": c.country in wanted} for c in scenario.countries]
    targets = [_fields(t) for t in scenario.targets if t.country in wanted]
    exits = (s for s in scenario.stresses if s.action is Action.EXIT)
    gone = {s.case for s in exits if s.country not in wanted}
    stresses = [_fields(s) for s in scenario.stresses if s.case not in gone]
    return _rebuilt(scenario, {"Countries": countries, "Targets": targets, "Stresses": stresses})


def without_members(scenario: Scenario, countries: Iterable[str]) -> Scenario:
    """The scenario with ``countries`` out of the coalition: "the coalition without Korea".

    They become non-members and their targets and exit stresses go, as in
    :func:`with_members`; a country that is already a non-member stays one.

    Raises:
        InputError: an id is not in Countries.
    """
    leaving = _known_countries(scenario, countries)
    return with_members(scenario, [m for m in scenario.members if m not in leaving])


def scaled(scenario: Scenario, sheet: str, column: str, factor: float, **where: Any) -> Scenario:
    """The scenario with a number column of the matching rows multiplied by ``factor``.

    A blank cell (a Links ``cost`` or ``capacity`` of None) stays blank.

    Example: ``scaled(scenario, "Countries", "budget", 2)`` doubles every budget.

    Raises:
        InputError: the sheet or a column is unknown, ``column`` is not a number column, no
            row matches, or a scaled value breaks a rule (a negative factor).
    """
    contract = _sheet(sheet)
    found = _column(contract, column)
    if found.cell is not Cell.NUMBER:
        raise InputError(
            Problem(
                sheet,
                None,
                column,
                f"`{column}` is not a number column; scale one of "
                + quoted(c.name for c in contract.columns if c.cell is Cell.NUMBER),
            )
        )

    def times(row: Record) -> Record:
        value = row[column]
        return row if value is None else row | {column: value * factor}

    return _edit_rows(scenario, contract, where, times)


def with_value(scenario: Scenario, sheet: str, column: str, value: Any, **where: Any) -> Scenario:
    """The scenario with ``column`` set to ``value`` in the matching rows.

    Example: ``with_value(scenario, "Links", "allowed", False, exporter="CHN")``.

    Raises:
        InputError: the sheet or a column is unknown, no row matches, or the value breaks a
            rule.
    """
    contract = _sheet(sheet)
    _column(contract, column)
    return _edit_rows(scenario, contract, where, lambda row: row | {column: value})


def without_rows(scenario: Scenario, sheet: str, **where: Any) -> Scenario:
    """The scenario without the matching rows of ``sheet``.

    Example: ``without_rows(scenario, "Targets", country="JPN")``.

    Raises:
        InputError: the sheet or a filter column is unknown, no row matches, or what is left
            breaks a rule (e.g. a process left without its Recipe output).
    """
    contract = _sheet(sheet)
    return _edit_rows(scenario, contract, where, lambda row: None)


def with_rows(scenario: Scenario, sheet: str, *rows: Mapping[str, Any]) -> Scenario:
    """The scenario with ``rows`` appended to ``sheet``.

    Each row maps column names to values; a column left out takes its default, as a blank
    cell would (``name`` the country id, ``layer`` the process id).

    Example: ``with_rows(scenario, "Targets", {"country": "KOR", "commodity": "ai",
    "amount": 5})``.

    Raises:
        InputError: the sheet is unknown, or a row breaks a rule (an unknown column or id, a
            duplicate key).
    """
    return with_records(scenario, {sheet: rows})


def with_records(scenario: Scenario, rows: Mapping[str, Iterable[Mapping[str, Any]]]) -> Scenario:
    """The scenario with rows appended to several sheets at once, checked together.

    For additions that are valid only together, e.g. a new process with its Recipe lines
    and Capacity rows: ``with_records(scenario, {"Processes": [...], "Recipe": [...],
    "Capacity": [...]})``.

    Raises:
        InputError: as :func:`with_rows`.
    """
    updates: dict[str, list[Record]] = {}
    for sheet, added in rows.items():
        contract = _sheet(sheet)
        current = [_fields(r) for r in _records(scenario, contract)]
        updates[sheet] = current + [_with_defaults(contract, row) for row in added]
    return _rebuilt(scenario, updates)


def with_setting(scenario: Scenario, key: str, value: Any) -> Scenario:
    """The scenario with a setting of the Scenario sheet changed.

    Example: ``with_setting(scenario, "shortfall_penalty", 5000)``.

    Raises:
        InputError: ``key`` is not a setting, or the value breaks its rule.
    """
    if key not in SCENARIO_KEYS:
        raise InputError(
            Problem(
                "Scenario",
                None,
                "key",
                f"`{key}` is not a setting; use {quoted(SCENARIO_KEYS)}"
                f"{suggest(key, SCENARIO_KEYS)}",
            )
        )
    return Scenario.model_validate({**scenario.fields(), key: value})


# --- the steps every edit shares -----------------------------------------------------------


def _fields(record: Any) -> Record:
    fields: Record = record.fields()
    return fields


def _records(scenario: Scenario, sheet: Sheet) -> tuple[Any, ...]:
    return tuple(getattr(scenario, RECORD_MODELS[sheet.name][0]))


def _rebuilt(scenario: Scenario, sheets: Mapping[str, list[Record]]) -> Scenario:
    """A new scenario, validated from scratch, with the rows of ``sheets`` replaced."""
    updates = {RECORD_MODELS[sheet][0]: rows for sheet, rows in sheets.items()}
    return Scenario.model_validate({**scenario.fields(), **updates})


def _sheet(name: str) -> Sheet:
    if name in _RECORD_SHEET_NAMES:
        return SHEET_BY_NAME[name]
    hint = "; use with_setting for the Scenario sheet" if name == "Scenario" else ""
    raise InputError(
        Problem(
            "",
            None,
            "",
            f"`{name}` is not a sheet of records; use one of {quoted(_RECORD_SHEET_NAMES)}"
            f"{hint or suggest(name, _RECORD_SHEET_NAMES)}",
        )
    )


def _column(sheet: Sheet, name: str) -> Column:
    names = [c.name for c in sheet.columns]
    if name in names:
        return sheet.column(name)
    raise InputError(
        Problem(
            sheet.name,
            None,
            "",
            f"`{name}` is not a column of {sheet.name}; use one of {quoted(names)}"
            f"{suggest(name, names)}",
        )
    )


def _wanted(column: Column, value: Any) -> set[Any]:
    """The values a ``where`` filter accepts in ``column``."""
    values = value if isinstance(value, list | tuple | set | frozenset) else [value]
    if column.cell is Cell.YESNO:
        values = [
            v.casefold() in YES if isinstance(v, str) and v.casefold() in YES | NO else v
            for v in values
        ]
    return set(values)


def _shown(where: Mapping[str, Any]) -> str:
    return " and ".join(f"{column} = {value!r}" for column, value in where.items())


def _edit_rows(scenario: Scenario, sheet: Sheet, where: Mapping[str, Any], change: Any) -> Scenario:
    """The scenario with ``change(row)`` in place of each matching row (None drops it)."""
    filters = {name: _wanted(_column(sheet, name), value) for name, value in where.items()}
    rows: list[Record] = []
    matched = 0
    for record in _records(scenario, sheet):
        row = _fields(record)
        if all(row[name] in accepted for name, accepted in filters.items()):
            matched += 1
            row = change(row)
        if row is not None:
            rows.append(row)
    if not matched:
        what = f"no row has {_shown(where)}" if where else "the sheet has no rows"
        raise InputError(Problem(sheet.name, None, "", f"{what}; nothing to edit"))
    return _rebuilt(scenario, {sheet.name: rows})


def _with_defaults(sheet: Sheet, row: Mapping[str, Any]) -> Record:
    """A new row as a blank cell would fill it: the columns' defaults, ids for names."""
    record = dict(row)
    if sheet.name in DEFAULT_FROM_ID:
        column, id_column = DEFAULT_FROM_ID[sheet.name]
        if record.get(column) is None and id_column in record:
            record[column] = record[id_column]
    return record


def _known_countries(scenario: Scenario, countries: Iterable[str]) -> set[str]:
    listed = [countries] if isinstance(countries, str) else list(countries)
    known = scenario.country_by_id
    unknown = [c for c in listed if c not in known]
    if unknown:
        raise InputError(
            [
                Problem(
                    "Countries",
                    None,
                    "country",
                    f"`{c}` is not in Countries{suggest(c, known) or '; use a country id'}",
                )
                for c in dict.fromkeys(unknown)
            ]
        )
    return set(listed)
