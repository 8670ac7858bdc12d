"""Checks before solving: each check with a scenario that triggers it and one that does not.

Scenarios come from ``make_scenario`` (tests/conftest.py). The stack of most tests is
``fab`` (1 ore -> 1 chip) then ``train`` (1 chip -> 1 cap), with chip tradable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run
from pytest import approx
from workbooks import MINIMAL_SCENARIO, minimal_scenario_tables, set_cell, write_workbook

from planner.analysis.checks import FAMILY, check
from planner.errors import Problem
from planner.io.reader import read_workbook
from planner.io.validate import locate, validate
from planner.scenario.schema import Mode, Regime, Scenario
from planner.scenario.sheets import SCENARIO_KEYS, SHEETS, Cell

Where = tuple[str, int | None, str]

STACK = {"fab": {"ore": -1, "chip": 1}, "train": {"chip": -1, "cap": 1}}
COMMODITIES: dict[str, Any] = {
    "ore": "resource",
    "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
    "cap": "capability",
}


def stack(make_scenario: Any, **changes: Any) -> Scenario:
    """Members A and B: A has ore and a fab, B only trains; both have a target of 1 cap."""
    tables: dict[str, Any] = {
        "countries": ["A", "B"],
        "commodities": COMMODITIES,
        "recipe": STACK,
        "resources": {("A", "ore"): 10},
        "capacity": {
            ("A", "fab"): {"existing": 10},
            ("A", "train"): {"existing": 10},
            ("B", "train"): {"max_new": 10},
        },
        "targets": {("A", "cap"): 1, ("B", "cap"): 1},
    }
    tables.update(changes)
    return make_scenario(**tables)


def where(problems: tuple[Problem, ...]) -> list[Where]:
    return [(p.sheet, p.row, p.column) for p in problems]


def about(problems: tuple[Problem, ...], text: str) -> list[Problem]:
    """The problems whose message contains ``text``."""
    return [p for p in problems if text in p.message]


# --- targets no process makes ---------------------------------------------------------------


def test_a_target_no_process_makes_is_reported_once(make_scenario: Any) -> None:
    scenario = stack(
        make_scenario,
        commodities={**COMMODITIES, "insight": "capability"},
        targets={("A", "cap"): 1, ("B", "insight"): 2},
    )
    problems = check(scenario)
    assert where(problems) == [("Targets", None, "commodity")]
    message = problems[0].message
    assert "no process makes `insight`" in message and "`B`" in message
    assert "add a process with `insight` as its output in Recipe" in message


def test_a_target_some_process_makes_is_not_reported_as_unmade(make_scenario: Any) -> None:
    assert about(check(stack(make_scenario)), "no process makes") == []


# --- reachability ---------------------------------------------------------------------------


def test_a_member_that_needs_trade_is_told_it_cannot_reach_its_target_alone(
    make_scenario: Any,
) -> None:
    problems = check(stack(make_scenario))
    assert where(problems) == [("Targets", None, "country")]
    message = problems[0].message
    assert message.startswith("`B` cannot make any `cap` on its own")
    assert "`chip` (made by `fab`, with no capacity in `B`)" in message
    assert "the coalition can supply it through trade" in message


def test_a_self_sufficient_coalition_gets_no_reachability_warning(make_scenario: Any) -> None:
    scenario = stack(
        make_scenario,
        resources={("A", "ore"): 10, ("B", "ore"): 1},
        capacity={
            ("A", "fab"): {"existing": 10},
            ("A", "train"): {"existing": 10},
            ("B", "fab"): {"max_new": 1},
            ("B", "train"): {"max_new": 10},
        },
    )
    assert check(scenario) == ()


def test_a_banned_link_leaves_the_member_unable_to_reach_its_target(make_scenario: Any) -> None:
    scenario = stack(make_scenario, links={("A", "B", "*"): {"allowed": False}})
    (problem,) = check(scenario)
    assert (problem.sheet, problem.column) == ("Targets", "country")
    assert problem.message.startswith(
        "`B` cannot obtain any `cap`, alone or with its coalition partners"
    )
    assert "`chip` (made by `fab`, with no capacity in `B`)" in problem.message
    assert "the open world reaches it through trade the coalition does not allow" in (
        problem.message
    )


def test_a_link_of_capacity_zero_carries_nothing(make_scenario: Any) -> None:
    scenario = stack(make_scenario, links={("A", "B", "chip"): {"capacity": 0}})
    assert about(check(scenario), "alone or with its coalition partners") != []


def test_a_commodity_that_is_not_tradable_does_not_reach_partners(make_scenario: Any) -> None:
    scenario = stack(
        make_scenario, commodities={**COMMODITIES, "chip": {"kind": "product", "tradable": False}}
    )
    assert about(check(scenario), "alone or with its coalition partners") != []


def test_a_link_from_a_non_member_lets_a_member_reach_its_target(make_scenario: Any) -> None:
    """Neither member can make chips; the non-member X can and may ship them to B."""
    scenario = stack(
        make_scenario,
        countries={"A": {}, "B": {}, "X": {"member": False}},
        resources={("X", "ore"): 10},
        capacity={("X", "fab"): {"existing": 10}, ("B", "train"): {"existing": 10}},
        targets={("B", "cap"): 1},
        links={("X", "B", "chip"): {"allowed": True}},
    )
    problems = check(scenario)
    assert len(problems) == 1
    assert problems[0].message.startswith("`B` cannot make any `cap` on its own")


def test_without_the_non_member_link_the_target_is_out_of_reach(make_scenario: Any) -> None:
    scenario = stack(
        make_scenario,
        countries={"A": {}, "B": {}, "X": {"member": False}},
        resources={("X", "ore"): 10},
        capacity={("X", "fab"): {"existing": 10}, ("B", "train"): {"existing": 10}},
        targets={("B", "cap"): 1},
    )
    (problem,) = check(scenario)
    assert "alone or with its coalition partners" in problem.message
    assert "`chip` (made by `fab`, with no capacity in `B`)" in problem.message
    assert "the open world reaches it" in problem.message


def test_capacity_rows_with_nothing_existing_or_new_do_not_run(make_scenario: Any) -> None:
    scenario = stack(
        make_scenario,
        capacity={("A", "fab"): {"existing": 10}, ("A", "train"): {"existing": 0, "cost": 1}},
        targets={("A", "cap"): 1},
    )
    (problem,) = check(scenario)
    assert "`cap` (made by `train`, with no capacity in `A`)" in problem.message


def test_the_deepest_missing_input_is_named(make_scenario: Any) -> None:
    """A can train and fab, but has no ore: the gap is ore, not chip."""
    scenario = stack(make_scenario, resources={}, targets={("A", "cap"): 1})
    (problem,) = [p for p in check(scenario) if p.sheet == "Targets"]
    assert "it lacks `ore` (not in `A`'s Resources with available > 0)" in problem.message
    assert "Every run will miss this whole target, the open world's included" in problem.message
    assert "`chip`" not in problem.message


def test_a_cycle_with_nothing_to_start_it_is_explained(make_scenario: Any) -> None:
    scenario = make_scenario(
        countries=["A"],
        commodities={"seed": "product", "cap": "capability"},
        recipe={"grow": {"seed": -1, "cap": 1}, "sow": {"cap": -1, "seed": 2}},
        capacity={("A", "grow"): {"existing": 1}, ("A", "sow"): {"existing": 1}},
        targets={("A", "cap"): 1},
    )
    (problem,) = check(scenario)
    assert "need each other's outputs" in problem.message


def test_a_target_with_no_amount_and_no_weight_is_ignored(make_scenario: Any) -> None:
    scenario = stack(make_scenario, targets={("B", "cap"): {"amount": 0, "weight": 0}})
    assert check(scenario) == ()


# --- backstops and the world market ---------------------------------------------------------


def outside(make_scenario: Any, scope: str = "all", **chip: Any) -> Scenario:
    """:func:`stack` with these Commodities fields on chip and ``national_scope`` = scope."""
    commodities = {**COMMODITIES, "chip": {**COMMODITIES["chip"], **chip}}
    scenario = stack(make_scenario, commodities=commodities)
    return Scenario.model_validate({**scenario.model_dump(), "national_scope": scope})


ALONE = "`B` cannot make any `cap` on its own"


@pytest.mark.parametrize(
    ("scope", "chip", "warns"),
    [
        # a backstop is a source of chips in every country and regime
        ("all", {"backstop_cost": 5}, False),
        ("declared", {"backstop_cost": 5}, False),
        ("all", {"backstop_cost": 5, "sovereign": True}, False),
        # the world market opens to national stacks only when declared, and never for a
        # sovereign commodity
        ("declared", {"world_price": 2}, False),
        ("all", {"world_price": 2}, True),
        ("declared", {"world_price": 2, "sovereign": True}, True),
        # neither: B must make chips, and cannot
        ("all", {}, True),
        ("declared", {}, True),
        ("declared", {"sovereign": True}, True),
    ],
)
def test_a_backstop_or_an_open_world_market_is_not_lacking(
    make_scenario: Any, scope: str, chip: dict[str, Any], warns: bool
) -> None:
    """B trains but has no fab. Where the warning says B's national stack misses its target,
    the national min_cost solve leaves it short (chips at 2 or 5 against a penalty of
    1000), and where it is silent B delivers its target."""
    scenario = outside(make_scenario, scope, **chip)
    problems = check(scenario)
    assert (about(problems, ALONE) != []) is warns
    if warns:
        (problem,) = problems
        assert "`chip` (made by `fab`, with no capacity in `B`)" in problem.message
    else:
        assert problems == ()
    national = run(scenario, Regime.NATIONAL, Mode.MIN_COST)
    assert national.deliver[("B", "cap")] == pytest.approx(0 if warns else 1)


def test_the_coalition_reaches_a_target_through_the_world_market(make_scenario: Any) -> None:
    """A may not ship chips to B, but the coalition may buy chips that are not sovereign
    from the world: B only misses its target alone."""
    scenario = stack(
        make_scenario,
        commodities={**COMMODITIES, "chip": {**COMMODITIES["chip"], "world_price": 2}},
        links={("A", "B", "*"): {"allowed": False}},
    )
    (problem,) = check(scenario)
    assert problem.message.startswith(ALONE)
    assert run(scenario, Regime.COALITION, Mode.MIN_COST).deliver[("B", "cap")] == approx(1)


def test_a_sovereign_world_market_is_open_to_the_open_world_only(make_scenario: Any) -> None:
    """As above with chip sovereign and no fab in A: only the open world may buy chips, and
    the warning says that is what it has that the coalition lacks."""
    scenario = stack(
        make_scenario,
        commodities={
            **COMMODITIES,
            "chip": {**COMMODITIES["chip"], "world_price": 2, "sovereign": True},
        },
        capacity={("A", "train"): {"existing": 10}, ("B", "train"): {"max_new": 10}},
    )
    problems = about(check(scenario), "alone or with its coalition partners")
    assert [p.message[:4] for p in problems] == ["`A` ", "`B` "]
    for problem in problems:
        assert "the open world reaches it" in problem.message
        assert "or the world market for the sovereign `chip`)" in problem.message
        assert "or clearing `sovereign` in Commodities, would close" in problem.message
    assert run(scenario, Regime.COALITION, Mode.MIN_COST).deliver[("B", "cap")] == approx(0)
    assert run(scenario, Regime.OPEN, Mode.MIN_COST).deliver[("B", "cap")] == approx(1)


def test_trade_alone_is_named_when_the_world_market_is_not_needed(make_scenario: Any) -> None:
    """A sovereign chip with a world price, and a banned link: the open world reaches B by
    the link already, so the warning does not send the user to the world market."""
    scenario = stack(
        make_scenario,
        commodities={
            **COMMODITIES,
            "chip": {**COMMODITIES["chip"], "world_price": 2, "sovereign": True},
        },
        links={("A", "B", "*"): {"allowed": False}},
    )
    (problem,) = check(scenario)
    assert "so allowing that trade in Links would close the gap" in problem.message
    assert "world market for" not in problem.message


@pytest.mark.parametrize("ore", [{"backstop_cost": 3}, {"world_price": 3}])
def test_a_resource_with_a_backstop_or_world_price_is_not_missing(
    make_scenario: Any, ore: dict[str, Any]
) -> None:
    """No country has ore: a backstop makes it exist everywhere, so only B, which has no
    fab, misses its target alone; with a world price (and ``national_scope`` all) the
    coalition buys it, so fab is not idle, but A has none on its own either."""
    scenario = stack(
        make_scenario,
        commodities={**COMMODITIES, "ore": {"kind": "resource", **ore}},
        resources={},
    )
    problems = check(scenario)
    assert about(problems, "consumes `ore`") == []
    alone = [p.message[:4] for p in about(problems, "on its own")]
    if "backstop_cost" in ore:
        assert problems == tuple(about(problems, "on its own")) and alone == ["`B` "]
    else:
        assert problems == tuple(about(problems, "on its own")) and alone == ["`A` ", "`B` "]
        assert "it lacks `ore` (not in `A`'s Resources" in problems[0].message
    coalition = run(scenario, Regime.COALITION, Mode.MIN_COST)
    assert coalition.deliver[("A", "cap")] + coalition.deliver[("B", "cap")] == approx(2)


# --- inputs nothing supplies ----------------------------------------------------------------


def test_an_input_no_resource_supplies_and_no_process_makes_is_reported(
    make_scenario: Any,
) -> None:
    scenario = stack(
        make_scenario,
        commodities={**COMMODITIES, "water": "resource"},
        recipe={"fab": {"ore": -1, "water": -2, "chip": 1}, "train": {"chip": -1, "cap": 1}},
        targets={},
    )
    (problem,) = check(scenario)
    assert (problem.sheet, problem.column) == ("Recipe", "commodity")
    assert "process `fab` consumes `water`, but no country has `water` in Resources" in (
        problem.message
    )
    assert "add a Resources row with available > 0" in problem.message


def test_an_input_whose_resource_rows_are_all_zero_is_reported(make_scenario: Any) -> None:
    scenario = stack(make_scenario, resources={("A", "ore"): 0}, targets={})
    (problem,) = check(scenario)
    assert "every Resources row for `ore` has available 0" in problem.message


def test_an_input_that_some_process_makes_is_not_reported(make_scenario: Any) -> None:
    assert about(check(stack(make_scenario)), "consumes") == []


# --- scaling --------------------------------------------------------------------------------


def scaled(make_scenario: Any, recipe: Any = STACK, **capacity: Any) -> Scenario:
    """A self-sufficient member A whose fab row carries the given fields."""
    return make_scenario(
        countries=["A"],
        commodities=COMMODITIES,
        recipe=recipe,
        resources={("A", "ore"): 10},
        capacity={("A", "fab"): {"existing": 10, **capacity}, ("A", "train"): {"existing": 10}},
        targets={("A", "cap"): 1},
    )


def test_a_well_scaled_scenario_has_no_scaling_warning(make_scenario: Any) -> None:
    assert check(scaled(make_scenario, cost=1e-3, new_cost=1e5, max_new=1)) == ()


def test_a_value_of_1e20_or_more_is_infinite_to_the_solver(make_scenario: Any) -> None:
    (problem,) = check(scaled(make_scenario, max_new=1e20))
    assert (problem.sheet, problem.column) == ("Capacity", "max_new")
    assert "HiGHS treats as infinite" in problem.message
    assert "use a larger or smaller unit for this quantity" in problem.message


def test_a_very_large_cost_asks_for_another_money_unit(make_scenario: Any) -> None:
    (problem,) = check(scaled(make_scenario, fixed_cost=5e9))
    assert (problem.sheet, problem.column) == ("Capacity", "fixed_cost")
    assert "5e+09 is very large" in problem.message and "money unit" in problem.message


def test_a_very_small_recipe_amount_is_reported(make_scenario: Any) -> None:
    recipe = {"fab": {"ore": -1e-7, "chip": 1}, "train": {"chip": -1, "cap": 1}}
    (problem,) = check(scaled(make_scenario, recipe=recipe))
    assert (problem.sheet, problem.column) == ("Recipe", "amount")
    assert "1e-07 is very small" in problem.message
    assert "measure the commodity or the activity in a larger or smaller unit" in problem.message


def test_a_family_spread_wider_than_1e9_names_both_extremes(make_scenario: Any) -> None:
    """Costs 1e-5 and 2e4 are each fine but 2e9 apart; the odd one is the farther from 1."""
    (problem,) = check(scaled(make_scenario, cost=1e-5, new_cost=2e4, max_new=1))
    assert problem.sheet == "Capacity" and problem.column == "cost"  # 1e-5 is 5 decades out
    assert "the costs range from 1e-05 to 20000" in problem.message
    assert "20000 at Capacity (A, fab), column `new_cost`" in problem.message


def test_families_are_judged_apart(make_scenario: Any) -> None:
    """A tiny cost next to a huge quantity is no spread: they never meet in one row."""
    assert check(scaled(make_scenario, cost=1e-5, max_new=1e6)) == ()


def test_every_number_column_belongs_to_a_family() -> None:
    """The Uncertain sheet's numbers are draws of the column they change: no family."""
    numbers = {
        (s.name, c.name)
        for s in SHEETS
        if s.name != "Uncertain"
        for c in s.columns
        if c.cell is Cell.NUMBER
    }
    numbers |= {("Scenario", k) for k, c in SCENARIO_KEYS.items() if c.cell is Cell.NUMBER}
    assert numbers == set(FAMILY)


# --- where warnings point -------------------------------------------------------------------


def test_the_locator_puts_warnings_at_their_excel_rows(tmp_path: Path) -> None:
    """In the minimal scenario B (row 3 of Targets) has no fab: it needs A's chips."""
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables()))
    scenario = validate(raw)
    assert scenario == MINIMAL_SCENARIO
    problems = check(scenario, locate(raw))
    assert where(problems) == [("Targets", 3, "country")]
    assert where(check(scenario)) == [("Targets", None, "country")]


def test_the_locator_matches_keys_as_validation_reads_them(tmp_path: Path) -> None:
    """Spaces around ids, choices in capitals and whole numbers as ids still match."""
    tables = minimal_scenario_tables()
    set_cell(tables, "Recipe", 2, "process", " fab ")
    set_cell(tables, "Recipe", 2, "role", "INPUT")
    set_cell(tables, "Countries", 4, "country", 7)
    set_cell(tables, "Resources", 4, "country", 7.0)
    set_cell(tables, "Scenario", 3, "key", " Shortfall_Penalty")
    locator = locate(read_workbook(write_workbook(tmp_path / "s.xlsx", tables)))
    assert locator.row("Recipe", ("fab", "ore", "input")) == 2
    assert locator.row("Countries", ("7",)) == 4
    assert locator.row("Resources", ("7", "ore")) == 4
    assert locator.row("Scenario", ("shortfall_penalty",)) == 3
    assert locator.row("Recipe", ("fab", "ore", "output")) is None


def test_the_locator_drops_invisible_characters_as_validation_does(tmp_path: Path) -> None:
    """A zero-width space pasted before B does not lose the warning its row."""
    tables = minimal_scenario_tables()
    set_cell(tables, "Targets", 3, "country", "\u200bB")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(check(validate(raw), locate(raw))) == [("Targets", 3, "country")]


def test_a_located_spread_names_the_other_extreme_by_row(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 2, "cost", 1e-5)  # A fab
    set_cell(tables, "Capacity", 4, "new_cost", 2e4)  # B dc
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    problems = check(validate(raw), locate(raw))
    (spread,) = about(problems, "range from")
    assert (spread.sheet, spread.row, spread.column) == ("Capacity", 2, "cost")
    assert "at Capacity row 4, column `new_cost`" in spread.message


@pytest.mark.parametrize("penalty", [1e21, 1e-7])
def test_the_shortfall_penalty_is_checked_at_its_scenario_row(
    penalty: float, tmp_path: Path
) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Scenario", 3, "value", penalty)
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    problems = check(validate(raw), locate(raw))
    assert ("Scenario", 3, "value") in where(problems)
