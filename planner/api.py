"""The Python API: the same chain the CLI runs, returning the tables as DataFrames.

    >>> import planner
    >>> result = planner.run("scenarios/tutorial_comparative_advantage.xlsx")
    >>> result.summary  # one row per mode x regime
    >>> result.headline  # saving, extra capability, price of trust

Contract: :func:`run` takes a workbook path, a loaded workbook or a validated
:class:`~planner.scenario.schema.Scenario`, solves the runs asked for and returns a
:class:`~planner.analysis.compare.Comparison`. It raises :class:`~planner.errors.InputError` for
unusable input and never writes a file.
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from planner.analysis import sweep as sweeps
from planner.analysis.batch import ProgressCallback, connect
from planner.analysis.compare import TIMESTAMP, Comparison, penalty_sensitivity
from planner.analysis.learning import loop_figures, with_pool
from planner.analysis.sharing import METHODS, SharingResult
from planner.analysis.sharing import share as share_costs
from planner.analysis.stress import StressResult
from planner.analysis.stress import stress as stress_test
from planner.analysis.sweep import Finished, SweepResult
from planner.errors import InputError, PlannerError
from planner.io.load import load as load
from planner.io.store import ResultStore
from planner.io.validate import LoadedScenario
from planner.model.build import build, setting_for
from planner.model.results import RUN_ORDER, RunResult, tabulate
from planner.model.solve import SolveOptions, highs_version, solve
from planner.scenario import uncertain
from planner.scenario.schema import Design, Mode, Pool, Regime, Scenario


def run_one(
    scenario: Scenario,
    mode: Mode,
    regime: Regime,
    options: SolveOptions | None = None,
    members: Iterable[str] | None = None,
    *,
    prices: bool = True,
) -> RunResult:
    """Build, solve and tabulate one run.

    Args:
        scenario: the validated scenario.
        mode: min_cost or max_capability.
        regime: national, coalition or open.
        options: time limit, MIP gap and threads for HiGHS.
        members: members to use instead of the scenario's own (a sub-coalition).
        prices: read the shadow prices; without them the run's ``prices`` table is empty
            (and so are the bottlenecks and the limits named in shortfalls), and a model
            with build decisions saves the LP re-solve and the re-solves that measure
            one-sided prices. Every other figure is the same.
    """
    setting = setting_for(scenario, regime, mode, None if members is None else tuple(members))
    return tabulate(scenario, setting, solve(build(scenario, setting), options, prices=prices))


def run(
    source: str | Path | Scenario | LoadedScenario,
    *,
    modes: Iterable[Mode | str] = tuple(Mode),
    regimes: Iterable[Regime | str] = tuple(Regime),
    options: SolveOptions | None = None,
    sensitivity_runs: bool = True,
    learning_pool: Pool | str | None = None,
    prices: bool = True,
) -> Comparison:
    """Solve a scenario in every mode and regime asked for and compare the results.

    Args:
        source: a workbook path, a loaded workbook or a validated scenario.
        modes: which modes to run (default both).
        regimes: which regimes to run (default all three).
        options: time limit, MIP gap and threads for HiGHS.
        sensitivity_runs: when min_cost national and coalition are run, also re-solve
            them at half and twice the shortfall penalty
            (:attr:`~planner.analysis.compare.Comparison.sensitivity`; four more solves).
        learning_pool: solve as if every Learning row had this pool. With ``country``
            (every country learns alone) the coalition is also solved with the shared loop
            (``regime``), and :attr:`Comparison.loop` holds the coalition's gain with and
            without it.
        prices: read every run's shadow prices (:func:`run_one`); ``False`` gives the same
            figures faster, with empty prices, bottlenecks and ``stopped_by``.

    Returns:
        The comparison, with every table as a DataFrame.
    """
    loaded = load(source) if isinstance(source, str | Path) else source
    if isinstance(loaded, LoadedScenario):
        scenario, sha256, path = loaded.scenario, loaded.sha256, str(loaded.path)
    else:
        scenario, sha256, path = loaded, "", ""
    wanted = {(Mode(m), Regime(r)) for m in modes for r in regimes}
    started = datetime.now(UTC)
    pool = None if learning_pool is None else Pool(learning_pool)
    solved = scenario if pool is None else with_pool(scenario, pool)
    runs = {
        key: run_one(solved, key[0], key[1], options, prices=prices)
        for key in RUN_ORDER
        if key in wanted
    }
    sensitivity = None
    if sensitivity_runs and {(Mode.MIN_COST, r) for r in _COMPARED} <= wanted:
        sensitivity = penalty_sensitivity(
            solved, lambda s, mode, regime: run_one(s, mode, regime, options, prices=False)
        )
    loop = None
    if pool is Pool.COUNTRY and scenario.learning:
        together = with_pool(scenario, Pool.REGIME)
        shared = {
            mode: run_one(together, mode, Regime.COALITION, options, prices=prices)
            for mode in Mode
            if (mode, Regime.COALITION) in wanted
        }
        loop = loop_figures(runs, shared)
    return Comparison(
        solved,
        runs,
        sha256=sha256,
        source=path,
        solver=versions(),
        ran_at=started.strftime(TIMESTAMP),
        sensitivity=sensitivity,
        loop=loop,
    )


_COMPARED = (Regime.NATIONAL, Regime.COALITION)
"""The regimes whose min_cost saving the sensitivity re-solves."""


def versions() -> dict[str, str]:
    """Versions of everything that shaped the numbers, for the report's provenance."""

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "planner": version("coalition-planner"),
        "pulp": version("pulp"),
        "highs": highs_version(),
        "highspy": version("highspy"),
        "python": platform.python_version(),
    }


def share(
    scenario: Scenario | LoadedScenario | str | Path,
    methods: Iterable[str] = METHODS,
    **options: Any,
) -> SharingResult:
    """Share the coalition's saving among its members: :func:`planner.analysis.sharing.share`.

    Args:
        scenario: a workbook path, a loaded workbook or a validated scenario.
        methods: any of :data:`~planner.analysis.sharing.METHODS`.
        **options: the keyword arguments of :func:`planner.analysis.sharing.share`.

    Raises:
        InputError: unusable input or options.
        CoalitionError: the grand coalition or a member alone could not be solved.
    """
    loaded = load(scenario) if isinstance(scenario, str | Path) else scenario
    if isinstance(loaded, LoadedScenario):
        options.setdefault("source", str(loaded.path))
        options.setdefault("sha256", loaded.sha256)
        return share_costs(loaded.scenario, methods, **options)
    return share_costs(loaded, methods, **options)


def stress(
    scenario: Scenario | LoadedScenario | str | Path,
    **options: Any,
) -> StressResult:
    """Stress-test the coalition: :func:`planner.analysis.stress.stress`.

    Args:
        scenario: a workbook path, a loaded workbook or a validated scenario.
        **options: the keyword arguments of :func:`planner.analysis.stress.stress`
            (``cases``, ``screen``, ``k``, ``budget``, ``modes``, ``options``, ``workers``,
            ``executor``, ``progress``).

    Raises:
        InputError: unusable input, an unknown case or bad options.
    """
    loaded = load(scenario) if isinstance(scenario, str | Path) else scenario
    if isinstance(loaded, LoadedScenario):
        options.setdefault("source", str(loaded.path))
        options.setdefault("sha256", loaded.sha256)
        return stress_test(loaded.scenario, **options)
    return stress_test(loaded, **options)


def sweep(
    source: str | Path | Scenario | LoadedScenario,
    *,
    design: Design | str | None = None,
    samples: int | None = None,
    seed: int | None = None,
    modes: Iterable[Mode | str] = tuple(Mode),
    options: SolveOptions | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    scheduler_file: str | Path | None = None,
    store: str | Path | None = None,
    retry_failed: bool = False,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Solve every draw of the scenario's Uncertain sheet in all three regimes.

    The draws are made first, from the seed (:func:`planner.analysis.sweep.make_draws`);
    each run is then looked up in the store and solved only when it is not there (a failed
    run again only with ``retry_failed``). Every outcome is committed to the store as it
    arrives, so an interrupted sweep (Ctrl-C raises ``KeyboardInterrupt`` after the store
    has every finished run: :class:`~planner.analysis.batch.BatchInterrupted`) resumes where
    it stopped. The runs go through the batch engine (:func:`planner.analysis.sweep.solve_runs`).

    Args:
        source: a workbook path, a loaded workbook or a validated scenario.
        design, samples, seed: override the Sampling sheet.
        modes: which modes to solve (default both).
        options: time limit and MIP gap for HiGHS (workers solve with one thread each).
        workers: local processes; ignored with a scheduler.
        scheduler: a Dask scheduler's address (``tcp://host:8786``); Dask is reached
            through :func:`planner.analysis.batch.connect`, as by share and stress.
        scheduler_file: a Dask scheduler file (as ``dask scheduler --scheduler-file``
            writes, and HPC job scripts share).
        store: the SQLite store to resume from and write to; None keeps runs in memory.
        retry_failed: solve again the runs the store holds as failed.
        progress: called with a :class:`~planner.analysis.batch.Progress` (runs solved
            now, failed, to solve now, time left) as runs finish
            (:class:`~planner.analysis.batch.ProgressReporter` draws it).

    Raises:
        InputError: unusable input, a store of another design or seed, or no scheduler.
        MissingExtraError: the sobol design without SALib.
    """
    loaded = load(source) if isinstance(source, str | Path) else source
    if isinstance(loaded, LoadedScenario):
        scenario, sha256, path = loaded.scenario, loaded.sha256, str(loaded.path)
    else:
        scenario, sha256, path = loaded, "", ""
        problems = uncertain.check(scenario)
        if problems:
            raise InputError(problems)
    wanted = tuple(m for m in Mode if m in {Mode(x) for x in modes})
    draws = sweeps.make_draws(scenario, design=design, samples=samples, seed=seed)
    solver = versions()
    digest = sweeps.scenario_digest(scenario)
    options = options or SolveOptions()
    items = sweeps.run_items(draws, wanted)
    keys = {item: sweeps.run_key(digest, draws, item, options, solver) for item in items}
    started = datetime.now(UTC)
    with ResultStore(
        store or ":memory:", design=draws.design.value, seed=draws.seed, scenario=scenario.name
    ) as results:
        held = results.finished(keys.values())
        todo = [
            i for i in items if keys[i] not in held or (retry_failed and held[keys[i]][0] is None)
        ]

        def keep(outcome: Finished) -> None:
            item = outcome.item
            row = {"draw": item.draw, "mode": item.mode.value, "regime": item.regime.value}
            results.put(keys[item], row, outcome.entry, outcome.error)

        client, owned = connect(scheduler, scheduler_file=scheduler_file)
        # a Dask client offers a concurrent.futures executor (as for stress)
        executor: Any = None if client is None else client.get_executor()
        parallel = executor is not None or workers > 1
        run = sweeps.SweepRun(
            scenario,
            draws,
            dataclasses.replace(options, threads=1) if parallel else options,
        )
        try:
            sweeps.solve_runs(
                run, todo, workers=workers, executor=executor, on_result=keep, progress=progress
            )
        finally:
            if owned is not None:
                owned.close()
        held = results.finished(keys.values())
    finished = [Finished(i, *held[keys[i]]) for i in items if keys[i] in held]
    provenance = {
        "source": path,
        "sha256": sha256,
        "scenario_digest": digest,
        "store": str(store) if store else "",
        "solved": len(todo),
        "reused": len(items) - len(todo),
        "ran_at": started.isoformat(timespec="seconds"),
        "workers": "dask" if scheduler or scheduler_file else workers,
        **{f"version_{k}": v for k, v in solver.items()},
    }
    return sweeps.summarise(
        scenario, draws, wanted, finished, requested=len(items), provenance=provenance
    )


__all__ = ["PlannerError", "load", "run", "run_one", "share", "stress", "sweep", "versions"]
