"""The single-loss screen and the worst-pair search of ``planner stress`` on a scenario.

Run from the repository root::

    .venv/bin/python benchmarks/bench_stress.py --workers 2
    .venv/bin/python benchmarks/bench_stress.py --workers 2 --budget 200 --json stress-bench.json

It loads the scenario (default ``scenarios/pax_silica.xlsx``), then times, through
:func:`planner.stress` exactly as the command runs them:

- **the screen**: every member's exit (two solves: the exit and its reference) and the
  full loss of every supply element the base plan uses; the elements it does not use are
  not solved. Printed: elements, solves, seconds, and the share of solves saved by skipping
  the unused elements (skipped / (skipped + solved));
- **the worst pair** (``k = 2``, ``--budget`` sets evaluated at most before the beam):
  sets evaluated, seconds, whether the answer is proven; against plain enumeration of
  every set of one or two supply elements, whose solve count is printed with the time it
  would take at the search's mean seconds per solve (it is not run: on the default scenario
  it is tens of millions of solves).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.analysis.stress import supply_elements  # noqa: E402
from planner.api import load, stress, versions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios/pax_silica.xlsx"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--skip-worst", action="store_true", help="Time the screen only.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()

    loaded = load(args.scenario)
    scenario = loaded.scenario
    elements = supply_elements(scenario)
    members = len(scenario.members)
    figures: dict[str, object] = {
        "scenario": scenario.name,
        "workers": args.workers,
        "members": members,
        "supply_elements": len(elements),
        "milp": scenario.has_build_decisions,
        "versions": versions(),
    }

    started = time.perf_counter()
    screen = stress(scenario, cases=[], screen=True, k=0, workers=args.workers)
    seconds = time.perf_counter() - started
    solved = int(screen.screen["solved"].sum()) - members
    skipped = screen.screen_skipped
    figures["screen"] = {
        "solves": screen.solves,
        "supply_elements_solved": solved,
        "supply_elements_skipped": skipped,
        "share_of_solves_saved": skipped / (skipped + screen.solves),
        "seconds": seconds,
        "seconds_per_solve_per_worker": seconds * args.workers / screen.solves,
        "failures": len(screen.failures),
    }
    print(json.dumps(figures["screen"], indent=2))

    if not args.skip_worst:
        started = time.perf_counter()
        worst = stress(scenario, cases=[], k=2, budget=args.budget, workers=args.workers)
        seconds = time.perf_counter() - started
        per_solve = seconds * args.workers / max(1, worst.solves)
        enumeration = len(elements) + math.comb(len(elements), 2)
        pair = worst.worst.to_dict("records")[-1]
        figures["worst_pair"] = {
            "budget": args.budget,
            "sets_evaluated": worst.worst_solves,
            "solves": worst.solves,
            "seconds": seconds,
            "exact": bool(pair["exact"]),
            "elements": list(pair["elements"]),
            "damage": pair["damage"],
            "plain_enumeration_solves": enumeration,
            "plain_enumeration_hours_at_this_rate": enumeration * per_solve / args.workers / 3600,
        }
        print(json.dumps(figures["worst_pair"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
