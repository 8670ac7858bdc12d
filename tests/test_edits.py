"""Scenarios built or edited in Python are checked like workbooks, and never go stale.

The cross-sheet rules run on every :class:`~planner.scenario.schema.Scenario`, whatever its
source; without a workbook a problem names the record's key instead of its row. Every edit
of :mod:`planner.scenario.edits` returns a new scenario validated from scratch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import planner
from planner.errors import InputError, Problem
from planner.scenario.schema import Country, Link, Scenario, Target
from tests.workbooks import MINIMAL_SCENARIO

Where = tuple[str, int | None, str, tuple[str, ...]]


def located(problem: Problem) -> Where:
    return (problem.sheet, problem.row, problem.column, problem.key)


def problems_of(build: Any) -> list[Problem]:
    """Every problem ``build()`` raises."""
    with pytest.raises(InputError) as info:
        build()
    return list(info.value.problems)


def data(**changes: Any) -> dict[str, Any]:
    """The minimal scenario's fields, some replaced."""
    return MINIMAL_SCENARIO.fields() | changes


# --- the rules run on any scenario ---------------------------------------------------------


def test_a_target_for_a_country_that_does_not_exist_raises_input_error() -> None:
    targets = (*MINIMAL_SCENARIO.targets, Target(country="XX", commodity="compute", amount=1))
    with pytest.raises(InputError) as info:
        planner.run(Scenario.model_validate(data(targets=targets)))
    (problem,) = info.value.problems
    assert located(problem) == ("Targets", None, "country", ("XX", "compute"))
    assert problem.message.startswith("`XX` is not in Countries")
    assert str(problem).startswith("Targets (XX, compute), column `country`: `XX` is not in")


def test_constructing_a_scenario_reports_every_problem_at_once() -> None:
    links = (Link(exporter="A", importer="A", commodity="compute"),)
    countries = (*MINIMAL_SCENARIO.countries, Country(country="a", name="a", member=False))
    found = problems_of(
        lambda: Scenario(**data(links=links, countries=countries, shortfall_penalty=-5))
    )
    assert [located(p) for p in found] == [
        ("Scenario", None, "value", ("shortfall_penalty",)),
    ]
    # field problems come first: the cross-sheet rules read valid fields only
    found = problems_of(lambda: Scenario(**data(links=links, countries=countries)))
    assert [located(p) for p in found] == [
        ("Countries", None, "country", ("a",)),
        ("Links", None, "importer", ("A", "A", "compute")),
        ("Links", None, "commodity", ("A", "A", "compute")),
    ]
    assert found[0].message.startswith("`a` differs from `A` only in case")


def test_a_duplicate_record_built_in_python_is_named_by_its_key() -> None:
    (problem,) = problems_of(
        lambda: Scenario(**data(targets=(*MINIMAL_SCENARIO.targets, MINIMAL_SCENARIO.targets[0])))
    )
    assert located(problem) == ("Targets", None, "country", ("A", "compute"))
    assert problem.message == (
        "(`A`, `compute`) with a blank period is already listed twice; keep one row per "
        "country and commodity and period"
    )


def test_a_field_problem_names_sheet_key_and_column() -> None:
    rows = [c.fields() for c in MINIMAL_SCENARIO.countries]
    rows[1]["budget"] = -3
    (problem,) = problems_of(lambda: Scenario.model_validate(data(countries=rows)))
    assert located(problem) == ("Countries", None, "budget", ("B",))
    assert problem.message == "-3 is negative; type a number >= 0"


# --- no stale caches -----------------------------------------------------------------------


def test_model_copy_that_changes_members_recomputes_them() -> None:
    assert MINIMAL_SCENARIO.members == ("A", "B")
    countries = tuple(
        c.model_copy(update={"member": False}) if c.country == "B" else c
        for c in MINIMAL_SCENARIO.countries
    )
    targets = tuple(t for t in MINIMAL_SCENARIO.targets if t.country != "B")
    edited = MINIMAL_SCENARIO.model_copy(update={"countries": countries, "targets": targets})
    assert edited.members == ("A",)
    assert edited.country_by_id["B"].member is False
    assert MINIMAL_SCENARIO.members == ("A", "B")


def test_model_copy_that_breaks_a_rule_raises() -> None:
    countries = tuple(c.model_copy(update={"member": False}) for c in MINIMAL_SCENARIO.countries)
    found = problems_of(lambda: MINIMAL_SCENARIO.model_copy(update={"countries": countries}))
    assert [located(p) for p in found] == [
        ("Targets", None, "country", ("A", "compute")),
        ("Targets", None, "country", ("B", "compute")),
    ]


def test_without_members_never_reports_stale_members() -> None:
    MINIMAL_SCENARIO.members  # noqa: B018 (fill the cache before editing)
    edited = planner.without_members(MINIMAL_SCENARIO, ["B"])
    assert edited.members == ("A",)
    assert [t.country for t in edited.targets] == ["A"]
    assert edited.country_by_id["B"].budget == 50  # a non-member's budget is not used
    assert planner.run(edited, regimes=["coalition"]).runs.keys() == {
        (planner.Mode.MIN_COST, planner.Regime.COALITION),
        (planner.Mode.MAX_CAPABILITY, planner.Regime.COALITION),
    }


def test_with_members_sets_exactly_the_coalition() -> None:
    edited = planner.with_members(MINIMAL_SCENARIO, ["C", "A"])
    assert edited.members == ("A", "C")  # sheet order
    assert [t.country for t in edited.targets] == ["A"]


def test_an_unknown_country_is_an_error() -> None:
    (problem,) = problems_of(lambda: planner.without_members(MINIMAL_SCENARIO, ["b"]))
    assert located(problem) == ("Countries", None, "country", ())
    assert problem.message == "`b` is not in Countries; did you mean `B`? (ids are case-sensitive)"


# --- the other edits ------------------------------------------------------------------------


def test_scaled_multiplies_the_matching_rows_only() -> None:
    edited = planner.scaled(MINIMAL_SCENARIO, "Resources", "available", 2, country="A")
    assert [r.available for r in edited.resources] == [20, 5, 20]
    doubled = planner.scaled(MINIMAL_SCENARIO, "Countries", "budget", 2)
    assert [c.budget for c in doubled.countries] == [200, 100, 0]


def test_scaled_leaves_blank_cells_blank_and_accepts_several_values() -> None:
    edited = planner.scaled(MINIMAL_SCENARIO, "Links", "cost", 3, exporter=["C", "B"])
    assert edited.links[0].cost is None
    assert planner.scaled(MINIMAL_SCENARIO, "Links", "capacity", 0.5).links[0].capacity == 2


def test_scaled_refuses_a_column_that_is_not_a_number() -> None:
    (problem,) = problems_of(lambda: planner.scaled(MINIMAL_SCENARIO, "Countries", "name", 2))
    assert located(problem) == ("Countries", None, "name", ())
    assert problem.message == "`name` is not a number column; scale one of `budget`"


def test_a_filter_that_matches_no_row_is_an_error_naming_sheet_and_filter() -> None:
    (problem,) = problems_of(
        lambda: planner.scaled(MINIMAL_SCENARIO, "Capacity", "cost", 2, country="KOR")
    )
    assert str(problem) == "Capacity: no row has country = 'KOR'; nothing to edit"


def test_an_unknown_sheet_or_column_is_an_error_with_a_suggestion() -> None:
    (sheet,) = problems_of(lambda: planner.without_rows(MINIMAL_SCENARIO, "Target"))
    assert "did you mean `Targets`?" in sheet.message
    (column,) = problems_of(
        lambda: planner.with_value(MINIMAL_SCENARIO, "Capacity", "cots", 1, country="A")
    )
    assert (column.sheet, "did you mean `cost`?" in column.message) == ("Capacity", True)


def test_with_value_sets_the_matching_rows_and_revalidates() -> None:
    banned = planner.with_value(MINIMAL_SCENARIO, "Links", "allowed", False, importer="A")
    assert banned.links[0].allowed is False
    found = problems_of(
        lambda: planner.with_value(MINIMAL_SCENARIO, "Capacity", "min_new", 50, country="B")
    )
    assert [located(p) for p in found] == [("Capacity", None, "min_new", ("B", "dc"))]
    found = problems_of(
        lambda: planner.with_value(MINIMAL_SCENARIO, "Countries", "member", "no", country="B")
    )
    assert [located(p) for p in found] == [("Targets", None, "country", ("B", "compute"))]


def test_without_rows_and_with_rows() -> None:
    fewer = planner.without_rows(MINIMAL_SCENARIO, "Targets", country="B")
    assert [t.country for t in fewer.targets] == ["A"]
    more = planner.with_rows(
        fewer, "Targets", {"country": "B", "commodity": "compute", "amount": 7}
    )
    assert more.targets[-1] == Target(country="B", commodity="compute", amount=7, weight=1)
    added = planner.with_rows(MINIMAL_SCENARIO, "Countries", {"country": "D", "member": "yes"})
    assert (added.country_by_id["D"].name, added.members) == ("D", ("A", "B", "D"))


def test_rows_valid_only_together_are_added_together() -> None:
    gift = {"process": "gift"}
    assert problems_of(lambda: planner.with_rows(MINIMAL_SCENARIO, "Processes", gift))
    edited = planner.with_records(
        MINIMAL_SCENARIO,
        {
            "Processes": [gift],
            "Recipe": [{"process": "gift", "commodity": "chip", "role": "output", "amount": 1}],
        },
    )
    assert edited.process_by_id["gift"].layer == "gift"


def test_with_setting() -> None:
    assert planner.with_setting(MINIMAL_SCENARIO, "shortfall_penalty", 50).shortfall_penalty == 50
    (problem,) = problems_of(lambda: planner.with_setting(MINIMAL_SCENARIO, "shortfall", 5))
    assert "did you mean `shortfall_penalty`?" in problem.message
    (problem,) = problems_of(
        lambda: planner.with_setting(MINIMAL_SCENARIO, "shortfall_penalty", -5)
    )
    assert str(problem) == (
        "Scenario (shortfall_penalty), column `value`: -5 is negative; type a number > 0"
    )


def test_an_edit_equals_the_scenario_built_directly() -> None:
    doubled = planner.scaled(MINIMAL_SCENARIO, "Countries", "budget", 2)
    countries = tuple(
        c.model_copy(update={"budget": c.budget * 2}) for c in MINIMAL_SCENARIO.countries
    )
    assert doubled == Scenario(**data(countries=countries))
    assert doubled != MINIMAL_SCENARIO


def test_the_readme_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "Editing a scenario in Python" block, as written (but the solve)."""
    root = Path(__file__).resolve().parent.parent
    section = (
        (root / "README.md")
        .read_text(encoding="utf-8")
        .split("### Editing a scenario in Python", 1)[1]
    )
    lines = section.split("```python\n", 1)[1].split("```", 1)[0].splitlines()
    namespace: dict[str, Any] = {"planner": planner}
    monkeypatch.chdir(root)
    exec("\n".join(line for line in lines if not line.startswith("planner.run(")), namespace)
    assert namespace["without_korea"].members == tuple(
        m for m in namespace["scenario"].members if m != "KOR"
    )
    assert sum(c.budget for c in namespace["doubled"].countries) == pytest.approx(
        2 * sum(c.budget for c in namespace["scenario"].countries)
    )


def test_a_member_that_leaves_takes_its_exit_stresses_with_it() -> None:
    """Only a member can leave, so ``without_members`` drops the Stresses cases that exit a
    country no longer a member (the whole case), and keeps every other case."""
    base = planner.with_records(
        MINIMAL_SCENARIO,
        {
            "Stresses": [
                {"case": "a_leaves", "action": "exit", "country": "A"},
                {"case": "both", "action": "exit", "country": "A"},
                {"case": "both", "action": "outage", "country": "B", "process": "dc"},
                {"case": "b_leaves", "action": "exit", "country": "B"},
            ]
        },
    )
    assert len(base.stresses) == 4
    edited = planner.without_members(base, ["A"])
    assert [s.case for s in edited.stresses] == ["b_leaves"]
    assert planner.without_members(base, []).stresses == base.stresses
