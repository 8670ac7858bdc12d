"""The Summary's answer: each sentence states figures the comparison's tables hold, the
sensitivity rows are true re-solves, and the warnings appear exactly where they apply."""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.analysis.compare import Comparison
from planner.scenario.schema import (
    Capacity,
    Commodity,
    Country,
    Mode,
    Process,
    RecipeLine,
    Regime,
    Resource,
    Scenario,
    Target,
)

TUTORIAL = Path(__file__).resolve().parent.parent / "scenarios/tutorial_comparative_advantage.xlsx"


def money(value: float) -> str:
    return f"{value:,.2f}"


@pytest.fixture(scope="module")
def tutorial() -> Comparison:
    return planner.run(TUTORIAL)


def test_each_sentence_states_the_tables_figures(tutorial: Comparison) -> None:
    summary = tutorial.summary.set_index(["mode", "regime"])
    head = tutorial.headline.set_index("mode")
    answer = tutorial.answer
    first = answer[0]
    for regime in Regime:
        row = summary.loc[("min_cost", regime.value)]
        for measure in ("capability", "objective", "cost", "penalty"):
            assert money(row[measure]) in first, (regime, measure)
    # Who can produce alone: the members whose national stack delivers capability.
    national = tutorial.run(Mode.MIN_COST, Regime.NATIONAL).countries
    alone = national.loc[national["member"] & (national["capability"] > 0), "country"].tolist()
    assert alone == ["ORELAND"]
    assert "1 of 2 members deliver capability on their own (ORELAND)." in answer
    saving = next(s for s in answer if s.startswith("The coalition saves"))
    minimum = head.loc["min_cost"]
    assert money(minimum["saving"]) in saving and f"({minimum['saving_fraction']:.0%})" in saving
    assert money(minimum["penalty_saving"]) in saving and money(minimum["spend_saving"]) in saving
    assert money(minimum["saving_half_penalty"]) in saving
    assert money(minimum["saving_double_penalty"]) in saving
    rates = next(s for s in answer if "max_capability" in s and "bought" in s)
    for regime in Regime:
        rate = summary.loc[("max_capability", regime.value), "capability_per_money"]
        assert f"{rate:,.4g} per USD bn spent" in rates
    gains = tutorial.member_gains
    assert gains.set_index("country").loc["ORELAND", "loses_in"] == "max_capability"
    assert (
        "In max_capability, 1 of 2 members get more capability in the coalition than alone; "
        "1 loses (ORELAND)." in answer
    )


def test_the_sensitivity_rows_are_re_solves(tutorial: Comparison) -> None:
    """The tutorial at penalty 50: national pays 3,000 of penalty (60 units short) and
    spends 480; the coalition meets every target for 470. Halving the penalty halves the
    national penalty (1,500, saving 1,510); doubling it doubles it (6,000, saving 6,010)."""
    head = tutorial.headline.set_index("mode").loc["min_cost"]
    assert head["saving_half_penalty"] == pytest.approx(1510)
    assert head["saving_double_penalty"] == pytest.approx(6010)
    for factor, column in ((0.5, "saving_half_penalty"), (2.0, "saving_double_penalty")):
        edited = tutorial.scenario.model_copy(
            update={"shortfall_penalty": factor * tutorial.scenario.shortfall_penalty}
        )
        again = planner.run(edited, modes=["min_cost"], sensitivity_runs=False)
        assert again.headline.loc[0, "saving"] == pytest.approx(head[column])
    assert head["saving"] == pytest.approx(head["spend_saving"] + head["penalty_saving"])


def test_max_capability_has_no_saving_but_capability_per_money(tutorial: Comparison) -> None:
    head = tutorial.headline.set_index("mode").loc["max_capability"]
    assert head[["saving", "saving_fraction", "spend_saving"]].isna().all()
    coalition = tutorial.run(Mode.MAX_CAPABILITY, Regime.COALITION)
    expected = coalition.total_capability / coalition.total_cost
    assert head["capability_per_money_coalition"] == pytest.approx(expected)


def test_a_saving_that_is_mostly_avoided_penalty_is_said_so(tutorial: Comparison) -> None:
    assert any("Most of the saving (3,000.00 of 3,010.00" in c for c in tutorial.caveats)


def one_member(penalty: float, *, budget: float = 100, build: bool = False) -> Scenario:
    """One member A: ore at 10 a unit (20 available), one unit of ore makes one unit of
    capability at no further cost; target 5.

    A unit of capability costs 10. With a penalty below 10, leaving the target unmet is
    cheapest in every regime; max_capability buys 10 units with the budget of 100, at 10 a
    unit on average, so a penalty above 10 makes min_cost meet the target.
    """
    capacity = (
        Capacity(country="A", process="make", max_new=20, fixed_cost=1)
        if build
        else Capacity(country="A", process="make", existing=20)
    )
    return Scenario(
        name="cheap_penalty",
        shortfall_penalty=penalty,
        countries=(Country(country="A", name="A", member=True, budget=budget),),
        commodities=(
            Commodity(commodity="ore", kind="resource"),
            Commodity(commodity="cap", kind="capability"),
        ),
        resources=(Resource(country="A", commodity="ore", available=20, cost=10),),
        processes=(Process(process="make", layer="make"),),
        recipe=(
            RecipeLine(process="make", commodity="ore", role="input", amount=1),
            RecipeLine(process="make", commodity="cap", role="output", amount=1),
        ),
        capacity=(capacity,),
        targets=(Target(country="A", commodity="cap", amount=5),),
    )


def test_a_penalty_below_the_unit_cost_gets_the_hint_and_the_hint_is_true() -> None:
    result = planner.run(one_member(penalty=5))
    assert result.summary.loc[result.summary["mode"] == "min_cost", "capability"].eq(0).all()
    hint = [c for c in result.caveats if c.startswith("Every regime delivers nothing")]
    assert len(hint) == 1
    assert "shortfall penalty (5.00 USD bn per unit)" in hint[0]
    assert "10.00 USD bn per unit on average" in hint[0]
    assert "`shortfall_penalty`" in hint[0] and "above that" in hint[0]
    fixed = planner.run(one_member(penalty=10.01), modes=["min_cost"])
    assert fixed.summary["capability"].eq(5).all()
    assert not any(c.startswith("Every regime") for c in fixed.caveats)


def test_without_a_plan_that_makes_capability_the_hint_says_both_causes() -> None:
    result = planner.run(one_member(penalty=5, budget=0))
    hint = [c for c in result.caveats if c.startswith("Every regime delivers nothing")]
    assert len(hint) == 1
    assert "`planner validate`" in hint[0] and "higher `shortfall_penalty`" in hint[0]


def test_with_build_decisions_the_hint_says_the_average_is_only_a_guide() -> None:
    result = planner.run(one_member(penalty=5, build=True))
    (hint,) = [c for c in result.caveats if c.startswith("Every regime delivers nothing")]
    assert "build decisions" in hint


def test_national_stacks_that_deliver_nothing_are_warned_about() -> None:
    """Two members: A has ore but no process, B a process but no ore; alone neither makes
    anything, together they meet both targets."""
    scenario = Scenario(
        name="apart",
        shortfall_penalty=100,
        countries=(
            Country(country="A", name="A", member=True, budget=100),
            Country(country="B", name="B", member=True, budget=100),
        ),
        commodities=(
            Commodity(commodity="ore", kind="resource", tradable=True),
            Commodity(commodity="cap", kind="capability"),
        ),
        resources=(Resource(country="A", commodity="ore", available=20, cost=1),),
        processes=(Process(process="make", layer="make"),),
        recipe=(
            RecipeLine(process="make", commodity="ore", role="input", amount=1),
            RecipeLine(process="make", commodity="cap", role="output", amount=1),
        ),
        capacity=(Capacity(country="B", process="make", existing=20),),
        targets=(
            Target(country="A", commodity="cap", amount=2),
            Target(country="B", commodity="cap", amount=3),
        ),
    )
    result = planner.run(scenario)
    caveats = result.caveats
    assert any(
        c.startswith("National stacks deliver no capability at all in min_cost") for c in caveats
    )
    assert any(c.startswith("National stacks buy no capability at all") for c in caveats)
    assert "No member delivers any capability on its own." in result.answer
    assert any(c.startswith("All of the saving is shortfall penalty avoided") for c in caveats)
    # The tutorial's national stacks deliver: no such warning there.
    assert not any("deliver no capability" in c for c in planner.run(TUTORIAL).caveats)


def test_the_parts_of_a_discounted_saving_add_up() -> None:
    """Two one-year periods at a discount rate of 0.1: the objective is discounted, so the
    undiscounted spend difference is no part of the saving. The sentence, the terminal and
    the report split the saving into the penalty avoided and ``saving_without_penalty``
    (discounted cost), which add up to it, and name the second part as discounted."""
    scenario = planner.load(TUTORIAL).scenario
    two = planner.with_rows(
        scenario, "Periods", {"period": "2030", "year": 2030}, {"period": "2031", "year": 2031}
    )
    comparison = planner.run(planner.with_setting(two, "discount_rate", 0.1))
    assert not comparison.spend_is_cost
    head = comparison.headline.set_index("mode").loc["min_cost"]
    assert head["saving_without_penalty"] + head["penalty_saving"] == pytest.approx(head["saving"])
    assert head["spend_saving"] != pytest.approx(head["saving_without_penalty"])
    saving = next(s for s in comparison.answer if s.startswith("The coalition saves"))
    assert money(abs(head["saving_without_penalty"])) in saving
    assert "discounted cost" in saving
    from planner.cli.main import format_comparison

    text = format_comparison(comparison)
    assert f"discounted cost {money(head['saving_without_penalty'])}" in text


def test_the_targets_are_counted_over_the_horizon_as_capability_is() -> None:
    """Periods of two and three years, ORELAND's target of 40 for every period and
    CHIPLAND's 60 only from 2032 at 90: the targets over the horizon are
    (40 + 60) x 2 + (40 + 90) x 3 = 590, the unit the regimes' capability is stated in
    (per year times length), not the 190 the rows hold."""
    scenario = planner.load(TUTORIAL).scenario
    periods = planner.with_rows(
        scenario,
        "Periods",
        {"period": "2030", "year": 2030, "length": 2},
        {"period": "2032", "year": 2032, "length": 3},
    )
    later = planner.with_rows(
        periods,
        "Targets",
        {"country": "CHIPLAND", "commodity": "capability", "period": "2032", "amount": 90},
    )
    comparison = planner.run(later, modes=["min_cost"], sensitivity_runs=False)
    first = comparison.answer[0]
    assert first.startswith("To meet the members' targets of 590.00 units of capability")
    coalition = comparison.summary.set_index(["mode", "regime"]).loc[("min_cost", "coalition")]
    assert coalition["capability"] == pytest.approx(590.0)
    assert "delivers 590.00 at" in first
