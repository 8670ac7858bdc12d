"""The rules of the Uncertain sheet, and the cells each uncertain parameter moves.

Contract: :func:`check` takes a validated scenario and returns every problem of its
Uncertain rows (DESIGN.md, "Sweeps and uncertainty"), each at the Uncertain row and column
to fix: its sheet is one of :data:`~planner.scenario.sheets.UNCERTAIN_SHEETS`; the column it
changes is a numeric column of that sheet; its selectors exist on that sheet and match at
least one row; its distribution has the parameters it needs and no others; no draw the
distribution can make breaks the rule of the column it changes, its bounds and, for a whole
column, being whole (a draw is never clipped or rounded); no cell is moved by two
parameters. :func:`cells_of` says which cells a parameter moves and :func:`moved` what a
draw makes of one, for the sweep that applies the draws. :func:`list_problems` checks the
comma lists of one row's cells before the row becomes a model.

The support of a distribution (the interval its draws can fall in) is read off its
parameters: uniform and triangular ``[low, high]``, normal ``[low, high]`` (infinite where
not given), lognormal ``(0, inf)``, discrete ``[min, max]`` of its values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from planner.errors import Problem
from planner.scenario.locate import Locator
from planner.scenario.schema import RECORD_MODELS, Apply, Distribution, Scenario, Uncertain
from planner.scenario.sheets import (
    ANY_COMMODITY,
    ONLY_PERIOD,
    PERIOD_COLUMN,
    SCENARIO_KEYS,
    SELECTORS,
    SHEET_BY_NAME,
    UNCERTAIN_SHEETS,
    Cell,
    Column,
)

SHEET = "Uncertain"

_NEEDS: Mapping[Distribution, tuple[str, ...]] = {
    Distribution.UNIFORM: ("low", "high"),
    Distribution.TRIANGULAR: ("low", "peak", "high"),
    Distribution.NORMAL: ("mean", "sd"),
    Distribution.LOGNORMAL: ("mean", "sd"),
    Distribution.DISCRETE: ("values",),
}
"""The parameters each distribution needs."""

_MAY: Mapping[Distribution, tuple[str, ...]] = {
    Distribution.NORMAL: ("low", "high"),
    Distribution.DISCRETE: ("weights",),
}
"""The parameters a distribution may take besides those it needs."""

_PARAMETERS = ("low", "high", "peak", "mean", "sd", "values", "weights")


@dataclass(frozen=True)
class Target:
    """One cell a parameter moves: a record's column, or a Scenario setting.

    Attributes:
        field: the :class:`Scenario` field holding the record (``resources``), or "" for a
            setting.
        index: the record's position in that field (0 for a setting).
        column: the column (or setting) it changes.
        value: the cell's value in the scenario as read (None: blank).
    """

    field: str
    index: int
    column: str
    value: float | None


def numeric_columns(sheet: str) -> dict[str, Column]:
    """The numeric columns of ``sheet`` (for Scenario, its numeric settings), by name."""
    if sheet == "Scenario":
        return {k: c for k, c in SCENARIO_KEYS.items() if c.cell is Cell.NUMBER}
    return {c.name: c for c in SHEET_BY_NAME[sheet].columns if c.cell is Cell.NUMBER}


def list_problems(row: int | None, values: Mapping[str, object]) -> Iterator[Problem]:
    """The comma lists ``values`` and ``weights`` of one parsed row hold numbers.

    Args:
        row: the Excel row.
        values: the row's parsed cells.
    """
    for column in ("values", "weights"):
        text = values.get(column)
        if not isinstance(text, str):
            continue
        for part in text.split(","):
            try:
                number = float(part)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or (column == "weights" and number < 0):
                what = "numbers >= 0" if column == "weights" else "numbers"
                yield Problem(
                    SHEET,
                    row,
                    column,
                    f"'{part.strip()}' is not a number; type {what} separated by commas, "
                    "e.g. 0.8, 1, 1.2",
                )
                break


def check(scenario: Scenario, locator: Locator | None = None) -> list[Problem]:
    """Every problem of the scenario's Uncertain rows, located at their row and column.

    Args:
        scenario: the validated scenario (its other sheets are trusted).
        locator: where the rows came from, to name Excel rows; without one, problems name
            the parameter.
    """
    locator = locator or Locator()
    problems: list[Problem] = []
    moved: dict[tuple[str, int, str], str] = {}
    for parameter in scenario.uncertain:
        row = locator.row(SHEET, (parameter.parameter,))
        found = list(_parameter_problems(scenario, parameter, row, locator))
        problems += found
        if found:
            continue
        for target in cells_of(scenario, parameter):
            where = (target.field, target.index, target.column)
            other = moved.setdefault(where, parameter.parameter)
            if other != parameter.parameter:
                problems.append(
                    _at(
                        row,
                        parameter,
                        "column",
                        f"`{parameter.parameter}` moves {_name(scenario, target)}, which "
                        f"`{other}` moves already; no cell may be moved by two parameters: "
                        "narrow the rows either chooses, or give both one group",
                    )
                )
                break
    return problems


def cells_of(scenario: Scenario, parameter: Uncertain) -> list[Target]:
    """The cells ``parameter`` moves: for scale and add, those that hold a number."""
    if parameter.sheet == "Scenario":
        value = getattr(scenario, parameter.column)
        return [Target("", 0, parameter.column, float(value))]
    field, _ = RECORD_MODELS[parameter.sheet]
    records: Sequence[BaseModel] = getattr(scenario, field)
    targets = []
    for index, record in enumerate(records):
        if not _matches(record, parameter, bool(scenario.periods)):
            continue
        value = getattr(record, parameter.column)
        if value is None and parameter.apply is not Apply.SET:
            continue
        targets.append(Target(field, index, parameter.column, value))
    return targets


def moved(apply: Apply, value: float | None, draw: float) -> float:
    """What a draw makes of a cell holding ``value``: ``value x draw``, ``value + draw`` or
    ``draw``."""
    if apply is Apply.SET:
        return draw
    assert value is not None, "scale and add move only cells that hold a number"
    return value * draw if apply is Apply.SCALE else value + draw


def support(parameter: Uncertain) -> tuple[float, float]:
    """The interval every draw of the parameter's distribution falls in."""
    match parameter.distribution:
        case Distribution.UNIFORM | Distribution.TRIANGULAR:
            return _given(parameter.low), _given(parameter.high)
        case Distribution.NORMAL:
            low, high = parameter.low, parameter.high
            return (-math.inf if low is None else low, math.inf if high is None else high)
        case Distribution.LOGNORMAL:
            return 0.0, math.inf
        case Distribution.DISCRETE:
            return min(parameter.values), max(parameter.values)


def _given(value: float | None) -> float:
    assert value is not None, "checked by _distribution_problems"
    return value


def _matches(record: BaseModel, parameter: Uncertain, periodic: bool) -> bool:
    """Whether the record is among the rows the parameter's selectors choose.

    A ``period`` value matches the rows naming that period; without a Periods sheet every
    row is in the one period ``1``, which then matches them all.
    """
    for selector in SELECTORS:
        wanted = getattr(parameter, selector)
        if wanted == ANY_COMMODITY:
            continue
        value = getattr(record, selector, None)
        if selector == "period" and value is None:
            if periodic or wanted != ONLY_PERIOD:
                return False
            continue
        if str(value) != wanted:
            return False
    return True


def _parameter_problems(
    scenario: Scenario, parameter: Uncertain, row: int | None, locator: Locator
) -> Iterator[Problem]:
    if parameter.sheet not in UNCERTAIN_SHEETS:
        # the reader refuses it already; a scenario built in Python is checked here
        listed = ", ".join(UNCERTAIN_SHEETS)
        yield _at(
            row,
            parameter,
            "sheet",
            f"`{parameter.sheet}` is not a sheet an uncertain input may change; choose one "
            f"of {listed}",
        )
        return
    columns = numeric_columns(parameter.sheet)
    if parameter.column not in columns:
        listed = ", ".join(f"`{c}`" for c in columns)
        yield _at(
            row,
            parameter,
            "column",
            f"`{parameter.column}` is not a numeric column of {parameter.sheet}; choose one "
            f"of {listed}",
        )
        return
    yield from _distribution_problems(parameter, row)
    selectors = list(_selector_problems(parameter, row, bool(scenario.periods)))
    yield from selectors
    if selectors:
        return
    targets = cells_of(scenario, parameter)
    if not targets:
        chosen = ", ".join(
            f"{s} `{getattr(parameter, s)}`"
            for s in SELECTORS
            if getattr(parameter, s) != ANY_COMMODITY
        )
        numbers = " that holds a number" if parameter.apply is not Apply.SET else ""
        yield _at(
            row,
            parameter,
            "column",
            f"no {parameter.sheet} row{numbers} matches {chosen or 'it'}; correct the "
            "selectors, or use blank or `*` for all rows",
        )
        return
    if not list(_distribution_problems(parameter, row)):
        yield from _support_problems(
            scenario, parameter, row, columns[parameter.column], targets, locator
        )


def _selector_problems(parameter: Uncertain, row: int | None, periodic: bool) -> Iterator[Problem]:
    """Each selector given names a column of the parameter's sheet.

    A sheet without a ``period`` column (Countries, Learning, ...) holds in every period;
    there ``period`` is accepted only as the one period ``1`` of a workbook without a Periods
    sheet, which every row is in.
    """
    if parameter.sheet == "Scenario":
        fields: set[str] = set()
    else:
        fields = set(RECORD_MODELS[parameter.sheet][1].model_fields)
        if not periodic and parameter.period == ONLY_PERIOD:
            fields.add(PERIOD_COLUMN)
    for selector in SELECTORS:
        if getattr(parameter, selector) == ANY_COMMODITY or selector in fields:
            continue
        every = " (its rows hold in every period)" if selector == PERIOD_COLUMN else ""
        yield _at(
            row,
            parameter,
            selector,
            f"{parameter.sheet} has no `{selector}` column to choose rows by{every}; leave "
            f"`{selector}` blank",
        )


def _distribution_problems(parameter: Uncertain, row: int | None) -> Iterator[Problem]:
    kind = parameter.distribution
    needs, may = _NEEDS[kind], _MAY.get(kind, ())
    for name in _PARAMETERS:
        given = getattr(parameter, name) not in (None, ())
        if name in needs and not given:
            yield _at(row, parameter, name, f"a {kind.value} distribution needs `{name}`")
        elif given and name not in needs + may:
            used = ", ".join(f"`{n}`" for n in needs + may)
            yield _at(
                row,
                parameter,
                name,
                f"a {kind.value} distribution takes {used}, not `{name}`; leave it blank",
            )
    yield from _parameter_values(parameter, row)


def _parameter_values(parameter: Uncertain, row: int | None) -> Iterator[Problem]:
    low, high, peak = parameter.low, parameter.high, parameter.peak
    if low is not None and high is not None and low >= high:
        yield _at(row, parameter, "high", f"high {high:g} is not above low {low:g}")
    if peak is not None and low is not None and high is not None and not low <= peak <= high:
        yield _at(row, parameter, "peak", f"peak {peak:g} is outside low {low:g} .. high {high:g}")
    if parameter.sd is not None and parameter.sd <= 0:
        yield _at(row, parameter, "sd", f"sd {parameter.sd:g} is not above 0")
    if parameter.distribution is Distribution.LOGNORMAL and (parameter.mean or 0) <= 0:
        yield _at(row, parameter, "mean", "a lognormal distribution needs a mean above 0")
    if parameter.weights:
        if len(parameter.weights) != len(parameter.values):
            yield _at(
                row,
                parameter,
                "weights",
                f"{len(parameter.weights)} weights for {len(parameter.values)} values; give "
                "one weight per value",
            )
        elif sum(parameter.weights) <= 0:
            yield _at(row, parameter, "weights", "the weights add up to 0; give some weight")


def _support_problems(
    scenario: Scenario,
    parameter: Uncertain,
    row: int | None,
    column: Column,
    targets: list[Target],
    locator: Locator,
) -> Iterator[Problem]:
    """No value a draw can give a cell breaks the column's own rule: its bounds, and for a
    whole column (``lead_time``, ``steps_per_doubling``) being whole."""
    if column.whole:
        yield from _whole_problems(scenario, parameter, row, column, targets, locator)
    if column.minimum is not None:
        yield from _lower_problems(scenario, parameter, row, column, targets, locator)
    if column.maximum is not None:
        yield from _upper_problems(scenario, parameter, row, column, targets, locator)


def _lower_problems(
    scenario: Scenario,
    parameter: Uncertain,
    row: int | None,
    column: Column,
    targets: list[Target],
    locator: Locator,
) -> Iterator[Problem]:
    """The lowest value a draw can give each cell keeps to the column's minimum."""
    assert column.minimum is not None
    low, high = support(parameter)
    for target in targets:
        lowest = _lowest(parameter.apply, target.value, low, high)
        # a lognormal draw is above 0, never at it
        reached = parameter.distribution is not Distribution.LOGNORMAL or lowest != target_low(
            parameter.apply, target.value
        )
        if lowest > column.minimum or (
            lowest == column.minimum and (not column.strict or not reached)
        ):
            continue
        where = _name(scenario, target, locator)
        what = "negative" if lowest < 0 else f"{lowest:g}"
        match parameter.distribution:
            case Distribution.DISCRETE:
                blame, fix = "values", "raise the smallest value"
            case Distribution.NORMAL if parameter.low is None:
                blame, fix = "low", "truncate it with `low`, or use a lognormal distribution"
            case _:
                blame, fix = "low", "raise `low`"
        yield _at(
            row,
            parameter,
            blame,
            f"a {parameter.distribution.value} draw can make {where} {what}, but "
            f"`{column.name}` must be {column.rule} (a draw is never clipped); {fix}",
        )
        return


def _upper_problems(
    scenario: Scenario,
    parameter: Uncertain,
    row: int | None,
    column: Column,
    targets: list[Target],
    locator: Locator,
) -> Iterator[Problem]:
    """The highest value a draw can give each cell keeps to the column's maximum
    (``progress_ratio`` and ``spillover`` are at most 1)."""
    assert column.maximum is not None
    low, high = support(parameter)
    for target in targets:
        highest = _highest(parameter.apply, target.value, low, high)
        if highest <= column.maximum:
            continue
        where = _name(scenario, target, locator)
        what = f"{highest:g}" if math.isfinite(highest) else "as large as any number"
        match parameter.distribution:
            case Distribution.DISCRETE:
                blame, fix = "values", "lower the largest value"
            case Distribution.LOGNORMAL:
                blame, fix = "distribution", "use a distribution with a `high` (uniform, say)"
            case Distribution.NORMAL if parameter.high is None:
                blame, fix = "high", "truncate it with `high`"
            case _:
                blame, fix = "high", "lower `high`"
        yield _at(
            row,
            parameter,
            blame,
            f"a {parameter.distribution.value} draw can make {where} {what}, but "
            f"`{column.name}` must be {column.rule} (a draw is never clipped); {fix}",
        )
        return


def _whole_problems(
    scenario: Scenario,
    parameter: Uncertain,
    row: int | None,
    column: Column,
    targets: list[Target],
    locator: Locator,
) -> Iterator[Problem]:
    """A whole column is moved only by a discrete draw whose every value keeps each cell
    whole: a continuous draw is almost never whole, and a draw is never rounded."""
    if parameter.distribution is not Distribution.DISCRETE:
        yield _at(
            row,
            parameter,
            "distribution",
            f"`{column.name}` must be {column.rule}, which a {parameter.distribution.value} "
            "draw almost never gives (a draw is never rounded); use a discrete distribution "
            "whose values keep it whole",
        )
        return
    for target in targets:
        for draw in parameter.values:
            value = moved(parameter.apply, target.value, draw)
            if float(value).is_integer():
                continue
            where = _name(scenario, target, locator)
            yield _at(
                row,
                parameter,
                "values",
                f"the draw {draw:g} makes {where} {value:g}, but `{column.name}` must be "
                f"{column.rule} (a draw is never rounded); give values that keep it whole",
            )
            return


def target_low(apply: Apply, value: float | None) -> float:
    """What a cell becomes at a draw of 0 (the open end of a lognormal's support)."""
    return _lowest(apply, value, 0.0, 0.0)


def _lowest(apply: Apply, value: float | None, low: float, high: float) -> float:
    """The lowest value ``apply`` can give a cell holding ``value`` with draws in [low, high]."""
    if apply is Apply.SET:
        return low
    assert value is not None, "scale and add move only cells that hold a number"
    if apply is Apply.ADD:
        return value + low
    if value == 0:
        return 0.0
    return min(value * low, value * high)


def _highest(apply: Apply, value: float | None, low: float, high: float) -> float:
    """The highest value ``apply`` can give a cell holding ``value`` with draws in [low, high]."""
    if apply is Apply.SET:
        return high
    assert value is not None, "scale and add move only cells that hold a number"
    if apply is Apply.ADD:
        return value + high
    if value == 0:
        return 0.0
    return max(value * low, value * high)


def _name(scenario: Scenario, target: Target, locator: Locator | None = None) -> str:
    """``Resources row 3, `available``` or ``Resources (USA, gallium), `available```."""
    if not target.field:
        return f"the Scenario setting `{target.column}`"
    sheet = next(s for s, (f, _) in RECORD_MODELS.items() if f == target.field)
    record = getattr(scenario, target.field)[target.index]
    key = tuple(str(getattr(record, c)) for c in SHEET_BY_NAME[sheet].key)
    row = (locator or Locator()).row(sheet, key)
    place = f"row {row}" if row is not None else "(" + ", ".join(key) + ")"
    return f"{sheet} {place}, `{target.column}`"


def _at(row: int | None, parameter: Uncertain, column: str, message: str) -> Problem:
    if row is None:
        message = f"parameter `{parameter.parameter}`: {message}"
    return Problem(SHEET, row, column, message)
