"""An independent reference implementation of the model contract, and the planner against it.

The oracle below is written from DESIGN.md ("The optimisation", "Links of each regime",
"What every run reports") and the readings of docs/model.md only. It shares no code with the
planner's model, links, solve, results or api modules: it reads a validated
:class:`~planner.scenario.schema.Scenario`, writes the LP/MILP itself and hands it to HiGHS through
highspy directly (no PuLP), with every link of the regime (no pruning), and solves national
stacks one member at a time.

Variables (each only where its row exists): ``use[c,k]`` in [0, available]; ``act[c,p]``
>= 0; ``new[c,p]`` in [0, max_new]; ``build[c,p]`` binary where fixed_cost > 0 or
min_new > 0; ``ship[k,i,j]`` in [0, capacity]; ``deliver[c,k]`` per target of a member in
the model (min_cost: ``short = amount - deliver`` in [0, amount]). Rows: capacity, build
logic, balance of every (country, commodity), and in max_capability the budget.

The planner is compared through its public API, ``planner.run``: on the small scenarios of
tests/conftest.py, and on the scenarios that tests/test_properties.py generates. Objectives
are unique, plans may tie, so generated scenarios compare objectives (and max_capability's
spend, which its second stage makes unique); the hand-made ones compare every total.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pytest
from conftest import (
    capped_nonmember,
    disallowed_link,
    fixed_cost_afford,
    fixed_cost_justify,
    make_scenario,
    multi_layer,
    pooled_budget,
    shortfall_stack,
)
from hypothesis import given, settings
from test_properties import scenarios

import planner
from planner.scenario.schema import Capacity, Mode, Regime, Role, Scenario

MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY
NATIONAL, COALITION, OPEN = Regime.NATIONAL, Regime.COALITION, Regime.OPEN
SIX = [(mode, regime) for mode in Mode for regime in Regime]
TOL = 1e-6

Terms = dict[int, float]
LinkKey = tuple[str, str, str]
"""(commodity, exporter, importer)."""


def close(a: float, b: float, rel: float = TOL, abs_: float = TOL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# The LP, written column by column and row by row, then handed to HiGHS in one piece.


@dataclass
class Lp:
    """Columns with bounds, integrality; rows ``lo <= sum(coef * x) <= hi``."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    rows: list[tuple[float, float, Terms]] = field(default_factory=list)

    def column(self, lower: float = 0.0, upper: float = math.inf, integer: bool = False) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        if integer:
            self.integer.append(len(self.lower) - 1)
        return len(self.lower) - 1

    def row(self, terms: Terms, lo: float = -math.inf, hi: float = math.inf) -> None:
        self.rows.append((lo, hi, terms))

    def minimise(
        self, cost: Terms, extra: Sequence[tuple[float, float, Terms]] = ()
    ) -> list[float]:
        """An optimal x minimising ``cost``; raises if HiGHS finds none."""
        n = len(self.lower)
        if n == 0:
            return []
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("mip_rel_gap", 1e-9)
        highs.setOptionValue("mip_abs_gap", 1e-9)
        for tolerance in ("primal_feasibility_tolerance", "mip_feasibility_tolerance"):
            highs.setOptionValue(tolerance, 1e-9)
        inf = highs.getInfinity()
        clip = np.vectorize(lambda v: max(-inf, min(inf, v)))
        highs.addVars(n, clip(np.array(self.lower)), clip(np.array(self.upper)))
        dense = np.zeros(n)
        for col, coef in cost.items():
            dense[col] += coef
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), dense)
        rows = [*self.rows, *extra]
        if rows:
            starts: list[int] = []
            index: list[int] = []
            coefs: list[float] = []
            for _, _, terms in rows:
                starts.append(len(index))
                index.extend(terms)
                coefs.extend(terms.values())
            highs.addRows(
                len(rows),
                clip(np.array([lo for lo, _, _ in rows])),
                clip(np.array([hi for _, hi, _ in rows])),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(coefs, dtype=np.float64),
            )
        if self.integer:
            ints = np.array(self.integer, dtype=np.int32)
            kinds = np.full(len(ints), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            highs.changeColsIntegrality(len(ints), ints, kinds)
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise Infeasible(str(status))
        return list(highs.getSolution().col_value)


class Infeasible(Exception):
    """HiGHS found no optimal plan."""


def value(terms: Terms, x: list[float]) -> float:
    return sum(coef * x[col] for col, coef in terms.items())


# The links of each regime (DESIGN.md, "Links of each regime").


def regime_links(scenario: Scenario, regime: Regime) -> dict[LinkKey, tuple[float, float]]:
    """(commodity, exporter, importer) -> (cost per unit, capacity or inf)."""
    if regime is NATIONAL:
        return {}
    tradable = [k for k in scenario.commodities if k.tradable]
    pairs = scenario.members if regime is COALITION else [c.country for c in scenario.countries]
    links = {
        (k.commodity, i, j): (k.trade_cost, math.inf)
        for k in tradable
        for i in pairs
        for j in pairs
        if i != j
    }
    trade_cost = {k.commodity: k.trade_cost for k in tradable}
    rows = {}
    for row in scenario.links:  # ``*`` rows first, so a commodity's own row overrides them
        if row.commodity == "*":
            for k in tradable:
                rows[(k.commodity, row.exporter, row.importer)] = row
    for row in scenario.links:
        if row.commodity != "*":
            rows[(row.commodity, row.exporter, row.importer)] = row
    for key, row in rows.items():
        if regime is OPEN or row.allowed:
            cost = trade_cost[key[0]] if row.cost is None else row.cost
            links[key] = (cost, math.inf if row.capacity is None else row.capacity)
        else:
            links.pop(key, None)
    return links


# One model: some countries, some links, the targets of some members.


@dataclass
class Outcome:
    objective: float
    total_cost: float
    total_capability: float
    total_shortfall: float
    cost: dict[str, float]

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.objective + other.objective,
            self.total_cost + other.total_cost,
            self.total_capability + other.total_capability,
            self.total_shortfall + other.total_shortfall,
            {**self.cost, **other.cost},
        )


@dataclass
class Built:
    lp: Lp
    spend: dict[str, Terms]
    deliver: dict[tuple[str, str], int]


def build_model(
    scenario: Scenario,
    countries: set[str],
    members: set[str],
    links: dict[LinkKey, tuple[float, float]],
    mode: Mode,
) -> Built:
    lp = Lp()
    spend: dict[str, Terms] = {c: defaultdict(float) for c in countries}
    balance: dict[tuple[str, str], Terms] = defaultdict(lambda: defaultdict(float))
    for resource in scenario.resources:
        if resource.country in countries:
            col = lp.column(0.0, resource.available)
            spend[resource.country][col] += resource.cost
            balance[(resource.country, resource.commodity)][col] += 1.0
    for row in scenario.capacity:
        if row.country in countries:
            add_capacity(lp, scenario, row, spend[row.country], balance)
    for (k, i, j), (cost, capacity) in links.items():
        col = lp.column(0.0, capacity)
        spend[j][col] += cost  # the importer pays the link cost
        balance[(j, k)][col] += 1.0
        balance[(i, k)][col] -= 1.0
    deliver = {}
    for target in scenario.targets:
        if target.country in members:
            col = lp.column(0.0, target.amount if mode is MIN else math.inf)
            deliver[(target.country, target.commodity)] = col
            balance[(target.country, target.commodity)][col] -= 1.0
    for terms in balance.values():
        lp.row(dict(terms), lo=0.0)
    return Built(lp, {c: dict(t) for c, t in spend.items()}, deliver)


def add_capacity(
    lp: Lp,
    scenario: Scenario,
    row: Capacity,
    spend: dict[int, float],
    balance: dict[tuple[str, str], dict[int, float]],
) -> None:
    """act, new and build of one Capacity row: capacity, build logic, recipe flows."""
    act = lp.column()
    new = lp.column(0.0, row.max_new)
    spend[act] += row.cost
    spend[new] += row.new_cost
    lp.row({act: 1.0, new: -1.0}, hi=row.existing)
    if row.fixed_cost > 0 or row.min_new > 0:
        build = lp.column(0.0, 1.0, integer=True)
        spend[build] += row.fixed_cost
        lp.row({new: 1.0, build: -row.max_new}, hi=0.0)
        lp.row({new: 1.0, build: -row.min_new}, lo=0.0)
    for line in scenario.recipe:
        if line.process == row.process:
            sign = 1.0 if line.role is Role.OUTPUT else -1.0
            balance[(row.country, line.commodity)][act] += sign * line.amount


def solve_model(
    scenario: Scenario,
    countries: set[str],
    members: set[str],
    links: dict[LinkKey, tuple[float, float]],
    mode: Mode,
) -> Outcome:
    built = build_model(scenario, countries, members, links, mode)
    target = {(t.country, t.commodity): t for t in scenario.targets}
    total_spend: Terms = defaultdict(float)
    for terms in built.spend.values():
        for col, coef in terms.items():
            total_spend[col] += coef
    if mode is MIN:
        penalty = scenario.shortfall_penalty
        cost = dict(total_spend)
        for col in built.deliver.values():
            cost[col] = cost.get(col, 0.0) - penalty
        x = built.lp.minimise(cost)
        offset = penalty * sum(target[key].amount for key in built.deliver)
        objective = value(cost, x) + offset
    else:
        budget = sum(scenario.country_by_id[m].budget for m in members)
        built.lp.row(dict(total_spend), hi=budget)
        weighted = {col: target[key].weight for key, col in built.deliver.items()}
        first = built.lp.minimise({col: -w for col, w in weighted.items()})
        objective = value(weighted, first)
        x = second_stage(built.lp, weighted, objective, dict(total_spend)) if first else first
    delivered = {key: x[col] for key, col in built.deliver.items()}
    return Outcome(
        objective=objective,
        total_cost=value(total_spend, x) if x else 0.0,
        total_capability=sum(delivered.values()),
        total_shortfall=sum(max(0.0, target[key].amount - v) for key, v in delivered.items()),
        cost={c: value(terms, x) if x else 0.0 for c, terms in built.spend.items()},
    )


def second_stage(lp: Lp, weighted: Terms, best: float, spend: Terms) -> list[float]:
    """The cheapest plan holding the weighted capability at its optimum: exactly, or if
    HiGHS finds that infeasible through round-off, less a relative 1e-9, then 1e-6.

    The hold row is divided by the optimum, so that HiGHS's absolute feasibility tolerance
    is a relative one there. An optimum below 1e-9 is round-off around 0: no hold.
    """
    if best <= 1e-9:
        return lp.minimise(spend)
    weights = {col: w / best for col, w in weighted.items()}
    for slack in (0.0, 1e-9, 1e-6):
        try:
            return lp.minimise(spend, [(1.0 - slack, math.inf, weights)])
        except Infeasible:
            continue
    raise Infeasible("second stage")


def reference(scenario: Scenario, mode: Mode, regime: Regime) -> Outcome:
    """One run of the contract: national as the sum of each member solved alone."""
    if regime is NATIONAL:
        outcomes = [solve_model(scenario, {m}, {m}, {}, mode) for m in scenario.members]
        total = Outcome(0.0, 0.0, 0.0, 0.0, {})
        for outcome in outcomes:
            total = total + outcome
        return total
    links = regime_links(scenario, regime)
    members = set(scenario.members)
    if regime is OPEN:
        countries = {c.country for c in scenario.countries}
    else:
        countries = members | {c for _, i, j in links for c in (i, j)}
    return solve_model(scenario, countries, members, links, mode)


# The planner against the oracle.


def compare(scenario: Scenario, *, totals: bool) -> list[str]:
    """Every difference between the planner's six runs and the oracle's."""
    comparison = planner.run(scenario)
    problems = []
    for mode, regime in SIX:
        got = comparison.run(mode, regime)
        want = reference(scenario, mode, regime)
        where = f"{mode.value}/{regime.value}"
        if got.status.value != "optimal":
            problems.append(f"{where}: status {got.status.value}: {got.message}")
            continue
        checked = ["objective"]
        if mode is MAX or totals:
            checked.append("total_cost")
        if totals:
            checked += ["total_capability", "total_shortfall"]
        for name in checked:
            if not close(getattr(got, name), getattr(want, name)):
                problems.append(f"{where}: {name} {getattr(got, name)} != {getattr(want, name)}")
        if totals:
            cost = dict(zip(got.countries["country"], got.countries["cost"], strict=True))
            if set(cost) != set(want.cost) or not all(close(cost[c], want.cost[c]) for c in cost):
                problems.append(f"{where}: country costs {cost} != {want.cost}")
    return problems


KNOWN = [
    shortfall_stack,
    fixed_cost_afford,
    fixed_cost_justify,
    capped_nonmember,
    disallowed_link,
    pooled_budget,
    multi_layer,
]


@pytest.mark.parametrize("builder", KNOWN, ids=lambda b: b.__name__)
def test_known_scenarios_match_the_reference(builder: Callable[[], Scenario]) -> None:
    """Every total and every country's spend of all six runs, on the hand-made scenarios."""
    assert compare(builder(), totals=True) == []


def test_reference_reproduces_a_hand_derived_optimum() -> None:
    """The oracle itself, against tests/test_known_optima.py's hand-derived figures."""
    scenario = shortfall_stack()
    assert reference(scenario, MIN, NATIONAL).objective == pytest.approx(524)
    assert reference(scenario, MIN, COALITION).objective == pytest.approx(69)
    assert reference(scenario, MIN, OPEN).objective == pytest.approx(46)


@settings(max_examples=40, deadline=None)
@given(data=scenarios())
def test_generated_scenarios_match_the_reference(data: dict[str, Any]) -> None:
    """All six objectives, and max_capability's spend, on generated scenarios."""
    assert compare(make_scenario(**data), totals=False) == []
