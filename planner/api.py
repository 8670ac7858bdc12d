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

import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from planner.analysis.checks import check
from planner.analysis.compare import TIMESTAMP, Comparison, penalty_sensitivity
from planner.analysis.sharing import METHODS, SharingResult
from planner.analysis.sharing import share as share_costs
from planner.analysis.stress import StressResult
from planner.analysis.stress import stress as stress_test
from planner.errors import InputError
from planner.io.annotate import write_annotated
from planner.io.files import check_destination
from planner.io.reader import ZipLimits, read_workbook
from planner.io.validate import LoadedScenario, locate, validate
from planner.model.build import build, setting_for
from planner.model.results import RUN_ORDER, RunResult, tabulate
from planner.model.solve import SolveOptions, highs_version, solve
from planner.scenario.schema import Mode, Regime, Scenario


def load(
    path: str | Path, *, limits: ZipLimits | None = None, annotate: str | Path | None = None
) -> LoadedScenario:
    """Read, validate and check a scenario workbook.

    Args:
        path: the .xlsx file.
        limits: bounds on the zip container (see :class:`~planner.io.reader.ZipLimits`).
        annotate: where to write a copy of the workbook with every problem and warning
            marked on its cell and listed on an Errors sheet; written whether or not the
            workbook is valid (not when the file itself is unusable).

    Returns:
        The scenario, with the reader's warnings and the domain checks' warnings
        (:func:`planner.analysis.checks.check`).

    Raises:
        InputError: the file is unusable or the scenario is invalid (every problem at once).
    """
    if annotate is not None:
        check_destination(Path(annotate), (Path(path),))
    raw = read_workbook(path, limits=limits)
    try:
        scenario = validate(raw)
    except InputError as error:
        if annotate is not None:
            write_annotated(path, error.problems, annotate, warnings=raw.warnings)
        raise
    warnings = raw.warnings + check(scenario, locate(raw))
    if annotate is not None:
        write_annotated(path, (), annotate, warnings=warnings)
    return LoadedScenario(scenario, warnings, raw.path, raw.sha256)


def run_one(
    scenario: Scenario,
    mode: Mode,
    regime: Regime,
    options: SolveOptions | None = None,
    members: Iterable[str] | None = None,
) -> RunResult:
    """Build, solve and tabulate one run.

    Args:
        scenario: the validated scenario.
        mode: min_cost or max_capability.
        regime: national, coalition or open.
        options: time limit, MIP gap and threads for HiGHS.
        members: members to use instead of the scenario's own (a sub-coalition).
    """
    setting = setting_for(scenario, regime, mode, None if members is None else tuple(members))
    return tabulate(scenario, setting, solve(build(scenario, setting), options))


def run(
    source: str | Path | Scenario | LoadedScenario,
    *,
    modes: Iterable[Mode | str] = tuple(Mode),
    regimes: Iterable[Regime | str] = tuple(Regime),
    options: SolveOptions | None = None,
    sensitivity_runs: bool = True,
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
    runs = {key: run_one(scenario, key[0], key[1], options) for key in RUN_ORDER if key in wanted}
    sensitivity = None
    if sensitivity_runs and {(Mode.MIN_COST, r) for r in _COMPARED} <= wanted:
        sensitivity = penalty_sensitivity(
            scenario, lambda s, mode, regime: run_one(s, mode, regime, options)
        )
    return Comparison(
        scenario,
        runs,
        sha256=sha256,
        source=path,
        solver=versions(),
        ran_at=started.strftime(TIMESTAMP),
        sensitivity=sensitivity,
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
