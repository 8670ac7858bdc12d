"""Multi-period worlds: coalition min_cost end to end against HiGHS alone, per number of periods.

Usage::

    .venv/bin/python benchmarks/bench_periods.py --countries 200 --periods 1,2,6

For each number of periods it writes the seeded synthetic world of ``generate.World``
(two-year periods, 5% discounting, growing targets, builds with lead times and lifetimes),
then measures in this process: reading and validating the workbook, building the coalition
min_cost model, the planner's solve (hand-over, HiGHS, reading back, prices), tabulating,
and HiGHS alone on the same model read from an MPS file, and the peak resident memory. The
MPS file carries no objective constant (the shortfall penalty times every target), so HiGHS
alone reports the planner's objective less that constant.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate


def measure(path: Path) -> str:
    """One line of figures for the coalition min_cost run of ``path``."""
    import highspy

    import planner
    from planner.model.build import build, setting_for
    from planner.model.results import tabulate
    from planner.model.solve import highs_version, solve
    from planner.scenario.schema import Mode, Regime

    highs_version()
    started = time.perf_counter()
    scenario = planner.load(path).scenario
    load = time.perf_counter() - started
    started = time.perf_counter()
    setting = setting_for(scenario, Regime.COALITION, Mode.MIN_COST)
    built = build(scenario, setting)
    building = time.perf_counter() - started
    started = time.perf_counter()
    solution = solve(built)
    solving = time.perf_counter() - started
    started = time.perf_counter()
    tabulate(scenario, setting, solution)
    extract = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        mps = str(Path(folder) / "model.mps")
        build(scenario, setting).problem.writeMPS(mps)
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.readModel(mps)
        started = time.perf_counter()
        highs.run()
        alone = time.perf_counter() - started
    end_to_end = building + solving + extract
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"| {len(scenario.horizon.periods)} | {len(built.problem.variables()):,} | "
        f"{built.problem.numConstraints():,} | {load:.2f} | {building:.2f} | {solving:.2f} | "
        f"{solution.solve_time:.2f} | {extract:.2f} | {end_to_end:.2f} | {alone:.2f} | "
        f"{end_to_end / alone:.2f} | {building / solving:.2f} | {rss:,.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--periods", default="1,2,6", help="e.g. 1,2,4,6")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(measure(args.worker))
        return 0
    print(
        "| periods | variables | rows | load s | build s | solve s | of which HiGHS s | "
        "extract s | e2e s | HiGHS alone s | e2e / alone | build / solve | peak MiB |"
    )
    print("|" + "---:|" * 13)
    with tempfile.TemporaryDirectory() as folder:
        for periods in (int(p) for p in args.periods.split(",")):
            world = generate.World(args.countries, periods=periods)
            path = generate.write_workbook(world, Path(folder) / f"{world.name}.xlsx")
            # a fresh process per world, so that peak memory is that world's
            os.system(f"{sys.executable} {__file__} --worker {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
