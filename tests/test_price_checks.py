"""``SolveOptions.price_checks``: the cap on the re-solves that measure the two one-sided
prices of a degenerate LP (:func:`planner.model.solve._one_sided`).

The rule under test: the binding prices are walked limits first (the bottleneck families:
resources, capacities, new-capacity limits, links, budgets), then the others, each group
from the largest absolute price down (ties by family, then key); a price whose sides
HiGHS's ranging gives costs no re-solve and is always measured; any other is measured when
its re-solves fit in what is left of the budget, and is otherwise left whole in
:attr:`Prices.unchecked` (never measured on one side only), flagged in the price table with
a reading that says so. None checks every price.

Two degenerate scenarios, built on conftest's ``multi_layer`` (refine 2 ore + 1 power ->
wafer + gas at 1; fab wafer + 0.5 gas + 2 power -> 2 chips at 2; train 4 chips + 3 power
-> cap at 5; ore at 1, power at 0.5):

- ``exact``: ore 12, exactly what A's min_cost target of 3 needs (tests/test_prices.py).
  Its solver prices are the cheap side of each tie: ore 1, wafer 2 x 1 + 0.5 + 1 = 3.5,
  chip (3.5 + 2 x 0.5 + 2) / 2 = 3.25, cap 4 x 3.25 + 3 x 0.5 + 5 = 19.5 (the target too),
  the ore bound 0 (one unit less costs a shortfall: 245.125); power's balance (0.5 both
  ways: plenty of it is left) is the one price ranging settles alone.
- ``two_budgets``: max_capability, national. A has ore 8, exactly what its budget 39 buys
  (2 caps at 19.5); a second member B makes cap (weight 3) from coal at 1.5 a unit, with
  coal 4 and a budget of 6 = 4 x 1.5: both run out together. B's cap is worth 3, and
  HiGHS prices B's budget at 2 (3 / 1.5: the side of one unit less), larger than any
  price of A's (at most 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from conftest import edit, multi_layer
from pytest import approx

import planner.model.solve as solve_module
from planner.model.build import build, setting_for
from planner.model.families import PriceFamily
from planner.model.results import tabulate
from planner.model.solve import Prices, Solution, SolveOptions, solve
from planner.scenario.edits import with_records
from planner.scenario.schema import Mode, Regime, Scenario

Item = tuple[PriceFamily, tuple[str, ...]]

BALANCE, RESOURCE, BUDGET, TARGET = (
    PriceFamily.BALANCE,
    PriceFamily.RESOURCE,
    PriceFamily.BUDGET,
    PriceFamily.TARGET,
)


def exact() -> Scenario:
    return edit(multi_layer(), "resources", ("A", "ore"), available=12)


def two_budgets() -> Scenario:
    return with_records(
        edit(multi_layer(), "resources", ("A", "ore"), available=8),
        {
            "Countries": [{"country": "B", "member": True, "budget": 6}],
            "Commodities": [{"commodity": "coal", "kind": "resource"}],
            "Processes": [{"process": "make"}],
            "Recipe": [
                {"process": "make", "commodity": "coal", "role": "input", "amount": 1},
                {"process": "make", "commodity": "cap", "role": "output", "amount": 1},
            ],
            "Resources": [{"country": "B", "commodity": "coal", "available": 4}],
            "Capacity": [{"country": "B", "process": "make", "existing": 100, "cost": 1.5}],
            "Targets": [{"country": "B", "commodity": "cap", "amount": 0, "weight": 3}],
        },
    )


RUNS: dict[str, tuple[Callable[[], Scenario], Mode]] = {
    "exact": (exact, Mode.MIN_COST),
    "two_budgets": (two_budgets, Mode.MAX_CAPABILITY),
}


@pytest.fixture(name="re_solves")
def _re_solves(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every re-solve :func:`_one_sided` makes, recorded as it is made."""
    made: list[Any] = []
    real = solve_module._resolve

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "_resolve", counted)
    yield made


def solved(name: str, checks: int | None) -> tuple[Scenario, Solution]:
    make, mode = RUNS[name]
    scenario = make()
    setting = setting_for(scenario, Regime.NATIONAL, mode)
    solution = solve(build(scenario, setting), SolveOptions(price_checks=checks))
    assert solution.prices.degenerate
    return scenario, solution


def price_of(prices: Prices, item: Item) -> float:
    family, key = item
    return prices.target[key] if family is TARGET else prices.of(family)[key]


def largest_first(prices: Prices, items: set[Item]) -> list[Item]:
    """The order of the rule: the limits (the bottleneck families) first, then the other
    prices; within each, the largest absolute price first, ties by family then key."""
    limits = PriceFamily.limits()
    return sorted(
        items, key=lambda item: (item[0] not in limits, -abs(price_of(prices, item)), item)
    )


# --- (a) no cap ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RUNS)
def test_without_a_cap_every_price_is_measured_as_with_a_large_budget(name: str) -> None:
    _, unlimited = solved(name, None)
    _, large = solved(name, 10_000)
    _, default = solved(name, SolveOptions().price_checks)
    assert unlimited.prices.unchecked == large.prices.unchecked == frozenset()
    assert unlimited.prices.sides == large.prices.sides == default.prices.sides
    assert len(unlimited.prices.sides) >= 7


def test_the_measured_sides_are_the_hand_derived_ones() -> None:
    """exact's ore: one more unit saves nothing, one less costs a shortfall (245.125)."""
    _, unlimited = solved("exact", None)
    prices = unlimited.prices
    assert prices.one_sided(RESOURCE, ("A", "ore", "1")) == approx((0.0, 245.125), abs=1e-4)
    assert prices.one_sided(BALANCE, ("A", "power", "1")) == approx((0.5, 0.5))
    assert prices.checked(RESOURCE, ("A", "ore", "1"))


# --- (b) a budget of 0 ------------------------------------------------------------------------


@pytest.mark.parametrize("name", RUNS)
def test_with_no_checks_every_price_that_needs_a_re_solve_is_unchecked(
    name: str, re_solves: list[Any]
) -> None:
    """Every price measured without a cap is either settled by ranging (measured the same
    with no checks) or unchecked: no sides, ``checked`` False, and no re-solve made."""
    _, unlimited = solved(name, None)
    needed = len(re_solves)
    re_solves.clear()
    _, none = solved(name, 0)
    assert re_solves == [] and needed > 0
    unchecked, sides = none.prices.unchecked, none.prices.sides
    assert unchecked and unchecked.isdisjoint(sides)
    assert unchecked | set(sides) == set(unlimited.prices.sides)
    for item in sides:
        assert sides[item] == unlimited.prices.sides[item]
    for family, key in unchecked:
        assert none.prices.one_sided(family, key) is None
        assert not none.prices.checked(family, key)
        assert unlimited.prices.checked(family, key)


def row_of(table: pd.DataFrame, item: Item) -> pd.Series:
    """The price table's row for a price (a budget's row is its group's, item ``budget``)."""
    family, key = item
    name = "budget" if family is BUDGET else key[1]
    hits = table.loc[
        (table["family_id"] == family)
        & (table["country"] == key[0])
        & (table["item"] == name)
        & (table["period"] == key[-1])
    ]
    assert len(hits) == 1, item
    return hits.iloc[0]


@pytest.mark.parametrize("name", RUNS)
def test_an_unchecked_price_is_flagged_and_its_reading_says_so(name: str) -> None:
    """Each unchecked price's row is flagged, says it was not checked, and gives its solver
    price as both sides; no other row says so, and without a cap none does."""
    scenario, none = solved(name, 0)
    setting = setting_for(scenario, Regime.NATIONAL, RUNS[name][1])
    table = tabulate(scenario, setting, none).prices
    for item in none.prices.unchecked:
        row = row_of(table, item)
        assert bool(row["may_not_be_unique"]), item
        assert "not checked by re-solving" in row["reading"], item
        assert "so this price may not be unique" in row["reading"], item
        assert row["more"] == row["less"] == row["value"], item
    said = table["reading"].str.contains("not checked")
    assert int(said.sum()) == len(none.prices.unchecked)
    _, unlimited = solved(name, None)
    full = tabulate(scenario, setting, unlimited).prices
    assert not full["reading"].str.contains("not checked").any()
    assert set(full.loc[full["may_not_be_unique"], "reading"]) != set()


# --- (c) a budget of k ------------------------------------------------------------------------


def test_exact_checks_its_limits_first_then_its_largest_prices(re_solves: list[Any]) -> None:
    """Each of exact's six prices that need a re-solve needs one (six in all), so a budget
    of k checks the first k of the rule's order: the one limit, ore's bound (0), first;
    then cap's balance and target (19.5; balance before target), wafer 3.5, chip 3.25,
    ore's balance 1."""
    _, unlimited = solved("exact", None)
    assert len(re_solves) == 6
    _, none = solved("exact", 0)
    order = largest_first(none.prices, set(none.prices.unchecked))
    assert order == [
        (RESOURCE, ("A", "ore", "1")),
        (BALANCE, ("A", "cap", "1")),
        (TARGET, ("A", "cap", "1")),
        (BALANCE, ("A", "wafer", "1")),
        (BALANCE, ("A", "chip", "1")),
        (BALANCE, ("A", "ore", "1")),
    ]
    assert [price_of(none.prices, item) for item in order] == approx([0, 19.5, 19.5, 3.5, 3.25, 1])
    ranged = set(none.prices.sides)
    for k in range(len(order) + 1):
        re_solves.clear()
        _, capped = solved("exact", k)
        assert len(re_solves) == k
        assert set(capped.prices.sides) == ranged | set(order[:k]), k
        assert capped.prices.unchecked == set(order[k:]), k
        for item in order[:k]:
            assert capped.prices.sides[item] == unlimited.prices.sides[item]


TWO_BUDGETS_ORDER = [
    (BUDGET, ("B", "1")),
    (RESOURCE, ("A", "ore", "1")),
    (BUDGET, ("A", "1")),
    (RESOURCE, ("B", "coal", "1")),
    (BALANCE, ("B", "cap", "1")),
]
"""two_budgets' first five prices in the rule's order: the limits (the bottlenecks a report
lists), largest first (B's budget 2, A's ore 0.25, then A's budget and B's coal at 0, by
family and key), then the largest other price, B's cap (3)."""


def test_limits_are_checked_before_larger_prices(re_solves: list[Any]) -> None:
    """two_budgets: B's cap (3) is the largest price, but the four limits come first; a
    budget price is ranked by its own size (budget prices were once ranked as 0). Each of
    the first three needs one re-solve."""
    _, none = solved("two_budgets", 0)
    prices = none.prices
    assert price_of(prices, (BALANCE, ("B", "cap", "1"))) == approx(3)
    assert price_of(prices, (BUDGET, ("B", "1"))) == approx(2)
    order = largest_first(prices, set(prices.unchecked))
    assert order[:5] == TWO_BUDGETS_ORDER
    for k in (1, 2, 3):
        re_solves.clear()
        _, capped = solved("two_budgets", k)
        assert len(re_solves) == k
        assert set(capped.prices.sides) == set(order[:k]), k
    assert capped.prices.one_sided(BUDGET, ("B", "1")) == approx((0.0, 2.0), abs=1e-6)


def test_a_price_whose_re_solves_do_not_fit_is_left_whole(re_solves: list[Any]) -> None:
    """two_budgets makes 12 re-solves for 11 prices: B's coal bound (0; one unit less
    loses 3), fourth in the order, needs both sides re-solved. With a budget of 4 it is
    left unchecked rather than measured on one side, and the last re-solve goes to the next
    price, B's cap; with 5 it is measured and B's cap is not."""
    _, unlimited = solved("two_budgets", None)
    assert len(re_solves) == 12 and len(unlimited.prices.sides) == 11
    coal = (RESOURCE, ("B", "coal", "1"))
    cap = (BALANCE, ("B", "cap", "1"))
    assert unlimited.prices.sides[coal] == approx((0.0, 3.0), abs=1e-6)
    re_solves.clear()
    _, four = solved("two_budgets", 4)
    assert len(re_solves) == 4
    assert coal in four.prices.unchecked and coal not in four.prices.sides
    assert set(four.prices.sides) == {*TWO_BUDGETS_ORDER[:3], cap}
    re_solves.clear()
    _, five = solved("two_budgets", 5)
    assert len(re_solves) == 5
    assert set(five.prices.sides) == set(TWO_BUDGETS_ORDER[:4])
    assert five.prices.sides[coal] == approx((0.0, 3.0), abs=1e-6)


# --- (d) ranging alone ------------------------------------------------------------------------


def test_a_price_ranging_settles_is_measured_with_no_checks(re_solves: list[Any]) -> None:
    """exact's power balance: ranging gives both sides (0.5 each), so it costs no re-solve
    and is measured, and checked, whatever the budget."""
    power = (BALANCE, ("A", "power", "1"))
    for checks in (0, 1, None):
        re_solves.clear()
        _, capped = solved("exact", checks)
        assert capped.prices.sides[power] == approx((0.5, 0.5))
        assert capped.prices.checked(*power)
        assert power not in capped.prices.unchecked
    _, none = solved("exact", 0)
    assert set(none.prices.sides) == {power}
