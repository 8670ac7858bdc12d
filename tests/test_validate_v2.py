"""Validation of the version-2 sheets, columns and keys: one rule per test, each asserting
the exact sheet, row and column reported (DESIGN.md, "Version 2").

Every test starts from the valid minimal scenario of ``tests/workbooks.py`` and adds or
breaks one thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validate import problems, the_problem
from workbooks import Tables, add_row, minimal_scenario_tables, set_cell, write_workbook

from planner.io.validate import load_scenario
from planner.scenario.schema import NationalScope, Scenario


@pytest.fixture
def tables() -> Tables:
    base = minimal_scenario_tables()
    base["Periods"] = [["period", "year", "length"], [2026, 2026, None], ["2030", 2030, None]]
    return base


def loaded(tmp_path: Path, tables: Tables) -> Scenario:
    return load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario


def test_periods_load_with_default_lengths(tables: Tables, tmp_path: Path) -> None:
    """2026 then 2030: the first lasts 4 years (to the next), the last as long as the one before."""
    horizon = loaded(tmp_path, tables).horizon
    assert [(s.period, s.year, s.length) for s in horizon.periods] == [
        ("2026", 2026, 4),
        ("2030", 2030, 4),
    ]
    assert horizon.end == 2034


def test_without_periods_there_is_one_period_1_of_one_year(tmp_path: Path) -> None:
    horizon = loaded(tmp_path, minimal_scenario_tables()).horizon
    assert [(s.period, s.year, s.length, s.weight) for s in horizon.periods] == [("1", 0, 1, 1.0)]


def test_a_period_named_2026_0_is_the_period_2026(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 2, "period", "2026.0")
    scenario = loaded(tmp_path, tables)
    assert scenario.resources[0].period == "2026"


def test_a_period_that_names_no_periods_row_is_an_error(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Resources", 2, "period", 2028)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Resources", 2, "period")
    assert "`2028` is not in Periods" in message


def test_without_periods_sheet_period_1_is_known(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    set_cell(tables, "Targets", 2, "period", 1)
    assert loaded(tmp_path, tables).targets[0].period == "1"


def test_a_budgets_row_for_an_unknown_period_is_an_error(tables: Tables, tmp_path: Path) -> None:
    tables["Budgets"] = [["country", "period", "budget"], ["A", "2040", 5]]
    where, message = the_problem(tmp_path, tables)
    assert where == ("Budgets", 2, "period")
    assert "not in Periods" in message


def test_two_budgets_rows_for_one_country_and_period(tables: Tables, tmp_path: Path) -> None:
    tables["Budgets"] = [["country", "period", "budget"], ["A", "2030", 5], ["A", "2030", 6]]
    where, message = the_problem(tmp_path, tables)
    assert where == ("Budgets", 3, "country")
    assert "already in row 2" in message


def test_period_years_increase_strictly(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Periods", 3, "year", 2026)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Periods", 3, "year")
    assert "not after 2026 (row 2)" in message


def test_a_period_year_is_whole(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Periods", 3, "year", 2030.5)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Periods", 3, "year")
    assert "not a whole number" in message


def test_a_period_length_is_at_least_one(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Periods", 2, "length", 0)
    where, _ = the_problem(tmp_path, tables)
    assert where == ("Periods", 2, "length")


def test_a_window_whose_start_is_after_its_end(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Processes", 2, "available_from", 2030)
    set_cell(tables, "Processes", 2, "available_until", 2028)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Processes", 2, "available_from")
    assert "after available_until 2028" in message


@pytest.mark.parametrize("column", ["world_price", "backstop_cost"])
def test_no_world_price_or_backstop_on_a_capability(
    tables: Tables, tmp_path: Path, column: str
) -> None:
    set_cell(tables, "Commodities", 4, column, 5)
    where, message = the_problem(tmp_path, tables)
    assert where == ("Commodities", 4, column)
    assert "is a capability" in message


def test_a_generation_that_names_no_generations_row(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Commodities", 3, "generation", "N3")
    where, message = the_problem(tmp_path, tables)
    assert where == ("Commodities", 3, "generation")
    assert "`N3` is not in Generations" in message


def test_two_generations_with_one_frontier_year(tables: Tables, tmp_path: Path) -> None:
    tables["Generations"] = [["generation", "frontier_year"], ["N5", 2020], ["N3", 2020]]
    where, message = the_problem(tmp_path, tables)
    assert where == ("Generations", 3, "frontier_year")
    assert "row 2" in message


def test_lead_time_is_whole_and_lifetime_positive(tables: Tables, tmp_path: Path) -> None:
    set_cell(tables, "Capacity", 2, "lead_time", 1.5)
    set_cell(tables, "Capacity", 3, "lifetime", 0)
    found = [(p.sheet, p.row, p.column) for p in problems(tmp_path, tables)]
    assert found == [("Capacity", 2, "lead_time"), ("Capacity", 3, "lifetime")]


def test_national_scope_and_discount_rate_keys(tables: Tables, tmp_path: Path) -> None:
    add_row(tables, "Scenario", {"key": "national_scope", "value": "Declared"})
    add_row(tables, "Scenario", {"key": "discount_rate", "value": 0.05})
    scenario = loaded(tmp_path, tables)
    assert scenario.national_scope is NationalScope.DECLARED
    assert scenario.discount_rate == 0.05


def test_a_negative_discount_rate_is_an_error(tables: Tables, tmp_path: Path) -> None:
    row = add_row(tables, "Scenario", {"key": "discount_rate", "value": -0.1})
    where, _ = the_problem(tmp_path, tables)
    assert where == ("Scenario", row, "value")


def test_a_period_row_takes_blank_cells_from_the_blank_period_row(
    tables: Tables, tmp_path: Path
) -> None:
    """Resources (A, ore) has available 10, cost 2; its 2030 row sets only cost 7."""
    add_row(tables, "Resources", {"country": "A", "commodity": "ore", "cost": 7, "period": 2030})
    scenario = loaded(tmp_path, tables)
    row = scenario.resources[-1]
    assert (row.period, row.available, row.cost) == ("2030", 10, 7)


def test_a_period_row_without_a_base_row_takes_defaults(tables: Tables, tmp_path: Path) -> None:
    add_row(tables, "Capacity", {"country": "C", "process": "fab", "existing": 3, "period": 2030})
    row = loaded(tmp_path, tables).capacity[-1]
    assert (row.existing, row.cost, row.lead_time, row.lifetime) == (3, 0, 0, None)


def test_a_required_cell_blank_without_a_base_row_is_an_error(
    tables: Tables, tmp_path: Path
) -> None:
    row = add_row(tables, "Resources", {"country": "C", "commodity": "ore", "period": "2030"})
    tables["Resources"][row - 1][0] = "B"  # (B, ore) has a base row: fine
    row2 = add_row(tables, "Targets", {"country": "A", "commodity": "compute", "period": "2030"})
    row3 = add_row(tables, "Targets", {"country": "B", "commodity": "compute", "period": "2026"})
    tables["Targets"] = [tables["Targets"][0], tables["Targets"][2], *tables["Targets"][3:]]
    found = [(p.sheet, p.row, p.column) for p in problems(tmp_path, tables)]
    # Targets row 2 is now B's blank-period row; (A, compute) has only a period row
    assert found == [("Targets", row2 - 1, "amount")]
    assert row3 == row2 + 1


def test_one_row_per_key_and_period(tables: Tables, tmp_path: Path) -> None:
    add_row(tables, "Links", {"exporter": "C", "importer": "A", "commodity": "ore", "period": 2030})
    row = add_row(
        tables, "Links", {"exporter": "C", "importer": "A", "commodity": "ore", "period": 2030}
    )
    where, message = the_problem(tmp_path, tables)
    assert where == ("Links", row, "exporter")
    assert "keep one row per exporter and importer and commodity and period" in message


def test_a_blank_period_row_and_a_period_row_of_one_key_are_fine(
    tables: Tables, tmp_path: Path
) -> None:
    add_row(
        tables, "Targets", {"country": "A", "commodity": "compute", "amount": 9, "period": 2030}
    )
    scenario = loaded(tmp_path, tables)
    assert [(t.amount, t.period) for t in scenario.targets if t.country == "A"] == [
        (2, None),
        (9, "2030"),
    ]
