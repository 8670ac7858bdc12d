"""write_scenario writes a workbook that planner.load reads back equal.

Round trips of the bundled scenarios, of edited ones, of generated ones (the hypothesis
strategy of tests/test_properties.py), and of text that a spreadsheet would take for a
formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook

import planner
from planner.io.write import scenario_tables
from planner.scenario.sheets import SHEETS
from tests.test_properties import scenarios
from tests.workbooks import MINIMAL_SCENARIO

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.xlsx"))


def round_trip(scenario: planner.Scenario, path: Path) -> planner.Scenario:
    return planner.load(planner.write_scenario(scenario, path)).scenario


@pytest.mark.parametrize("workbook", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_a_bundled_scenario_loads_back_equal(workbook: Path, tmp_path: Path) -> None:
    scenario = planner.load(workbook).scenario
    assert round_trip(scenario, tmp_path / workbook.name) == scenario


def test_an_edited_scenario_loads_back_equal(tmp_path: Path) -> None:
    edited = planner.scaled(planner.without_members(MINIMAL_SCENARIO, ["B"]), "Links", "cost", 1)
    edited = planner.with_value(edited, "Links", "cost", 2.5)
    back = round_trip(edited, tmp_path / "edited.xlsx")
    assert back == edited
    assert back.members == ("A",)


def test_stresses_lists_and_sampling_load_back_equal(tmp_path: Path) -> None:
    """A stress of each action leaves blank the columns it does not read (its defaults,
    such as a ban's factor of 0, would be rejected), regimes and a discrete draw's values
    and weights are comma lists, and a Sampling sheet that is not the default is kept."""
    edited = planner.with_rows(
        MINIMAL_SCENARIO,
        "Stresses",
        {"case": "b", "action": "ban", "exporter": "A", "commodity": "ore"},
        {"case": "x", "action": "exit", "country": "B", "regimes": "coalition, open"},
        {"case": "o", "action": "outage", "country": "A", "commodity": "ore", "factor": 0.5},
        {"case": "k", "action": "chokepoint", "commodity": "ore", "rank": 2},
        {"case": "c", "action": "cut", "importer": "B", "commodity": "*", "capacity": 3},
    )
    edited = planner.with_rows(
        edited,
        "Uncertain",
        {
            "parameter": "ore-cost",
            "sheet": "Resources",
            "column": "cost",
            "distribution": "discrete",
            "values": "0.5, 1, 2",
            "weights": "1, 2, 1",
        },
    )
    edited = edited.model_copy(update={"sampling": {"design": "mc", "samples": 9, "seed": 7}})
    assert round_trip(edited, tmp_path / "stressed.xlsx") == edited


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    tricky = planner.with_rows(
        MINIMAL_SCENARIO,
        "Countries",
        {"country": "=HYPERLINK(1)", "name": "+cmd|' /C calc'!A0", "member": False},
    )
    tricky = planner.with_setting(tricky, "description", "@SUM(1)")
    path = tmp_path / "tricky.xlsx"
    assert round_trip(tricky, path) == tricky
    sheet = load_workbook(path)["Countries"]
    assert [(c.value, c.data_type) for c in sheet["A"]][-1] == ("=HYPERLINK(1)", "s")


def test_every_contract_sheet_is_written_or_optional_and_empty() -> None:
    tables = scenario_tables(MINIMAL_SCENARIO)
    for sheet in SHEETS:
        assert sheet.name in tables or not sheet.required
    assert [c for c in tables["Capacity"].columns] == [
        c.name
        for c in next(s for s in SHEETS if s.name == "Capacity").columns
        if c.required or c.name in tables["Capacity"].columns
    ]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_a_generated_scenario_loads_back_equal(
    data: dict[str, Any], make_scenario: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scenario = make_scenario(**data)
    path = tmp_path_factory.mktemp("generated") / "s.xlsx"
    assert round_trip(scenario, path) == scenario
