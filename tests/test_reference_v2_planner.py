"""The planner against the independent Version 2 oracle (tests/reference_v2.py).

Every hand-made case of tests/v2_cases.py (learning aside: the next issue) and generated
multi-period scenarios are written to a workbook, read, validated and solved by the
planner, and solved by the oracle from the same tables; all six runs must agree on status,
objective, totals, world imports and backstop supply, per-period figures, and the
capability lags.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import v2_cases as cases
from conftest import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_v2 import Outcome, Tables, capability_lags, reference
from test_properties import scenarios
from test_reference_v2 import as_tables
from workbooks import write_workbook

import planner
from planner.analysis.compare import Comparison
from planner.scenario.schema import Mode, Regime
from planner.scenario.sheets import SHEETS

SIX = [(mode, regime) for mode in Mode for regime in Regime]

CASES = {
    "carry_over": cases.carry_over,
    "lead_lifetime_salvage": cases.lead_lifetime_salvage,
    "window_generations": cases.window_generations,
    "world_market_all": lambda: cases.world_market("all"),
    "world_market_declared": lambda: cases.world_market("declared"),
    "budgets_lag": cases.budgets_lag,
    "export_ban": cases.export_ban,
    "period_columns": cases.period_columns,
    "one_percent_use_low": lambda: cases.one_percent_use(0.5),
    "one_percent_use_high": lambda: cases.one_percent_use(50),
}


def workbook(tables: Tables, path: Path) -> Path:
    """The tables as a workbook: one sheet per table, the union of its rows' columns."""
    sheets: dict[str, list[list[object]]] = {}
    for sheet, rows in tables.items():
        if not rows:
            continue  # written below with its header, if it is required
        header: list[str] = []
        for row in rows:
            header += [c for c in row if c not in header]
        sheets[sheet] = [header, *([row.get(c) for c in header] for row in rows)]
    for sheet in SHEETS:  # the oracle's tables may leave an empty sheet out
        if sheet.required and sheet.name not in sheets:
            sheets[sheet.name] = [[c.name for c in sheet.columns if c.required]]
    return write_workbook(path, sheets)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


RUN_FIGURES = (
    "objective",
    "total_cost",
    "total_capability",
    "total_shortfall",
    "world_imports",
    "backstop",
)


def run_differences(
    comparison: Comparison, mode: Mode, regime: Regime, want: Outcome, *, unique: bool = True
) -> list[str]:
    """Where one run's status, totals and per-period figures differ from the oracle's
    (only status and objective where the optimal plan need not be unique)."""
    got = comparison.run(mode, regime)
    where = f"{mode.value}/{regime.value}"
    if got.status.value != want.status:
        return [f"{where}: status {got.status.value} != {want.status}"]
    if not unique:
        if close(got.objective, want.objective):
            return []
        return [f"{where}: objective {got.objective} != {want.objective}"]
    found = [
        f"{where}: {name} {getattr(got, name)} != {getattr(want, name)}"
        for name in RUN_FIGURES
        if not close(getattr(got, name), getattr(want, name))
    ]
    mine = comparison.periods
    mine = mine.loc[(mine["mode"] == mode.value) & (mine["regime"] == regime.value)]
    names = ("capability", "shortfall", "cost")
    for theirs, row in zip(want.periods, mine.to_dict("records"), strict=True):
        found += [
            f"{where} {theirs.period}: {name} {row[name]} != {theirs}"
            for name in names
            if not close(row[name], getattr(theirs, name))
        ]
    return found


def lag_differences(
    comparison: Comparison, nat: Outcome, coa: Outcome, tables: Tables
) -> list[str]:
    """Where the capability lags differ from the oracle's."""
    if not nat.status == coa.status == "optimal":
        return []
    want = {(x.country, x.period): (x.years, x.reached) for x in capability_lags(nat, coa, tables)}
    found = []
    for row in comparison.lags.to_dict("records"):
        years = None if row["years"] is None or math.isnan(row["years"]) else row["years"]
        theirs = want[(row["country"], row["period"])]
        if row["reached"] != theirs[1] or not close(years, theirs[0]):
            found.append(f"lag {row['country']} {row['period']}: {years} != {theirs}")
    return found


def differences(comparison: Comparison, tables: Tables, *, unique: bool = True) -> list[str]:
    """Every figure where the planner and the oracle disagree (see :func:`run_differences`)."""
    outcomes = {(m, r): reference(tables, m.value, r.value) for m, r in SIX}
    found = [
        d
        for (m, r), want in outcomes.items()
        for d in run_differences(comparison, m, r, want, unique=unique)
    ]
    if not unique:
        return found
    nat, coa = (outcomes[(Mode.MAX_CAPABILITY, r)] for r in (Regime.NATIONAL, Regime.COALITION))
    return found + lag_differences(comparison, nat, coa, tables)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_planner_agrees_with_the_oracle_on_the_hand_made_cases(
    name: str, tmp_path: Path
) -> None:
    tables = CASES[name]()
    comparison = planner.run(workbook(tables, tmp_path / f"{name}.xlsx"))
    found = differences(comparison, tables)
    assert not found, "\n".join(found)


@st.composite
def multi_period(draw: st.DrawFn) -> Tables:
    """A generated v1 scenario over two or three periods: lengths 1 to 3 years, a discount
    rate, lifetimes and lead times on some Capacity rows, and one period row per sheet that
    overrides a number of its blank-period row."""
    tables = as_tables(make_scenario(**draw(scenarios())))
    years = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    start, rows = 2030, []
    for length in years:
        rows.append({"period": start, "year": start, "length": length})
        start += length
    tables["Periods"] = rows
    tables["Scenario"].append(
        {"key": "discount_rate", "value": draw(st.sampled_from([0.0, 0.05, 0.2]))}
    )
    last = str(rows[-1]["period"])
    capacity = []
    for row in tables["Capacity"]:
        extra: dict[str, Any] = {}
        if draw(st.booleans()):
            extra["lifetime"] = draw(st.sampled_from([1, 2, 4, 10]))
        if draw(st.booleans()):
            extra["lead_time"] = draw(st.sampled_from([0, 1, 2]))
        capacity.append({**row, **extra})
    tables["Capacity"] = capacity
    if tables["Targets"] and draw(st.booleans()):
        first = tables["Targets"][0]
        tables["Targets"].append(
            {
                "country": first["country"],
                "commodity": first["commodity"],
                "period": last,
                "amount": 2 * float(first["amount"]),
            }
        )
    if tables["Resources"] and draw(st.booleans()):
        first = tables["Resources"][0]
        tables["Resources"].append(
            {
                "country": first["country"],
                "commodity": first["commodity"],
                "period": last,
                "available": 0.5 * float(first["available"]),
            }
        )
    return tables


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tables=multi_period())
def test_the_planner_agrees_with_the_oracle_on_generated_multi_period_scenarios(
    tables: Tables, tmp_path: Path
) -> None:
    """Generated plans may have ties (when to build at a rate of 0, which member falls
    short), so only statuses and objectives are compared; the hand-made cases above have
    unique optima and compare every figure."""
    comparison = planner.run(workbook(tables, tmp_path / "generated.xlsx"))
    found = differences(comparison, tables, unique=False)
    assert not found, "\n".join(found)
