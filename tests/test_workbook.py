"""The reader: unusable files, sheets and headers, blank rows, formulas and error cells.

Each test breaks one thing and asserts where it is reported (sheet, Excel row, column).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from workbooks import minimal_scenario_tables, set_cell, write_workbook

from planner.errors import InputError, Problem
from planner.io.reader import UNREADABLE, ZipLimits, read_workbook
from planner.io.validate import load_scenario

Where = tuple[str, int | None, str]


def where(problems: tuple[Problem, ...]) -> list[Where]:
    """The locations of problems, in the order reported."""
    return [(p.sheet, p.row, p.column) for p in problems]


def file_error(path: Path, limits: ZipLimits | None = None) -> str:
    """The message of the InputError that reading ``path`` raises."""
    with pytest.raises(InputError) as info:
        read_workbook(path, limits=limits)
    assert where(info.value.problems) == [("", None, "")]
    assert info.value.path == str(path)
    return str(info.value)


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "minimal.xlsx", minimal_scenario_tables())


# --- the file itself -----------------------------------------------------------------------


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    message = file_error(tmp_path / "nowhere.xlsx")
    assert "nowhere.xlsx" in message and "no such file" in message


def test_a_folder_is_not_a_workbook(tmp_path: Path) -> None:
    assert "folder" in file_error(tmp_path)


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "the file is empty" in file_error(path)


def test_a_csv_renamed_to_xlsx_is_recognised_as_text(tmp_path: Path) -> None:
    path = tmp_path / "countries.xlsx"
    path.write_text("country,member\nA,yes\n", encoding="utf-8")
    message = file_error(path)
    assert "text file (CSV or plain text)" in message and "save it as an Excel Workbook" in message


def test_a_truncated_workbook_is_reported_as_damaged(minimal: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(minimal.read_bytes()[:2000])
    assert "damaged or incomplete" in file_error(path)


def test_an_old_xls_file_is_told_to_be_saved_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert "old-format Excel file (.xls)" in file_error(path)


def test_a_password_protected_workbook_is_told_to_drop_the_password(tmp_path: Path) -> None:
    """An encrypted .xlsx is an OLE container holding an ``EncryptionInfo`` stream."""
    path = tmp_path / "secret.xlsx"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    path.write_bytes(header + "EncryptionInfo".encode("utf-16-le") + bytes(64))
    assert "password-protected" in file_error(path)


def test_an_ods_renamed_to_xlsx_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument spreadsheet (.ods)" in file_error(path)


def test_a_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", "a" * (4 * 1024 * 1024))
    assert "zip bomb" in file_error(path)
    assert "more than the 1 MiB limit" in file_error(path, ZipLimits(max_unpacked_mb=1))


def test_xml_entities_are_refused(minimal: Path, tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(minimal) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                declaration = b'<!DOCTYPE workbook [<!ENTITY lol "lol">]>'
                data = re.sub(rb"^(<\?xml[^>]*\?>)?", rb"\1" + declaration, data, count=1)
            target.writestr(item, data)
    assert "XML entity declarations" in file_error(path)


def test_the_sha256_is_of_the_input_bytes_which_stay_unchanged(minimal: Path) -> None:
    before = minimal.read_bytes()
    raw = read_workbook(minimal)
    assert raw.sha256 == hashlib.sha256(before).hexdigest()
    assert minimal.read_bytes() == before


# --- sheets and headers --------------------------------------------------------------------


def test_records_carry_excel_rows_and_headers_carry_letters(minimal: Path) -> None:
    raw = read_workbook(minimal)
    targets = raw.sheets["Targets"]
    assert dict(targets.header) == {"country": "A", "commodity": "B", "amount": "C", "weight": "D"}
    assert [(r.row, dict(r.values)) for r in targets.records] == [
        (2, {"country": "A", "commodity": "compute", "amount": 2, "weight": None}),
        (3, {"country": "B", "commodity": "compute", "amount": 3, "weight": 2}),
    ]
    assert raw.errors == () and raw.warnings == ()


def test_a_missing_sheet_is_an_error(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    del tables["Countries"]
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Countries", None, "")]
    assert "has no sheet `Countries`" in raw.errors[0].message


def test_a_missing_sheet_names_the_misspelt_one_whatever_its_case(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["COUNTRYS"] = tables.pop("Countries")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Countries", None, "")]
    assert raw.errors[0].message.endswith("rename the sheet `COUNTRYS` to `Countries`")


def test_the_links_sheet_is_optional(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    del tables["Links"]
    assert load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario.links == ()


def test_sheet_names_and_headers_ignore_case_and_surrounding_spaces(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables[" countries "] = tables.pop("Countries")
    tables[" countries "][0] = [" Country", "NAME ", "Member", "budget"]
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert raw.errors == ()
    assert raw.sheets["Countries"].title == " countries "
    assert raw.sheets["Countries"].records[0].values["country"] == "A"


def test_a_missing_required_header_is_reported_at_row_1(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Resources", 1, "available", "stock")
    set_cell(tables, "Resources", 1, "stock", "# stock")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Resources", 1, "available")]
    assert "required column `available` is missing" in raw.errors[0].message


def test_a_misspelt_header_is_reported_once_with_its_correction(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Resources", 1, "available", "availble")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Resources", 1, "availble")]
    assert "did you mean `available`?" in raw.errors[0].message


def test_a_duplicate_header_is_an_error(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Countries", 1, "again", "Budget")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Countries", 1, "budget")]
    assert "columns D and E" in raw.errors[0].message


def test_an_unknown_column_is_an_error(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Commodities", 2, "colour", "red")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Commodities", 1, "colour")]
    assert "start its header with `#` or `note`" in raw.errors[0].message


@pytest.mark.parametrize(
    ("header", "says"),
    [("#REF!", "shows the error #REF!"), ('="budget"', "holds a formula with no saved result")],
)
def test_a_header_cell_without_a_name_is_reported_at_its_cell(
    tmp_path: Path, header: str, says: str
) -> None:
    """A broken header formula is neither a `#` note nor a blank header: the column's
    values would otherwise be dropped (budget has a default) or called headerless."""
    tables = minimal_scenario_tables()
    tables["Countries"][0][3] = header
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Countries", 1, "")]
    assert raw.errors[0].message.startswith(f"the header cell D1 {says}")
    assert raw.errors[0].message.endswith("type the column's name there instead")


def test_note_columns_are_ignored(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Commodities", 2, "# source", "a survey")
    set_cell(tables, "Commodities", 3, "Notes", "check this")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert raw.errors == ()
    assert set(raw.sheets["Commodities"].records[0].values) == {
        "commodity",
        "unit",
        "kind",
        "tradable",
        "trade_cost",
    }


def test_a_value_under_no_header_is_an_error(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Targets"][2] += [None, "stray"]
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Targets", 3, "")]
    assert "cell F3" in raw.errors[0].message


def test_an_unknown_sheet_is_a_warning_but_the_users_own_sheets_are_not(tmp_path: Path) -> None:
    """The template's Read me, a Sources sheet, and sheets named like note columns
    (``#...``, ``note...``) are the user's own: no warning."""
    tables = minimal_scenario_tables()
    tables["Read me"] = [["How to fill this workbook"]]
    tables[" SOURCES "] = [["where the figures come from"]]
    tables["# scratch"] = [["working"]]
    tables["Notes 2026"] = [["to do"]]
    tables["Scratch"] = [["anything"]]
    loaded = load_scenario(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(loaded.warnings) == [("Scratch", None, "")]
    assert "ignored" in loaded.warnings[0].message


def test_an_unknown_sheet_in_capitals_suggests_the_closest_name(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["LINKZ"] = tables.pop("Links")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.warnings) == [("LINKZ", None, "")]
    assert raw.warnings[0].message.endswith("(did you mean `Links`?)")


def test_a_hidden_sheet_is_read_and_said_so(tmp_path: Path) -> None:
    import openpyxl

    path = write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables())
    book = openpyxl.load_workbook(path)
    book["Links"].sheet_state = "hidden"
    book.save(path)
    loaded = load_scenario(path)
    assert where(loaded.warnings) == [("Links", None, "")]
    assert len(loaded.scenario.links) == 1


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Countries"][2:2] = [[], [None, "  ", None, None], [None, None, None, None, None]]
    tables["Countries"].append([None, None, None, None])
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert [r.row for r in raw.sheets["Countries"].records] == [2, 6, 7]
    assert load_scenario(tmp_path / "s.xlsx").scenario.members == ("A", "B")


def test_a_row_of_invisible_characters_is_blank(tmp_path: Path) -> None:
    """Zero-width spaces pasted from a web page read as blank, as validation reads them."""
    tables = minimal_scenario_tables()
    tables["Countries"].append(["\u200b", " \ufeff", None, "\u2060"])
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert [r.row for r in raw.sheets["Countries"].records] == [2, 3, 4]
    assert raw.errors == ()


# --- cells ---------------------------------------------------------------------------------


def test_a_formula_without_a_saved_result_is_an_error_at_its_cell(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Recipe", 2, "amount", "=1+1")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Recipe", 2, "amount")]
    assert "open and save it in a spreadsheet program" in raw.errors[0].message
    assert raw.sheets["Recipe"].records[0].values["amount"] is UNREADABLE


def test_a_row_of_formulas_without_results_is_not_taken_for_blank(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Targets"].append(["=A2", "=B2", "=C2", None])
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [
        ("Targets", 4, "country"),
        ("Targets", 4, "commodity"),
        ("Targets", 4, "amount"),
    ]


def test_a_formula_with_a_saved_result_reads_the_result(tmp_path: Path) -> None:
    """A spreadsheet program saves ``<f>1+1</f><v>2</v>``; the result is read."""
    tables = minimal_scenario_tables()
    set_cell(tables, "Recipe", 2, "amount", "=1+1")
    written = write_workbook(tmp_path / "written.xlsx", tables)
    path = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            data = re.sub(rb"<f>1\+1</f><v ?/>", b"<f>1+1</f><v>2</v>", data)
            target.writestr(item, data)
    loaded = load_scenario(path)
    assert loaded.scenario.recipe[0].amount == 2


def test_an_error_value_is_reported_at_its_cell(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Capacity", 3, "cost", "#DIV/0!")
    raw = read_workbook(write_workbook(tmp_path / "s.xlsx", tables))
    assert where(raw.errors) == [("Capacity", 3, "cost")]
    assert "#DIV/0!" in raw.errors[0].message
