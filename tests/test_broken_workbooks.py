"""The broken-workbook corpus (``tests/broken_corpus.py``) through the CLI, in-process.

Each broken workbook makes ``planner validate`` and ``planner run`` exit with code 2 and a
message naming its sheet, row and column (or the file); no traceback, no output file, and
the input's bytes unchanged. Awkward but valid workbooks (hidden sheets and rows, trailing
formatted rows, ids in other scripts) load to exactly the scenario they hold, with a
warning where something is hidden.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from broken_corpus import FILE, NON_LATIN, Case, cases, write_corpus
from click.testing import CliRunner, Result
from workbooks import minimal_scenario_tables, write_workbook

from planner.cli.main import main
from planner.errors import InputError, Problem
from planner.io.validate import load_scenario

CASES = list(cases())
BROKEN = [c for c in CASES if c.outcome == "error"]
AWKWARD = [c for c in CASES if c.outcome != "error"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder)
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def shown_location(case: Case, path: Path) -> str:
    """What the CLI's message must contain to say where the problem is."""
    if case.where == FILE:
        return f"{path}: "
    sheet, row, column = case.where
    return Problem(sheet, row, column, "").location + ":"


def test_the_corpus_covers_at_least_40_broken_workbooks() -> None:
    assert len(BROKEN) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
def test_a_broken_workbook_is_refused_where_it_is_broken(
    case: Case, corpus: Path, tmp_path: Path
) -> None:
    path = corpus / case.file
    before, listing = digest(path), sorted(p.name for p in corpus.iterdir())
    report, summary = tmp_path / "report.xlsx", tmp_path / "summary.json"
    for args in (
        ["validate", str(path)],
        ["run", str(path), "-o", str(report), "--json", str(summary)],
    ):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
        assert "Traceback" not in result.output
        assert shown_location(case, path) in result.output
        assert case.says in result.output
    assert list(tmp_path.iterdir()) == []
    assert digest(path) == before
    assert sorted(p.name for p in corpus.iterdir()) == listing
    with pytest.raises(InputError) as info:
        load_scenario(path)
    found = [(p.sheet, p.row, p.column) for p in info.value.problems if case.says in p.message]
    assert case.where in found, info.value.problems


@pytest.mark.parametrize("case", AWKWARD, ids=[c.name for c in AWKWARD])
def test_an_awkward_but_valid_workbook_loads_to_what_it_holds(case: Case, corpus: Path) -> None:
    path = corpus / case.file
    before = digest(path)
    loaded = load_scenario(path)
    assert loaded.scenario == case.loads_to
    warnings = [(w.sheet, w.row, w.column) for w in loaded.warnings]
    if case.outcome == "warning":
        assert warnings == [case.where]
        assert case.says in loaded.warnings[0].message
    else:
        assert warnings == []
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    if case.outcome == "warning":
        assert f"warning: {loaded.warnings[0]}" in result.output
    assert digest(path) == before


def test_ids_in_non_latin_scripts_run_end_to_end(corpus: Path, tmp_path: Path) -> None:
    report, summary = tmp_path / "report.xlsx", tmp_path / "summary.json"
    path = corpus / "non_latin_ids.xlsx"
    result = invoke("run", str(path), "-o", str(report), "--json", str(summary))
    assert result.exit_code == 0, result.output
    runs = json.loads(summary.read_text(encoding="utf-8"))["runs"]
    assert {c["country"] for r in runs for c in r["countries"]} == {NON_LATIN[k] for k in "ABC"}
    book = openpyxl.load_workbook(report, read_only=True)
    texts = {v for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row}
    book.close()
    assert set(NON_LATIN.values()) <= texts


# --- the real thing, converted by LibreOffice ------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(
    ("extension", "says"),
    [
        ("xls", "old-format Excel file (.xls)"),
        ("ods", "OpenDocument spreadsheet (.ods)"),
        ("csv", "text file (CSV or plain text)"),
    ],
)
def test_files_saved_by_libreoffice_in_other_formats_are_named_for_what_they_are(
    tmp_path: Path, extension: str, says: str
) -> None:
    assert SOFFICE is not None
    source = write_workbook(tmp_path / "scenario.xlsx", minimal_scenario_tables())
    converted = tmp_path / "converted"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            extension,
            "--outdir",
            str(converted),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    renamed = tmp_path / "renamed.xlsx"
    (converted / f"scenario.{extension}").rename(renamed)
    result = invoke("validate", str(renamed))
    assert result.exit_code == 2
    assert f"{renamed}: " in result.output and says in result.output


def test_thousands_of_problems_are_listed_500_at_a_time(tmp_path: Path) -> None:
    """A sheet pasted in the wrong place: every row is wrong, the first 500 are listed."""
    tables = minimal_scenario_tables()
    tables["Countries"] += [[None, "pasted", "yes", row] for row in range(2000)]
    path = write_workbook(tmp_path / "pasted.xlsx", tables)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 501
    assert [(p.sheet, p.row, p.column) for p in problems[:2]] == [
        ("Countries", 5, "country"),
        ("Countries", 6, "country"),
    ]
    assert problems[-1].message.startswith("... and 1,500 more problems, not listed")
    result = invoke("validate", str(path))
    assert result.exit_code == 2 and "1,500 more problems" in result.output
