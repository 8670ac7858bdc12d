"""Prices that are true: each binding price's two one-sided derivatives against re-solves
of the LP (with build decisions fixed at the optimum for a MILP) in both directions, on
degenerate and non-degenerate prices; a price is flagged and worded as a range only where
the two differ, and the bottleneck lists keep only prices whose decrease side is confirmed.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import edit, multi_layer
from pytest import approx
from test_sharing import compute_stack

import planner
from planner.analysis.sharing import owen_allocation
from planner.model.build import BuiltModel, build, setting_for
from planner.model.families import PriceFamily
from planner.model.solve import Solution, solve
from planner.scenario.schema import Mode, Regime, Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
STEP = 1e-3


def fixed_lp(scenario: Scenario, regime: Regime, builds: dict[Any, float]) -> BuiltModel:
    """The run's model with every build decision fixed at ``builds`` (the LP that prices a
    MILP; for an LP, the model itself)."""
    built = build(scenario, setting_for(scenario, regime, Mode.MIN_COST))
    for key, var in built.build.items():
        var.lowBound = var.upBound = builds[key]
    return built


def objective_moved(
    scenario: Scenario,
    regime: Regime,
    builds: dict[Any, float],
    family: PriceFamily,
    key: Any,
    step: float,
) -> float:
    """The min_cost objective with one right-hand side moved by ``step`` units "more"."""
    built = fixed_lp(scenario, regime, builds)
    if family is PriceFamily.CAPACITY:
        row = built.capacity[key]
        row.changeRHS(-row.constant + step)  # act - new <= existing
    elif family.bound_of is not None:
        var = built.variables(family.bound_of)[key]
        var.upBound = var.upBound + step
    else:
        raise AssertionError(f"no perturbation written for {family}")
    solution = solve(built, prices=False)
    return math.inf if solution.objective is None else solution.objective  # no plan


def finite_differences(scenario: Scenario, regime: Regime, family: PriceFamily, key: Any):
    """(saved by one more unit, lost by one less), per unit, re-solved both ways."""
    base_solution = solve(build(scenario, setting_for(scenario, regime, Mode.MIN_COST)))
    builds = base_solution.build
    base = solve(fixed_lp(scenario, regime, builds), prices=False).objective
    up = objective_moved(scenario, regime, builds, family, key, STEP)
    down = objective_moved(scenario, regime, builds, family, key, -STEP)
    return (base - up) / STEP, (down - base) / STEP, base_solution.prices


@cache
def default_scenario() -> Scenario:
    return planner.load(SCENARIOS / "pax_silica.xlsx").scenario


@cache
def default_coalition() -> tuple[Solution, float]:
    """The default scenario's coalition min_cost run with its prices, and the objective of
    its LP with the build decisions (and learning steps) fixed at their optimum."""
    scenario = default_scenario()
    solution = solve(build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST)))
    fixed = solve(fixed_lp(scenario, Regime.COALITION, solution.build), prices=False)
    assert fixed.objective is not None
    return solution, fixed.objective


@cache
def default_prices_table() -> Any:
    result = planner.run(
        default_scenario(), modes=["min_cost"], regimes=["coalition"], sensitivity_runs=False
    )
    return result.tables("prices"), result.bottlenecks(Mode.MIN_COST)


@pytest.mark.parametrize(
    ("country", "process", "period", "more", "less"),
    [
        ("GBR", "dc_n2", "2028", 17.327897, 33.890989),
        ("QAT", "dc_n2", "2026", 347.195400, math.inf),
    ],
)
def test_the_default_scenarios_named_prices_against_re_solves(
    country: str, process: str, period: str, more: float, less: float
) -> None:
    """Two degenerate prices of the default scenario's coalition (min_cost), measured by
    re-solving its LP with the build decisions and learning steps fixed, which prices the
    MILP. GBR's dc_n2 in 2028 (17.33 claimed by the dual): one more unit of existing
    capacity saves 17.33, one less costs 33.89 (the N2 data centres started in 2026 are all
    busy, so one GW less is a GW of shortfall or a dearer node). QAT's dc_n2 in 2026 (the
    dual says 347.6): one more GW saves 347.2 of the 2026 shortfall penalty (nothing built
    is ready before 2028), and with one unit less the LP has no plan: QAT has none."""
    scenario = default_scenario()
    solution, base = default_coalition()
    key = (country, process, period)
    up = objective_moved(
        scenario, Regime.COALITION, solution.build, PriceFamily.CAPACITY, key, STEP
    )
    down = objective_moved(
        scenario, Regime.COALITION, solution.build, PriceFamily.CAPACITY, key, -STEP
    )
    saved, lost = (base - up) / STEP, (down - base) / STEP
    assert (saved, lost) == approx((more, less), abs=1e-4)
    prices = solution.prices
    assert prices.one_sided(PriceFamily.CAPACITY, key) == approx((saved, lost), abs=1e-4)
    assert not prices.unique(PriceFamily.CAPACITY, key)
    table, necks = default_prices_table()
    row = table.loc[
        (table["country"] == country)
        & (table["item"] == process)
        & (table["family"] == "capacity")
        & (table["period"] == period)
    ].iloc[0]
    assert bool(row["may_not_be_unique"])
    if math.isfinite(less):
        assert "by between 17.33 and 33.89 USD bn" in row["reading"]
        assert "one more unit is worth 17.33, one less costs 33.89" in row["reading"]
    else:
        assert "by 347.2 USD bn" in row["reading"] and "infeasible" in row["reading"]
    listed = set(zip(necks["country"], necks["item"], necks["period"], strict=True))
    assert (key in listed) is (more > 0)


def test_a_degenerate_price_has_two_sides_and_a_unique_one_has_one() -> None:
    """conftest multi_layer with ore 12, exactly what the target 3 needs: one unit less
    costs a shortfall (245.125), one more saves nothing (0). With ore 10 the price is
    unique (the LP is not degenerate: no side is measured)."""
    exact = edit(multi_layer(), "resources", ("A", "ore"), available=12)
    key = ("A", "ore", "1")
    saved, lost, prices = finite_differences(exact, Regime.NATIONAL, PriceFamily.RESOURCE, key)
    assert (saved, lost) == approx((0.0, 245.125), abs=1e-4)
    assert prices.one_sided(PriceFamily.RESOURCE, key) == approx((0.0, 245.125), abs=1e-4)
    assert not prices.unique(PriceFamily.RESOURCE, key)
    short = solve(build(multi_layer(), setting_for(multi_layer(), Regime.NATIONAL, Mode.MIN_COST)))
    assert short.prices.unique(PriceFamily.RESOURCE, key)
    saved, lost, _ = finite_differences(multi_layer(), Regime.NATIONAL, PriceFamily.RESOURCE, key)
    assert saved == approx(lost, abs=1e-4) == short.prices.resource[key]


def test_the_tutorial_at_penalty_5_states_only_what_a_re_solve_confirms() -> None:
    """At a penalty of 5 per unit every binding limit's reading matches re-solves both
    ways (the issue found a sentence claiming 8 where re-solving gave 1)."""
    scenario = planner.load(SCENARIOS / "tutorial_comparative_advantage.xlsx").scenario
    scenario = scenario.model_copy(update={"shortfall_penalty": 5.0})
    checked = 0
    for regime in Regime:
        solution = solve(build(scenario, setting_for(scenario, regime, Mode.MIN_COST)))
        prices = solution.prices
        for family in (PriceFamily.CAPACITY, PriceFamily.RESOURCE, PriceFamily.NEW_LIMIT):
            for key, value in prices.of(family).items():
                if not prices.binding(family, key):
                    continue
                saved, lost, _ = finite_differences(scenario, regime, family, key)
                sides = prices.one_sided(family, key) or (value, value)
                assert sides == approx((saved, lost), abs=1e-4), (regime, family, key)
                checked += 1
    assert checked >= 3


def test_a_linear_production_game_has_unique_prices_and_no_degeneracy_note() -> None:
    """compute_stack (tests/test_sharing.py): the prices Owen's allocation uses (2 per unit
    of each target, 1 per unit of A's plant, 0 for the rest) are unique, so it carries no
    degeneracy note. (Some commodity balances are degenerate, which Owen does not use.)"""
    scenario = compute_stack()
    solution = solve(build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST)))
    prices = solution.prices
    owned = (PriceFamily.TARGET, PriceFamily.RESOURCE, PriceFamily.CAPACITY, PriceFamily.NEW_LIMIT)
    for family in owned:
        for key in prices.of(family):
            assert prices.unique(family, key), (family, key)
    assert prices.target[("A", "cap", "1")] == approx(2) and prices.capacity[
        ("A", "make", "1")
    ] == approx(1)
    owen = owen_allocation(scenario)
    assert not any("degenerate" in note for note in owen.notes)
    assert owen.costs == approx((0, 8, 4))


def test_owens_note_gives_each_varying_members_range_around_its_share() -> None:
    """The tutorial's grand coalition is degenerate with prices that are not unique: the
    note names each member whose share varies, with a range that holds its Owen share."""
    from planner.analysis.sharing import _contributions, _share_ranges

    scenario = planner.load(SCENARIOS / "tutorial_comparative_advantage.xlsx").scenario
    owen = owen_allocation(scenario)
    built = build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST))
    prices = solve(built).prices
    ranges = _share_ranges(prices, _contributions(built, scenario.members))
    (note,) = [n for n in owen.notes if "degenerate" in n]
    for member, cost in zip(owen.players, owen.costs, strict=True):
        low, high = ranges[member]
        assert low - 1e-7 <= cost <= high + 1e-7
        assert f"{member} between {low:,.4g} and {high:,.4g}" in note
