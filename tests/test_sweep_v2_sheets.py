"""Sweeps of the Budgets, Learning and Experience sheets: their rules, located at the Uncertain
row and column, and sweeps that reproduce optima derived by hand (tests/v2_cases.py; the
learning loop's derivation is in tests/test_reference_v2.py).

Each scenario is written to a workbook and read back, so the reader's checks run too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import v2_cases as cases
from reference_v2 import Tables
from workbooks import (
    MINIMAL_SCENARIO,
    add_row,
    minimal_scenario_tables,
    records_workbook,
    write_workbook,
)

import planner
from planner.analysis import sweep as sweeps
from planner.errors import InputError
from planner.io.validate import load_scenario
from planner.model.build import build, setting_for
from planner.scenario import uncertain
from planner.scenario.schema import Mode, Regime, Scenario

ROW = 2
"""The Excel row of the first (here the only) Uncertain row."""


def workbook(path: Path, tables: Tables) -> Path:
    """Tables of row dicts as a workbook, the required sheets added empty."""
    return records_workbook(path, tables)


def with_uncertain(tables: Tables, *rows: dict[str, Any], design: str = "oat") -> Tables:
    return tables | {
        "Uncertain": list(rows),
        "Sampling": [{"key": "design", "value": design}],
    }


def loaded(tmp_path: Path, tables: Tables) -> Scenario:
    return load_scenario(workbook(tmp_path / "s.xlsx", tables)).scenario


def problems_of(tmp_path: Path, tables: Tables) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(InputError) as info:
        loaded(tmp_path, tables)
    return [(p.sheet, p.row, p.column, p.message) for p in info.value.problems]


PR = {"parameter": "pr", "sheet": "Learning", "column": "progress_ratio"}
REFERENCE = {"parameter": "ref", "sheet": "Learning", "column": "reference"}
SPILLOVER = {"parameter": "spill", "sheet": "Learning", "column": "spillover"}
INITIAL = {"parameter": "e0", "sheet": "Experience", "column": "initial"}
STEPS = {"parameter": "q", "sheet": "Learning", "column": "steps_per_doubling"}
B_2028 = {"parameter": "b2028", "sheet": "Budgets", "column": "budget"}


# --- sweeps with known optima --------------------------------------------------------------


def test_an_oat_sweep_of_the_learning_curve_reproduces_the_hand_optima(tmp_path: Path) -> None:
    """The learning loop (two members, experience 10 each, reference 20, progress ratio 0.5,
    two one-year periods, new cost 8, targets 10 a year each, one-year lifetimes): national
    480, coalition and open 240. One input at a time:

    - progress ratio 1 (no learning): every unit costs 8, 2 x 2 x 10 x 8 = 320 in every regime;
      0.5 is the base.
    - reference x 2 (40): a national pool starts at 10 = B_-2 (x4): 10 x 32 = 320, then at 20 =
      B_-1 (x2): 160, 480 each, national 960; the coalition starts at 20 (x2): 20 x 16 = 320,
      then at 40 (x1): 160, 480. Building ahead never pays (15 more at 32 to save 80).
    - initial x 0.5 (5 each): E0 / reference is as with reference x 2, so the same 960 / 480.
      The base's lowest breakpoint is B_-1 = 10, above 5: the staircase must be rebuilt.
    - spillover 1: a national pool starts at 10 + 10 = 20 (x1): 80, then 30 (x1): 80, national
      320; the coalition has no one outside it: 240.
    """
    tables = with_uncertain(
        cases.learning_loop(),
        {**PR, "apply": "set", "low": 0.5, "high": 1},
        {**REFERENCE, "distribution": "discrete", "values": "1, 2"},
        {**INITIAL, "distribution": "discrete", "values": "0.5, 1"},
        {**SPILLOVER, "apply": "set", "low": 0, "high": 1},
    )
    result = planner.sweep(loaded(tmp_path, tables), modes=("min_cost",))
    assert result.complete and result.draws.count == 9
    base = (480, 240, 240)
    expected = {
        ("pr", "low"): base,
        ("pr", "high"): (320, 320, 320),
        ("ref", "low"): base,
        ("ref", "high"): (960, 480, 480),
        ("e0", "low"): (960, 480, 480),
        ("e0", "high"): base,
        ("spill", "low"): base,
        ("spill", "high"): (320, 240, 240),
    }
    objective = {(r.draw, r.regime): r.objective for r in result.runs.itertuples()}
    regimes = [r.value for r in Regime]
    assert [objective[(0, r)] for r in regimes] == pytest.approx(base)
    for draw, end in enumerate(result.draws.oat, start=1):
        assert [objective[(draw, r)] for r in regimes] == pytest.approx(expected[end]), end
    tornado = {r["parameter"]: r for r in result.tornado.to_dict("records")}
    assert (tornado["pr"]["saving_low"], tornado["pr"]["saving_high"]) == pytest.approx((240, 0))
    assert tornado["e0"]["saving_low"] == pytest.approx(480)
    assert tornado["spill"]["saving_high"] == pytest.approx(80)


@pytest.mark.parametrize(
    ("row", "value"), [(INITIAL, 0.5), (REFERENCE, 2.0), ({**SPILLOVER, "apply": "set"}, 1.0)]
)
def test_a_swept_experience_rebuilds_the_staircase(
    tmp_path: Path, row: dict[str, Any], value: float
) -> None:
    """kmin = floor(log2(min E0 / reference)) in national stacks: -1 at base (10 / 20); -2
    with initial x 0.5 (5 / 20) or reference x 2 (10 / 40); 0 with spillover 1 (20 / 20)."""
    scenario = loaded(
        tmp_path,
        with_uncertain(
            cases.learning_loop(), {**row, "distribution": "discrete", "values": str(value)}
        ),
    )
    drawn = sweeps.apply_draw(scenario, sweeps.plan_of(scenario), [value])
    setting = setting_for(scenario, Regime.NATIONAL, Mode.MIN_COST)
    base = build(scenario, setting).learning.pools[0].stairs
    stairs = build(drawn, setting).learning.pools[0].stairs
    kmin, lowest = {"e0": (-2, 5), "ref": (-2, 10), "spill": (0, 20)}[row["parameter"]]
    assert base.ks[0] == -1 and base.breakpoints[0] == pytest.approx(10)
    assert stairs.ks[0] == kmin and stairs.breakpoints[0] == pytest.approx(lowest)


def test_a_budgets_parameter_moves_only_the_named_country_in_the_named_period(
    tmp_path: Path,
) -> None:
    """budgets_lag (max_capability; periods 2026, 2028, 2030 of two years; B's budgets 2, 6,
    10 a year; chips at 2 in B, 1 in A): national 18, coalition 36. B's 2028 budget x 2 (12)
    buys 6 chips a year alone, 12 with A's fabs: national 2 x (1 + 6 + 5) = 24, coalition
    2 x (2 + 12 + 10) = 48."""
    tables = with_uncertain(
        cases.budgets_lag(),
        {**B_2028, "country": "B", "period": 2028, "low": 1, "high": 2},
    )
    scenario = loaded(tmp_path, tables)
    drawn = sweeps.apply_draw(scenario, sweeps.plan_of(scenario), [2.0])
    assert [(b.country, b.period, b.budget) for b in drawn.budgets] == [
        ("B", "2026", 2),
        ("B", "2028", 12),
        ("B", "2030", 10),
    ]
    assert drawn.countries == scenario.countries
    result = planner.sweep(scenario, modes=("max_capability",))
    objective = {(r.draw, r.regime): r.objective for r in result.runs.itertuples()}
    high = 1 + result.draws.oat.index(("b2028", "high"))
    assert [objective[(d, r)] for d in (0, high) for r in ("national", "coalition")] == (
        pytest.approx([18, 36, 24, 48])
    )


def test_a_discrete_draw_of_steps_per_doubling_is_solved(tmp_path: Path) -> None:
    """Two steps per doubling on the learning loop: B_k = 20 x 2^(k/2) puts 10, 20 and 40 on
    breakpoints as before, and the extra steps between them never pay (a national pool
    would build 8.3 more at 16 to save 10 x 2.3 in 2027): the same 480 / 240."""
    tables = with_uncertain(
        cases.learning_loop(), {**STEPS, "apply": "set", "distribution": "discrete", "values": "2"}
    )
    scenario = loaded(tmp_path, tables)
    drawn = sweeps.apply_draw(scenario, sweeps.plan_of(scenario), [2.0])
    assert drawn.learning[0].steps_per_doubling == 2
    setting = setting_for(drawn, Regime.NATIONAL, Mode.MIN_COST)
    assert build(drawn, setting).learning.pools[0].stairs.ks[:3] == (-2, -1, 0)
    result = planner.sweep(scenario, modes=("min_cost",))
    objective = {(r.draw, r.regime): r.objective for r in result.runs.itertuples()}
    assert [objective[(1, r)] for r in ("national", "coalition")] == pytest.approx([480, 240])


# --- rules, each at its Uncertain row and column ----------------------------------------------


def test_an_experience_draw_that_can_go_negative_is_refused(tmp_path: Path) -> None:
    tables = with_uncertain(
        cases.learning_loop(),
        {**INITIAL, "apply": "add", "distribution": "normal", "mean": 0, "sd": 1},
    )
    ((sheet, row, column, message),) = problems_of(tmp_path, tables)
    assert (sheet, row, column) == ("Uncertain", ROW, "low")
    assert "Experience row 2, `initial` negative" in message
    assert "must be a number >= 0" in message


LOOP_RULES = [
    # progress_ratio in (0, 1]: 0.5 x 2.5 = 1.25
    ({**PR, "low": 0.5, "high": 2.5}, "high", "Learning row 2, `progress_ratio` 1.25"),
    ({**PR, "apply": "set", "low": 0, "high": 1}, "low", "`progress_ratio` 0"),
    (
        {**PR, "apply": "set", "distribution": "lognormal", "mean": 0.8, "sd": 0.1},
        "distribution",
        "as large as any number",
    ),
    (
        {**PR, "distribution": "normal", "mean": 1, "sd": 0.1, "low": 0.5},
        "high",
        "truncate it with `high`",
    ),
    (
        {**SPILLOVER, "apply": "set", "distribution": "discrete", "values": "0, 1.5"},
        "values",
        "lower the largest value",
    ),
    ({**REFERENCE, "apply": "add", "low": -20, "high": 0}, "low", "`reference` 0"),
    (
        {
            "parameter": "d",
            "sheet": "Learning",
            "column": "max_doublings",
            "apply": "set",
            "low": 0,
            "high": 4,
        },
        "low",
        "must be a number > 0",
    ),
    ({**STEPS, "apply": "set", "low": 1, "high": 3}, "distribution", "a whole number"),
    ({**STEPS, "distribution": "discrete", "values": "1.5, 2"}, "values", "the draw 1.5 makes"),
    ({**PR, "exporter": "A", "low": 0.5, "high": 1}, "exporter", "Learning has no `exporter`"),
    ({**PR, "country": "A", "low": 0.5, "high": 1}, "country", "Learning has no `country`"),
    ({**PR, "period": 2026, "low": 0.5, "high": 1}, "period", "hold in every period"),
    ({**INITIAL, "commodity": "cap", "low": 0.5, "high": 1}, "commodity", "Experience has no"),
    ({**INITIAL, "period": 2027, "low": 0.5, "high": 1}, "period", "Experience has no `period`"),
    ({**INITIAL, "country": "C", "low": 0.5, "high": 1}, "column", "no Experience row"),
    ({**PR, "column": "driver", "low": 0.5, "high": 1}, "column", "not a numeric column"),
]


@pytest.mark.parametrize(("row", "column", "text"), LOOP_RULES)
def test_each_learning_rule_is_located(
    row: dict[str, Any], column: str, text: str, tmp_path: Path
) -> None:
    ((sheet, at, found, message),) = problems_of(
        tmp_path, with_uncertain(cases.learning_loop(), row)
    )
    assert (sheet, at, found) == ("Uncertain", ROW, column)
    assert text in message


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        ({**B_2028, "country": "B", "apply": "add", "low": -3, "high": 0}, "low", "negative"),
        ({**B_2028, "commodity": "chip", "low": 1, "high": 2}, "commodity", "Budgets has no"),
        ({**B_2028, "period": 2027, "low": 1, "high": 2}, "column", "no Budgets row"),
        ({**B_2028, "country": "A", "low": 1, "high": 2}, "column", "country `A`"),
    ],
)
def test_each_budgets_rule_is_located(
    row: dict[str, Any], column: str, text: str, tmp_path: Path
) -> None:
    """B's budgets are 2, 6 and 10 a year; A has no Budgets row; 2027 is no period."""
    ((sheet, at, found, message),) = problems_of(tmp_path, with_uncertain(cases.budgets_lag(), row))
    assert (sheet, at, found) == ("Uncertain", ROW, column)
    assert text in message


def test_a_continuous_draw_of_a_lead_time_is_refused(tmp_path: Path) -> None:
    tables = minimal_scenario_tables()
    tables["Uncertain"] = [["parameter", "sheet", "column"]]
    add_row(
        tables,
        "Uncertain",
        {"parameter": "lt", "sheet": "Capacity", "column": "lead_time", "apply": "add"}
        | {"low": 0, "high": 2},
    )
    with pytest.raises(InputError) as info:
        load_scenario(write_workbook(tmp_path / "s.xlsx", tables))
    ((problem),) = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("Uncertain", ROW, "distribution")
    assert "`lead_time` must be a whole number >= 0" in problem.message


def test_a_period_selector_on_a_sheet_without_periods_names_the_one_period(
    tmp_path: Path,
) -> None:
    """Without a Periods sheet every row is in period `1`, on any sheet."""
    tables = minimal_scenario_tables()
    tables["Uncertain"] = [["parameter", "sheet", "column"]]
    row = {"parameter": "b", "sheet": "Countries", "column": "budget", "period": 1}
    add_row(tables, "Uncertain", row | {"low": 0.5, "high": 1.5})
    assert load_scenario(write_workbook(tmp_path / "s.xlsx", tables)).scenario.uncertain


def test_a_python_scenario_names_only_sheets_a_sweep_may_change() -> None:
    data = MINIMAL_SCENARIO.model_dump()
    data["uncertain"] = [
        {"parameter": "p", "sheet": "Processes", "column": "available_from", "low": 1, "high": 2}
    ]
    ((problem),) = uncertain.check(Scenario.model_validate(data))
    assert (problem.sheet, problem.column) == ("Uncertain", "sheet")
    assert "Budgets, Learning, Experience" in problem.message


def test_a_draw_that_leaves_a_pool_without_experience_fails_its_runs(tmp_path: Path) -> None:
    """initial 0 is within the column's rule (>= 0), but a national pool then starts with no
    experience, a rule across sheets: the draw's runs fail with the reason, the others run."""
    tables = with_uncertain(
        cases.learning_loop(),
        {**INITIAL, "apply": "set", "distribution": "discrete", "values": "0, 10"},
    )
    result = planner.sweep(loaded(tmp_path, tables), modes=("min_cost",))
    low = 1 + result.draws.oat.index(("e0", "low"))
    failures = result.failures.to_dict("records")
    assert {f["draw"] for f in failures} == {low} and len(failures) == 3
    assert all("starts with no experience" in f["reason"] for f in failures)
    assert result.runs.query("draw != @low")["objective"].tolist() == pytest.approx(
        [480, 240, 240] * 2
    )
