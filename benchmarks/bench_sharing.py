"""Coalitions per second for the exact Shapley value of a 12-member scenario.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sharing.py --workers 2
    .venv/bin/python benchmarks/bench_sharing.py --compare 200
    .venv/bin/python benchmarks/bench_sharing.py --share --samples 8

``--share`` times ``planner share`` itself (:func:`planner.analysis.sharing.share`, the
batch engine underneath) on the full default scenario, 24 members, with a sampled Shapley
value of ``--samples`` permutations and its stability search, once with 1 worker and once
with 2 (or ``--workers``), checks that both give the same numbers, and prints wall and CPU
seconds and the speed-up.

The first solves every one of the ``2^12 - 1 = 4,095`` coalitions of the first 12 members
of the default scenario, as ``planner share`` does (:class:`planner.analysis.sharing.CoalitionCost`:
one model built and solved per coalition), and prints coalitions per second. ``--variant
bounds`` does the same with the prototype below, and ``--compare N`` times both, one
process each, on the same ``N`` coalitions in the Gray-code order the exact methods use.

The scenario: ``scenarios/pax_silica.xlsx`` if present; else the same data from
``scenarios/data/pax_silica`` (``scenarios/build_scenarios.py``); else a synthetic world of
31 countries from ``benchmarks/generate.py``. Members beyond the first 12 become non-members
(their targets dropped).

**The bound-changing prototype** (:class:`BoundsCost`). All coalition models are the grand
coalition's model with some columns switched off, so each process builds the grand model
once (through :func:`planner.model.build`, then into ``highspy`` from its MPS file) and, per
coalition ``S``, sets the upper bounds of the columns ``S``'s own model would not have to 0:
resources, activity, new capacity and build decisions of countries outside ``S``'s model
(``setting_for(...).countries``), shipments on links outside ``S``'s links, deliveries of
targets of countries outside ``S``. It then re-solves, warm, and subtracts the shortfall
penalty of the switched-off targets (a constant of the objective). Every ``c(S)`` it returns
is checked against the rebuilt model's in ``--compare``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.analysis.games import CoalitionValues, gray_code_coalitions, shapley_exact  # noqa: E402
from planner.analysis.sharing import CoalitionCost  # noqa: E402
from planner.model.build import build, setting_for  # noqa: E402
from planner.model.solve import SolveOptions, Status, solve  # noqa: E402
from planner.scenario.schema import Mode, Regime, Scenario  # noqa: E402

MEMBERS = 12


# ----------------------------------------------------------------------------------------
# The scenario


def _module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_scenario() -> tuple[Scenario, str]:
    """The default scenario at full size, and where it came from."""
    workbook = ROOT / "scenarios" / "pax_silica.xlsx"
    if workbook.exists():
        from planner import load

        return load(workbook).scenario, str(workbook.relative_to(ROOT))
    data = ROOT / "scenarios" / "data" / "pax_silica"
    if data.is_dir():
        builder = _module(ROOT / "scenarios" / "build_scenarios.py", "build_scenarios")
        return builder.scenario("pax_silica.xlsx"), "scenarios/data/pax_silica (CSV)"
    generate = _module(ROOT / "benchmarks" / "generate.py", "generate")
    with tempfile.TemporaryDirectory() as folder:
        from planner import load

        path = generate.write_workbook(generate.World(31, 24), Path(folder) / "world.xlsx")
        return load(path).scenario, "benchmarks/generate.py World(31, 24)"


def with_members(scenario: Scenario, count: int) -> Scenario:
    """The scenario with only its first ``count`` members still members."""
    keep = set(scenario.members[:count])
    data = scenario.model_dump()
    for country in data["countries"]:
        country["member"] = country["country"] in keep
    data["targets"] = [t for t in data["targets"] if t["country"] in keep]
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------------------
# The bound-changing prototype

_NO_BOUND = 1e30


class BoundsCost:
    """``c(S)`` by changing column bounds on one grand-coalition model per process.

    Picklable: only the scenario and options travel; the HiGHS model is built lazily in
    each process.
    """

    def __init__(self, scenario: Scenario, options: SolveOptions | None = None) -> None:
        self.scenario = scenario
        self.options = options or SolveOptions()
        self._state: _Grand | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "options": self.options, "_state": None}

    def __call__(self, coalition: frozenset[str]) -> float:
        if self._state is None:
            self._state = _Grand(self.scenario, self.options)
        return self._state.cost(tuple(m for m in self.scenario.members if m in coalition))


class _Grand:
    """The grand coalition's model in HiGHS, with each column's owner and upper bound."""

    def __init__(self, scenario: Scenario, options: SolveOptions) -> None:
        import highspy

        self.scenario = scenario
        grand = build(
            scenario,
            # every link: a sub-coalition may need a detour that pruning for the grand
            # coalition would drop (planner.model.links.needless_transit)
            setting_for(scenario, Regime.COALITION, Mode.MIN_COST, scenario.members, prune=False),
        )
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        if options.threads is not None:
            highs.setOptionValue("threads", options.threads)
        if options.gap is not None:
            highs.setOptionValue("mip_rel_gap", options.gap)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "grand.mps")
            grand.problem.writeMPS(path)
            highs.readModel(path)
        objective = grand.problem.objective
        self.constant = float(objective.constant) if objective is not None else 0.0
        # column owners: ("country", c), ("link", key) or ("member", c)
        owners: list[tuple[str, Any]] = []
        columns: list[int] = []
        uppers: list[float] = []

        def add(kind: str, owner: Any, var: Any, upper: float | None) -> None:
            _, index = highs.getColByName(var.name)
            owners.append((kind, owner))
            columns.append(index)
            uppers.append(_NO_BOUND if upper is None else upper)

        for (country, _), var in grand.use.items():
            add("country", country, var, var.upBound)
        for (country, _), var in grand.act.items():
            add("country", country, var, None)
        for (country, _), var in grand.new.items():
            add("country", country, var, var.upBound)
        for (country, _), var in grand.build.items():
            add("country", country, var, 1.0)
        for key, var in grand.ship.items():
            add("link", key, var, var.upBound)
        for (country, _), var in grand.deliver.items():
            add("member", country, var, var.upBound)
        self.highs = highs
        self.owners = owners
        self.columns = np.array(columns, dtype=np.int32)
        self.uppers = np.array(uppers, dtype=np.float64)
        self.lowers = np.zeros(len(columns), dtype=np.float64)
        self.amounts = dict(grand.targets)
        self.penalty = scenario.shortfall_penalty

    def cost(self, members: Sequence[str]) -> float:
        import highspy

        regime = Regime.NATIONAL if len(members) == 1 else Regime.COALITION
        setting = setting_for(self.scenario, regime, Mode.MIN_COST, members)
        countries, chosen = set(setting.countries), set(setting.members)
        links = {link.key for link in setting.links}
        inside = {"country": countries, "link": links, "member": chosen}
        keep = np.fromiter(
            (owner in inside[kind] for kind, owner in self.owners),
            dtype=bool,
            count=len(self.owners),
        )
        upper = np.where(keep, self.uppers, 0.0)
        self.highs.changeColsBounds(len(self.columns), self.columns, self.lowers, upper)
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"coalition {members}: {self.highs.getModelStatus()}")
        switched_off = sum(a for (c, _), a in self.amounts.items() if c not in chosen)
        value = self.highs.getInfo().objective_function_value
        return float(value + self.constant - self.penalty * switched_off)


# ----------------------------------------------------------------------------------------
# Measurements


def exact_shapley(
    cost: Callable[[frozenset[str]], float], members: Sequence[str], workers: int
) -> float:
    """Seconds for the exact Shapley value of ``members`` with ``workers`` processes."""
    started = time.perf_counter()
    with CoalitionValues(cost, workers=workers) as values:
        shapley_exact(members, values)
        if values.failures:
            raise SystemExit(f"{len(values.failures)} coalitions failed: {values.failures[:3]}")
    return time.perf_counter() - started


def compare(scenario: Scenario, count: int) -> None:
    """Time both variants in this process on the same coalitions, and check they agree."""
    coalitions = gray_code_coalitions(scenario.members)[:count]
    rebuild = CoalitionCost(scenario)
    bounds = BoundsCost(scenario)
    bounds(coalitions[0])  # build the grand model outside the timing
    timings: dict[str, tuple[float, float]] = {}
    results: dict[str, list[float]] = {}
    variants: dict[str, Callable[[frozenset[str]], float]] = {
        "rebuild (planner share)": rebuild,
        "rebuild, no prices": lambda s: _rebuild_without_prices(rebuild, s),
        "bounds (prototype)": bounds,
    }
    for name, cost in variants.items():
        wall, cpu = time.perf_counter(), time.process_time()
        results[name] = [cost(s) for s in coalitions]
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
    reference = np.array(results["rebuild (planner share)"])
    for name, (wall, cpu) in timings.items():
        worst = float(np.max(np.abs(np.array(results[name]) - reference)))
        print(
            f"{name:26s} {count / wall:7.1f} coalitions/s wall, {count / cpu:7.1f} per CPU "
            f"second; largest difference from rebuild {worst:.2e}"
        )


def _rebuild_without_prices(cost: CoalitionCost, coalition: frozenset[str]) -> float:
    """What ``solve`` costs without its shadow prices (the re-solve of a MILP's LP)."""
    from planner.model.solve import _run  # a measurement of the private step, not an API use

    built = cost.built(m for m in cost.scenario.members if m in coalition)
    outcome = _run(built, cost.options)
    assert outcome.status is Status.OPTIMAL
    objective = built.problem.objective
    assert objective is not None
    return float(objective.value())


def share_speedup(scenario: Scenario, samples: int, workers: int) -> None:
    """Time :func:`planner.analysis.sharing.share` with 1 and with ``workers`` processes."""
    from planner.analysis.sharing import share

    timed: dict[int, tuple[float, float, Any]] = {}
    for count in (1, workers):
        wall, cpu = time.perf_counter(), _cpu_with_children()
        result = share(scenario, ("shapley",), samples=samples, workers=count)
        timed[count] = (time.perf_counter() - wall, _cpu_with_children() - cpu, result)
        print(
            f"share --method shapley --samples {samples}, {count} worker(s): "
            f"{len(result.coalition_costs):,} coalitions in {timed[count][0]:,.1f} s wall, "
            f"{timed[count][1]:,.1f} s CPU (this process and its workers)"
        )
    one, many = timed[1][2], timed[workers][2]
    if one.to_json() | {"seconds": 0} != many.to_json() | {"seconds": 0}:
        raise SystemExit("the results differ with the number of workers")
    print(f"speed-up with {workers} workers: {timed[1][0] / timed[workers][0]:.2f}x")


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its finished children (the pool's processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main(argv: Sequence[str] | None = None) -> int:
    """Print coalitions per second for exact Shapley (or compare the two variants)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--variant", choices=("rebuild", "bounds"), default="rebuild")
    parser.add_argument("--compare", type=int, metavar="N", help="time both on N coalitions")
    parser.add_argument("--share", action="store_true", help="time planner share, 1 vs N workers")
    parser.add_argument("--samples", type=int, default=8, help="permutations for --share")
    args = parser.parse_args(argv)
    full, origin = default_scenario()
    if args.share:
        print(f"scenario: {origin}: {len(full.countries)} countries, {len(full.members)} members")
        share_speedup(full, args.samples, args.workers)
        return 0
    scenario = with_members(full, args.members)
    grand = solve(
        build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST)), SolveOptions()
    )
    print(
        f"scenario: {origin}: {len(scenario.countries)} countries, first {len(scenario.members)} "
        f"members ({', '.join(scenario.members)}); binaries: {scenario.has_build_decisions}; "
        f"c(N) = {grand.objective:,.2f}"
    )
    if args.compare:
        compare(scenario, args.compare)
        return 0
    cost = CoalitionCost(scenario) if args.variant == "rebuild" else BoundsCost(scenario)
    count = 2 ** len(scenario.members) - 1
    seconds = exact_shapley(cost, scenario.members, args.workers)
    print(
        f"exact Shapley, variant {args.variant}, {args.workers} workers: {count:,} coalitions "
        f"in {seconds:,.1f} s = {count / seconds:,.1f} coalitions per second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
