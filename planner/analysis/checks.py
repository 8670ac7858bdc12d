"""Checks before solving: a valid scenario that cannot do what its user expects.

Contract of this stage: :func:`check` takes a validated :class:`~planner.scenario.schema.Scenario`
and returns warnings, as :class:`~planner.errors.Problem` values in domain words, each
saying what is wrong and how to fix it. It never raises and never changes the scenario; a
run may go ahead after any of them. The checks are:

- a target whose capability no process makes (no Recipe row has it as an output);
- a target its member cannot reach: alone (its national stack) or even with its
  coalition partners, found by a reachability analysis per regime (below);
- a commodity some process consumes that no Resources row (available > 0) supplies, no
  process makes, and neither a backstop nor a world price offers, so every process
  needing it is idle;
- numbers so large or small, or so far apart within one family (the constraint
  coefficients, the costs, the quantities, the weights), that the solver may lose
  precision; values of 1e20 or more are infinite to HiGHS.

Reachability: a commodity *can exist* in a country when the country has it as a resource
with available > 0, when the commodity has a ``backstop_cost`` (a last-resort supply in every
country and regime), when the regime opens the world market for it (a ``world_price``: in
``open`` always, in ``coalition`` when it is not ``sovereign``, in ``national`` when it is not
``sovereign`` and ``national_scope`` is ``declared``), when a process that can run there (a
Capacity row with existing > 0 or max_new > 0) makes it from inputs that can all exist there,
or when a link of the regime (capacity not 0) brings it from a country where it can exist.
The national regime has no links; each regime's links and world market are those of
:func:`~planner.model.setting_for`. Amounts and prices are ignored: a reachable target may
still be missed for lack of capacity, or because a backstop or the world costs more than the
shortfall penalty, and the solve reports that.

A validated scenario no longer knows its Excel rows. A
:class:`~planner.scenario.locate.Locator`, built from the workbook the scenario was read
from (:func:`planner.io.validate.locate`), puts each warning
at its row; without one, warnings name the sheet and column, and their messages name the
ids, so they still say where to look.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import BaseModel

from planner.errors import Problem, quoted
from planner.model.build import setting_for
from planner.model.links import TradeLink
from planner.scenario.locate import Key, Locator
from planner.scenario.schema import RECORD_MODELS, Mode, Regime, Role, Scenario, Target
from planner.scenario.sheets import SHEET_BY_NAME, problem_order

Place = tuple[str, str]
"""``(country, commodity)``: a commodity in a country."""

LARGE: Final = 1e9
"""Values above this may cost the solver precision next to values near 1."""
SMALL: Final = 1e-6
"""Nonzero values below this may be lost in the solver's tolerances."""
SPREAD: Final = 1e9
"""Largest ratio between the nonzero values of one family before precision suffers."""
INFINITE: Final = 1e20
"""HiGHS treats bounds and costs at or above this as infinite."""


# --- where records came from ---------------------------------------------------------------


@dataclass(frozen=True)
class _Report:
    """Makes problems located through a :class:`Locator`."""

    locator: Locator

    def at(self, sheet: str, key: Key, column: str, message: str) -> Problem:
        row = self.locator.row(sheet, key)
        return Problem(sheet, row, column, message, () if row is not None else key)

    def where(self, sheet: str, key: Key, column: str) -> str:
        """``Capacity row 4, column `max_new``` (or the record's ids when the row is unknown)."""
        row = self.locator.row(sheet, key)
        record = f"row {row}" if row is not None else "(" + ", ".join(key) + ")"
        return f"{sheet} {record}, column `{column}`"


# --- the stack as a graph ------------------------------------------------------------------


@dataclass(frozen=True)
class _Stack:
    """The recipe and where processes can run, grouped once for every check."""

    inputs: Mapping[str, tuple[str, ...]]
    """process -> the commodities it consumes."""
    outputs: Mapping[str, tuple[str, ...]]
    """process -> the commodities it makes."""
    makers: Mapping[str, tuple[str, ...]]
    """commodity -> the processes that make it."""
    runs: Mapping[str, tuple[str, ...]]
    """country -> the processes with capacity there (existing > 0 or max_new > 0)."""
    supplies: frozenset[Place]
    """Resources rows with available > 0."""
    countries: tuple[str, ...]
    """Every country of the scenario."""
    backstops: frozenset[str]
    """The commodities with a backstop: they can exist in every country of every regime."""

    @classmethod
    def of(cls, scenario: Scenario) -> _Stack:
        inputs: dict[str, list[str]] = defaultdict(list)
        outputs: dict[str, list[str]] = defaultdict(list)
        makers: dict[str, list[str]] = defaultdict(list)
        for line in scenario.recipe:
            if line.role is Role.OUTPUT:
                outputs[line.process].append(line.commodity)
                makers[line.commodity].append(line.process)
            else:
                inputs[line.process].append(line.commodity)
        runs: dict[str, list[str]] = defaultdict(list)
        for row in scenario.capacity:
            if row.existing > 0 or row.max_new > 0:
                runs[row.country].append(row.process)
        return cls(
            inputs={p: tuple(k) for p, k in inputs.items()},
            outputs={p: tuple(k) for p, k in outputs.items()},
            makers={k: tuple(p) for k, p in makers.items()},
            runs={c: tuple(p) for c, p in runs.items()},
            supplies=frozenset((r.country, r.commodity) for r in scenario.resources if r.available),
            countries=tuple(c.country for c in scenario.countries),
            backstops=frozenset(
                k.commodity for k in scenario.commodities if k.backstop_cost is not None
            ),
        )

    def reach(self, links: Iterable[TradeLink], world: Iterable[str]) -> frozenset[Place]:
        """Every (country, commodity) that can exist, given the regime's links and the
        commodities it may buy from the world market (a fixed point)."""
        usable = [t for t in links if t.capacity is None or t.capacity > 0]
        outside = self.backstops | set(world)
        have = set(self.supplies) | {(c, k) for c in self.countries for k in outside}
        grew = True
        while grew:
            size = len(have)
            for country, processes in self.runs.items():
                for p in processes:
                    if all((country, k) in have for k in self.inputs.get(p, ())):
                        have.update((country, k) for k in self.outputs.get(p, ()))
            have.update(
                (t.importer, t.commodity) for t in usable if (t.exporter, t.commodity) in have
            )
            grew = len(have) > size
        return frozenset(have)

    def missing(self, country: str, commodity: str, have: frozenset[Place]) -> list[str]:
        """The first commodities that ``country`` lacks on the way to ``commodity``.

        Follows each process that can run in the country back through its missing inputs,
        to commodities no runnable process there makes: the gaps a user must fill.
        """
        found: list[str] = []
        seen: set[str] = set()
        todo = [commodity]
        while todo:
            k = todo.pop()
            if k in seen:
                continue
            seen.add(k)
            local = [p for p in self.makers.get(k, ()) if p in self.runs.get(country, ())]
            gaps = [i for p in local for i in self.inputs.get(p, ()) if (country, i) not in have]
            if not local:
                found.append(k)
            todo.extend(reversed(gaps))
        return found


# --- the checks ----------------------------------------------------------------------------


def _unmade_targets(scenario: Scenario, report: _Report) -> Iterator[Problem]:
    """Targets whose capability no Recipe row has as an output."""
    made = {line.commodity for line in scenario.recipe if line.role is Role.OUTPUT}
    for t in scenario.targets:
        if t.commodity not in made:
            yield report.at(
                "Targets",
                (t.country, t.commodity),
                "commodity",
                f"no process makes `{t.commodity}` (no Recipe row has it as an output), so "
                f"`{t.country}`'s target for it can never be met in any regime; add a process "
                f"with `{t.commodity}` as its output in Recipe and Capacity rows where it can "
                "run, or delete this target",
            )


def _counts(target: Target) -> bool:
    """Whether a target matters in some mode (an amount to meet or a value per unit)."""
    return target.amount > 0 or target.weight > 0


@dataclass(frozen=True)
class _Reach:
    """What can exist where, in each regime."""

    stack: _Stack
    alone: frozenset[Place]
    coalition: frozenset[Place]
    open: frozenset[Place]
    open_by_trade: frozenset[Place]
    """What the open world reaches with the coalition's world market only (no sovereign
    commodity bought from the world)."""
    sovereign_world: tuple[str, ...]
    """The sovereign commodities with a world price: only the open world may buy them."""

    @classmethod
    def of(cls, scenario: Scenario) -> _Reach:
        stack = _Stack.of(scenario)
        settings = {r: setting_for(scenario, r, Mode.MIN_COST) for r in Regime}
        reach = {r: stack.reach(s.links, s.world) for r, s in settings.items()}
        coalition_world = settings[Regime.COALITION].world
        return cls(
            stack,
            alone=reach[Regime.NATIONAL],
            coalition=reach[Regime.COALITION],
            open=reach[Regime.OPEN],
            open_by_trade=stack.reach(settings[Regime.OPEN].links, coalition_world),
            sovereign_world=tuple(
                k for k in settings[Regime.OPEN].world if k not in coalition_world
            ),
        )


def _unreachable_targets(scenario: Scenario, report: _Report) -> Iterator[Problem]:
    """Targets a member cannot reach alone, or even with its coalition partners."""
    reach = _Reach.of(scenario)
    for t in scenario.targets:
        place = (t.country, t.commodity)
        if place in reach.alone or not _counts(t) or t.commodity not in reach.stack.makers:
            continue  # reachable, irrelevant, or reported by _unmade_targets
        if place in reach.coalition:
            yield report.at("Targets", place, "country", _alone_message(t, reach))
        else:
            yield report.at("Targets", place, "country", _never_message(t, reach))


def _lack(country: str, commodity: str, stack: _Stack) -> str:
    makers = stack.makers.get(commodity)
    if makers:
        return f"`{commodity}` (made by {quoted(makers)}, with no capacity in `{country}`)"
    return f"`{commodity}` (not in `{country}`'s Resources with available > 0)"


def _gaps(target: Target, stack: _Stack, have: frozenset[Place]) -> str:
    lacking = stack.missing(target.country, target.commodity, have)
    if not lacking:
        return (
            f"the processes that make `{target.commodity}` there need each other's outputs "
            "and nothing starts the chain"
        )
    return "it lacks " + ", ".join(_lack(target.country, k, stack) for k in lacking)


def _alone_message(target: Target, reach: _Reach) -> str:
    return (
        f"`{target.country}` cannot make any `{target.commodity}` on its own: "
        f"{_gaps(target, reach.stack, reach.alone)}. Its national stack will miss this whole "
        "target (the coalition can supply it through trade). If that is not intended, give "
        f"`{target.country}` what it lacks: Resources rows (available > 0), Capacity rows "
        "(existing or max_new > 0) for processes that make it, or in Commodities a "
        "`backstop_cost` (or, with `national_scope` declared, a `world_price` on a commodity "
        "not `sovereign`)"
    )


def _never_message(target: Target, reach: _Reach) -> str:
    if (target.country, target.commodity) in reach.open:
        ways, fix = "a banned link, or a country outside it", "in Links"
        if (target.country, target.commodity) not in reach.open_by_trade:
            ways = (
                "a banned link, a country outside it, or the world market for the sovereign "
                + quoted(reach.sovereign_world)
            )
            fix = "in Links, or clearing `sovereign` in Commodities,"
        regimes = (
            "The national and coalition runs will miss this whole target; the open world "
            f"reaches it through trade the coalition does not allow ({ways}), so allowing "
            f"that trade {fix} would close the gap"
        )
    else:
        regimes = "Every run will miss this whole target, the open world's included"
    return (
        f"`{target.country}` cannot obtain any `{target.commodity}`, alone or with its "
        f"coalition partners: {_gaps(target, reach.stack, reach.coalition)}, and no partner "
        f"can ship it what is missing. {regimes}. To fix it, add Resources rows (available "
        "> 0) or Capacity rows (existing or max_new > 0) where they are missing, or in "
        "Commodities make the missing items tradable or give them a `backstop_cost` or a "
        "`world_price`"
    )


def _unsupplied_inputs(scenario: Scenario, report: _Report) -> Iterator[Problem]:
    """Recipe inputs that no resource (available > 0) supplies, no process makes, and
    neither a backstop nor the world market offers (the open world buys every commodity
    with a world price, so such a commodity is not out of reach in every run)."""
    made = {line.commodity for line in scenario.recipe if line.role is Role.OUTPUT}
    offered = {
        k.commodity
        for k in scenario.commodities
        if k.backstop_cost is not None or k.world_price is not None
    }
    listed = {r.commodity for r in scenario.resources}
    supplied = {r.commodity for r in scenario.resources if r.available > 0}
    for line in scenario.recipe:
        k = line.commodity
        if line.role is Role.OUTPUT or k in made or k in supplied or k in offered:
            continue
        why = (
            f"every Resources row for `{k}` has available 0"
            if k in listed
            else f"no country has `{k}` in Resources"
        )
        yield report.at(
            "Recipe",
            (line.process, k, line.role.value),
            "commodity",
            f"process `{line.process}` consumes `{k}`, but {why} and no process makes it, so "
            f"`{line.process}` can never run; add a Resources row with available > 0 for "
            f"`{k}`, give it a `backstop_cost` or `world_price` in Commodities, add a process "
            "that outputs it, or remove this input",
        )


# --- scaling -------------------------------------------------------------------------------


class Family(StrEnum):
    """Numbers that meet in the same part of the LP, where their spread matters."""

    COEFFICIENT = "amounts per unit of activity"
    COST = "costs"
    QUANTITY = "quantities and limits"
    WEIGHT = "target weights"
    TIME = "years, lengths and rates"
    """Not coefficients of the LP (they shape which variables exist and the discount
    factors), so they are left out of the scaling checks."""


FAMILY: Final[Mapping[tuple[str, str], Family]] = {
    ("Recipe", "amount"): Family.COEFFICIENT,
    ("Scenario", "shortfall_penalty"): Family.COST,
    ("Commodities", "trade_cost"): Family.COST,
    ("Resources", "cost"): Family.COST,
    ("Capacity", "cost"): Family.COST,
    ("Capacity", "new_cost"): Family.COST,
    ("Capacity", "fixed_cost"): Family.COST,
    ("Links", "cost"): Family.COST,
    ("Countries", "budget"): Family.QUANTITY,
    ("Resources", "available"): Family.QUANTITY,
    ("Capacity", "existing"): Family.QUANTITY,
    ("Capacity", "max_new"): Family.QUANTITY,
    ("Capacity", "min_new"): Family.QUANTITY,
    ("Targets", "amount"): Family.QUANTITY,
    ("Links", "capacity"): Family.QUANTITY,
    ("Targets", "weight"): Family.WEIGHT,
    ("Commodities", "world_price"): Family.COST,
    ("Commodities", "backstop_cost"): Family.COST,
    ("Budgets", "budget"): Family.QUANTITY,
    ("Commodities", "world_premium"): Family.TIME,
    ("Scenario", "discount_rate"): Family.TIME,
    ("Processes", "available_from"): Family.TIME,
    ("Processes", "available_until"): Family.TIME,
    ("Capacity", "lifetime"): Family.TIME,
    ("Capacity", "lead_time"): Family.TIME,
    ("Periods", "year"): Family.TIME,
    ("Periods", "length"): Family.TIME,
    ("Generations", "frontier_year"): Family.TIME,
    ("Stresses", "capacity"): Family.QUANTITY,
    # a stress's share left, rank and probability never reach the LP as coefficients
    ("Stresses", "factor"): Family.TIME,
    ("Stresses", "rank"): Family.TIME,
    ("Stresses", "probability"): Family.TIME,
    ("Learning", "reference"): Family.QUANTITY,
    ("Experience", "initial"): Family.QUANTITY,
    ("Learning", "progress_ratio"): Family.TIME,
    ("Learning", "spillover"): Family.TIME,
    ("Learning", "steps_per_doubling"): Family.TIME,
    ("Learning", "max_doublings"): Family.TIME,
}
"""Every number column of the workbook, by ``(sheet, column)``, and its family."""


@dataclass(frozen=True)
class _Number:
    """One nonzero number of the scenario and where it is."""

    sheet: str
    key: Key
    column: str
    value: float

    @property
    def magnitude(self) -> float:
        """How far the value is from 1, in decades."""
        return abs(math.log10(self.value))


def _numbers(scenario: Scenario) -> Iterator[_Number]:
    """Every nonzero number of the scenario, in sheet and row order."""
    yield _Number("Scenario", ("shortfall_penalty",), "value", scenario.shortfall_penalty)
    for (sheet, column), family in FAMILY.items():
        if sheet == "Scenario" or family is Family.TIME:
            continue
        keys = SHEET_BY_NAME[sheet].key
        field, _ = RECORD_MODELS[sheet]
        rows: Sequence[BaseModel] = getattr(scenario, field)
        for row in rows:
            value = getattr(row, column)
            if value:
                yield _Number(sheet, tuple(str(getattr(row, c)) for c in keys), column, value)


def _family_of(number: _Number) -> Family:
    column = "shortfall_penalty" if number.sheet == "Scenario" else number.column
    return FAMILY[(number.sheet, column)]


def _decade(value: float) -> str:
    """``1e9`` rather than Python's ``1e+09``."""
    return f"1e{round(math.log10(value))}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _unit_hint(number: _Number) -> str:
    if _family_of(number) is Family.COST:
        return "use a money unit that keeps costs between about 1e-3 and 1e6 (e.g. USD bn), "
    if _family_of(number) is Family.COEFFICIENT:
        return "measure the commodity or the activity in a larger or smaller unit, "
    return "use a larger or smaller unit for this quantity, "


def _extreme(number: _Number, report: _Report) -> Problem | None:
    """A warning for one value beyond the solver's comfortable range, if it is."""
    value = number.value
    if value >= INFINITE:
        what = (
            f"{value:g} is at or above 1e20, which HiGHS treats as infinite (no limit, or an "
            "infinite cost)"
        )
        hint = "leave the cell blank if you mean no limit and the column allows it, or "
    elif value > LARGE:
        what = f"{value:g} is very large (above {_decade(LARGE)}); the solver may lose precision"
        hint = ""
    elif value < SMALL:
        what = f"{value:g} is very small (below {_decade(SMALL)}); the solver may treat it as 0"
        hint = ""
    else:
        return None
    return report.at(
        number.sheet,
        number.key,
        number.column,
        f"{what}; {hint}{_unit_hint(number)}and change every number in the same unit",
    )


def _spread(numbers: Sequence[_Number], report: _Report) -> Problem | None:
    """A warning when one family's nonzero values span more than :data:`SPREAD`."""
    low = min(numbers, key=lambda n: n.value)
    high = max(numbers, key=lambda n: n.value)
    if high.value / low.value <= SPREAD:
        return None
    odd, other = (low, high) if low.magnitude > high.magnitude else (high, low)
    family = _family_of(odd).value
    return report.at(
        odd.sheet,
        odd.key,
        odd.column,
        f"the {family} range from {low.value:g} to {high.value:g}, a ratio above "
        f"{_decade(SPREAD)}, so the solver may lose precision; this value ({odd.value:g}) and "
        f"{other.value:g} at {report.where(other.sheet, other.key, other.column)} are the "
        f"extremes. {_capital(_unit_hint(odd))}so that the {family} sit closer together",
    )


def _badly_scaled(scenario: Scenario, report: _Report) -> Iterator[Problem]:
    """Values beyond the solver's range, then families whose values are too far apart.

    A family with an extreme value gets no spread warning: the extreme is the cause.
    """
    families: dict[Family, list[_Number]] = defaultdict(list)
    for number in _numbers(scenario):
        families[_family_of(number)].append(number)
    for numbers in families.values():
        extremes = [p for p in (_extreme(n, report) for n in numbers) if p is not None]
        yield from extremes
        spread = None if extremes else _spread(numbers, report)
        if spread is not None:
            yield spread


_CHECKS: Final = (_unmade_targets, _unreachable_targets, _unsupplied_inputs, _badly_scaled)
"""Every check, in the order their warnings are worth reading."""


def check(scenario: Scenario, locate: Locator | None = None) -> tuple[Problem, ...]:
    """Warnings about a valid scenario that the solve would only show as shortfalls or noise.

    Args:
        scenario: the validated scenario.
        locate: where each record came from (:meth:`Locator.from_raw`); without it the
            warnings carry no row, only their sheet, column and the ids in the message.

    Returns:
        The warnings, sorted by sheet (contract order), row and column; empty when all is
        well.
    """
    report = _Report(locate or Locator())
    found = {p for run in _CHECKS for p in run(scenario, report)}
    return tuple(sorted(found, key=problem_order))
