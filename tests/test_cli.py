"""The command line, in-process through click's CliRunner: commands, outputs, exit codes."""

from __future__ import annotations

import hashlib
import json
import runpy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import add_row, minimal_scenario_tables, set_cell, write_workbook

from planner.cli.main import main

TUTORIAL = Path(__file__).resolve().parent.parent / "scenarios/tutorial_comparative_advantage.xlsx"
RUN_KEYS = {
    "mode",
    "regime",
    "status",
    "objective",
    "total_cost",
    "total_capability",
    "total_shortfall",
    "countries",
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_writes_the_report_and_the_json_summary_of_the_contract(tmp_path: Path) -> None:
    report, summary = tmp_path / "r.xlsx", tmp_path / "s.json"
    code, out, _ = invoke("run", TUTORIAL, "-o", report, "--json", summary)
    assert code == 0
    assert "coalition" in out and "470.00" in out
    assert openpyxl.load_workbook(report).sheetnames[0] == "Summary"
    data = json.loads(summary.read_text())
    assert data["scenario"] == "tutorial_comparative_advantage"
    runs = data["runs"]
    assert [(r["mode"], r["regime"]) for r in runs] == [
        (mode, regime)
        for mode in ("min_cost", "max_capability")
        for regime in ("national", "coalition", "open")
    ]
    for run in runs:
        assert set(run) >= RUN_KEYS
        assert run["status"] == "optimal"
        for country in run["countries"]:
            assert {"country", "cost", "capability", "shortfall"} <= set(country)
    coalition = runs[1]
    assert coalition["objective"] == pytest.approx(470)
    assert coalition["total_cost"] == pytest.approx(470)
    assert coalition["total_capability"] == pytest.approx(100)
    assert coalition["total_shortfall"] == pytest.approx(0)
    by_country = {c["country"]: c for c in coalition["countries"]}
    assert by_country["ORELAND"]["cost"] + by_country["CHIPLAND"]["cost"] == pytest.approx(470)


def test_the_default_report_lands_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = invoke("run", TUTORIAL, "--mode", "min_cost")
    assert code == 0
    assert (tmp_path / "tutorial_comparative_advantage-report.xlsx").is_file()


def test_json_to_standard_output_keeps_the_table_off_it(tmp_path: Path) -> None:
    code, out, err = invoke("run", TUTORIAL, "-o", tmp_path / "r.xlsx", "--json", "-")
    assert code == 0
    assert len(json.loads(out)["runs"]) == 6
    assert "scenario:" in err


def test_mode_selects_the_runs(tmp_path: Path) -> None:
    summary = tmp_path / "s.json"
    args = ("run", TUTORIAL, "-o", tmp_path / "r.xlsx", "--json", summary)
    code, _, _ = invoke(*args, "--mode", "max_capability")
    assert code == 0
    runs = json.loads(summary.read_text())["runs"]
    assert {r["mode"] for r in runs} == {"max_capability"}
    assert len(runs) == 3


def test_template_then_validate_round_trip(tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    assert invoke("template", template)[0] == 0
    code, _, err = invoke("validate", template)
    assert code == 2  # an empty template has no name yet
    assert "Scenario" in err and "name" in err


def test_validate_counts_what_the_scenario_holds(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables())
    code, out, _ = invoke("validate", path)
    assert code == 0
    assert out.startswith("valid: minimal: 3 countries, 2 members")


def test_an_invalid_scenario_exits_2_naming_sheet_row_and_column(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 2, "cost", "ten")
    path = write_workbook(tmp_path / "s.xlsx", tables)
    before = digest(path)
    code, out, err = invoke("run", path, "-o", tmp_path / "r.xlsx")
    assert code == 2
    assert "Capacity row 2, column `cost`" in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "r.xlsx").exists()
    assert digest(path) == before


def test_warnings_are_printed_before_the_problems_that_stop_validation(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Scratch"] = [["anything"]]
    add_row(tables, "Countries", {"country": "Z", "member": "maybe"})
    path = write_workbook(tmp_path / "s.xlsx", tables)
    code, _, err = invoke("validate", path)
    assert code == 2
    warning, error = err.index("warning: Scratch"), err.index("error:")
    assert warning < error
    assert "column `member`" in err


def test_a_missing_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    code, out, err = invoke("run", tmp_path / "nope.xlsx")
    assert code == 2
    assert "nope.xlsx" in err and "Traceback" not in err + out


def test_the_report_may_not_overwrite_the_input(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables())
    before = digest(path)
    code, out, err = invoke("run", path, "-o", path)
    assert code == 2
    assert "input" in err
    assert "scenario:" not in out  # refused before any solve
    assert digest(path) == before


def test_no_plan_exits_3_and_says_which_runs(tmp_path: Path) -> None:
    """A time limit too short for HiGHS to find any plan: every run ends in `error`."""
    path = write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables())
    summary = tmp_path / "s.json"
    code, _, err = invoke(
        "run", path, "-o", tmp_path / "r.xlsx", "--json", summary, "--time-limit", "1e-9"
    )
    assert code == 3
    assert "no plan found" in err
    statuses = {r["status"] for r in json.loads(summary.read_text())["runs"]}
    assert "error" in statuses


def test_python_dash_m_is_the_same_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["planner", "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("planner", run_name="__main__")
    assert stop.value.code == 0
    assert "template" in capsys.readouterr().out


def test_validate_annotate_writes_the_marked_copy_and_says_where(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 2, "cost", "ten")
    path = write_workbook(tmp_path / "s.xlsx", tables)
    before = digest(path)
    copy = tmp_path / "fix.xlsx"
    code, _, err = invoke("validate", path, "--annotate", copy)
    assert code == 2
    assert f"annotated copy, each problem marked on its cell: {copy}" in err
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "Errors"
    assert book["Capacity"]["D2"].comment is not None
    assert digest(path) == before


def test_run_prints_a_few_warnings_in_full_and_the_command_that_lists_them_all(
    tmp_path: Path,
) -> None:
    tables = minimal_scenario_tables()
    for k in range(5):
        tables[f"Scratch {k}"] = [["working"]]
    tables["Sources"] = [["where the figures come from"]]  # the user's own: no warning
    scenario = write_workbook(tmp_path / "s.xlsx", tables)
    code, _, err = invoke("run", scenario, "-o", tmp_path / "r.xlsx")
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    assert all(w.endswith("ignored") for w in warnings[:2])  # whole, not cut short
    assert "(1 on Scratch 2, 1 on Scratch 3, 1 on Scratch 4, 1 on Targets)" in warnings[2]
    assert "and 4 more" in warnings[2] and f"`planner validate {scenario}`" in warnings[2]
    assert "Sources" not in err


@pytest.mark.parametrize(
    ("flags", "checks"),
    [((), 400), (("--price-checks", "0"), 0), (("--all-price-checks",), None)],
)
def test_run_passes_the_price_check_budget_to_the_solver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], checks: int | None
) -> None:
    """``--price-checks N`` caps the re-solves that check prices (what the cap does is
    tested in test_prices.py); ``--all-price-checks`` lifts it."""
    import importlib

    cli = importlib.import_module("planner.cli.main")

    seen = []
    real = cli.run_scenario

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["options"])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "run_scenario", spy)
    report = tmp_path / "r.xlsx"
    result = CliRunner().invoke(main, ["run", str(TUTORIAL), "-o", str(report), *flags])
    assert result.exit_code == 0, result.output
    assert [o.price_checks for o in seen] == [checks]  # type: ignore[attr-defined]
