"""The Version 2 oracle (tests/reference_v2.py) against optima derived by hand.

Every scenario lives in tests/v2_cases.py as plain tables; each test's docstring derives the
optimum it asserts. The first tests tie the oracle to version 1: with one period it gives
tests/test_reference.py's numbers on the hand-made scenarios of tests/conftest.py (and on
generated ones), and with T one-year periods and one-year lifetimes T times them. Those
v1 scenarios are converted to tables here from their Scenario objects, which are only this
test's input: the oracle itself never sees a planner object.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import test_reference as v1
import v2_cases as cases
from conftest import make_scenario
from hypothesis import given, settings
from reference_v2 import Outcome, Tables, capability_lags, reference
from test_properties import scenarios

Scenario = v1.Scenario
"""The v1 scenario object, taken from the v1 oracle so this file names no planner module."""


REGIMES = ("national", "coalition", "open")
SIX = [(mode, regime) for mode in ("min_cost", "max_capability") for regime in REGIMES]
SHEETS = {
    "countries": "Countries",
    "commodities": "Commodities",
    "resources": "Resources",
    "processes": "Processes",
    "recipe": "Recipe",
    "capacity": "Capacity",
    "targets": "Targets",
    "links": "Links",
}


def as_tables(scenario: Scenario) -> Tables:
    """A v1 Scenario's fields as plain tables, sheet and column names as DESIGN.md's."""
    data = scenario.model_dump(mode="json")
    tables: Tables = {sheet: data[field] for field, sheet in SHEETS.items()}
    tables["Scenario"] = [
        {"key": "name", "value": data["name"]},
        {"key": "shortfall_penalty", "value": data["shortfall_penalty"]},
    ]
    return tables


def repeated(tables: Tables, years: int) -> Tables:
    """The tables over ``years`` one-year periods, every build lasting one year."""
    out = dict(tables)
    out["Periods"] = [{"period": 2030 + t, "year": 2030 + t} for t in range(years)]
    out["Capacity"] = [{**row, "lifetime": 1} for row in tables["Capacity"]]
    return out


def v1_figures(scenario: Scenario, mode: str, regime: str) -> v1.Outcome:
    """tests/test_reference.py's oracle on one run."""
    return v1.reference(scenario, v1.Mode(mode), v1.Regime(regime))


def agree(got: Outcome, want: v1.Outcome, times: float = 1.0) -> list[str]:
    """Every figure where the v2 oracle differs from ``times`` the v1 oracle."""
    problems = []
    for name in ("objective", "total_cost", "total_capability", "total_shortfall"):
        a, b = getattr(got, name), times * getattr(want, name)
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6):
            problems.append(f"{name}: {a} != {b}")
    cost = {c: f.cost for c, f in got.countries.items()}
    expected = {c: times * v for c, v in want.cost.items()}
    if cost.keys() != expected.keys() or not all(
        math.isclose(cost[c], expected[c], rel_tol=1e-6, abs_tol=1e-6) for c in cost
    ):
        problems.append(f"country costs {cost} != {expected}")
    return problems


V1_KNOWN = v1.KNOWN


@pytest.mark.parametrize("builder", V1_KNOWN, ids=lambda b: b.__name__)
def test_one_period_equals_v1(builder: Callable[[], Scenario]) -> None:
    """Without any v2 sheet the model is v1's: all six runs, every total and country cost."""
    scenario = builder()
    tables = as_tables(scenario)
    problems = {
        f"{mode}/{regime}": agree(
            reference(tables, mode, regime), v1_figures(scenario, mode, regime)
        )
        for mode, regime in SIX
    }
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.parametrize("builder", V1_KNOWN, ids=lambda b: b.__name__)
def test_three_one_year_periods_are_three_times_v1(builder: Callable[[], Scenario]) -> None:
    """Three one-year periods, every build with a one-year lifetime and no discounting.

    Each period is then v1's model again (builds do not carry over, budgets and targets are
    per year, w_t = 1), and nothing links the periods, so every total is 3 times v1's.
    """
    scenario = builder()
    tables = repeated(as_tables(scenario), 3)
    problems = {
        f"{mode}/{regime}": agree(
            reference(tables, mode, regime), v1_figures(scenario, mode, regime), times=3
        )
        for mode, regime in SIX
    }
    assert {k: v for k, v in problems.items() if v} == {}


@settings(max_examples=15, deadline=None)
@given(data=scenarios())
def test_generated_one_period_scenarios_equal_v1(data: dict[str, Any]) -> None:
    """Every objective of generated v1 scenarios, as tests/test_reference.py compares them."""
    scenario = make_scenario(**data)
    tables = as_tables(scenario)
    for mode, regime in SIX:
        got = reference(tables, mode, regime)
        want = v1_figures(scenario, mode, regime)
        assert got.objective == pytest.approx(want.objective, rel=1e-6, abs=1e-6), (mode, regime)


def test_default_period_is_id_1_year_0_length_1() -> None:
    """Without a Periods sheet there is one period ``1``, year 0, length 1."""
    tables = as_tables(v1.shortfall_stack())
    (period,) = reference(tables, "min_cost", "coalition").periods
    assert (period.period, period.year) == ("1", 0)


def run(tables: Tables, mode: str = "min_cost") -> dict[str, Outcome]:
    """The three regimes of one mode."""
    return {regime: reference(tables, mode, regime) for regime in REGIMES}


def test_capacity_is_carried_over_between_periods() -> None:
    """Two one-year periods, target 5 a year; new capacity at 10, no lifetime, activity 1.

    Building 5 in 2026 serves both years: 5 x 10 + 2 x 5 x 1 = 60 (building each year
    would cost 110). Spend: 2026 is 50 + 5 = 55, 2027 is 5.
    """
    outcome = reference(cases.carry_over(), "min_cost", "coalition")
    assert outcome.objective == pytest.approx(60)
    assert [p.cost for p in outcome.periods] == pytest.approx([55, 5])
    assert outcome.new_capacity == pytest.approx(
        {("A", "make", "2026"): 5, ("A", "make", "2027"): 0}
    )
    assert outcome.total_capability == pytest.approx(10)


def test_lead_time_lifetime_discounting_and_salvage() -> None:
    """Periods 2030 and 2032, both two years long (the last one's length defaults to the
    previous one's), so the horizon ends Y = 2034; discount rate 0.1.

    ``D(y) = 1.1^-(y - 2030)``: ``w_1 = 1 + 1/1.1 = 1.909091``, ``w_2 = 1/1.21 + 1/1.331 =
    1.577761``, ``D(Y) = 1/1.4641``. Existing capacity is 2 in 2030 only (the period row
    overrides the blank row's existing, the other cells come from the blank row). With lead
    time 2 and lifetime 3, a build started in 2030 is active in 2032 (2032 <= y < 2035),
    one started in 2032 in no period (so it does not exist). Target 2 a year: build 2 in
    2030 at 10 each, paid at D(2030) = 1: 20. Salvage: sigma = (2030 + 2 + 3 - 2034) / 3 =
    1/3, credit 20/3 x D(Y) = 4.553424. Activity 2 a year at 1: 2 (w_1 + w_2) = 6.973704.
    Objective 20 + 6.973704 - 4.553424 = 22.420280. Undiscounted total cost without
    salvage: 2030 is 2 x 2 + 20 = 24, 2032 is 2 x 2 = 4; total 28; capability 2 x 2 + 2 x 2.
    """
    outcome = reference(cases.lead_lifetime_salvage(), "min_cost", "national")
    w1, w2, end = 1 + 1 / 1.1, 1 / 1.21 + 1 / 1.331, 1.1**-4
    assert outcome.objective == pytest.approx(20 + 2 * (w1 + w2) - 20 / 3 * end)
    assert outcome.objective == pytest.approx(22.420280, abs=1e-6)
    assert outcome.salvage == pytest.approx(20 / 3 * end)
    assert outcome.total_cost == pytest.approx(28)
    assert [(p.period, p.year, p.cost) for p in outcome.periods] == [
        ("2030", 2030, pytest.approx(24)),
        ("2032", 2032, pytest.approx(4)),
    ]
    assert outcome.total_capability == pytest.approx(8)
    assert outcome.new_capacity == pytest.approx({("A", "make", "2030"): 2})


def test_a_process_available_later_and_the_lag_behind_the_frontier() -> None:
    """Periods 2026 and 2028, two years each; fab3 (chip3, generation g3, frontier 2027)
    may be started from 2028; fab5 (chip5, g5, frontier 2020) is there from the start.

    A in 2026: only fab5, 4 a year at 3 for two years = 24. In 2028 it builds 4 fab3 at 1
    and runs them at 1 a year: 4 + 2 x 4 = 12 (fab5 would cost 24). B has no fab3: 24 + 24.
    National (and coalition, nothing is tradable) cost 36 + 48 = 84. Lags: the frontier is
    g5 in 2026 (g3 came in 2027), g3 in 2028. A uses g5 then g3: 0 behind in both. B uses
    g5 only: 0 behind in 2026; in 2028 one generation and 2027 - 2020 = 7 years behind.
    """
    outcomes = run(cases.window_generations())
    assert [o.objective for o in outcomes.values()] == pytest.approx([84, 84, 84])
    national = outcomes["national"]
    assert national.countries["A"].cost == pytest.approx(36)
    assert national.new_capacity == pytest.approx({("A", "fab3", "2028"): 4})
    lags = {(e.country, e.period): (e.generations_behind, e.node_gap_years) for e in national.lags}
    assert lags == {
        ("A", "2026"): (0, 0),
        ("A", "2028"): (0, 0),
        ("B", "2026"): (0, 0),
        ("B", "2028"): (1, 7),
    }


@pytest.mark.parametrize(
    ("scope", "national", "imports", "backstop"),
    [("all", 39, 0, 2), ("declared", 30, 2, 1)],
)
def test_world_market_sovereignty_and_backstops(
    scope: str, national: float, imports: float, backstop: float
) -> None:
    """One unit of cap needs a chip and a wafer. chip: A's fab at 5, the world at 2 x 1.5 =
    3, a backstop at 10. wafer (sovereign, tradable at 1): A's etch at 4, the world at 1, a
    backstop at 20.

    National, scope ``all`` (no world market): A 5 + 4 = 9; B has neither process, so both
    from backstops, 10 + 20 = 30; 39, with 2 backstop units. Scope ``declared``: chips from
    the world (not sovereign) at 3, wafers not (sovereign): A 3 + 4 = 7, B 3 + 20 = 23; 30,
    2 world units, 1 backstop unit. Coalition (either scope): chips from the world, B's
    wafer from A at 4 + 1: 7 + 8 = 15, 2 world units. Open: the sovereign wafer from the
    world too: 2 x (3 + 1) = 8, 4 world units.
    """
    outcomes = run(cases.world_market(scope))
    assert outcomes["national"].objective == pytest.approx(national)
    assert outcomes["national"].world_imports == pytest.approx(imports)
    assert outcomes["national"].backstop == pytest.approx(backstop)
    assert outcomes["coalition"].objective == pytest.approx(15)
    assert outcomes["coalition"].world_imports_by == pytest.approx(
        {("A", "chip"): 1, ("B", "chip"): 1}
    )
    assert outcomes["coalition"].backstop == pytest.approx(0)
    assert outcomes["open"].objective == pytest.approx(8)
    assert outcomes["open"].world_imports == pytest.approx(4)


def test_budgets_per_period_and_the_capability_lag() -> None:
    """max_capability, periods 2026, 2028, 2030 (two years each); B's budget per year 2, 6
    and 10; a chip costs 2 in B, 1 in A (shipped free); A has no target and no budget.

    National: B buys 1, 3 and 5 a year; objective 2 x (1 + 3 + 5) = 18, spend 2 x (2 + 6 +
    10) = 36. Coalition: the pooled budget buys A's chips: 2, 6, 10 a year; objective 36,
    spend 36. Capability lag of B: 2 (2026) is reached by the national line through (2026,
    1), (2028, 3), (2030, 5) in 2027: 1 year; 6 and 10 never (not reached). A delivers 0
    everywhere, reached already in 2026: lags 0, -2 and -4.
    """
    tables = cases.budgets_lag()
    national = reference(tables, "max_capability", "national")
    coalition = reference(tables, "max_capability", "coalition")
    assert national.objective == pytest.approx(18)
    assert national.total_cost == pytest.approx(36)
    assert [p.capability for p in national.periods] == pytest.approx([1, 3, 5])
    assert coalition.objective == pytest.approx(36)
    assert [p.cost for p in coalition.periods] == pytest.approx([4, 12, 20])
    lags = {
        (e.country, e.period): (e.years, e.reached)
        for e in capability_lags(national, coalition, tables)
    }
    assert lags == {
        ("A", "2026"): (pytest.approx(0), True),
        ("A", "2028"): (pytest.approx(-2), True),
        ("A", "2030"): (pytest.approx(-4), True),
        ("B", "2026"): (pytest.approx(1), True),
        ("B", "2028"): (None, False),
        ("B", "2030"): (None, False),
    }


def test_an_export_ban_from_a_period_on() -> None:
    """B needs 1 chip a year for three one-year periods: its own at 5, or A's at 1 plus the
    link. The A -> B chip row costs 0.5; its 2027 and 2028 rows ban it; the 2028 ``*`` row
    (cost 0.1) does not override the chip row.

    National: 3 x 5 = 15. Coalition: 2026 1 + 0.5, then 5 and 5: 11.5. Open (allowed is
    ignored, the chip row's cost applies in every period): 3 x 1.5 = 4.5.
    """
    outcomes = run(cases.export_ban())
    assert [o.objective for o in outcomes.values()] == pytest.approx([15, 11.5, 4.5])
    assert [p.cost for p in outcomes["coalition"].periods] == pytest.approx([1.5, 5, 5])


def test_period_rows_override_cell_by_cell_and_keys_exist_only_where_named() -> None:
    """make is built in 2026 only (its 2027 row has no max_new; make2's window closed in
    2025, so its free builds never exist); 3 new at 2 = 6 serve 2026 and 2027. ore costs 1
    in 2026 and, by its 2027 row, 3 in 2027 (10 still available from the blank row):
    2 + 9. In 2028 make has no row and cannot run on its 2026 build; make2's 2028 row runs
    its existing 1 at 5, plus ore at 1. Objective 6 + 2 + 9 + 6 = 23, no shortfall;
    spend per period 8, 9, 6; capability 2 + 3 + 1.
    """
    outcome = reference(cases.period_columns(), "min_cost", "national")
    assert outcome.objective == pytest.approx(23)
    assert [p.cost for p in outcome.periods] == pytest.approx([8, 9, 6])
    assert [p.capability for p in outcome.periods] == pytest.approx([2, 3, 1])
    assert outcome.total_shortfall == pytest.approx(0)
    assert set(outcome.new_capacity) == {("A", "make", "2026")}


@pytest.mark.parametrize(("target", "lag"), [(300, (1, 9)), (50, (0, 0))])
def test_a_generation_is_used_from_one_percent_of_use(
    target: float, lag: tuple[int, float]
) -> None:
    """The new generation's one free chip is used first; the rest are old chips. With a
    target of 300 the new chip is 1/300 < 1% of A's use of chips: A uses only the old
    generation, one behind the frontier (new, 2029 <= 2030), 2029 - 2020 = 9 years. With 50
    it is 2%: A uses the new one, 0 behind."""
    outcome = reference(cases.one_percent_use(target), "min_cost", "national")
    assert outcome.objective == pytest.approx(target - 1)
    (entry,) = outcome.lags
    assert (entry.period, entry.generations_behind, entry.node_gap_years) == ("y2030", *lag)


# Learning.


def learning_figures(outcome: Outcome) -> list[tuple[tuple[str, ...], str, float, float]]:
    """(pool, period, experience, multiplier) of every learning entry."""
    return [(e.pool, e.period, e.experience, e.multiplier) for e in outcome.learning]


def test_the_shared_learning_loop() -> None:
    """Two one-year periods; A and B each need 10 new a year (lifetime 1) at new_cost 8;
    experience 10 each, reference 20, progress ratio 0.5, so ``kmin = floor(log2(10/20)) =
    -1``: segments [10, 20) x2, [20, 40) x1, [40, 80) x0.5, ...

    National: each pool starts at 10 (x2): 10 x 8 x 2 = 160, then at 10 + 10 = 20 (x1): 80;
    240 each, 480. Coalition (and open): the pool starts at 20 (x1): 20 x 8 = 160, then at
    20 + 20 = 40 (x0.5): 80; 240. (Building ahead does not pay: lifetimes are one year.)
    """
    outcomes = run(cases.learning_loop())
    assert [o.objective for o in outcomes.values()] == pytest.approx([480, 240, 240])
    assert learning_figures(outcomes["coalition"]) == [
        (("A", "B"), "2026", pytest.approx(20), pytest.approx(1)),
        (("A", "B"), "2027", pytest.approx(40), pytest.approx(0.5)),
    ]
    assert learning_figures(outcomes["national"]) == [
        (("A",), "2026", pytest.approx(10), pytest.approx(2)),
        (("A",), "2027", pytest.approx(20), pytest.approx(1)),
        (("B",), "2026", pytest.approx(10), pytest.approx(2)),
        (("B",), "2027", pytest.approx(20), pytest.approx(1)),
    ]


@pytest.mark.parametrize(("spillover", "national"), [(1.0, 320), (0.5, 480)])
def test_spillover_to_national_stacks(spillover: float, national: float) -> None:
    """The shared loop with spillover s: a national pool starts at 10 + 10 s.

    s = 1: 20 (x1), 80, then 30 (x1), 80: 160 each, 320. s = 0.5: 15 (x2), 160, then 25
    (x1), 80: 240 each, 480. The coalition holds every country: 240 whatever s.
    """
    outcomes = run(cases.learning_loop(spillover=spillover))
    assert outcomes["national"].objective == pytest.approx(national)
    assert outcomes["coalition"].objective == pytest.approx(240)


def test_country_pools_in_the_coalition_learn_as_national_stacks() -> None:
    """``pool = country``: each country learns alone in every regime, and nothing is traded,
    so the coalition and open cost national stacks' 480."""
    outcomes = run(cases.learning_loop(pool="country"))
    assert [o.objective for o in outcomes.values()] == pytest.approx([480, 480, 480])


def test_learning_by_output_on_activity_cost() -> None:
    """Driver ``output`` on activity ``cost`` 8; periods 2026 and 2028, two years each.

    National: A's pool starts at 10 (x2): 10 a year x 8 x 2 x 2 years = 320; its experience
    is then 10 + 2 x 10 = 30 (x1): 160; 480 each, 960. Coalition: 20 (x1): 20 x 8 x 2 = 320,
    then 20 + 2 x 20 = 60 (x0.5): 160; 480. (Running more than needed does not pay: 5 more a
    year in A alone would cost 160 to save 80.)
    """
    outcomes = run(cases.learning_by_output())
    assert [o.objective for o in outcomes.values()] == pytest.approx([960, 480, 480])
    assert learning_figures(outcomes["coalition"])[1] == (
        ("A", "B"),
        "2028",
        pytest.approx(60),
        pytest.approx(0.5),
    )


def test_a_pool_above_the_top_breakpoint() -> None:
    """Experience 1000 each, max_doublings 2: B_kmax = 20 x 2^2 = 80 < 1000, so kmin = kmax
    = 2 and the multiplier is 0.5^2 = 0.25 throughout: 10 x 8 x 0.25 = 20 per member and
    period, 40 each; 80 in every regime."""
    outcomes = run(cases.learning_loop(initial=1000, max_doublings=2))
    assert [o.objective for o in outcomes.values()] == pytest.approx([80, 80, 80])
    multipliers = [e.multiplier for o in outcomes.values() for e in o.learning]
    assert multipliers == pytest.approx([0.25] * 8)


def test_one_period_learning_is_v1_with_scaled_costs() -> None:
    """One period: experience stays at 30, two steps per doubling, so the segment is
    ``k = floor(2 log2(30/20)) = 1`` and the multiplier ``0.5^(1/2)``. new_cost 8 becomes
    5.656854; the build of 10 (fixed_cost 4, not learnt) costs 56.568542 + 4 = 60.568542,
    and lifetime 4 on a one-year horizon salvages 3/4 of it, multiplied cost included:
    objective 60.568542 / 4 = 15.142136. The same tables without learning and new_cost
    8 x 0.5^(1/2) give the same figures.
    """
    learnt = run(cases.learning_single_period())
    scaled = run(cases.learning_single_period(learning=False, new_cost=8 * 0.5**0.5))
    for regime in REGIMES:
        assert learnt[regime].objective == pytest.approx(scaled[regime].objective)
        assert learnt[regime].total_cost == pytest.approx(scaled[regime].total_cost)
    assert learnt["coalition"].objective == pytest.approx((80 * 0.5**0.5 + 4) / 4)
    assert learnt["coalition"].total_cost == pytest.approx(80 * 0.5**0.5 + 4)
    assert learning_figures(learnt["national"]) == [
        (("A",), "1", pytest.approx(30), pytest.approx(0.5**0.5))
    ]


def test_learning_under_a_budget() -> None:
    """max_capability on the shared loop with a budget of 160 a year each.

    National: A builds 160 / 16 = 10 at x2, then at experience 20 (x1) 160 / 8 = 20:
    capability 30 each, 60, spend 640. Coalition: 320 at x1 buys 40, experience 60 (x0.5)
    then buys 320 / 4 = 80: capability 120; the budget binds in both years, spend 640
    (reaching 80 for x0.25 would need 60 built in 2026, 480 > 320).
    """
    outcomes = run(cases.learning_loop(budget=160), mode="max_capability")
    assert [o.objective for o in outcomes.values()] == pytest.approx([60, 120, 120])
    assert [o.total_cost for o in outcomes.values()] == pytest.approx([640, 640, 640])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["Experience"].clear(), "no experience"),
        (lambda t: t["Commodities"][0].update(world_price=1), "world price"),
        (lambda t: t["Targets"][0].update(period=2040), "names no Periods row"),
    ],
)
def test_what_the_contract_forbids_is_asserted(
    edit: Callable[[Tables], None], message: str
) -> None:
    """A learning pool without experience, a world price on a capability, a period that
    names no Periods row."""
    tables = cases.learning_loop()
    edit(tables)
    with pytest.raises(AssertionError, match=message):
        reference(tables, "min_cost", "coalition")
