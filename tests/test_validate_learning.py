"""Validation of the Learning and Experience sheets: one rule per test, each asserting the
exact sheet, row and column reported (DESIGN.md, "Learning").

Every test starts from the valid minimal scenario of ``tests/workbooks.py`` (members A and
B, non-member C; ``dc`` runs in A and B) with ``dc`` learning and A and B holding
experience of it, and adds or breaks one thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validate import problems, the_problem
from workbooks import Tables, add_row, minimal_scenario_tables, set_cell, write_workbook

from planner.io.validate import load_scenario
from planner.scenario.schema import Driver, Experience, Learning, LearningCost, Pool, Scenario


@pytest.fixture
def tables() -> Tables:
    base = minimal_scenario_tables()
    base["Learning"] = [["process", "progress_ratio", "reference"], ["dc", 0.8, 10]]
    base["Experience"] = [["country", "process", "initial"], ["A", "dc", 5], ["B", "dc", 1]]
    return base


def loaded(tmp_path: Path, tables: Tables) -> Scenario:
    return load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario


def test_learning_loads_with_its_defaults(tables: Tables, tmp_path: Path) -> None:
    scenario = loaded(tmp_path, tables)
    assert scenario.learning == (
        Learning(
            process="dc",
            progress_ratio=0.8,
            reference=10,
            driver=Driver.BUILDS,
            applies_to=LearningCost.NEW_COST,
            pool=Pool.REGIME,
            spillover=0.0,
            steps_per_doubling=1,
            max_doublings=6.0,
        ),
    )
    assert scenario.experience[1] == Experience(country="B", process="dc", initial=1)


def test_choices_ignore_case(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Learning", 2, "driver", "Output")
    set_cell(tables, "Learning", 2, "applies_to", "COST")
    set_cell(tables, "Learning", 2, "pool", "Country")
    row = loaded(tmp_path, tables).learning[0]
    assert (row.driver, row.applies_to, row.pool) == (
        Driver.OUTPUT,
        LearningCost.COST,
        Pool.COUNTRY,
    )


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("progress_ratio", 0, "too small; type a number > 0 and <= 1"),
        ("progress_ratio", 1.2, "too large; type a number > 0 and <= 1"),
        ("reference", 0, "too small; type a number > 0"),
        ("spillover", 1.5, "too large; type a number >= 0 and <= 1"),
        ("spillover", -0.1, "negative; type a number >= 0 and <= 1"),
        ("steps_per_doubling", 1.5, "not a whole number"),
        ("steps_per_doubling", 0, "too small; type a whole number >= 1"),
        ("max_doublings", 0, "too small; type a number > 0"),
        ("driver", "sales", "not a valid driver; type `builds` or `output`"),
        ("pool", "world", "not a valid pool; type `regime` or `country`"),
    ],
)
def test_a_learning_value_out_of_its_range_is_located(
    tables: Tables, tmp_path: Path, column: str, value: object, says: str
) -> None:
    set_cell(tables, "Learning", 2, column, value)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Learning", 2, column)
    assert says in message


def test_a_process_learns_once(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Learning", {"process": "dc", "progress_ratio": 0.9, "reference": 1})
    where, message = the_problem(tmp_path, tables)
    assert where == ("Learning", row, "process")
    assert "`dc` is already in row 2" in message


def test_a_learning_process_must_exist(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Learning", 2, "process", "DC")
    found = {(p.sheet, p.row, p.column): p.message for p in problems(tmp_path, tables)}
    assert "`DC` is not in Processes; did you mean `dc`?" in found[("Learning", 2, "process")]


def test_experience_is_one_row_per_country_and_process(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Experience", {"country": "A", "process": "dc", "initial": 2})
    where, message = the_problem(tmp_path, tables)
    assert where == ("Experience", row, "country")
    assert "(`A`, `dc`) is already in row 2" in message


def test_experience_of_an_unknown_country_is_located(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Experience", 3, "country", "Z")
    found = {(p.sheet, p.row, p.column): p.message for p in problems(tmp_path, tables)}
    assert "`Z` is not in Countries" in found[("Experience", 3, "country")]


def test_a_country_without_experience_row_is_named_at_its_capacity_row(
    tables: Tables, tmp_path: Path
) -> None:
    """B runs dc (Capacity row 4) and has no experience of it: its national stack would
    start its curve at zero."""
    tables["Experience"].pop()
    where, message = the_problem(tmp_path, tables)
    assert where == ("Capacity", 4, "process")
    assert "`B` can run `dc`, which learns (Learning row 2)" in message
    assert "add an Experience row for `B` and `dc` with initial > 0" in message
    assert "spillover" in message


def test_an_experience_row_of_zero_is_named_at_its_initial_cell(
    tables: Tables, tmp_path: Path
) -> None:
    set_cell(tables, "Experience", 3, "initial", 0)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Experience", 3, "initial")
    assert "`B` can run `dc`" in message and "make initial > 0" in message


def test_spillover_from_another_country_is_experience_enough(
    tables: Tables, tmp_path: Path
) -> None:
    """B has none of its own, but a spillover of 0.1 of A's 5 starts its pool at 0.5."""
    set_cell(tables, "Experience", 3, "initial", 0)
    set_cell(tables, "Learning", 2, "spillover", 0.1)
    assert loaded(tmp_path, tables).experience[1].initial == 0


def test_every_country_without_experience_is_reported_at_once(
    tables: Tables, tmp_path: Path
) -> None:
    del tables["Experience"]
    found = problems(tmp_path, tables)
    assert [(p.sheet, p.row, p.column) for p in found] == [
        ("Capacity", 3, "process"),
        ("Capacity", 4, "process"),
    ]


def test_a_process_that_does_not_learn_needs_no_experience(tmp_path: Path) -> None:
    scenario = loaded(tmp_path, minimal_scenario_tables())
    assert scenario.learning == () and scenario.experience == ()
