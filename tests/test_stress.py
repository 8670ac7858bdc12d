"""Stress tests of trust: damages derived by hand, properties, and the search's exactness.

Every scenario is small enough to solve in one's head; each test's docstring derives the
numbers it checks. Processes cost nothing and resources are absent unless stated.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

import pytest
from conftest import make_scenario
from conftest import run as solve_run

from planner.analysis.stress import (
    StressResult,
    apply_shocks,
    element_shock,
    stress,
    supply_elements,
)
from planner.scenario.schema import Action, Mode, Regime, Scenario, Stress

CHIPS = {"fab": {"chip": 1}, "train": {"chip": -1, "cap": 1}}
"""``fab`` makes a chip from nothing; ``train`` turns a chip into a unit of capability."""

TRADED = {"chip": {"kind": "product", "tradable": True}, "cap": "capability"}


def with_stresses(scenario: Scenario, *rows: dict[str, Any]) -> Scenario:
    data = scenario.model_dump()
    data["stresses"] = list(rows)
    return Scenario.model_validate(data)


def row(result: StressResult, case: str, mode: str = "min_cost", regime: str = "coalition") -> Any:
    frame = result.cases
    found = frame[(frame["case"] == case) & (frame["mode"] == mode) & (frame["regime"] == regime)]
    assert len(found) == 1, found
    return found.iloc[0]


def damage_of(scenario: Scenario, elements: Iterable[str]) -> float:
    """The coalition's min_cost damage of losing ``elements``, by a plain solve."""
    base = solve_run(scenario, Regime.COALITION, Mode.MIN_COST).objective
    shocked = apply_shocks(scenario, [element_shock(e) for e in elements])
    after = solve_run(shocked, Regime.COALITION, Mode.MIN_COST).objective
    assert base is not None and after is not None
    return after - base


# --- the worst pair that greedy misses --------------------------------------------------------


def greedy_trap() -> Scenario:
    """One member M; targets 10 of ``cap`` and 5 of ``cap2``; penalty 1000.

    ``cap`` comes from ``p1`` or ``p2`` (10 each, 1 per unit): the base plan pays 10, and
    losing either one costs nothing (the other takes over at the same price); losing both
    leaves 10 units short: 10 x 1000 - 10 = 9,990. ``cap2`` comes free from ``x`` (5), or
    from ``q2`` or ``q3`` (5 each, 1 per unit): losing ``x`` costs 5 and is the worst single
    loss, and with ``x`` gone any one more loss costs nothing more (``p1`` or ``p2``: the
    twin takes over; ``q2`` or ``q3``: the other takes over). Greedy takes ``x`` first and
    ends at 5; the worst pair is ``{p1, p2}`` at 9,990.
    """
    return make_scenario(
        countries=["M"],
        commodities={"cap": "capability", "cap2": "capability"},
        recipe={
            "p1": {"cap": 1},
            "p2": {"cap": 1},
            "x": {"cap2": 1},
            "q2": {"cap2": 1},
            "q3": {"cap2": 1},
        },
        capacity={
            ("M", "p1"): {"existing": 10, "cost": 1},
            ("M", "p2"): {"existing": 10, "cost": 1},
            ("M", "x"): {"existing": 5},
            ("M", "q2"): {"existing": 5, "cost": 1},
            ("M", "q3"): {"existing": 5, "cost": 1},
        },
        targets={("M", "cap"): 10, ("M", "cap2"): 5},
    )


def test_the_exact_search_finds_the_pair_greedy_misses() -> None:
    scenario = greedy_trap()
    elements = supply_elements(scenario)
    first = max(elements, key=lambda e: damage_of(scenario, [e]))
    assert first == "process:M:x"
    greedy = max(damage_of(scenario, [first, e]) for e in elements if e != first)
    assert greedy == pytest.approx(5)
    result = stress(scenario, k=2)
    one, two = result.worst.to_dict("records")
    assert (one["k"], one["elements"], one["damage"], one["exact"]) == (
        1,
        ("process:M:x",),
        pytest.approx(5),
        True,
    )
    assert two["elements"] == ("process:M:p1", "process:M:p2")
    assert two["damage"] == pytest.approx(9990)
    assert two["exact"]
    # plain enumeration of every pair agrees
    pairs = max(damage_of(scenario, pair) for pair in combinations(elements, 2))
    assert pairs == pytest.approx(9990)


def test_a_budget_too_small_turns_the_search_into_a_beam_that_says_so() -> None:
    result = stress(greedy_trap(), k=2, budget=1)
    assert [bool(e) for e in result.worst["exact"]] == [False, False]
    assert result.to_json()["worst"][1]["exact"] is False


def test_worst_damage_never_falls_as_k_grows() -> None:
    damages = list(stress(greedy_trap(), k=3).worst["damage"])
    assert len(damages) == 3
    assert damages == sorted(damages)
    assert damages[2] == pytest.approx(9995)  # p1, p2 and x: 10 short, and 5 paid for cap2


# --- an exit, and its loss to the remaining members -----------------------------------------


def two_fabs() -> Scenario:
    """Members A and B; chips trade free; A's fab costs 3 a chip, B's 1; each trains its
    own capability; targets 4 each; penalty 1000.

    Base coalition: all 8 chips from B, cost 8. B exits (its targets go with it): A makes
    its own 4 chips at 3, cost 12; damage 12 - 8 = 4. The loss to the remaining member: the
    base coalition serving A's target only buys A's 4 chips from B, cost 4, so the loss is
    12 - 4 = 8. A's marginal cost of capability rises from 1 to 3.
    """
    return make_scenario(
        countries=["A", "B"],
        commodities=TRADED,
        recipe=CHIPS,
        capacity={
            ("A", "fab"): {"existing": 10, "cost": 3},
            ("B", "fab"): {"existing": 10, "cost": 1},
            ("A", "train"): {"existing": 10},
            ("B", "train"): {"existing": 10},
        },
        targets={("A", "cap"): 4, ("B", "cap"): 4},
    )


def test_an_exit_and_its_loss_to_the_remaining_members() -> None:
    scenario = with_stresses(two_fabs(), {"case": "b_leaves", "action": "exit", "country": "B"})
    result = stress(scenario, modes=["min_cost"])
    found = row(result, "b_leaves")
    assert (found["objective_before"], found["objective_after"]) == (
        pytest.approx(8),
        pytest.approx(12),
    )
    assert found["damage"] == pytest.approx(4)
    assert result.loss_to_remaining["b_leaves"] == pytest.approx(8)
    assert list(result.cases["regime"]) == ["coalition"]  # an exit's default regime
    who = result.countries
    assert list(who["country"]) == ["A"]
    assert who.iloc[0]["d_shortfall"] == pytest.approx(0)
    target = result.targets.iloc[0]
    assert (target["country"], target["marginal_cost_before"]) == ("A", pytest.approx(1))
    assert target["marginal_cost_after"] == pytest.approx(3)
    # national stacks after the exit: A alone at 12, so the coalition of A alone saves 0
    assert found["saving_before"] == pytest.approx(12 + 4 - 8)
    assert found["saving_after"] == pytest.approx(0)
    assert not found["beats_national"]
    document = result.to_json()
    assert document["cases"][0]["loss_to_remaining"] == pytest.approx(8)
    assert document["cases"][0]["resolved"] == ["exit of B (in coalition)"]


# --- bans: in the open world, and limited to the coalition ---------------------------------


def outside_supplier() -> Scenario:
    """Member A (fab at 3 a chip), non-member N (fab at 1) linked to A by a Links row;
    A's target 4; penalty 1000.

    Base: coalition and open both buy 4 chips from N, cost 4. A ban of N's chips removes
    N > A in the coalition and, unlike a Links row with allowed no, in the open world too:
    A makes its own at 3, cost 12, damage 8 in both. Limited to the coalition, the same ban
    leaves the open world alone (no open run for that case).
    """
    return make_scenario(
        countries={"A": {}, "N": {"member": False}},
        commodities=TRADED,
        recipe=CHIPS,
        capacity={
            ("A", "fab"): {"existing": 10, "cost": 3},
            ("N", "fab"): {"existing": 10, "cost": 1},
            ("A", "train"): {"existing": 10},
        },
        targets={("A", "cap"): 4},
        links={("N", "A", "chip"): {}},
    )


def test_a_ban_binds_in_the_open_world() -> None:
    ban = {"case": "ban", "action": "ban", "exporter": "N", "commodity": "chip"}
    result = stress(with_stresses(outside_supplier(), ban), modes=["min_cost"])
    for regime in ("coalition", "open"):
        found = row(result, "ban", regime=regime)
        assert found["objective_before"] == pytest.approx(4)
        assert found["damage"] == pytest.approx(8)


def test_a_ban_limited_to_the_coalition() -> None:
    ban = {"case": "ban", "action": "ban", "importer": "A", "commodity": "*"}
    result = stress(
        with_stresses(outside_supplier(), {**ban, "regimes": "coalition"}), modes=["min_cost"]
    )
    assert list(result.cases["regime"]) == ["coalition"]
    assert row(result, "ban")["damage"] == pytest.approx(8)


def test_a_links_row_with_allowed_no_would_not_bind_in_the_open_world() -> None:
    """Why a ban needs its own mechanism: the open world ignores ``allowed``."""
    scenario = outside_supplier()
    data = scenario.model_dump()
    data["links"] = [{"exporter": "N", "importer": "A", "commodity": "chip", "allowed": False}]
    barred = Scenario.model_validate(data)
    assert solve_run(barred, Regime.OPEN, Mode.MIN_COST).objective == pytest.approx(4)


# --- a chokepoint resolved by the base plan's output -----------------------------------------


def two_mines() -> Scenario:
    """Members A and B; ore trades free; A has 6 ore at 1, B 20 at 2; A's ``refine`` turns
    an ore into a unit of capability; A's target 10; penalty 1000.

    Base: A's 6 ore and 4 of B's: cost 6 + 8 = 14. The biggest supplier of ore is A (6 of
    10, 60%): without A's ore, B supplies all 10 at 2, cost 20, damage 6. The second is B
    (40%): without it A's 6 ore leave 4 units short, cost 6 + 4,000, damage 3,992.
    """
    return make_scenario(
        countries=["A", "B"],
        commodities={"ore": {"kind": "resource", "tradable": True}, "cap": "capability"},
        recipe={"refine": {"ore": -1, "cap": 1}},
        resources={
            ("A", "ore"): {"available": 6, "cost": 1},
            ("B", "ore"): {"available": 20, "cost": 2},
        },
        capacity={("A", "refine"): {"existing": 10}},
        targets={("A", "cap"): 10},
    )


def test_a_chokepoint_is_resolved_by_the_base_plans_output() -> None:
    scenario = with_stresses(
        two_mines(),
        {"case": "top", "action": "chokepoint", "commodity": "ore"},
        {"case": "next", "action": "chokepoint", "commodity": "ore", "rank": 2},
    )
    result = stress(scenario, modes=["min_cost"])
    (top,) = result.chokepoints["top"]
    (second,) = result.chokepoints["next"]
    assert (top["country"], top["share"]) == ("A", pytest.approx(0.6))
    assert (second["country"], second["share"]) == ("B", pytest.approx(0.4))
    assert row(result, "top")["damage"] == pytest.approx(6)
    assert row(result, "next")["damage"] == pytest.approx(3992)
    assert "is A (60% of 10 units)" in result.resolved["top"][0]
    # an outage hits national stacks too: A alone has 6 ore, 4 short
    assert set(result.cases[result.cases["case"] == "top"]["regime"]) == {
        "national",
        "coalition",
        "open",
    }


# --- a link cut to a capacity ------------------------------------------------------------------


def test_a_link_cut_to_a_capacity() -> None:
    """In :func:`two_fabs` with A's target 4 and B's 0: A buys 4 of B's chips at 1, cost 4.
    Cut B > A to 3 chips: 3 at 1 and 1 of A's own at 3, cost 6, damage 2."""
    scenario = make_scenario(
        countries=["A", "B"],
        commodities=TRADED,
        recipe=CHIPS,
        capacity={
            ("A", "fab"): {"existing": 10, "cost": 3},
            ("B", "fab"): {"existing": 10, "cost": 1},
            ("A", "train"): {"existing": 10},
        },
        targets={("A", "cap"): 4},
    )
    cut = {"case": "cut", "action": "cut", "exporter": "B", "importer": "A", "commodity": "chip"}
    result = stress(with_stresses(scenario, {**cut, "capacity": 3}), modes=["min_cost"])
    assert row(result, "cut")["damage"] == pytest.approx(2)
    assert row(result, "cut", regime="open")["damage"] == pytest.approx(2)


# --- a compound case ----------------------------------------------------------------------------


def test_a_compound_case_applies_every_action_together() -> None:
    """In :func:`outside_supplier`, ban N's chips and halve A's fab (5 chips left, A needs
    4): cost 12, damage 8 (the ban alone). Add a cut of A's train to 25%: 2.5 units of
    capability, 1.5 short: cost 2.5 x 3 + 1,500 = 1,507.5, damage 1,503.5. The halved fab
    alone does nothing (N's chips are cheaper)."""
    rows = [
        {"case": "storm", "action": "ban", "exporter": "N", "commodity": "chip"},
        {"case": "storm", "action": "outage", "country": "A", "process": "fab", "factor": 0.5},
        {"case": "storm", "action": "outage", "country": "A", "process": "train", "factor": 0.25},
        {"case": "half", "action": "outage", "country": "A", "process": "fab", "factor": 0.5},
    ]
    result = stress(with_stresses(outside_supplier(), *rows), modes=["min_cost"])
    assert row(result, "storm")["damage"] == pytest.approx(1503.5)
    assert row(result, "storm")["d_shortfall"] == pytest.approx(1.5)
    assert row(result, "half")["damage"] == pytest.approx(0)
    assert len(result.resolved["storm"]) == 3


# --- half a process with a minimum efficient scale ------------------------------------------


def test_an_outage_of_half_a_process_with_a_minimum_scale() -> None:
    """Member A needs 4 chips' worth of capability; its only fab is new, up to 10 at 1 per
    unit built, at least 6 if built at all. Base: build 6 (the minimum scale), cost 6.
    Halved, ``max_new`` is 5, below the unscaled ``min_new`` 6, so both become 0: nothing
    can be built, 4 short, cost 4,000, damage 3,994. At 80% ``max_new`` is 8: still 6
    built, damage 0."""
    scenario = make_scenario(
        countries=["A"],
        commodities=TRADED,
        recipe=CHIPS,
        capacity={
            ("A", "fab"): {"max_new": 10, "min_new": 6, "new_cost": 1},
            ("A", "train"): {"existing": 10},
        },
        targets={("A", "cap"): 4},
    )
    rows = [
        {"case": "half", "action": "outage", "country": "A", "process": "fab", "factor": 0.5},
        {"case": "most", "action": "outage", "country": "A", "process": "fab", "factor": 0.8},
    ]
    result = stress(with_stresses(scenario, *rows), modes=["min_cost"])
    assert row(result, "half")["objective_before"] == pytest.approx(6)
    assert row(result, "half")["damage"] == pytest.approx(3994)
    assert row(result, "half", regime="national")["damage"] == pytest.approx(3994)
    assert row(result, "most")["damage"] == pytest.approx(0)


# --- max_capability damage ---------------------------------------------------------------------


def test_max_capability_damage_is_capability_lost() -> None:
    """:func:`two_fabs` with budgets A 4, B 4 (pooled 8): 8 chips from B at 1 buy 8 units.
    Without B's fab, A's chips at 3 buy 8 / 3 units: damage 8 - 8/3 = 16/3."""
    scenario = two_fabs()
    data = scenario.model_dump()
    for country in data["countries"]:
        country["budget"] = 4.0
    outage = {"case": "b_fab", "action": "outage", "country": "B", "process": "fab"}
    result = stress(with_stresses(Scenario.model_validate(data), outage), modes=["max_capability"])
    assert row(result, "b_fab", mode="max_capability")["damage"] == pytest.approx(16 / 3)


# --- the single-loss screen and properties ---------------------------------------------------


def test_the_screen_skips_unused_elements_and_their_damage_is_zero_when_solved() -> None:
    scenario = two_fabs()
    result = stress(scenario, screen=True)
    screen = result.screen.set_index("element")
    unused = screen[~screen["solved"]]
    assert "process:A:fab" in unused.index  # B's chips are cheaper
    assert result.screen_skipped == len(unused)
    for element in unused.index:
        assert unused.loc[element, "damage"] == 0
        assert damage_of(scenario, [element]) == pytest.approx(0, abs=1e-9)
    # the exit's damage in the screen is its loss to the remaining member (see two_fabs)
    assert screen.loc["member:B", "damage"] == pytest.approx(8)
    # B's fab: A's 3 a chip for all 8, damage 16; no new shortfall
    assert screen.loc["process:B:fab", "damage"] == pytest.approx(16)
    assert not screen.loc["process:B:fab", "single_point_of_failure"]
    # B's train is B's only way to its capability: 4 short, a single point of failure
    assert screen.loc["process:B:train", "single_point_of_failure"]
    assert list(result.screen["damage"]) == sorted(result.screen["damage"], reverse=True)


@pytest.mark.parametrize(
    "action",
    [
        {"action": "outage", "country": "A", "process": "fab", "factor": 1},
        {"action": "cut", "exporter": "B", "importer": "A", "commodity": "chip", "capacity": 100},
        {"action": "ban", "exporter": "A", "commodity": "*"},
    ],
    ids=["full outage factor", "cut above any flow", "ban of an unused direction"],
)
def test_a_stress_that_changes_nothing_does_no_damage(action: dict[str, Any]) -> None:
    result = stress(with_stresses(two_fabs(), {"case": "noop", **action}))
    assert len(result.cases) >= 2
    for damage in result.cases["damage"]:
        assert damage == pytest.approx(0, abs=1e-9)


def test_a_stress_row_model_reads_like_the_sheet() -> None:
    stress_row = Stress(case="c", action=Action.CUT, commodity="*", exporter="A")
    assert stress_row.regimes == (Regime.COALITION, Regime.OPEN)


def test_two_workers_give_the_same_numbers_as_one() -> None:
    scenario = with_stresses(two_fabs(), {"case": "b_leaves", "action": "exit", "country": "B"})
    serial = stress(scenario, screen=True, k=2)
    pooled = stress(scenario, screen=True, k=2, workers=2)
    assert serial.to_json()["cases"] == pooled.to_json()["cases"]
    assert serial.to_json()["screen"] == pooled.to_json()["screen"]
    assert serial.to_json()["worst"] == pooled.to_json()["worst"]
    assert pooled.solves == serial.solves
