"""No silent traps: refused outputs cost no solve, a filled workbook is never replaced by
the template, and an unknown table name says which tables there are."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner
from planner.cli.main import main

TUTORIAL = Path(__file__).resolve().parent.parent / "scenarios/tutorial_comparative_advantage.xlsx"


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stderr


@pytest.fixture
def no_solve(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every HiGHS call is recorded and refused, so a test sees whether any was made."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("a solve was started before the outputs were checked")

    monkeypatch.setattr("planner.model.solve._run", refuse)
    return calls


def test_template_leaves_an_existing_file_byte_identical_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(TUTORIAL.read_bytes())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, err = invoke("template", path)
    assert code == 2
    assert "--force" in err and "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert invoke("template", path, "--force")[0] == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() != before


@pytest.mark.parametrize("command", ["run", "share"])
@pytest.mark.parametrize(
    "where",
    ["missing folder", "not xlsx", "open in Excel", "json in missing folder"],
)
def test_outputs_are_refused_before_any_solve(
    tmp_path: Path, no_solve: list[object], command: str, where: str
) -> None:
    report, json_path = tmp_path / "report.xlsx", tmp_path / "summary.json"
    if where == "missing folder":
        report = tmp_path / "no such folder" / "report.xlsx"
    elif where == "not xlsx":
        report = tmp_path / "report.csv"
    elif where == "open in Excel":
        (tmp_path / "~$report.xlsx").write_bytes(b"")
    else:
        json_path = tmp_path / "nowhere" / "summary.json"
    code, err = invoke(command, TUTORIAL, "-o", report, "--json", json_path)
    assert code == 2, err
    assert no_solve == []
    assert "error:" in err and "Traceback" not in err
    assert not report.exists() and not json_path.exists()


def test_validate_refuses_an_annotated_copy_in_a_missing_folder_before_reading(
    tmp_path: Path,
) -> None:
    code, err = invoke("validate", TUTORIAL, "--annotate", tmp_path / "none" / "fix.xlsx")
    assert code == 2
    assert "does not exist" in err


def test_an_unknown_table_name_lists_the_tables() -> None:
    result = planner.run(TUTORIAL, modes=["min_cost"], regimes=["coalition"])
    tables = r"bogus.*countries, deliveries, learning, outside, periods, prices, production"
    with pytest.raises(ValueError, match=tables):
        result.tables("bogus")
