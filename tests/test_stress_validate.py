"""The Stresses sheet: one rule per test, each asserting the exact sheet, row and column.

Every test starts from the valid minimal scenario of ``tests/workbooks.py`` (members A and
B, non-member C; ore and chip tradable, compute a capability; Resources rows for ore in A, B
and C; Capacity rows fab and dc in A, dc in B) with a Stresses sheet, and breaks one thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import Tables, minimal_scenario_tables, write_workbook

from planner.errors import InputError
from planner.io.validate import load_scenario
from planner.scenario.schema import Action, Regime, Stress

HEADER = ["case", "action", "country", "exporter", "importer", "commodity", "process"]
HEADER += ["factor", "capacity", "rank", "regimes", "probability"]


def with_stresses(*rows: dict[str, object]) -> Tables:
    tables = minimal_scenario_tables()
    tables["Stresses"] = [HEADER, *([row.get(c) for c in HEADER] for row in rows)]
    return tables


def located(tmp_path: Path, *rows: dict[str, object]) -> list[tuple[str, int | None, str]]:
    with pytest.raises(InputError) as info:
        load_scenario(write_workbook(tmp_path / "s.xlsx", with_stresses(*rows)))
    return [(p.sheet, p.row, p.column) for p in info.value.problems]


def message(tmp_path: Path, *rows: dict[str, object]) -> str:
    with pytest.raises(InputError) as info:
        load_scenario(write_workbook(tmp_path / "s.xlsx", with_stresses(*rows)))
    (problem,) = info.value.problems
    return problem.message


def test_a_valid_sheet_loads_with_defaults_and_compound_cases(tmp_path: Path) -> None:
    rows = (
        {"case": "shock", "action": "exit", "country": "B"},
        {"case": "shock", "action": "ban", "exporter": "C", "commodity": "*"},
        {"case": "half", "action": "outage", "country": "A", "process": "fab", "factor": 0.5},
        {"case": "cap", "action": "cut", "importer": "A", "commodity": "ore", "capacity": 1},
        {"case": "top", "action": "chokepoint", "commodity": "chip", "regimes": "Open, national"},
    )
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", with_stresses(*rows))).scenario
    exit_, ban, half, cut, top = scenario.stresses
    assert exit_ == Stress(case="shock", action=Action.EXIT, country="B", regimes=("coalition",))
    assert (ban.exporter, ban.importer, ban.commodity) == ("C", "*", "*")
    assert ban.regimes == (Regime.COALITION, Regime.OPEN)
    assert half.factor == 0.5 and half.regimes == tuple(Regime)
    assert cut.capacity == 1
    assert top.rank == 1 and top.regimes == (Regime.NATIONAL, Regime.OPEN)


def test_exit_needs_a_country(tmp_path: Path) -> None:
    assert located(tmp_path, {"case": "x", "action": "exit"}) == [("Stresses", 2, "country")]


def test_exit_of_a_non_member(tmp_path: Path) -> None:
    found = located(tmp_path, {"case": "x", "action": "exit", "country": "C"})
    assert found == [("Stresses", 2, "country")]


def test_unknown_country(tmp_path: Path) -> None:
    found = located(tmp_path, {"case": "x", "action": "outage", "country": "Z", "process": "fab"})
    assert found == [("Stresses", 2, "country")]


def test_unknown_action(tmp_path: Path) -> None:
    found = located(tmp_path, {"case": "x", "action": "embargo", "country": "A"})
    assert found == [("Stresses", 2, "action")]


def test_blank_case(tmp_path: Path) -> None:
    found = located(tmp_path, {"action": "exit", "country": "A"})
    assert found == [("Stresses", 2, "case")]


def test_a_column_the_action_ignores(tmp_path: Path) -> None:
    found = located(tmp_path, {"case": "x", "action": "exit", "country": "A", "factor": 0.5})
    assert found == [("Stresses", 2, "factor")]


def test_ban_of_every_link(tmp_path: Path) -> None:
    assert "stop all trade" in message(tmp_path, {"case": "x", "action": "ban", "commodity": "*"})
    found = located(tmp_path, {"case": "x", "action": "ban", "commodity": "*"})
    assert found == [("Stresses", 2, "importer")]


def test_ban_from_a_country_to_itself(tmp_path: Path) -> None:
    row = {"case": "x", "action": "ban", "exporter": "A", "importer": "A", "commodity": "ore"}
    assert located(tmp_path, row) == [("Stresses", 2, "importer")]


def test_ban_of_a_commodity_no_link_carries(tmp_path: Path) -> None:
    row = {"case": "x", "action": "cut", "exporter": "A", "commodity": "compute"}
    assert located(tmp_path, row) == [("Stresses", 2, "commodity")]


def test_ban_needs_a_commodity(tmp_path: Path) -> None:
    row = {"case": "x", "action": "ban", "exporter": "A"}
    assert located(tmp_path, row) == [("Stresses", 2, "commodity")]


def test_cut_capacity_is_not_negative(tmp_path: Path) -> None:
    row = {"case": "x", "action": "cut", "exporter": "A", "commodity": "ore", "capacity": -1}
    assert located(tmp_path, row) == [("Stresses", 2, "capacity")]


def test_outage_factor_is_a_share(tmp_path: Path) -> None:
    row = {"case": "x", "action": "outage", "country": "A", "process": "fab", "factor": 1.5}
    assert located(tmp_path, row) == [("Stresses", 2, "factor")]


def test_outage_of_both_a_process_and_a_commodity(tmp_path: Path) -> None:
    row = {"case": "x", "action": "outage", "country": "A", "process": "fab", "commodity": "ore"}
    assert located(tmp_path, row) == [("Stresses", 2, "process")]


def test_outage_of_neither(tmp_path: Path) -> None:
    row = {"case": "x", "action": "outage", "country": "A"}
    assert located(tmp_path, row) == [("Stresses", 2, "commodity")]


def test_outage_of_a_resource_the_country_lacks(tmp_path: Path) -> None:
    row = {"case": "x", "action": "outage", "country": "A", "commodity": "chip"}
    assert located(tmp_path, row) == [("Stresses", 2, "commodity")]


def test_outage_of_a_process_without_capacity_there(tmp_path: Path) -> None:
    row = {"case": "x", "action": "outage", "country": "B", "process": "fab"}
    assert located(tmp_path, row) == [("Stresses", 2, "process")]


def test_chokepoint_of_a_capability(tmp_path: Path) -> None:
    row = {"case": "x", "action": "chokepoint", "commodity": "compute"}
    assert located(tmp_path, row) == [("Stresses", 2, "commodity")]


def test_chokepoint_rank_is_whole(tmp_path: Path) -> None:
    row = {"case": "x", "action": "chokepoint", "commodity": "ore", "rank": 1.5}
    assert located(tmp_path, row) == [("Stresses", 2, "rank")]


def test_chokepoint_rank_is_at_least_one(tmp_path: Path) -> None:
    row = {"case": "x", "action": "chokepoint", "commodity": "ore", "rank": 0}
    assert located(tmp_path, row) == [("Stresses", 2, "rank")]


def test_unknown_regime(tmp_path: Path) -> None:
    row = {"case": "x", "action": "chokepoint", "commodity": "ore", "regimes": "coalition, opn"}
    assert located(tmp_path, row) == [("Stresses", 2, "regimes")]
    assert "did you mean `open`?" in message(tmp_path, row)


def test_ban_in_national_stacks(tmp_path: Path) -> None:
    row = {"case": "x", "action": "ban", "exporter": "C", "commodity": "*", "regimes": "national"}
    assert located(tmp_path, row) == [("Stresses", 2, "regimes")]


def test_probability_is_at_most_one(tmp_path: Path) -> None:
    row = {"case": "x", "action": "exit", "country": "A", "probability": 2}
    assert located(tmp_path, row) == [("Stresses", 2, "probability")]


def test_one_probability_per_case(tmp_path: Path) -> None:
    rows = (
        {"case": "x", "action": "exit", "country": "A", "probability": 0.1},
        {"case": "x", "action": "exit", "country": "B", "probability": 0.2},
    )
    assert located(tmp_path, *rows) == [("Stresses", 3, "probability")]


def test_every_problem_at_once(tmp_path: Path) -> None:
    rows = (
        {"case": "x", "action": "exit", "country": "C"},
        {"case": "y", "action": "outage", "country": "A", "process": "fab", "factor": 2},
        {"case": "z", "action": "ban", "exporter": "B", "importer": "B", "commodity": "ore"},
    )
    assert located(tmp_path, *rows) == [
        ("Stresses", 2, "country"),
        ("Stresses", 3, "factor"),
        ("Stresses", 4, "importer"),
    ]
