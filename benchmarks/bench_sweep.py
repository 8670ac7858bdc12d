"""Sweep throughput: runs per second with 1 and 2 workers, against the time spent in HiGHS.

    .venv/bin/python benchmarks/bench_sweep.py [SCENARIO] [--samples N]

Sweeps the scenario's resource costs (one uniform factor, 0.8 .. 1.2, Monte Carlo) in both
modes and reports, per worker count, the wall time, runs per second, and the sum of the
runs' ``solve_time`` (seconds inside HiGHS calls, as the planner makes them) divided by the
number of workers: the throughput HiGHS alone would bound. The ratio says how much the
planner adds around HiGHS (model building, tabulation, process start-up).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import planner
from planner.scenario.schema import Scenario


def with_uncertainty(scenario: Scenario, samples: int) -> Scenario:
    data = scenario.model_dump()
    data["uncertain"] = [
        {"parameter": "resource_cost", "sheet": "Resources", "column": "cost"}
        | {"low": 0.8, "high": 1.2}
    ]
    data["sampling"] = {"design": "mc", "samples": samples, "seed": 0}
    return Scenario.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/pax_silica.xlsx")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    scenario = with_uncertainty(planner.load(Path(args.scenario)).scenario, args.samples)
    for workers in (1, 2):
        started = time.perf_counter()
        result = planner.sweep(scenario, workers=workers)
        seconds = time.perf_counter() - started
        inside = sum(e.get("solve_time", 0.0) for runs in result.entries.values() for e in runs)
        runs = result.done
        print(
            f"{args.scenario}: {workers} worker(s): {runs} runs in {seconds:.1f} s = "
            f"{runs / seconds:.1f} runs/s; HiGHS time {inside:.1f} s "
            f"(bound {runs * workers / inside:.1f} runs/s); planner/HiGHS "
            f"{seconds * workers / inside:.2f}x"
        )


if __name__ == "__main__":
    main()
