"""The empty scenario workbook (planner.io.template) and the safe-text helper (planner.io.xlsx).

Each test reads the written file back with openpyxl, so it checks what a spreadsheet
program would see, not the in-memory workbook.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from planner.errors import OutputError
from planner.io.template import LAST_ROW, README_SHEET, write_template
from planner.io.xlsx import write_text
from planner.scenario.sheets import SCENARIO_KEYS, SHEET_BY_NAME, SHEETS, UNCERTAIN_SHEETS, Cell

REFERENCES = (Cell.COUNTRY, Cell.COMMODITY, Cell.PROCESS)
COLUMNS = [(sheet.name, column) for sheet in SHEETS for column in sheet.columns]
RANGE = re.compile(r"^(?P<sheet>\w+)!\$(?P<col>[A-Z]+)\$2:\$(?P=col)\$(?P<last>\d+)$")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "scenario.xlsx")


@pytest.fixture(scope="module")
def book(template: Path) -> Any:
    return openpyxl.load_workbook(template)


def validation_of(book: Any, sheet: str, column: str) -> Any:
    """The one data validation over ``column``'s cells in rows 2..LAST_ROW."""
    worksheet = book[sheet]
    headers = [cell.value for cell in worksheet[1]]
    letter = openpyxl.utils.get_column_letter(headers.index(column) + 1)
    found = [
        dv
        for dv in worksheet.data_validations.dataValidation
        if f"{letter}2:{letter}{LAST_ROW}" in str(dv.sqref).split()
    ]
    assert len(found) == 1, f"{sheet}.{column}: {len(found)} validations"
    return found[0]


def test_readme_comes_first_then_every_sheet_in_contract_order(book: Any) -> None:
    assert book.sheetnames == [README_SHEET, *(sheet.name for sheet in SHEETS)]


def test_every_sheet_has_the_contract_headers_exactly(book: Any) -> None:
    for sheet in SHEETS:
        row = [cell.value for cell in book[sheet.name][1]]
        assert row == [column.name for column in sheet.columns], sheet.name


@pytest.mark.parametrize(("sheet", "column"), COLUMNS, ids=lambda x: getattr(x, "name", x))
def test_every_header_note_gives_meaning_unit_rule_and_status(
    book: Any, sheet: str, column: Any
) -> None:
    worksheet = book[sheet]
    index = [cell.value for cell in worksheet[1]].index(column.name)
    note = worksheet.cell(row=1, column=index + 1).comment
    assert note is not None
    assert column.help in note.text
    assert column.rule in note.text
    assert ("required" if column.required else "optional") in note.text
    if column.unit:
        assert f"Unit: {column.unit}" in note.text


def test_optional_notes_say_what_a_blank_means(book: Any) -> None:
    assert "Blank means yes." in book["Links"]["D1"].comment.text
    assert "Blank means 1." in book["Targets"]["D1"].comment.text
    assert "May be left blank." in book["Links"]["E1"].comment.text


def test_header_row_is_frozen_on_every_data_sheet(book: Any) -> None:
    for sheet in SHEETS:
        assert book[sheet.name].freeze_panes == "A2", sheet.name


def test_header_cells_are_styled_and_columns_widened(book: Any) -> None:
    worksheet = book["Capacity"]
    assert all(cell.font.bold for cell in worksheet[1])
    assert worksheet.column_dimensions["E"].width >= len("max_new")
    assert worksheet.column_dimensions["G"].width >= len("fixed_cost")


def test_scenario_sheet_lists_its_keys_with_defaults_and_a_blank_name(book: Any) -> None:
    rows = list(book["Scenario"].iter_rows(min_row=2, values_only=True))
    assert rows == [
        ("name", None),
        ("description", None),
        ("currency", "USD bn"),
        ("shortfall_penalty", 1000),
        ("discount_rate", 0),
        ("national_scope", "all"),
    ]
    assert list(SCENARIO_KEYS) == [key for key, _ in rows]
    assert "Blank means 1000." in book["Scenario"]["A5"].comment.text


@pytest.mark.parametrize(
    ("sheet", "column", "source"),
    [
        (
            "Scenario",
            "key",
            '"name,description,currency,shortfall_penalty,discount_rate,national_scope"',
        ),
        ("Countries", "member", '"yes,no"'),
        ("Commodities", "kind", '"resource,product,capability"'),
        ("Commodities", "tradable", '"yes,no"'),
        ("Recipe", "role", '"input,output"'),
        ("Links", "allowed", '"yes,no"'),
    ],
)
def test_yes_no_and_choice_columns_offer_a_strict_list(
    book: Any, sheet: str, column: str, source: str
) -> None:
    dv = validation_of(book, sheet, column)
    assert (dv.type, dv.formula1) == ("list", source)
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")


@pytest.mark.parametrize(
    ("sheet", "column"), [(s, c) for s, c in COLUMNS if c.cell in (Cell.YESNO, Cell.CHOICE)]
)
def test_every_yes_no_and_choice_column_lists_its_values(
    book: Any, sheet: str, column: Any
) -> None:
    values = ("yes", "no") if column.cell is Cell.YESNO else column.choices
    dv = validation_of(book, sheet, column.name)
    assert (dv.type, dv.formula1) == ("list", '"' + ",".join(values) + '"')


def test_the_uncertain_sheet_column_offers_every_sheet_a_sweep_may_change(book: Any) -> None:
    """The list and the header note name Budgets, Learning and Experience too."""
    dv = validation_of(book, "Uncertain", "sheet")
    offered = dv.formula1.strip('"').split(",")
    assert offered[-3:] == ["budgets", "learning", "experience"]
    assert offered == [s.casefold() for s in UNCERTAIN_SHEETS]
    headers = [cell.value for cell in book["Uncertain"][1]]
    note = book["Uncertain"].cell(row=1, column=headers.index("sheet") + 1).comment.text
    assert "Links, Budgets, Learning, Experience." in note


@pytest.mark.parametrize(
    ("sheet", "column", "source"),
    [
        ("Resources", "country", "Countries!$A$2:$A$1000"),
        ("Resources", "commodity", "Commodities!$A$2:$A$1000"),
        ("Recipe", "process", "Processes!$A$2:$A$1000"),
        ("Capacity", "process", "Processes!$A$2:$A$1000"),
        ("Targets", "country", "Countries!$A$2:$A$1000"),
        ("Links", "importer", "Countries!$A$2:$A$1000"),
    ],
)
def test_reference_columns_list_the_defining_ids(
    book: Any, sheet: str, column: str, source: str
) -> None:
    dv = validation_of(book, sheet, column)
    assert (dv.type, dv.formula1, dv.showErrorMessage) == ("list", source, True)


@pytest.mark.parametrize(
    ("sheet", "column"),
    [(s, c.name) for s, c in COLUMNS if c.cell in REFERENCES],
)
def test_every_reference_list_points_at_the_id_column_of_its_sheet(
    book: Any, sheet: str, column: str
) -> None:
    kind = SHEET_BY_NAME[sheet].column(column).cell
    match = RANGE.match(validation_of(book, sheet, column).formula1)
    assert match is not None
    defining = book[match["sheet"]]
    assert defining[f"{match['col']}1"].value == kind.value
    assert SHEET_BY_NAME[defining.title].column(kind.value).cell is Cell.ID
    assert int(match["last"]) == LAST_ROW


def test_links_commodity_only_warns_so_that_a_star_can_be_typed(book: Any) -> None:
    dv = validation_of(book, "Links", "commodity")
    assert (dv.formula1, dv.errorStyle) == ("Commodities!$A$2:$A$1000", "warning")
    assert "*" in book["Links"]["C1"].comment.text
    strict = validation_of(book, "Links", "exporter")
    assert strict.errorStyle in (None, "stop")


@pytest.mark.parametrize(
    ("sheet", "column"),
    [(s, c.name) for s, c in COLUMNS if c.cell is Cell.NUMBER and c.minimum is not None],
)
def test_number_columns_reject_values_below_their_bound(book: Any, sheet: str, column: str) -> None:
    spec = SHEET_BY_NAME[sheet].column(column)
    dv = validation_of(book, sheet, column)
    operator = "greaterThan" if spec.strict else "greaterThanOrEqual"
    kind = "whole" if spec.whole else "decimal"
    if spec.maximum is not None:  # a range: Excel's check cannot exclude its lower end
        operator = "between"
        assert float(dv.formula2) == spec.maximum
    assert (dv.type, dv.operator, float(dv.formula1)) == (kind, operator, spec.minimum)
    assert dv.showErrorMessage and column in dv.error


@pytest.mark.parametrize(
    ("sheet", "column"),
    [(s, c.name) for s, c in COLUMNS if c.cell is Cell.NUMBER and c.minimum is None],
)
def test_year_columns_accept_any_number_and_years_are_whole(
    book: Any, sheet: str, column: str
) -> None:
    spec = SHEET_BY_NAME[sheet].column(column)
    dv = validation_of(book, sheet, column)
    kind = "whole" if spec.whole else "decimal"
    assert (dv.type, dv.operator) == (kind, "between")
    assert float(dv.formula1) < 0 < 2026 < float(dv.formula2)


@pytest.mark.parametrize(
    ("sheet", "column"),
    [("Periods", "year"), ("Capacity", "lead_time"), ("Commodities", "world_price")],
)
def test_version_2_columns_show_an_example_in_their_note(
    book: Any, sheet: str, column: str
) -> None:
    header = next(c for c in book[sheet][1] if c.value == column)
    assert "Example: " in header.comment.text


def test_readme_shows_an_example_row_of_the_periods_sheet(book: Any) -> None:
    text = "\n".join(
        str(value) for row in book[README_SHEET].iter_rows(values_only=True) for value in row
    )
    assert "period = 2026; year = 2026; length = 4" in text


def test_recipe_amount_must_be_positive(book: Any) -> None:
    dv = validation_of(book, "Recipe", "amount")
    assert (dv.operator, dv.formula1) == ("greaterThan", "0")


def test_readme_explains_sheets_workflow_and_conventions(book: Any) -> None:
    text = "\n".join(
        str(value) for row in book[README_SHEET].iter_rows(values_only=True) for value in row
    )
    for sheet in SHEETS:
        assert sheet.name in text and sheet.help in text
    for phrase in ("planner validate FILE", "planner run FILE", "case-sensitive", "y/n"):
        assert phrase in text
    assert text.index("Countries and Commodities first") < text.index("Processes, then Recipe")


def test_an_existing_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"a filled-in workbook")
    with pytest.raises(OutputError, match="--force"):
        write_template(path)
    assert path.read_bytes() == b"a filled-in workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_force_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"an old file")
    assert write_template(path, force=True) == path
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_a_path_that_is_not_xlsx_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"\.xlsx"):
        write_template(tmp_path / "scenario.xls")
    assert list(tmp_path.iterdir()) == []


def fill(worksheet: Any, rows: Sequence[Mapping[str, object]]) -> None:
    """Append records below the header, placing each value under its header."""
    headers = [cell.value for cell in worksheet[1]]
    first = worksheet.max_row + 1
    for offset, record in enumerate(rows):
        for name, value in record.items():
            worksheet.cell(row=first + offset, column=headers.index(name) + 1, value=value)


def test_a_filled_template_loads_as_a_valid_scenario(template: Path, tmp_path: Path) -> None:
    from planner.io.validate import load_scenario

    book = openpyxl.load_workbook(template)
    book["Scenario"]["B2"] = "tiny"
    fill(book["Countries"], [{"country": "AAA", "member": "yes", "budget": 50}])
    fill(book["Countries"], [{"country": "BBB", "member": "no"}])
    fill(book["Commodities"], [{"commodity": "ore", "kind": "resource", "tradable": "yes"}])
    fill(book["Commodities"], [{"commodity": "compute", "kind": "capability"}])
    fill(book["Resources"], [{"country": "BBB", "commodity": "ore", "available": 10, "cost": 2}])
    fill(book["Processes"], [{"process": "dc", "layer": "compute"}])
    fill(
        book["Recipe"],
        [
            {"process": "dc", "commodity": "ore", "role": "input", "amount": 2},
            {"process": "dc", "commodity": "compute", "role": "output", "amount": 1},
        ],
    )
    fill(book["Capacity"], [{"country": "AAA", "process": "dc", "existing": 4, "cost": 1}])
    fill(book["Targets"], [{"country": "AAA", "commodity": "compute", "amount": 3}])
    path = tmp_path / "tiny.xlsx"
    book.save(path)

    loaded = load_scenario(path)

    scenario = loaded.scenario
    assert (scenario.name, scenario.currency) == ("tiny", "USD bn")
    assert scenario.shortfall_penalty == 1000
    assert scenario.members == ("AAA",)
    assert scenario.country_by_id["BBB"].name == "BBB"
    assert scenario.commodity_by_id["ore"].tradable
    assert [(r.country, r.available, r.cost) for r in scenario.resources] == [("BBB", 10, 2)]
    assert [(c.process, c.existing, c.max_new) for c in scenario.capacity] == [("dc", 4, 0)]
    assert [(t.amount, t.weight) for t in scenario.targets] == [(3, 1)]
    assert len(scenario.recipe) == 2 and scenario.links == ()
    assert not loaded.warnings


PAYLOADS = ['=HYPERLINK("x")', "=1+1", "+1", "-1", "@x", "\t=1+1", "\n=1", "#N/A", "plain"]


def test_write_text_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row, payload in enumerate(PAYLOADS, start=1):
        write_text(book.active.cell(row=row, column=1), payload)
    book.active["B1"] = PAYLOADS[0]  # unprotected, to show what the helper prevents
    path = tmp_path / "text.xlsx"
    book.save(path)

    sheet = openpyxl.load_workbook(path).active
    assert [sheet.cell(row=r, column=1).value for r in range(1, len(PAYLOADS) + 1)] == PAYLOADS
    assert {sheet.cell(row=r, column=1).data_type for r in range(1, len(PAYLOADS) + 1)} == {"s"}
    assert sheet["A1"].quotePrefix and not sheet[f"A{len(PAYLOADS)}"].quotePrefix
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<f>") == 1 and sheet["B1"].data_type == "f"


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed; cannot check the file opens")
    return found


def _convert(source: Path, target: str, tmp_path: Path) -> Path:
    out = tmp_path / "converted"
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (result,) = out.iterdir()
    return result


@pytest.mark.slow
def test_the_template_opens_in_libreoffice(template: Path, tmp_path: Path) -> None:
    converted = _convert(template, "pdf", tmp_path)
    assert converted.read_bytes().startswith(b"%PDF")


@pytest.mark.slow
def test_libreoffice_shows_formula_like_text_verbatim(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row, payload in enumerate(["=1+1", '=HYPERLINK("x";"click")', "+1", "@x"], start=1):
        write_text(book.active.cell(row=row, column=1), payload)
    path = tmp_path / "text.xlsx"
    book.save(path)
    lines = _convert(path, "csv", tmp_path).read_text().splitlines()
    assert lines == ["=1+1", '"=HYPERLINK(""x"";""click"")"', "+1", "@x"]
