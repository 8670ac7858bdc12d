"""Applying a sweep's draw: one validation (``sweep.apply_draw``) against the edits API.

    .venv/bin/python benchmarks/bench_apply_draw.py [SCENARIO] [--add-cells]

Four uncertain parameters on the scenario (resource costs scaled, fab_n5's new_cost
scaled, USA's budget added to, the shortfall penalty set; with ``--add-cells`` an ``add`` on
every Resources ``available`` instead of the budget), five Monte Carlo draws. Prints the
median time per draw (best of three) of :func:`planner.analysis.sweep.apply_draw`, which
validates the scenario once, and of the same draw through :mod:`planner.scenario.edits`
(``scaled``, ``with_value``, ``with_setting``; ``add`` needs one ``with_value`` per cell),
which validates it once per edit, and whether both give the same scenario.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path
from typing import Any

import planner
from planner.analysis import sweep as sweeps
from planner.scenario import edits
from planner.scenario.schema import Apply, Scenario
from planner.scenario.sheets import ANY_COMMODITY, SELECTORS, SHEET_BY_NAME

BUDGET = {"parameter": "usa_budget", "sheet": "Countries", "column": "budget", "country": "USA"}
AVAILABLE = {"parameter": "available", "sheet": "Resources", "column": "available"}


def with_uncertainty(scenario: Scenario, add_cells: bool) -> Scenario:
    data = scenario.model_dump()
    added = AVAILABLE | {"low": 0, "high": 1} if add_cells else BUDGET | {"low": -10, "high": 10}
    data["uncertain"] = [
        {"parameter": "resource_cost", "sheet": "Resources", "column": "cost"}
        | {"low": 0.8, "high": 1.2},
        {"parameter": "fab_new_cost", "sheet": "Capacity", "column": "new_cost"}
        | {"process": "fab_n5", "low": 0.8, "high": 1.2},
        added | {"apply": "add"},
        {"parameter": "penalty", "sheet": "Scenario", "column": "shortfall_penalty"}
        | {"apply": "set", "low": 50, "high": 150},
    ]
    data["sampling"] = {"design": "mc", "samples": 5, "seed": 0}
    return Scenario.model_validate(data)


def by_edits(scenario: Scenario, plan: sweeps.Plan, values: tuple[float, ...]) -> Scenario:
    edited = scenario
    for parameter, targets, draw in zip(scenario.uncertain, plan, values, strict=True):
        if math.isnan(draw):
            continue
        if parameter.sheet == "Scenario":
            value = targets[0].value
            assert value is not None
            moved = {Apply.SET: draw, Apply.SCALE: value * draw, Apply.ADD: value + draw}
            edited = edits.with_setting(edited, parameter.column, moved[parameter.apply])
            continue
        where: dict[str, Any] = {
            s: getattr(parameter, s)
            for s in SELECTORS
            if s != "period" and getattr(parameter, s) != ANY_COMMODITY
        }
        if parameter.apply is Apply.SCALE:
            edited = edits.scaled(edited, parameter.sheet, parameter.column, draw, **where)
        elif parameter.apply is Apply.SET:
            edited = edits.with_value(edited, parameter.sheet, parameter.column, draw, **where)
        else:  # add: no edit moves many cells by one amount, so one edit per cell
            key = SHEET_BY_NAME[parameter.sheet].key
            for target in targets:
                record = getattr(edited, target.field)[target.index]
                assert target.value is not None
                edited = edits.with_value(
                    edited,
                    parameter.sheet,
                    parameter.column,
                    target.value + draw,
                    **{c: getattr(record, c) for c in key},
                )
    return edited


def per_draw(apply: Any, count: int) -> tuple[float, list[Scenario]]:
    seconds, made = [], []
    for draw in range(1, count):
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            result = apply(draw)
            best = min(best, time.perf_counter() - started)
        seconds.append(best)
        made.append(result)
    return statistics.median(seconds), made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/pax_silica.xlsx")
    parser.add_argument("--add-cells", action="store_true")
    args = parser.parse_args()
    scenario = with_uncertainty(planner.load(Path(args.scenario)).scenario, args.add_cells)
    draws = sweeps.make_draws(scenario)
    plan = sweeps.plan_of(scenario)
    once, a = per_draw(lambda d: sweeps.apply_draw(scenario, plan, draws.values[d]), draws.count)
    edited, b = per_draw(lambda d: by_edits(scenario, plan, draws.values[d]), draws.count)
    same = [x.model_dump() for x in a] == [y.model_dump() for y in b]
    print(
        f"{args.scenario}: per draw, one validation {once * 1e3:.1f} ms; edits API "
        f"{edited * 1e3:.1f} ms ({edited / once:.1f}x); same scenarios: {same}"
    )


if __name__ == "__main__":
    main()
