"""Outputs appear whole or not at all: interrupted writes, lock files, folders."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import OutputError
from planner.io.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios/tutorial_comparative_advantage.xlsx"
PREVIOUS = b"the previous report"

# Runs `planner run` with a workbook save that writes the file, says so, then hangs: the
# test interrupts it there, in the middle of atomic_write.
SLOW_SAVE = """
import pathlib, sys, time
import openpyxl
real_save = openpyxl.Workbook.save
def slow_save(self, path):
    real_save(self, path)
    pathlib.Path(sys.argv[1]).touch()
    time.sleep(60)
openpyxl.Workbook.save = slow_save
from planner.cli.main import main
main(["run", sys.argv[2], "-o", sys.argv[3], "--mode", "min_cost"])
"""


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_run_interrupted_while_writing_keeps_the_previous_report(
    tmp_path: Path, signum: signal.Signals
) -> None:
    report, flag = tmp_path / "report.xlsx", tmp_path / "saving"
    report.write_bytes(PREVIOUS)
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, str(flag), str(TUTORIAL), str(report)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            deadline = time.monotonic() + 120
            while not flag.exists():
                assert process.poll() is None, "the run ended before the report's save"
                assert time.monotonic() < deadline, "the run never reached the report's save"
                time.sleep(0.05)
            process.send_signal(signum)
            process.wait(timeout=60)
        finally:
            process.kill()
    assert process.returncode != 0
    assert report.read_bytes() == PREVIOUS
    assert leftovers(tmp_path, {"report.xlsx", "saving"}) == []


def test_a_writer_that_fails_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "out.xlsx", broken)
    assert leftovers(tmp_path, set()) == []


@pytest.mark.parametrize("lock", ["~$report.xlsx", "~$port.xlsx", ".~lock.report.xlsx#"])
def test_a_report_open_in_a_spreadsheet_program_is_named_not_overwritten(
    tmp_path: Path, lock: str
) -> None:
    report = tmp_path / "report.xlsx"
    report.write_bytes(PREVIOUS)
    (tmp_path / lock).write_text("someone")
    with pytest.raises(OutputError, match="open in a spreadsheet program") as error:
        atomic_write(report, lambda path: path.write_bytes(b"new"))
    assert lock in str(error.value)  # and how to clear a lock a crash left behind
    assert report.read_bytes() == PREVIOUS


def test_the_cli_says_the_report_is_open_and_exits_2(tmp_path: Path) -> None:
    report = tmp_path / "report.xlsx"
    (tmp_path / "~$report.xlsx").write_text("someone")
    result = CliRunner().invoke(main, ["run", str(TUTORIAL), "-o", str(report)])
    assert result.exit_code == 2
    assert "open in a spreadsheet program" in result.stderr
    assert not report.exists()


def test_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        atomic_write(tmp_path / "nowhere" / "out.xlsx", lambda path: path.write_bytes(b"x"))
