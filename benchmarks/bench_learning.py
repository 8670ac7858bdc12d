"""Solve time of a learning scenario: with and without learning, with and without the
monotone segment cuts, and HiGHS alone on the same model.

Run from the repository root::

    .venv/bin/python benchmarks/bench_learning.py [--countries 30] [--periods 6] [--repeat 3]

The scenario (built in Python, validated like a workbook): ``--countries`` member
countries, ``--periods`` periods of two years, ore -> chip (``fab``) -> compute (``dc``),
chips tradable. ``fab`` has fixed-cost builds (a binary per country and period, lifetime
8 years) and one learning curve: progress ratio 0.8, two steps per doubling, 5.5 doublings
of the reference, so the pooled curve has 12 segments (k = 0..11); every country starts at
the reference. Targets grow 30% a period, so the pool climbs the staircase.

Measured, each the best of ``--repeat``:

- ``coalition``: the coalition min_cost model (one pooled curve) as ``planner run`` builds
  and solves it, with the cuts (default) and without (the cut rows' bounds made infinite
  before solving, so they bind nothing), and the same scenario without its Learning sheet;
- ``national``: the national stacks' model (one block and one curve per member), which the
  planner solves as one model of independent blocks, and the sum of each member's block
  solved alone (the blocks share nothing; ``--workers`` solves them in parallel);
- ``highs``: the coalition model with cuts written as MPS and solved by ``highspy`` alone
  (``readModel`` + ``run``, output off), for the planner / HiGHS ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.model.build import build, setting_for  # noqa: E402
from planner.model.solve import SolveOptions, solve  # noqa: E402
from planner.scenario.schema import Mode, Regime, Scenario  # noqa: E402

OPTIONS = SolveOptions()
"""The planner's solve options (``--gap``, ``--time-limit``)."""

NOTES: list[str] = []
"""How each planner solve ended, when not optimal (printed after its row)."""


def scenario(countries: int, periods: int, *, learning: bool = True) -> Scenario:
    """The benchmark's scenario (see the module docstring)."""
    ids = [f"C{n:02d}" for n in range(countries)]
    years = [2026 + 2 * t for t in range(periods)]
    data: dict[str, object] = {
        "name": "learning benchmark",
        "countries": [{"country": c, "name": c, "member": True, "budget": 0} for c in ids],
        "commodities": [
            {"commodity": "ore", "kind": "resource"},
            {"commodity": "chip", "kind": "product", "tradable": True, "trade_cost": 0.2},
            {"commodity": "compute", "kind": "capability"},
        ],
        "resources": [
            {"country": c, "commodity": "ore", "available": 40 + 7 * (n % 5), "cost": 1 + n % 3}
            for n, c in enumerate(ids)
        ],
        "processes": [{"process": p, "layer": p} for p in ("fab", "dc")],
        "recipe": [
            {"process": "fab", "commodity": "ore", "role": "input", "amount": 2},
            {"process": "fab", "commodity": "chip", "role": "output", "amount": 1},
            {"process": "dc", "commodity": "chip", "role": "input", "amount": 1},
            {"process": "dc", "commodity": "compute", "role": "output", "amount": 1},
        ],
        "capacity": [
            *(
                {
                    "country": c,
                    "process": "fab",
                    "existing": 2,
                    "cost": 1,
                    "max_new": 30,
                    "new_cost": 10 + n % 4,
                    "fixed_cost": 40 + 5 * (n % 3),
                    "lifetime": 8,
                }
                for n, c in enumerate(ids)
            ),
            *({"country": c, "process": "dc", "existing": 100, "cost": 0.5} for c in ids),
        ],
        "targets": [
            {
                "country": c,
                "commodity": "compute",
                "amount": round((4 + n % 3) * 1.3**t, 3),
                "period": str(y),
            }
            for n, c in enumerate(ids)
            for t, y in enumerate(years)
        ],
        "periods": [{"period": str(y), "year": y, "length": 2} for y in years],
    }
    if learning:
        data["learning"] = [
            {
                "process": "fab",
                "progress_ratio": 0.8,
                "reference": 20,
                "steps_per_doubling": 2,
                "max_doublings": 5.5,
            }
        ]
        data["experience"] = [{"country": c, "process": "fab", "initial": 20} for c in ids]
    return Scenario.model_validate(data)


def timed(job: Callable[[], float], repeat: int) -> tuple[float, float]:
    """(best seconds, objective) of ``repeat`` runs."""
    best, value = float("inf"), float("nan")
    for _ in range(repeat):
        started = time.perf_counter()
        value = job()
        best = min(best, time.perf_counter() - started)
    return best, value


def planner_solve(world: Scenario, regime: Regime, *, cuts: bool = True) -> float:
    """Build and solve one min_cost model as ``planner run`` does (prices included)."""
    model = build(world, setting_for(world, regime, Mode.MIN_COST))
    if not cuts:
        for name in model.learning.cuts:  # a row with an infinite bound binds nothing
            model.problem.get_constraint_by_name(name).changeRHS(1e30)
    solution = solve(model, OPTIONS)
    assert solution.objective is not None, solution.status
    NOTES.append(
        ""
        if solution.status.value == "optimal"
        else f"  {solution.status.value}, gap {solution.gap:.2g}"
    )
    return solution.objective


def member_alone(args: tuple[int, int, int, float]) -> float:
    """One member's national block solved alone (for the parallel sum)."""
    countries, periods, member, gap = args
    world = scenario(countries, periods)
    ids = (world.countries[member].country,)
    model = build(world, setting_for(world, Regime.NATIONAL, Mode.MIN_COST, ids))
    solution = solve(model, SolveOptions(gap=gap))
    assert solution.objective is not None
    return solution.objective


def highs_alone(world: Scenario) -> float:
    """The coalition model with cuts, written as MPS, solved by highspy alone."""
    import highspy

    model = build(world, setting_for(world, Regime.COALITION, Mode.MIN_COST))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.mps"
        model.problem.writeMPS(str(path))
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("mip_rel_gap", OPTIONS.gap)
        if OPTIONS.time_limit is not None:
            highs.setOptionValue("time_limit", OPTIONS.time_limit)
        started = time.perf_counter()
        highs.readModel(str(path))
        highs.run()
        seconds = time.perf_counter() - started
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=30)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--gap", type=float, default=SolveOptions.gap, help="relative MIP gap")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    args = parser.parse_args()
    global OPTIONS
    OPTIONS = SolveOptions(time_limit=args.time_limit, gap=args.gap)
    world = scenario(args.countries, args.periods)
    plain = scenario(args.countries, args.periods, learning=False)
    model = build(world, setting_for(world, Regime.COALITION, Mode.MIN_COST))
    print(
        f"{args.countries} countries, {args.periods} periods: coalition model "
        f"{model.problem.numVariables()} columns, {model.problem.numConstraints()} rows, "
        f"{len(model.build)} build binaries, {len(model.learning.segment)} segment binaries, "
        f"{len(model.learning.cuts)} cuts; load average {os.getloadavg()[0]:.2f}"
    )
    rows = [
        ("coalition, learning, cuts", lambda: planner_solve(world, Regime.COALITION)),
        (
            "coalition, learning, no cuts",
            lambda: planner_solve(world, Regime.COALITION, cuts=False),
        ),
        ("coalition, no learning", lambda: planner_solve(plain, Regime.COALITION)),
        ("national (one model of blocks), learning", lambda: planner_solve(world, Regime.NATIONAL)),
        (
            "national, no learning",
            lambda: planner_solve(plain, Regime.NATIONAL),
        ),
    ]
    for label, job in rows:
        seconds, value = timed(job, args.repeat)
        print(f"{label:45s} {seconds:8.2f} s   objective {value:,.4f}{NOTES[-1]}")
    jobs = [(args.countries, args.periods, m, args.gap) for m in range(args.countries)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        total = sum(pool.map(member_alone, jobs))
    seconds = time.perf_counter() - started
    print(
        f"{'national, each member alone, ' + str(args.workers) + ' workers':45s} "
        f"{seconds:8.2f} s   objective {total:,.4f}"
    )
    best = min(highs_alone(world) for _ in range(args.repeat))
    print(f"{'HiGHS alone on the coalition model (MPS)':45s} {best:8.2f} s")


if __name__ == "__main__":
    main()
