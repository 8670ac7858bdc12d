"""``planner stress`` in-process: outputs, their agreement with a re-solve, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import minimal_scenario_tables, write_workbook

from planner.cli.main import main
from planner.io.validate import load_scenario
from planner.model.build import build, setting_for
from planner.model.solve import solve
from planner.scenario.schema import Mode, Regime


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def stressed_workbook(tmp_path: Path) -> Path:
    """The minimal scenario with two cases: B leaves, and C's ore link is banned."""
    tables = minimal_scenario_tables()
    tables["Stresses"] = [
        ["case", "action", "country", "exporter", "commodity"],
        ["@b leaves", "exit", "B", None, None],
        ["no ore", "ban", None, "C", "ore"],
    ]
    return write_workbook(tmp_path / "stressed.xlsx", tables)


def test_stress_writes_the_contract_json_and_the_workbook(tmp_path: Path) -> None:
    workbook = stressed_workbook(tmp_path)
    report, summary = tmp_path / "s.xlsx", tmp_path / "s.json"
    code, out, err = invoke("stress", workbook, "--screen", "-o", report, "--json", summary)
    assert code == 0, err
    assert "case no ore, min_cost coalition: damage" in out
    document = json.loads(summary.read_text())
    assert list(document)[:5] == ["scenario", "cases", "screen", "worst", "failures"]
    first = document["cases"][0]
    assert set(first) >= {"case", "resolved", "runs", "loss_to_remaining"}
    assert set(first["runs"][0]) >= {
        "mode", "regime", "status", "objective_before", "objective_after", "damage", "countries"
    }  # fmt: skip
    assert set(first["runs"][0]["countries"][0]) == {"country", "d_shortfall", "d_capability"}
    assert {"element", "damage", "solved"} <= set(document["screen"][0])
    assert [w["k"] for w in document["worst"]] == [1, 2]
    # the damage stated is the damage a re-solve gives
    scenario = load_scenario(workbook).scenario
    data = scenario.model_dump()
    data["link_limits"] = [{"exporter": "C", "commodity": "ore"}]
    data["stresses"] = []
    banned = type(scenario).model_validate(data)

    def objective(s: object, regime: Regime) -> float:
        solution = solve(build(s, setting_for(s, regime, Mode.MIN_COST)))  # type: ignore[arg-type]
        assert solution.objective is not None
        return solution.objective

    ban = next(c for c in document["cases"] if c["case"] == "no ore")
    for run in ban["runs"]:
        if run["mode"] == "min_cost":
            regime = Regime(run["regime"])
            expected = objective(banned, regime) - objective(scenario, regime)
            assert run["damage"] == pytest.approx(expected)
    book = openpyxl.load_workbook(report)
    assert book.sheetnames == [
        "Stress cases",
        "Who is hurt",
        "Single-loss screen",
        "Worst k",
        "About",
    ]
    assert book["Stress cases"]["A2"].value == "@b leaves"
    assert book["Stress cases"]["A2"].data_type == "s"
    assert len(book["Single-loss screen"]._charts) == 1


def test_an_unknown_case_is_an_input_error(tmp_path: Path) -> None:
    code, _, err = invoke("stress", stressed_workbook(tmp_path), "--case", "nope", "-o",
                          tmp_path / "s.xlsx")  # fmt: skip
    assert code == 2
    assert "no case nope in the Stresses sheet" in err
    assert not (tmp_path / "s.xlsx").exists()


def test_a_bad_stresses_row_stops_before_solving(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Stresses"] = [["case", "action", "country"], ["x", "exit", "C"]]
    workbook = write_workbook(tmp_path / "bad.xlsx", tables)
    code, _, err = invoke("stress", workbook, "-o", tmp_path / "s.xlsx")
    assert code == 2
    assert "Stresses" in err and "row 2" in err and "country" in err
