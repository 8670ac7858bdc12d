"""Known optima of version 2 (DESIGN.md, "Periods", "Technology generations", "Sovereignty,
the world market and backstops"), each derived by hand in its docstring.

Every scenario is built in Python, small enough to solve on paper, and solved through
``planner.run`` (the same chain as ``planner run``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import RUNS, make_scenario
from pytest import approx

import planner
from planner.analysis.compare import Comparison
from planner.scenario.schema import (
    Budget,
    Capacity,
    Commodity,
    Country,
    Generation,
    Kind,
    Mode,
    Period,
    Process,
    RecipeLine,
    Regime,
    Resource,
    Role,
    Scenario,
    Target,
)

MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY
NATIONAL, COALITION, OPEN = Regime.NATIONAL, Regime.COALITION, Regime.OPEN


def periods(*years: int, length: int | None = None) -> tuple[Period, ...]:
    return tuple(Period(period=str(y), year=y, length=length) for y in years)


def line(process: str, commodity: str, role: Role, amount: float = 1.0) -> RecipeLine:
    return RecipeLine(process=process, commodity=commodity, role=role, amount=amount)


def one_builder(**capacity: Any) -> dict[str, Any]:
    """One member A, whose capability comes from a data centre it must build."""
    return {
        "name": "builder",
        "shortfall_penalty": 1000,
        "countries": (Country(country="A", name="A", member=True),),
        "commodities": (Commodity(commodity="cap", kind=Kind.CAPABILITY),),
        "processes": (Process(process="dc", layer="dc"),),
        "recipe": (line("dc", "cap", Role.OUTPUT),),
        "capacity": (Capacity(country="A", process="dc", max_new=10, new_cost=100, **capacity),),
    }


def test_capacity_built_once_is_carried_over() -> None:
    """Periods 2026 and 2028 of two years, a target of 1 a year in each, rate 0.

    A build of 1 started in 2026 (no lifetime, no lead time) serves both periods for 100;
    building in each period would cost 200, and any shortfall 1000 a unit-year. So the
    objective is 100, new capacity 1 in 2026 and 0 in 2028; total capability 2 x 1 + 2 x 1
    = 4; the period figures put the whole 100 in 2026.
    """
    scenario = Scenario(
        **one_builder(),
        periods=periods(2026, 2028),
        targets=(Target(country="A", commodity="cap", amount=1),),
    )
    run = planner.run(scenario, modes=[MIN], regimes=[NATIONAL]).run(MIN, NATIONAL)
    assert run.objective == approx(100)
    assert run.total_cost == approx(100)
    assert run.total_capability == approx(4)
    new = run.production.set_index("period")["new"]
    assert new.to_dict() == approx({"2026": 1, "2028": 0})
    assert run.periods.set_index("period")["cost"].to_dict() == approx({"2026": 100, "2028": 0})


def test_lifetime_lead_time_discounting_and_salvage_together() -> None:
    """Three one-year periods 2026-2028 (Y = 2029), rate 10%, targets of 1 in 2027 and 2028.

    The data centre takes a year to build (lead_time 1) and lasts 3 years, costs 100 to
    build and 1 a unit-year to run. Started in 2026 it is active in 2027 and 2028 (and
    would be in 2029, past the horizon): salvage share sigma = (2026 + 1 + 3 - 2029) / 3 =
    1/3, credited at D(2029) = 1.1^-3. Started in 2027 it misses 2027's target, which costs
    1000 x 1.1^-1 > 100. So: build 1 in 2026, objective = 100 - (100 / 3) x 1.1^-3 +
    1 x 1.1^-1 + 1 x 1.1^-2; undiscounted total cost 100 + 1 + 1 = 102.
    """
    scenario = Scenario(
        **one_builder(lifetime=3, lead_time=1, cost=1),
        periods=periods(2026, 2027, 2028),
        discount_rate=0.1,
        targets=(
            Target(country="A", commodity="cap", amount=1, period="2027"),
            Target(country="A", commodity="cap", amount=1, period="2028"),
        ),
    )
    run = planner.run(scenario, modes=[MIN], regimes=[NATIONAL]).run(MIN, NATIONAL)
    expected = 100 - 100 / 3 * 1.1**-3 + 1.1**-1 + 1.1**-2
    assert run.objective == approx(expected)
    assert run.total_cost == approx(102)
    assert run.total_shortfall == approx(0)
    new = run.production.set_index("period")["new"].to_dict()
    assert new == approx({"2026": 1, "2027": 0, "2028": 0})


def test_per_period_budgets_bind_spend_in_each_period() -> None:
    """Two periods of two years; capability from power at 1 a unit; budget 2 a year in 2026
    (Countries) and 5 a year in 2028 (Budgets).

    max_capability: spend in 2026 = 2 x deliver <= 2 x 2, so 2 a year; in 2028 5 a year. The
    objective (rate 0) is 2 x 2 + 2 x 5 = 14, capability 14, cost 14.
    """
    scenario = Scenario(
        name="budgets",
        countries=(Country(country="A", name="A", member=True, budget=2),),
        commodities=(
            Commodity(commodity="power", kind=Kind.RESOURCE),
            Commodity(commodity="cap", kind=Kind.CAPABILITY),
        ),
        resources=(Resource(country="A", commodity="power", available=100, cost=1),),
        processes=(Process(process="dc", layer="dc"),),
        recipe=(line("dc", "power", Role.INPUT), line("dc", "cap", Role.OUTPUT)),
        capacity=(Capacity(country="A", process="dc", existing=100),),
        targets=(Target(country="A", commodity="cap", amount=0),),
        periods=periods(2026, 2028),
        budgets=(Budget(country="A", period="2028", budget=5),),
    )
    run = planner.run(scenario, modes=[MAX], regimes=[NATIONAL]).run(MAX, NATIONAL)
    assert run.objective == approx(14)
    assert run.total_capability == approx(14)
    assert run.total_cost == approx(14)
    yearly = run.periods.set_index("period")["capability"].to_dict()
    assert yearly == approx({"2026": 2, "2028": 5})


def test_one_year_periods_with_one_year_lifetimes_are_t_times_version_1() -> None:
    """Each of T = 3 one-year periods repeats version 1's problem: builds last one year
    (lifetime 1, so each period builds anew, and none outlives the horizon: no salvage), the
    rate is 0, and every row holds in every period. Each objective is 3 x version 1's."""
    base = make_scenario(
        countries={"A": {"budget": 30}, "B": {"budget": 5}, "X": {"member": False}},
        commodities={
            "ore": {"kind": "resource", "tradable": True, "trade_cost": 1},
            "chip": {"kind": "product", "tradable": True, "trade_cost": 0.5},
            "cap": {"kind": "capability"},
        },
        resources={("A", "ore"): {"available": 4, "cost": 1}, ("X", "ore"): {"available": 9}},
        recipe={"fab": {"ore": -2, "chip": 1}, "train": {"chip": -1, "cap": 1}},
        capacity={
            ("A", "fab"): {"existing": 1, "cost": 2, "max_new": 5, "new_cost": 3, "fixed_cost": 4},
            ("A", "train"): {"existing": 9, "cost": 1},
            ("B", "train"): {"max_new": 4, "new_cost": 2},
        },
        targets={("A", "cap"): {"amount": 3}, ("B", "cap"): {"amount": 2, "weight": 2}},
        links={("X", "A", "*"): {"allowed": True}},
    )
    once = planner.run(base)
    data = base.model_dump()
    data["periods"] = [{"period": str(y), "year": y} for y in (2026, 2027, 2028)]
    for row in data["capacity"]:
        row["lifetime"] = 1
    thrice = planner.run(Scenario.model_validate(data))
    for mode, regime in RUNS:
        one, three = once.run(mode, regime), thrice.run(mode, regime)
        assert three.objective == approx(3 * one.objective), (mode, regime)
        assert three.total_capability == approx(3 * one.total_capability), (mode, regime)


def test_one_period_with_any_rate_is_version_1() -> None:
    """One period of one year: ``D(y_1) = 1`` and ``w_1 = 1`` whatever the rate, so a Periods
    sheet with one row and a discount rate of 30% changes no objective (to 1e-9)."""
    base = make_scenario(
        countries={"A": {"budget": 10}, "B": {"budget": 3}},
        commodities={
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": {"kind": "capability"},
        },
        recipe={"fab": {"chip": 1}, "train": {"chip": -1, "cap": 1}},
        capacity={
            ("A", "fab"): {"existing": 2, "cost": 1, "max_new": 3, "new_cost": 2, "min_new": 1},
            ("B", "train"): {"existing": 5, "cost": 1},
            ("A", "train"): {"existing": 1, "cost": 3},
        },
        targets={("A", "cap"): {"amount": 2}, ("B", "cap"): {"amount": 2}},
    )
    once = planner.run(base)
    again = planner.run(base.model_copy(update={"periods": periods(2030), "discount_rate": 0.3}))
    for mode, regime in RUNS:
        got, want = again.run(mode, regime).objective, once.run(mode, regime).objective
        assert got == approx(want, rel=1e-9, abs=1e-9), (mode, regime)


def window_and_generations() -> Scenario:
    """Members A and B; 2026 and 2028, two years each. Capability comes from a data centre
    fed with either chip7 (generation N7, frontier 2020) or chip3 (N3, frontier 2027).

    A runs an N7 fab (existing 5, cost 10 a chip) everywhere; the N3 fab can only be built
    from 2028 (available_from 2028), by A, for 1 per unit of capacity, and then makes chips
    at no cost. B has only data centres. Chips trade at no cost within the coalition.
    Targets: 1 a year for each member in each period; penalty 1000.
    """
    return Scenario(
        name="generations",
        shortfall_penalty=1000,
        countries=(
            Country(country="A", name="A", member=True),
            Country(country="B", name="B", member=True),
        ),
        commodities=(
            Commodity(commodity="chip7", kind=Kind.PRODUCT, tradable=True, generation="N7"),
            Commodity(commodity="chip3", kind=Kind.PRODUCT, tradable=True, generation="N3"),
            Commodity(commodity="cap", kind=Kind.CAPABILITY),
        ),
        processes=(
            Process(process="fab7", layer="fab"),
            Process(process="fab3", layer="fab", available_from=2028),
            Process(process="dc7", layer="dc"),
            Process(process="dc3", layer="dc"),
        ),
        recipe=(
            line("fab7", "chip7", Role.OUTPUT),
            line("fab3", "chip3", Role.OUTPUT),
            line("dc7", "chip7", Role.INPUT),
            line("dc7", "cap", Role.OUTPUT),
            line("dc3", "chip3", Role.INPUT),
            line("dc3", "cap", Role.OUTPUT),
        ),
        capacity=(
            Capacity(country="A", process="fab7", existing=5, cost=10),
            Capacity(country="A", process="fab3", max_new=5, new_cost=1),
            Capacity(country="A", process="dc7", existing=5),
            Capacity(country="A", process="dc3", existing=5),
            Capacity(country="B", process="dc7", existing=5),
            Capacity(country="B", process="dc3", existing=5),
        ),
        targets=(
            Target(country="A", commodity="cap", amount=1),
            Target(country="B", commodity="cap", amount=1),
        ),
        generations=(
            Generation(generation="N7", frontier_year=2020),
            Generation(generation="N3", frontier_year=2027),
        ),
        periods=periods(2026, 2028),
    )


def test_a_process_available_only_later_and_the_lag_figures() -> None:
    """min_cost. In 2026 no N3 fab may be started (window from 2028): A makes N7 chips at 10
    each, for itself and (coalition) B; the frontier is N7, so both are 0 generations
    behind. In 2028 the frontier is N3; A builds 2 units of N3 capacity (cost 2) and both
    members use only chip3: 0 behind. National stacks: B has no fab at all, so it delivers
    nothing and uses no generation (null figures); A alone builds 1 unit in 2028.

    Coalition objective: 2026: 2 chips x 10 x 2 years = 40; 2028: 2 (the build) = 42.
    National: A: 1 x 10 x 2 + 1 = 21; B: shortfall 1 a year x 4 years x 1000 = 4000.
    """
    comparison = planner.run(window_and_generations(), modes=[MIN])
    coalition = comparison.run(MIN, COALITION)
    assert coalition.objective == approx(42)
    new = coalition.production.set_index(["process", "period"])["new"]
    assert new[("fab3", "2028")] == approx(2)
    assert ("fab3", "2026") not in new.index or new[("fab3", "2026")] == 0
    assert comparison.run(MIN, NATIONAL).objective == approx(4021)
    lags = coalition.periods.set_index(["country", "period"])
    assert lags.loc[("B", "2026"), "generations_behind"] == 0
    assert lags.loc[("B", "2028"), "generations_behind"] == 0
    national = comparison.run(MIN, NATIONAL).periods.set_index(["country", "period"])
    assert national.loc[("A", "2028"), "generations_behind"] == 0
    assert national["generations_behind"].isna().loc[("B", "2028")]
    document = comparison.to_json()
    coalition_json = next(r for r in document["runs"] if r["regime"] == "coalition")
    b = next(c for c in coalition_json["countries"] if c["country"] == "B")
    assert [p["generations_behind"] for p in b["periods"]] == [0, 0]


def test_a_member_that_cannot_build_the_new_node_stays_a_generation_behind() -> None:
    """As above, but fab3 may be built only by B... and B has no N7 fab: in national stacks A
    uses chip7 in 2028, when the frontier is N3 (2027): 1 generation behind, a node gap of
    2027 - 2020 = 7 years."""
    scenario = window_and_generations()
    capacity = [c for c in scenario.capacity if c.process != "fab3"]
    capacity.append(Capacity(country="B", process="fab3", max_new=5, new_cost=1))
    comparison = planner.run(scenario.model_copy(update={"capacity": tuple(capacity)}), modes=[MIN])
    national = comparison.run(MIN, NATIONAL).periods.set_index(["country", "period"])
    assert national.loc[("A", "2028"), "generations_behind"] == 1
    assert national.loc[("A", "2028"), "node_gap_years"] == 7
    assert national.loc[("A", "2026"), "generations_behind"] == 0


def lag_scenario(national_chips_2028: float) -> Scenario:
    """Members A and B, periods 2026 and 2028. A has data centres for 2 a year and chips of
    its own (1 a year in 2026, ``national_chips_2028`` in 2028: period rows); B has 10 chips
    a year and no data centre. Nothing costs anything; only A has a target (weight 1)."""
    return Scenario(
        name="lag",
        countries=(
            Country(country="A", name="A", member=True),
            Country(country="B", name="B", member=True),
        ),
        commodities=(
            Commodity(commodity="chip", kind=Kind.RESOURCE, tradable=True),
            Commodity(commodity="cap", kind=Kind.CAPABILITY),
        ),
        resources=(
            Resource(country="A", commodity="chip", available=1, period="2026"),
            Resource(country="A", commodity="chip", available=national_chips_2028, period="2028"),
            Resource(country="B", commodity="chip", available=10),
        ),
        processes=(Process(process="dc", layer="dc"),),
        recipe=(line("dc", "chip", Role.INPUT), line("dc", "cap", Role.OUTPUT)),
        capacity=(Capacity(country="A", process="dc", existing=2),),
        targets=(Target(country="A", commodity="cap", amount=0),),
        periods=periods(2026, 2028),
    )


def lags(comparison: Comparison) -> dict[tuple[str, str], tuple[float | None, bool]]:
    table = comparison.lags
    return {
        (r["country"], r["period"]): (None if pd.isna(r["years"]) else r["years"], r["reached"])
        for r in table.to_dict("records")
    }


def test_capability_lag_of_national_stacks_behind_the_coalition() -> None:
    """max_capability. Coalition: B's chips reach A, whose data centres cap it at 2 a year in
    both periods. National: A delivers 1 a year in 2026 and 2 in 2028 (its own chips).

    A, 2026: K_coal = 2; K_nat runs from 1 (2026) to 2 (2028) and reaches 2 in 2028: lag 2
    years. A, 2028: K_nat(2028) = 2 >= 2: tau = 2028, lag 0. B delivers nothing either way:
    K_nat(2026) = 0 >= 0, so tau = 2026: lag 0 in 2026 and -2 in 2028 (national stacks got
    there first)."""
    found = lags(planner.run(lag_scenario(3), modes=[MAX]))
    assert found[("A", "2026")] == (approx(2), True)
    assert found[("A", "2028")] == (approx(0), True)
    assert found[("B", "2028")] == (approx(-2), True)


def test_a_capability_lag_not_within_the_horizon() -> None:
    """As above with 1.5 chips a year for A in 2028: K_nat peaks at 1.5 < 2 = K_coal, so the
    lag is null with reached false in both periods, and the JSON says so."""
    comparison = planner.run(lag_scenario(1.5), modes=[MAX])
    found = lags(comparison)
    assert found[("A", "2026")] == (None, False)
    assert found[("A", "2028")] == (None, False)
    (headline,) = comparison.to_json()["headline"]
    entry = next(e for e in headline["lags"] if e["country"] == "A" and e["period"] == "2026")
    assert entry == {"country": "A", "period": "2026", "years": None, "reached": False}


def outside(scope: str, *, sovereign: bool = False, backstop: float | None = None) -> Scenario:
    """One member A whose data centre needs a chip it cannot make; non-member X makes chips
    at 1 each; the world market sells them at 2 x (1 + 0.5) = 3; penalty 100, target 1."""
    return Scenario(
        name="outside",
        shortfall_penalty=100,
        national_scope=scope,
        countries=(
            Country(country="A", name="A", member=True),
            Country(country="X", name="X", member=False),
        ),
        commodities=(
            Commodity(
                commodity="chip",
                kind=Kind.PRODUCT,
                tradable=True,
                world_price=2,
                world_premium=0.5,
                sovereign=sovereign,
                backstop_cost=backstop,
            ),
            Commodity(commodity="cap", kind=Kind.CAPABILITY),
        ),
        processes=(Process(process="fab", layer="fab"), Process(process="dc", layer="dc")),
        recipe=(
            line("fab", "chip", Role.OUTPUT),
            line("dc", "chip", Role.INPUT),
            line("dc", "cap", Role.OUTPUT),
        ),
        capacity=(
            Capacity(country="X", process="fab", existing=5, cost=1),
            Capacity(country="A", process="dc", existing=5),
        ),
        targets=(Target(country="A", commodity="cap", amount=1),),
    )


@pytest.mark.parametrize(
    ("scenario", "national", "coalition", "open_"),
    [
        # all: national stacks trade with nobody (shortfall, 100); the coalition buys from the
        # world (3; X is not a member and no Links row connects it); open buys from X (1)
        (outside("all"), 100, 3, 1),
        # declared: national stacks may use the world market for what is not sovereign
        (outside("declared"), 3, 3, 1),
        # a sovereign chip: neither national stacks nor the coalition may buy it abroad
        (outside("declared", sovereign=True), 100, 100, 1),
        # ... but a backstop at 10 serves every regime
        (outside("declared", sovereign=True, backstop=10), 10, 10, 1),
    ],
)
def test_world_market_sovereignty_and_backstops(
    scenario: Scenario, national: float, coalition: float, open_: float
) -> None:
    """min_cost objectives per regime, each derived in the case's comment."""
    comparison = planner.run(scenario, modes=[MIN])
    got = [comparison.run(MIN, r).objective for r in (NATIONAL, COALITION, OPEN)]
    assert got == approx([national, coalition, open_])


def test_world_imports_backstop_and_saving_without_penalty_in_the_json() -> None:
    """Scope all: national stacks pay the penalty of 100 and spend 0; the coalition buys 1
    chip from the world for 3. saving = 100 - 3 = 97; the penalty paid differs by 100, so
    saving_without_penalty = 97 - 100 = -3: without the penalty, the coalition spends 3 more.
    With a sovereign chip and a backstop the coalition's chip is 1 unit of backstop."""
    document = planner.run(outside("all"), modes=[MIN]).to_json()
    coalition = next(r for r in document["runs"] if r["regime"] == "coalition")
    assert coalition["world_imports"] == approx(1)
    assert coalition["backstop"] == approx(0)
    (headline,) = document["headline"]
    assert headline["saving"] == approx(97)
    assert headline["saving_without_penalty"] == approx(-3)
    backed = planner.run(outside("declared", sovereign=True, backstop=10), modes=[MIN])
    coalition = backed.run(MIN, COALITION)
    assert (coalition.world_imports, coalition.backstop) == (approx(0), approx(1))
    assert coalition.outside.to_dict("records")[0]["source"] == "backstop"
