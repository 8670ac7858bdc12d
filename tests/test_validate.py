"""Validation: one rule per test, each asserting the exact sheet, row and column reported.

Every test starts from the valid minimal scenario of ``tests/workbooks.py`` and breaks
one thing (row 2 of each sheet is its first record).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from workbooks import (
    MINIMAL_SCENARIO,
    Tables,
    add_row,
    minimal_scenario_tables,
    set_cell,
    write_workbook,
)

from planner.errors import InputError, Problem
from planner.io.validate import load_scenario
from planner.scenario.schema import Kind, Role

Where = tuple[str, int | None, str]


@pytest.fixture
def tables() -> Tables:
    return minimal_scenario_tables()


def problems(tmp_path: Path, tables: Tables) -> list[Problem]:
    """Every problem that loading the tables reports, in the order reported."""
    with pytest.raises(InputError) as info:
        load_scenario(write_workbook(tmp_path / "scenario.xlsx", tables))
    return list(info.value.problems)


def the_problem(tmp_path: Path, tables: Tables) -> tuple[Where, str]:
    """The single problem reported: its location and message."""
    found = problems(tmp_path, tables)
    assert len(found) == 1, found
    return (found[0].sheet, found[0].row, found[0].column), found[0].message


# --- the valid scenario --------------------------------------------------------------------


def test_the_minimal_scenario_loads_to_the_expected_scenario(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "scenario.xlsx", minimal_scenario_tables())
    loaded = load_scenario(path)
    assert loaded.scenario == MINIMAL_SCENARIO
    assert loaded.warnings == ()
    assert loaded.path == path
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_name_defaults_to_the_country_id_and_layer_to_the_process_id(tmp_path: Path) -> None:
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", minimal_scenario_tables()))
    assert scenario.scenario.country_by_id["B"].name == "B"
    assert scenario.scenario.process_by_id["dc"].layer == "dc"


def test_optional_columns_may_be_left_out(tables: Tables, tmp_path: Path) -> None:
    tables["Capacity"] = [["country", "process"], ["A", "fab"]]
    tables["Commodities"] = [[r[0], r[2]] for r in tables["Commodities"]]
    del tables["Links"]
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert scenario.capacity[0].model_dump() == {
        "country": "A",
        "process": "fab",
        "existing": 0,
        "cost": 0,
        "max_new": 0,
        "new_cost": 0,
        "fixed_cost": 0,
        "min_new": 0,
        "lifetime": None,
        "lead_time": 0,
        "period": None,
    }
    assert scenario.tradable == ()


def test_all_problems_come_together_in_sheet_then_row_order(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Targets", 3, "amount", -1)
    set_cell(tables, "Capacity", 2, "cost", "ten")
    set_cell(tables, "Countries", 4, "member", "perhaps")
    assert [(p.sheet, p.row, p.column) for p in problems(tmp_path, tables)] == [
        ("Countries", 4, "member"),
        ("Capacity", 2, "cost"),
        ("Targets", 3, "amount"),
    ]


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "advice"),
    [
        ("ten", "'ten' is text, not a number; type a number"),
        ("1,200", "'1,200' is text, not a number: type 1200"),
        ("12%", "'12%' is text, not a number: type 12 without the % sign"),
        ("1,5", "'1,5' is text, not a number: type 1.5"),
        ("inf", "'inf' is text, not a number"),
        (True, "TRUE is a yes/no value, not a number"),
    ],
)
def test_a_number_cell_that_is_not_a_number_says_how_to_fix_it(
    tables: Tables, tmp_path: Path, typed: object, advice: str
) -> None:
    set_cell(tables, "Capacity", 2, "cost", typed)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Capacity", 2, "cost")
    assert message.startswith(advice)


def test_a_plain_number_typed_as_text_is_read(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 2, "available", " 12.5 ")
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert scenario.resources[0].available == 12.5


def test_a_negative_number_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 3, "available", -5)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Resources", 3, "available")
    assert message == "-5 is negative; type a number >= 0"


def test_a_strictly_positive_column_refuses_zero(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Recipe", 4, "amount", 0)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Recipe", 4, "amount")
    assert "type a number > 0" in message


def test_a_blank_required_number_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Targets", 2, "amount", None)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Targets", 2, "amount")
    assert message == "the cell is blank; type a number >= 0"


# --- yes/no, choices and ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "member"),
    [
        *[("yes", True), ("YES", True), ("y", True), ("True", True), ("1", True), (1, True)],
        *[(True, True), ("no", False), ("N", False), ("false", False), (0, False), (False, False)],
    ],
)
def test_yes_no_accepts_its_variants(
    tables: Tables, tmp_path: Path, typed: object, member: bool
) -> None:
    set_cell(tables, "Countries", 4, "member", typed)
    del tables["Targets"][1:]
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert scenario.country_by_id["C"].member is member


def test_yes_no_refuses_anything_else(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Commodities", 3, "tradable", "maybe")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Commodities", 3, "tradable")
    assert message == "'maybe' is not yes or no; type yes or no"


def test_choices_ignore_case(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Commodities", 2, "kind", " Resource ")
    set_cell(tables, "Recipe", 3, "role", "OUTPUT")
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert scenario.commodity_by_id["ore"].kind is Kind.RESOURCE
    assert scenario.recipe[1].role is Role.OUTPUT


def test_an_unknown_choice_suggests_the_closest(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Commodities", 2, "kind", "resourse")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Commodities", 2, "kind")
    assert message.endswith("did you mean `resource`?")


def test_an_unknown_choice_with_nothing_close_says_what_to_type(
    tables: Tables, tmp_path: Path
) -> None:
    set_cell(tables, "Recipe", 2, "role", 3)
    assert the_problem(tmp_path, tables) == (
        ("Recipe", 2, "role"),
        "3 is not a valid role; type `input` or `output`",
    )


def test_ids_are_stripped_and_whole_numbers_become_text(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Countries", 2, "country", " 1 ")
    for sheet, row in (("Resources", 2), ("Capacity", 2), ("Capacity", 3), ("Targets", 2)):
        set_cell(tables, sheet, row, "country", 1)
    set_cell(tables, "Links", 2, "importer", 1.0)
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert scenario.members == ("1", "B")
    assert scenario.links[0].importer == "1"


def test_a_blank_id_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Processes", 3, "process", "   ")
    set_cell(tables, "Processes", 3, "description", "something")
    found = problems(tmp_path, tables)
    assert (found[0].sheet, found[0].row, found[0].column) == ("Processes", 3, "process")
    assert found[0].message.startswith("the id is blank")


# --- unique keys ---------------------------------------------------------------------------


def test_a_duplicate_id_is_reported_at_its_second_row(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Countries", {"country": "B", "member": "no"})
    location, message = the_problem(tmp_path, tables)
    assert location == ("Countries", row, "country")
    assert message == "`B` is already in row 3; keep one row per country"


def test_a_duplicate_recipe_line_is_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Recipe", {"process": "fab", "commodity": "ore", "role": "Input"})
    set_cell(tables, "Recipe", row, "amount", 3)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Recipe", row, "process")
    assert "(`fab`, `ore`, `input`) is already in row 2" in message


def test_duplicate_link_rows_are_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Links", {"exporter": "C", "importer": "A", "commodity": "ore"})
    location, _ = the_problem(tmp_path, tables)
    assert location == ("Links", row, "exporter")


def test_a_commodity_row_and_a_star_row_for_one_pair_may_coexist(
    tables: Tables, tmp_path: Path
) -> None:
    add_row(tables, "Links", {"exporter": "C", "importer": "A", "commodity": "*"})
    assert len(load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario.links) == 2


# --- references ----------------------------------------------------------------------------


def test_an_unknown_reference_suggests_the_closest_id(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Targets", 3, "commodity", "compte")
    assert the_problem(tmp_path, tables) == (
        ("Targets", 3, "commodity"),
        "`compte` is not in Commodities; did you mean `compute`?",
    )


def test_the_closest_id_is_found_whatever_its_case(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 2, "commodity", "Ores")
    assert the_problem(tmp_path, tables) == (
        ("Resources", 2, "commodity"),
        "`Ores` is not in Commodities; did you mean `ore`?",
    )


def test_an_id_differing_only_in_case_is_pointed_out(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 3, "country", "b")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Resources", 3, "country")
    assert message == "`b` is not in Countries; did you mean `B`? (ids are case-sensitive)"


def test_an_unknown_reference_with_nothing_close_says_where_to_add_it(
    tables: Tables, tmp_path: Path
) -> None:
    set_cell(tables, "Capacity", 4, "process", "lithography")
    assert the_problem(tmp_path, tables) == (
        ("Capacity", 4, "process"),
        "`lithography` is not in Processes; add it to Processes or correct this id",
    )


def test_references_are_not_checked_against_a_missing_sheet(tables: Tables, tmp_path: Path) -> None:
    del tables["Processes"]
    found = problems(tmp_path, tables)
    assert [(p.sheet, p.row, p.column) for p in found] == [("Processes", None, "")]


# --- cross-sheet rules ---------------------------------------------------------------------


def test_a_resource_row_needs_a_resource_commodity(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 4, "commodity", "chip")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Resources", 4, "commodity")
    assert message.startswith("`chip` is of kind product, but Resources rows need")


def test_a_target_needs_a_capability(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Targets", 2, "commodity", "chip")
    location, _ = the_problem(tmp_path, tables)
    assert location == ("Targets", 2, "commodity")


def test_a_target_on_a_non_member_is_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Targets", {"country": "C", "commodity": "compute", "amount": 1})
    location, message = the_problem(tmp_path, tables)
    assert location == ("Targets", row, "country")
    assert message.startswith("`C` is not a member")


def test_a_broken_member_cell_does_not_also_fail_its_targets(
    tables: Tables, tmp_path: Path
) -> None:
    set_cell(tables, "Countries", 2, "member", "perhaps")
    location, _ = the_problem(tmp_path, tables)
    assert location == ("Countries", 2, "member")


def test_a_link_on_a_non_tradable_commodity_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Links", 2, "commodity", "compute")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Links", 2, "commodity")
    assert message.startswith("`compute` is not tradable")


def test_a_link_from_a_country_to_itself_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Links", 2, "importer", "C")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Links", 2, "importer")
    assert message.startswith("exporter and importer are both `C`")


def test_a_process_without_output_is_reported_at_its_process_row(
    tables: Tables, tmp_path: Path
) -> None:
    del tables["Recipe"][4]  # dc's output line
    location, message = the_problem(tmp_path, tables)
    assert location == ("Processes", 3, "process")
    assert message.startswith("process `dc` has no output in Recipe")


def test_min_new_above_max_new_is_reported_at_min_new(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Capacity", 4, "min_new", 12)
    assert the_problem(tmp_path, tables) == (
        ("Capacity", 4, "min_new"),
        "min_new 12 is above max_new 10; lower min_new or raise max_new",
    )


# --- the Scenario sheet --------------------------------------------------------------------


def test_the_scenario_needs_a_name(tables: Tables, tmp_path: Path) -> None:
    del tables["Scenario"][1]
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", None, "key")
    assert "has no `name`" in message


def test_a_misspelt_name_key_is_one_problem(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Scenario", 2, "key", "nmae")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", 2, "key")
    assert message.endswith("did you mean `name`?")


def test_setting_keys_are_read_like_every_other_choice(tables: Tables, tmp_path: Path) -> None:
    """Surrounding spaces, zero-width ones too, and capitals are ignored."""
    set_cell(tables, "Scenario", 2, "key", "\u200b Name ")
    assert load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario.name == "minimal"


def test_a_scenario_sheet_without_its_value_column_says_so_once(
    tables: Tables, tmp_path: Path
) -> None:
    tables["Scenario"] = [row[:1] for row in tables["Scenario"]]
    assert the_problem(tmp_path, tables) == (
        ("Scenario", 1, "value"),
        "the required column `value` is missing; add it in row 1",
    )


def test_a_formula_setting_is_reported_once(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Scenario", 3, "value", "=2*250")
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", 3, "value")
    assert "formula with no saved result" in message


def test_a_blank_name_is_an_error_at_its_value(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Scenario", 2, "value", " ")
    location, _ = the_problem(tmp_path, tables)
    assert location == ("Scenario", 2, "value")


def test_an_unknown_setting_is_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Scenario", {"key": "curency", "value": "EUR"})
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", row, "key")
    assert message.endswith("did you mean `currency`?")


def test_a_duplicated_setting_is_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Scenario", {"key": "Name", "value": "again"})
    assert the_problem(tmp_path, tables) == (
        ("Scenario", row, "key"),
        "`name` is already set in row 2; keep one row per key",
    )


def test_the_shortfall_penalty_must_be_positive(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Scenario", 3, "value", 0)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", 3, "value")
    assert "type a number > 0" in message


def test_a_scenario_sheet_problem_names_the_setting(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Scenario", 3, "value", -5)
    location, message = the_problem(tmp_path, tables)
    assert location == ("Scenario", 3, "value")
    assert message == "`shortfall_penalty`: -5 is negative; type a number > 0"


def test_settings_take_their_defaults(tables: Tables, tmp_path: Path) -> None:
    add_row(tables, "Scenario", {"key": "currency", "value": None})
    scenario = load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario
    assert (scenario.currency, scenario.description) == ("USD bn", "")
