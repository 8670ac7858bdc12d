"""The Uncertain and Sampling sheets: every rule reported at its sheet, row and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from workbooks import Tables, add_row, minimal_scenario_tables, write_workbook

from planner.errors import InputError
from planner.io.validate import load_scenario
from planner.scenario.schema import Apply, Design, Distribution

HEADER = ["parameter", "sheet", "column"]


def with_uncertain(*rows: dict[str, Any], sampling: list[list[object]] | None = None) -> Tables:
    tables = minimal_scenario_tables()
    tables["Uncertain"] = [list(HEADER)]
    for row in rows:
        add_row(tables, "Uncertain", row)
    if sampling is not None:
        tables["Sampling"] = [["key", "value"], *sampling]
    return tables


def problems_of(tables: Tables, tmp_path: Path) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(InputError) as info:
        load_scenario(write_workbook(tmp_path / "s.xlsx", tables))
    return [(p.sheet, p.row, p.column, p.message) for p in info.value.problems]


def where(tables: Tables, tmp_path: Path) -> list[tuple[str, int | None, str]]:
    return [p[:3] for p in problems_of(tables, tmp_path)]


UNIFORM = {"low": 0.5, "high": 1.5}


def test_an_uncertain_sheet_loads_with_names_matched_ignoring_case(tmp_path: Path) -> None:
    tables = with_uncertain(
        {"parameter": "ore", "sheet": "resources", "column": "COST", "country": "A", **UNIFORM},
        {
            "parameter": "dc",
            "sheet": "Capacity",
            "column": "cost",
            "process": "dc",
            "apply": "add",
            "distribution": "discrete",
            "values": "0, 0.5,1",
            "weights": "1,1,2",
            "group": "g",
        },
        sampling=[["design", "MC"], ["samples", 16], ["seed", 7]],
    )
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    ore, dc = scenario.uncertain
    assert (ore.sheet, ore.column, ore.country, ore.commodity, ore.apply) == (
        "Resources",
        "cost",
        "A",
        "*",
        Apply.SCALE,
    )
    assert (ore.distribution, ore.factor, ore.centre) == (Distribution.UNIFORM, "ore", 1.0)
    assert (dc.values, dc.weights, dc.factor, dc.centre) == ((0, 0.5, 1), (1, 1, 2), "g", 0.0)
    assert (scenario.sampling.design, scenario.sampling.samples, scenario.sampling.seed) == (
        Design.MC,
        16,
        7,
    )


def test_a_normal_draw_that_could_make_an_availability_negative_is_refused(
    tmp_path: Path,
) -> None:
    """available >= 0, and an untruncated normal reaches any value: refused at `low`."""
    tables = with_uncertain(
        {
            "parameter": "ore",
            "sheet": "Resources",
            "column": "available",
            "distribution": "normal",
            "mean": 1,
            "sd": 0.2,
        }
    )
    ((sheet, row, column, message),) = problems_of(tables, tmp_path)
    assert (sheet, row, column) == ("Uncertain", 2, "low")
    assert "Resources row 2, `available` negative" in message
    assert "truncate it with `low`" in message


def test_a_truncated_normal_that_stays_at_or_above_zero_is_accepted(tmp_path: Path) -> None:
    row = {"parameter": "ore", "sheet": "Resources", "column": "available"}
    tables = with_uncertain({**row, "distribution": "normal", "mean": 1, "sd": 0.2, "low": 0})
    assert load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario.uncertain


def test_an_add_that_could_make_a_cost_negative_is_refused(tmp_path: Path) -> None:
    """Resources cost of A is 2; adding down to -3 gives -1."""
    tables = with_uncertain(
        {"parameter": "p", "sheet": "Resources", "column": "cost", "apply": "add"}
        | {"low": -3, "high": 1}
    )
    assert where(tables, tmp_path) == [("Uncertain", 2, "low")]


def test_a_set_of_the_shortfall_penalty_to_zero_breaks_its_strict_bound(tmp_path: Path) -> None:
    tables = with_uncertain(
        {"parameter": "p", "sheet": "Scenario", "column": "shortfall_penalty", "apply": "set"}
        | {"distribution": "discrete", "values": "0, 100"}
    )
    assert where(tables, tmp_path) == [("Uncertain", 2, "values")]


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        ({"sheet": "Resources", "column": "country", **UNIFORM}, "column", "not a numeric"),
        ({"sheet": "Resources", "column": "cost", "process": "fab", **UNIFORM}, "process", "no"),
        ({"sheet": "Resources", "column": "cost", "country": "Z", **UNIFORM}, "column", "no Res"),
        ({"sheet": "Resources", "column": "cost", "period": "2030", **UNIFORM}, "column", "no"),
        ({"sheet": "Links", "column": "cost", **UNIFORM}, "column", "that holds a number"),
        ({"sheet": "Resources", "column": "cost", "low": 1}, "high", "needs `high`"),
        ({"sheet": "Resources", "column": "cost", "peak": 1, **UNIFORM}, "peak", "not `peak`"),
        ({"sheet": "Resources", "column": "cost", "low": 2, "high": 1}, "high", "not above"),
        (
            {"sheet": "Resources", "column": "cost", "distribution": "triangular", "peak": 3}
            | UNIFORM,
            "peak",
            "outside",
        ),
        (
            {"sheet": "Resources", "column": "cost", "distribution": "normal", "mean": 1}
            | {"sd": 0, "low": 0},
            "sd",
            "not above 0",
        ),
        (
            {"sheet": "Resources", "column": "cost", "distribution": "lognormal", "mean": 0}
            | {"sd": 1},
            "mean",
            "above 0",
        ),
        (
            {"sheet": "Resources", "column": "cost", "distribution": "discrete", "values": "1,x"},
            "values",
            "'x' is not a number",
        ),
        (
            {"sheet": "Resources", "column": "cost", "distribution": "discrete", "values": "1,2"}
            | {"weights": "1"},
            "weights",
            "1 weights for 2 values",
        ),
        ({"sheet": "Resources", "column": "cost", "apply": "times", **UNIFORM}, "apply", "valid"),
        ({"sheet": "Nowhere", "column": "cost", **UNIFORM}, "sheet", "valid sheet"),
    ],
)
def test_each_uncertain_rule_is_located(
    row: dict[str, Any], column: str, text: str, tmp_path: Path
) -> None:
    tables = with_uncertain({"parameter": "p", **row})
    ((sheet, at, found, message),) = problems_of(tables, tmp_path)
    assert (sheet, at, found) == ("Uncertain", 2, column)
    assert text in message


def test_a_cell_moved_by_two_parameters_is_refused_at_the_second(tmp_path: Path) -> None:
    tables = with_uncertain(
        {"parameter": "all", "sheet": "Resources", "column": "cost", **UNIFORM},
        {"parameter": "a", "sheet": "Resources", "column": "cost", "country": "A", **UNIFORM},
        {"parameter": "b", "sheet": "Resources", "column": "available", **UNIFORM},
    )
    ((sheet, row, column, message),) = problems_of(tables, tmp_path)
    assert (sheet, row, column) == ("Uncertain", 3, "column")
    assert "which `all` moves already" in message


def test_parameters_are_unique(tmp_path: Path) -> None:
    row = {"parameter": "p", "sheet": "Resources", "column": "cost", **UNIFORM}
    tables = with_uncertain(row, {**row, "column": "available"})
    assert where(tables, tmp_path) == [("Uncertain", 3, "parameter")]


@pytest.mark.parametrize(
    ("setting", "value", "text"),
    [("design", "grid", "not a valid design"), ("samples", 2.5, "whole"), ("seed", -1, "negative")],
)
def test_sampling_settings_are_checked(
    setting: str, value: object, text: str, tmp_path: Path
) -> None:
    tables = with_uncertain(
        {"parameter": "p", "sheet": "Resources", "column": "cost", **UNIFORM},
        sampling=[[setting, value]],
    )
    ((sheet, row, column, message),) = problems_of(tables, tmp_path)
    assert (sheet, row, column) == ("Sampling", 2, "value")
    assert text in message


def test_the_period_selector_matches_the_single_period_without_a_periods_sheet(
    tmp_path: Path,
) -> None:
    """Without a Periods sheet there is one period, id `1` (DESIGN.md, Version 2)."""
    row = {"parameter": "p", "sheet": "Resources", "column": "cost", "period": 1, **UNIFORM}
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", with_uncertain(row))).scenario
    assert scenario.uncertain[0].period == "1"
