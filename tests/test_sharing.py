"""Sharing the coalition's cost among its members: the planner's side of issue 4.

The allocation rules themselves are tested on textbook games in tests/test_games.py; these
tests check the game the planner builds from a scenario (``c(S)`` per coalition), Owen's
allocation from the grand coalition's prices, the result's JSON contract and workbook, the
``planner share`` command, failed coalitions, and the Dask path.
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pytest import approx
from workbooks import MINIMAL_SCENARIO, minimal_scenario_tables, write_workbook

import planner.analysis.sharing
from planner.analysis.batch import Progress
from planner.analysis.games import CoalitionError, CoalitionValues, shapley_exact
from planner.analysis.sharing import CoalitionCost, SharingResult, owen_allocation
from planner.api import share
from planner.cli.share import _Progress, format_sharing
from planner.cli.share import share as share_command
from planner.errors import InputError, NoPlanError
from planner.io.sharing_report import (
    build_sharing_workbook,
    write_sharing_json,
    write_sharing_report,
)
from planner.model.build import BuiltModel
from planner.model.solve import Solution, SolveOptions, Status
from planner.model.solve import solve as real_solve
from planner.scenario.schema import (
    Kind,
    Scenario,
)

# ----------------------------------------------------------------------------------------
# Scenarios


def compute_stack(a: str = "A") -> Scenario:
    """Three members share compute plants and minerals (research notes, §B3).

    Member i needs ``d_i`` capability; one unit is made in country j from one unit of
    mineral at cost ``p_j``, up to ``K_j`` units; a mineral is free from a member's own
    endowment ``m_j``, or bought on the world market at 4 (a resource ``bought`` that every
    member may draw, 1000 units at 4, turned into mineral by ``buy``). Minerals and made
    units ship free within a coalition; ``use`` turns a unit into capability at home.

    ===== === === === ===
    member  d   p   K   m
    ===== === === === ===
    A       4   1   8   0
    B       4   3  10  12
    C       2   2   5   0
    ===== === === === ===

    Costs by hand: c(A) = 4 (1 + 4) = 20; c(B) = 4 * 3 = 12 (own minerals); c(C) = 2 (2 + 4)
    = 12; c(AB) = 8 * 1 = 8 (A's plants, B's minerals); c(AC) = 6 (1 + 4) = 30 (A's
    plants, bought minerals); c(BC) = 5 * 2 + 1 * 3 = 13; c(ABC) = 8 * 1 + 2 * 2 = 12. The
    coalition saves 20 + 12 + 12 - 12 = 32.

    Owen: the marginal unit is made in C, so one more unit of target costs 2 in every
    member; one more unit of A's plant saves 2 - 1 = 1; B's minerals are not all used (no
    rent). Cost shares: A 4 * 2 - 8 * 1 = 0, B 4 * 2 = 8, C 2 * 2 = 4; they add up to 12.

    Shapley (savings game v = 0, 0, 0, 24, 2, 11, 32): savings A 34/3, B 95/6, C 29/6, so
    cost shares 20 - 34/3 = 26/3, 12 - 95/6 = -23/6 (B is paid: its minerals unlock A's
    cheap plants), 12 - 29/6 = 43/6.

    Nucleolus: the least core's largest excess is -4, reached by {A,B} and {C}, which fixes
    x_C = 12 - 4 = 8 and x_A + x_B = 8 - 4 = 4; then {A} and {B,C} balance: x_A - 20 =
    x_B + 8 - 13 gives x_A = 9.5, x_B = -5.5. All three allocations are in the core; the
    most dissatisfied coalition is {A,B} (excess 0 under Owen, -19/6 under Shapley) and, under
    the nucleolus, {A,B} or {C} (excess -4 both).

    Args:
        a: the id of member A (to check that ids are written as text).
    """
    members = [a, "B", "C"]
    return make_scenario(
        countries=members,
        recipe={
            "buy": {"bought": -1, "mineral": 1},
            "make": {"mineral": -1, "unit": 1},
            "use": {"unit": -1, "cap": 1},
        },
        commodities={
            "mineral": {"kind": Kind.RESOURCE, "tradable": True},
            "bought": Kind.RESOURCE,
            "unit": {"kind": Kind.PRODUCT, "tradable": True},
            "cap": Kind.CAPABILITY,
        },
        resources={
            **{(c, "bought"): {"available": 1000.0, "cost": 4.0} for c in members},
            ("B", "mineral"): 12.0,
        },
        capacity={
            (a, "make"): {"existing": 8, "cost": 1},
            ("B", "make"): {"existing": 10, "cost": 3},
            ("C", "make"): {"existing": 5, "cost": 2},
            **{(c, "buy"): {"existing": 1000} for c in members},
            **{(c, "use"): {"existing": 1000} for c in members},
        },
        targets={(a, "cap"): 4, ("B", "cap"): 4, ("C", "cap"): 2},
        name="sharing",
    )


COMPUTE_STACK_COSTS = {"A": 20, "B": 12, "C": 12, "AB": 8, "AC": 30, "BC": 13, "ABC": 12}


def random_stack(members: int, seed: int, *, fixed_costs: bool = False) -> Scenario:
    """A two-layer LP scenario (ore -> chip -> cap) with random endowments and costs.

    Every member trades ore and chips with every other at one trade cost per commodity, no
    Links rows and no non-members: a linear production game (when ``fixed_costs`` is
    False), so Owen's allocation is efficient and in the core.
    """
    rng = random.Random(seed)
    ids = [f"M{k}" for k in range(members)]
    resources: dict[tuple[str, str], dict[str, float]] = {}
    capacity: dict[tuple[str, str], dict[str, float]] = {}
    for c in ids:
        if rng.random() < 0.7:
            resources[(c, "ore")] = {
                "available": round(rng.uniform(0, 12), 1),
                "cost": round(rng.uniform(0, 3), 2),
            }
        if rng.random() < 0.7:
            capacity[(c, "fab")] = {
                "existing": round(rng.uniform(0, 6), 1),
                "cost": round(rng.uniform(0.5, 4), 2),
                "max_new": round(rng.uniform(0, 4), 1),
                "new_cost": round(rng.uniform(1, 6), 2),
            }
            if fixed_costs:
                capacity[(c, "fab")]["fixed_cost"] = round(rng.uniform(1, 10), 1)
        capacity[(c, "train")] = {
            "existing": round(rng.uniform(1, 8), 1),
            "cost": round(rng.uniform(0.5, 3), 2),
        }
    trade = {"tradable": True}
    return make_scenario(
        countries=ids,
        recipe={"fab": {"ore": -2, "chip": 1}, "train": {"chip": -1, "cap": 1}},
        commodities={
            "ore": {"kind": Kind.RESOURCE, **trade, "trade_cost": round(rng.uniform(0, 1), 2)},
            "chip": {"kind": Kind.PRODUCT, **trade, "trade_cost": round(rng.uniform(0, 1), 2)},
            "cap": Kind.CAPABILITY,
        },
        resources=resources,
        capacity=capacity,
        targets={(c, "cap"): round(rng.uniform(0, 5), 1) for c in ids},
        penalty=50.0,
        name=f"random-{members}-{seed}",
    )


def _coalitions(members: list[str]) -> Iterator[frozenset[str]]:
    for size in range(1, len(members) + 1):
        for group in combinations(members, size):
            yield frozenset(group)


@pytest.fixture(scope="module")
def stack_result() -> SharingResult:
    return share(compute_stack())


# ----------------------------------------------------------------------------------------
# The game and the hand-derived shares


def test_coalition_costs_of_the_compute_stack_match_the_hand_derivation() -> None:
    cost = CoalitionCost(compute_stack())
    for coalition in _coalitions(["A", "B", "C"]):
        label = "".join(sorted(coalition))
        assert cost(coalition) == approx(COMPUTE_STACK_COSTS[label], abs=1e-9), label


def test_a_member_alone_is_its_national_stack_and_larger_coalitions_are_coalitions() -> None:
    cost = CoalitionCost(compute_stack())
    assert cost.built(["A"]).setting.regime.value == "national"
    assert cost.built(["A", "C"]).setting.regime.value == "coalition"
    assert cost.built(["A", "C"]).setting.members == ("A", "C")


def test_a_coalition_of_non_members_is_refused() -> None:
    cost = CoalitionCost(compute_stack())
    with pytest.raises(ValueError, match="not members: Z"):
        cost(frozenset({"A", "Z"}))
    with pytest.raises(ValueError, match="empty"):
        cost(frozenset())


def test_compute_stack_shares_match_the_hand_derivation(stack_result: SharingResult) -> None:
    result = stack_result
    assert result.coalition_cost == approx(12)
    assert dict(result.national_costs) == approx({"A": 20, "B": 12, "C": 12})
    assert result.saving == approx(32)
    expected = {
        "owen": (0, 8, 4),
        "shapley": (26 / 3, -23 / 6, 43 / 6),
        "nucleolus": (9.5, -5.5, 8),
    }
    for method, costs in expected.items():
        allocation = result.allocations[method]
        assert allocation.costs == approx(costs, abs=1e-7), method
        assert allocation.savings == approx(
            [result.national_costs[m] - x for m, x in zip("ABC", costs, strict=True)], abs=1e-7
        )
        assert allocation.exact


def test_compute_stack_allocations_are_stable_with_ab_most_dissatisfied(
    stack_result: SharingResult,
) -> None:
    excess = {"owen": 0.0, "shapley": -19 / 6, "nucleolus": -4.0}
    for method, value in excess.items():
        check = stack_result.stability[method]
        assert stack_result.stable(method), method
        assert stack_result.verdict(method) == "stable"
        assert check.exhaustive
        assert check.coalitions_checked == 6
        assert check.excess == approx(value, abs=1e-7)
        assert check.coalition in ({"A", "B"}, {"C"} if method == "nucleolus" else {"A", "B"})


def test_every_method_is_efficient_on_the_compute_stack(stack_result: SharingResult) -> None:
    for method in ("owen", "shapley", "nucleolus"):
        assert sum(stack_result.allocations[method].costs) == approx(12, abs=1e-7)
        assert stack_result.efficiency_gap(method) == approx(0, abs=1e-7)


def test_a_linear_production_game_has_no_caveat_but_degeneracy(
    stack_result: SharingResult,
) -> None:
    notes = " ".join(stack_result.allocations["owen"].notes)
    assert "build decisions" not in notes
    assert "rent" not in notes
    assert stack_result.notes == ()


# ----------------------------------------------------------------------------------------
# Owen's allocation in generated linear production games

PROPERTY = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(members=st.integers(min_value=2, max_value=4), seed=st.integers(0, 10_000))
def test_owen_is_efficient_and_in_the_core_of_generated_lp_scenarios(
    members: int, seed: int
) -> None:
    result = share(random_stack(members, seed), methods=("owen", "shapley"))
    owen = result.allocations["owen"]
    assert sum(owen.costs) == approx(result.coalition_cost, rel=1e-7, abs=1e-7)
    assert sum(result.allocations["shapley"].costs) == approx(result.coalition_cost, abs=1e-7)
    assert not any("rent" in note or "build decisions" in note for note in owen.notes)
    # x(S) <= c(S) for every coalition, checked here directly as well as by the result
    for coalition, cost in result.coalition_costs.items():
        paid = sum(owen.share(m).cost for m in coalition)
        assert paid <= cost + 1e-6 * max(1.0, abs(cost)), sorted(coalition)
    assert result.stable("owen")
    assert result.stability["owen"].exhaustive


def test_coalition_never_costs_more_than_national_stacks_in_generated_scenarios() -> None:
    for seed in range(3):
        result = share(random_stack(3, seed), methods=("owen",))
        assert result.coalition_cost <= result.national_total + 1e-7


# ----------------------------------------------------------------------------------------
# What breaks Owen's guarantees is said


def test_build_decisions_are_a_caveat_and_the_gap_makes_owen_unstable() -> None:
    """MINIMAL_SCENARIO: B's data centre has a fixed cost of 20, which no member owns."""
    result = share(MINIMAL_SCENARIO, methods=("owen",))
    owen = result.allocations["owen"]
    assert any("build decisions" in note for note in owen.notes)
    assert result.efficiency_gap("owen") == approx(20, abs=1e-6)
    assert not result.efficient("owen")
    assert not result.stable("owen")
    assert result.verdict("owen").startswith("not stable: the shares fall 20 USD bn short")
    assert any("MIP gap" in note for note in result.notes)


def test_rent_to_a_capped_link_is_named_and_owen_overcharges(
    capped_nonmember: Scenario,
) -> None:
    """tests/conftest.py capped_nonmember: X's cheap chips reach A over a link of capacity
    3 whose price is 4 (A's fab) - 1 (X's) - 1.5 (the link) = 2.5 per unit; Owen charges
    that rent to A's target, so the shares exceed c(N) by 2.5 * 3 = 7.5."""
    owen = owen_allocation(capped_nonmember)
    assert any("link capacity X -> A (chip)" in note for note in owen.notes)
    assert sum(owen.costs) - owen.total == approx(7.5, abs=1e-7)
    result = share(capped_nonmember, methods=("owen",))
    assert result.verdict("owen") == (
        "not stable: the shares exceed the coalition's cost by 7.5 USD bn"
    )
    assert any("Links sheet" in note for note in result.notes)


# ----------------------------------------------------------------------------------------
# Sampling, limits and methods


def test_sampled_shapley_of_nine_members_is_within_its_error_of_the_exact() -> None:
    scenario = random_stack(9, seed=7)
    with CoalitionValues(CoalitionCost(scenario)) as values:
        exact = shapley_exact(scenario.members, values)
    # exact_limit 8: the stability check searches instead of solving all 511 coalitions
    sampled = share(scenario, methods=("shapley",), samples=200, seed=0, exact_limit=8)
    allocation = sampled.allocations["shapley"]
    assert not allocation.exact
    assert allocation.samples == 200
    assert len(sampled.coalition_costs) < 2**9 - 1
    for member in scenario.members:
        estimate = allocation.share(member)
        assert 0 < estimate.stderr < 0.05 * (abs(exact.total) + 1)
        # three standard errors: a 99.7 % band for each member (the seed is fixed)
        assert abs(estimate.cost - exact.share(member).cost) <= 3 * estimate.stderr, member
    assert sum(allocation.costs) == approx(exact.total, abs=1e-6)
    assert not sampled.stability["shapley"].exhaustive


def test_beyond_the_exact_limit_shapley_is_sampled_and_the_nucleolus_skipped() -> None:
    result = share(compute_stack(), samples=20, exact_limit=2)
    assert not result.allocations["shapley"].exact
    assert "nucleolus" not in result.allocations
    assert "2 members" in result.unavailable["nucleolus"]
    assert not result.stability["owen"].exhaustive
    assert result.to_json()["unavailable"] == dict(result.unavailable)


def test_unknown_methods_and_memberless_scenarios_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown sharing method"):
        share(compute_stack(), methods=("banzhaf",))
    data = compute_stack().model_dump()
    for country in data["countries"]:
        country["member"] = False
    data["targets"] = []
    with pytest.raises(InputError, match="no members"):
        share(Scenario.model_validate(data))


@pytest.mark.parametrize(
    "arguments",
    [{"workers": 0}, {"samples": 3}, {"precision": 0.0}, {"search_budget": 0}],
    ids=["workers", "samples", "precision", "search_budget"],
)
def test_unusable_arguments_are_input_errors_before_any_solve(
    arguments: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search budget of 0 used to give an excess of -inf ("stable" after checking
    nothing, and a JSON summary that cannot be written); the others a ValueError."""

    def solve(*args: object, **kwargs: object) -> Solution:
        raise AssertionError("nothing may be solved before the arguments are checked")

    monkeypatch.setattr(planner.analysis.sharing, "solve", solve)
    with pytest.raises(InputError, match=next(iter(arguments)).replace("_", " ")):
        share(compute_stack(), exact_limit=2, **arguments)


def test_a_local_process_pool_gives_the_same_values(stack_result: SharingResult) -> None:
    result = share(compute_stack(), methods=("shapley",), workers=2)
    assert dict(result.coalition_costs) == approx(dict(stack_result.coalition_costs))


# ----------------------------------------------------------------------------------------
# Failed coalitions


@pytest.fixture
def failing_bc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the solve of coalition {B, C} end in error (in this process)."""

    def solve(
        built: BuiltModel, options: SolveOptions | None = None, *, prices: bool = True
    ) -> Solution:
        if set(built.setting.members) == {"B", "C"}:
            return Solution(Status.ERROR, "simulated failure")
        return real_solve(built, options, prices=prices)

    monkeypatch.setattr(planner.analysis.sharing, "solve", solve)


@pytest.mark.usefixtures("failing_bc")
def test_a_failed_coalition_is_reported_and_the_methods_needing_it_are_unavailable() -> None:
    result = share(compute_stack())
    assert [sorted(f.coalition) for f in result.failures] == [["B", "C"]]
    assert "no optimal plan (status error): simulated failure" in result.failures[0].error
    assert "owen" in result.allocations  # one grand solve: unaffected
    assert "needs the cost of 1 coalition(s)" in result.unavailable["shapley"]
    assert "{B, C}" in result.unavailable["nucleolus"]
    assert "stability/owen" in result.unavailable
    assert not result.complete
    document = result.to_json()
    assert document["failures"] == [{"coalition": ["B", "C"], "error": result.failures[0].error}]


def test_a_failed_grand_coalition_stops_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        planner.analysis.sharing, "solve", lambda built, options=None: Solution(Status.INFEASIBLE)
    )
    with pytest.raises(CoalitionError, match="could not be evaluated") as caught:
        share(compute_stack())
    assert isinstance(caught.value, NoPlanError)
    assert len(caught.value.failures) == 4  # the grand coalition and each member alone


# ----------------------------------------------------------------------------------------
# JSON and workbook


def test_json_has_the_contract_keys(stack_result: SharingResult, tmp_path: Path) -> None:
    path = write_sharing_json(stack_result, tmp_path / "sharing.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["scenario"] == "sharing"
    assert document["coalition_cost"] == approx(12)
    assert document["national_costs"] == approx({"A": 20, "B": 12, "C": 12})
    assert set(document["methods"]) == {"owen", "shapley", "nucleolus"}
    shapley = document["methods"]["shapley"]
    assert shapley["exact"] is True
    assert set(shapley["shares"]) == {"A", "B", "C"}
    assert shapley["shares"]["B"] == approx({"cost": -23 / 6, "saving": 12 + 23 / 6, "stderr": 0.0})
    for method in ("owen", "shapley", "nucleolus"):
        check = document["stability"][method]
        assert {"stable", "worst_coalition", "excess"} <= set(check)
        assert check["stable"] is True
        assert check["worst_coalition"] in (["A", "B"], ["C"])
    assert document["stability"]["owen"]["worst_coalition"] == ["A", "B"]
    assert len(document["coalitions"]) == 7


def test_workbook_sheets_hold_shares_and_verdicts(tmp_path: Path) -> None:
    result = share(compute_stack(a="=HYPERLINK(1)"), samples=12)
    path = write_sharing_report(result, tmp_path / "sharing.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Answer", "Sharing", "Stability", "Coalitions", "About"]
    sharing = book["Sharing"]
    header = [cell.value for cell in sharing[1]]
    assert header[:3] == ["country", "name", "national cost (USD bn)"]
    assert "shapley: standard error (USD bn)" in header
    assert "owen: standard error (USD bn)" not in header
    first = sharing["A2"]
    assert first.value == "=HYPERLINK(1)" and first.data_type == "s"
    owen_cost = header.index("owen: cost share (USD bn)")
    assert [row[owen_cost].value for row in sharing.iter_rows(min_row=2)] == approx([0, 8, 4])
    stability = book["Stability"]
    rows = {row[0].value: row for row in stability.iter_rows(min_row=2)}
    assert rows["owen"][1].value == "stable"
    assert rows["owen"][3].value == "=HYPERLINK(1), B"
    assert rows["nucleolus"][5].value == "yes"


def test_a_rule_not_computed_gives_its_reason_as_its_verdict(tmp_path: Path) -> None:
    result = share(compute_stack(), samples=20, exact_limit=2)
    book = load_workbook(write_sharing_report(result, tmp_path / "sharing.xlsx"))
    rows = {row[0].value: row for row in book["Stability"].iter_rows(min_row=2)}
    verdict, coalition = rows["nucleolus"][1].value, rows["nucleolus"][3].value
    assert verdict == f"not computed: {result.unavailable['nucleolus']}"
    assert coalition is None  # not under "most dissatisfied coalition"


def test_the_terminal_says_how_far_a_search_went() -> None:
    result = share(compute_stack(), methods=("owen",), exact_limit=2)
    checked = result.stability["owen"].coalitions_checked
    assert f"owen: no blocking coalition found by the search (search of {checked} coalitions)" in (
        format_sharing(result).splitlines()
    )


def test_every_sampled_share_shows_its_standard_error() -> None:
    """Two members with nothing to trade: each one's marginal cost is its own cost in every
    order, so the standard errors are exactly 0, and still shown as sampled."""
    scenario = make_scenario(
        countries=["A", "B"],
        commodities={"cap": "capability"},
        recipe={"make": {"cap": 1}},
        capacity={(c, "make"): {"existing": 5, "cost": 1} for c in "AB"},
        targets={(c, "cap"): 2 for c in "AB"},
    )
    result = share(scenario, methods=("shapley",), samples=4)
    assert result.allocations["shapley"].stderr == (0.0, 0.0)
    table = format_sharing(result).splitlines()
    assert [line.split()[-1] for line in table if line.startswith(("A ", "B "))] == ["±0.00"] * 2


def test_the_report_refuses_other_suffixes(stack_result: SharingResult, tmp_path: Path) -> None:
    from planner.errors import OutputError

    with pytest.raises(OutputError, match=r"\.xlsx"):
        write_sharing_report(stack_result, tmp_path / "sharing.csv")
    assert build_sharing_workbook(stack_result).sheetnames[0] == "Answer"


# ----------------------------------------------------------------------------------------
# The command


@pytest.fixture
def workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_workbook(tmp_path / "small.xlsx", minimal_scenario_tables())


def test_share_command_writes_the_report_and_the_json(workbook: Path) -> None:
    outcome = CliRunner().invoke(share_command, [str(workbook), "--json", "out.json"])
    assert outcome.exit_code == 0, outcome.output
    assert "member  national  owen saving  shapley saving  nucleolus saving" in outcome.output
    assert "owen: not stable: the shares fall 20 USD bn short" in outcome.output
    assert (workbook.parent / "small-sharing.xlsx").exists()
    document = json.loads((workbook.parent / "out.json").read_text(encoding="utf-8"))
    assert {"scenario", "coalition_cost", "national_costs", "methods", "stability"} <= set(document)
    assert document["scenario"] == "minimal"
    assert document["methods"]["nucleolus"]["shares"]["A"]["stderr"] == 0.0


def test_share_command_json_to_stdout_and_one_method(workbook: Path) -> None:
    outcome = CliRunner().invoke(
        share_command,
        [str(workbook), "--method", "shapley", "--samples", "8", "--json", "-", "-o", "r.xlsx"],
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert list(document["methods"]) == ["shapley"]
    assert document["methods"]["shapley"]["exact"] is False
    assert "±" in outcome.stderr
    assert (workbook.parent / "r.xlsx").exists()


def test_share_command_json_to_stdout_keeps_text_as_written(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Scenario"][1][1] = "coalición"
    path = write_workbook(tmp_path / "accents.xlsx", tables)
    arguments = [str(path), "--method", "owen", "-o", str(tmp_path / "r.xlsx")]
    outcome = CliRunner().invoke(share_command, [*arguments, "--json", "-"])
    assert outcome.exit_code == 0, outcome.output
    assert '"scenario": "coalición"' in outcome.stdout  # as in a --json file, not \u00f3


def test_share_command_exit_codes(workbook: Path) -> None:
    missing = CliRunner().invoke(share_command, [str(workbook.parent / "none.xlsx")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: ")
    onto_input = CliRunner().invoke(share_command, [str(workbook), "-o", str(workbook)])
    assert onto_input.exit_code == 2
    assert "input workbook" in onto_input.stderr


def test_progress_counts_big_and_small_batches() -> None:
    stream = io.StringIO()  # not a terminal: plain lines
    progress = _Progress(threshold=4, stream=stream, interval=0)
    for done in (2, 4, 6):  # one batch of 6, in chunks: a bar
        progress(Progress(done, 0, 6, float(done), 6.0 - done))
    for total in (3, 2):  # two small batches: counted
        for done in range(1, total + 1):
            progress(Progress(done, 0, total, 1.0, 0.0))
    progress.close()
    assert progress.solved == 11
    lines = stream.getvalue().splitlines()
    assert lines[0] == "solving coalitions: 2 of 6 (33%), 2 s, about 4 s left"
    assert lines[2] == "solving coalitions: 6 of 6 (100%), 6 s"
    assert lines[-1] == "coalitions solved: 11 (stability search)"


@pytest.mark.usefixtures("failing_bc")
def test_share_command_exits_3_listing_the_failed_coalition(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Countries"][3][2] = "yes"  # C becomes the third member
    path = write_workbook(tmp_path / "three.xlsx", tables)
    outcome = CliRunner().invoke(share_command, [str(path), "-o", str(tmp_path / "r.xlsx")])
    assert outcome.exit_code == 3, outcome.output
    assert "{B, C}: " in outcome.stderr
    assert "simulated failure" in outcome.stderr
    assert "shapley: not computed" in outcome.stdout
    assert (tmp_path / "r.xlsx").exists()  # what is known is still written


# ----------------------------------------------------------------------------------------
# Dask


def test_a_dask_scheduler_gives_the_same_result(stack_result: SharingResult) -> None:
    distributed = pytest.importorskip("distributed", reason="Dask (distributed) not installed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = share(compute_stack(), scheduler=cluster.scheduler_address)
    assert dict(result.coalition_costs) == approx(dict(stack_result.coalition_costs))
    for method in ("owen", "shapley", "nucleolus"):
        assert result.allocations[method].costs == approx(
            stack_result.allocations[method].costs, abs=1e-9
        )


def test_a_scheduler_without_dask_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(InputError, match="Dask is not installed"):
        share(compute_stack(), scheduler="tcp://127.0.0.1:8786")
