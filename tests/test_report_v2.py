"""The multi-period report and terminal output: the Periods sheet with its line chart, the
Lags sheet, outside supply flagged on Summary, and ``planner run --periods``."""

from __future__ import annotations

from pathlib import Path

import v2_cases as cases
from click.testing import CliRunner
from openpyxl import load_workbook
from test_known_optima_v2 import lag_scenario, outside
from test_reference_v2_planner import workbook

import planner
from planner.cli.main import main
from planner.io.report import write_report
from planner.scenario.schema import Period


def test_periods_sheet_has_a_line_chart_of_capability_by_regime(tmp_path: Path) -> None:
    comparison = planner.run(lag_scenario(3))
    path = write_report(comparison, tmp_path / "report.xlsx")
    book = load_workbook(path)
    assert {"Periods", "Lags", "Outside supply"} <= set(book.sheetnames)
    charts = book["Periods"]._charts
    assert [c.tagname for c in charts] == ["lineChart", "lineChart"]
    header = [c.value for c in book["Periods"][1]]
    assert header[:7] == ["mode", "regime", "period", "year", "cost", "capability", "shortfall"]


def test_lags_sheet_says_not_within_the_horizon(tmp_path: Path) -> None:
    """lag_scenario(1.5): national stacks never reach the coalition's 2 a year (see
    tests/test_known_optima_v2.py)."""
    path = write_report(planner.run(lag_scenario(1.5)), tmp_path / "report.xlsx")
    rows = list(load_workbook(path)["Lags"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    lag = header.index("capability_lag")
    country, regime = header.index("country"), header.index("regime")
    chosen = [r[lag] for r in body if r[country] == "A" and r[regime] == "coalition"]
    assert "not within the horizon" in chosen


def test_a_result_that_leans_on_a_backstop_says_so_on_summary(tmp_path: Path) -> None:
    scenario = outside("declared", sovereign=True, backstop=10)
    scenario = scenario.model_copy(
        update={"periods": (Period(period="1", year=2026), Period(period="2", year=2027))}
    )
    comparison = planner.run(scenario)
    assert any("backstop" in line for line in comparison.outside_supply)
    path = write_report(comparison, tmp_path / "report.xlsx")
    text = " ".join(
        str(v) for row in load_workbook(path)["Summary"].iter_rows(values_only=True) for v in row
    )
    assert "World market and backstops" in text
    assert "min_cost/coalition uses 2 units of backstop supply" in text


def test_a_one_period_report_has_no_period_sheets(tmp_path: Path) -> None:
    path = write_report(planner.run(outside("all")), tmp_path / "report.xlsx")
    assert "Periods" not in load_workbook(path).sheetnames


def test_run_prints_each_period_with_periods(tmp_path: Path) -> None:
    """carry_over: two one-year periods 2026 and 2027."""
    path = workbook(cases.carry_over(), tmp_path / "carry.xlsx")
    compact = CliRunner().invoke(
        main, ["run", str(path), "-o", str(tmp_path / "a.xlsx"), "--json", str(tmp_path / "a.json")]
    )
    assert compact.exit_code == 0, compact.output
    assert "(totals over 2 periods, 2026 to 2027; --periods shows each period)" in compact.output
    detailed = CliRunner().invoke(
        main,
        [
            "run",
            str(path),
            "--periods",
            "-o",
            str(tmp_path / "b.xlsx"),
            "--json",
            str(tmp_path / "b.json"),
        ],
    )
    assert detailed.exit_code == 0, detailed.output
    lines = [line for line in detailed.output.splitlines() if "2027" in line]
    assert len(lines) == 6  # one per mode and regime
