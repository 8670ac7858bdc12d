"""The planner's benchmark: wall time and peak memory of every stage, per world size.

Run ``make bench`` or::

    .venv/bin/python benchmarks/run.py [--sizes 10,50,100,200] [--fixed-costs] [--repeat N]
        [--periods 1,2,4,6]
        [--markdown PATH] [--scenario PATH ...] [--profile DIR]

For each size it writes a synthetic workbook (:mod:`generate`, seeded) and measures it in a
fresh Python process, so that the process's max RSS belongs to that size alone. A measured
workbook goes through the public stages only:

- ``read`` :func:`~planner.io.reader.read_workbook`, ``validate``
  :func:`~planner.io.validate.validate`;
- for the coalition min_cost run: ``build`` (:func:`~planner.model.setting_for` +
  :func:`~planner.model.build`), ``solve`` :func:`~planner.model.solve.solve`, ``extract``
  :func:`~planner.model.results.tabulate`; ``coalition e2e`` is their sum;
- ``six runs e2e``: what ``planner run`` does: :func:`planner.load`,
  :func:`planner.run` (all six runs), :func:`~planner.io.report.write_report` (also shown
  alone as ``report``) and :func:`~planner.io.report.write_json`.

Each time is the best of ``--repeat`` runs. Peak memory is measured in a second pass under
:mod:`tracemalloc` (which slows Python down, so it is never on while timing): the peak of
Python allocations during the stage above what was held when it began. ``max RSS`` is
the process's high-water mark (``getrusage``) right after the stage in the timing pass;
it includes HiGHS's own C++ memory, which tracemalloc does not see.

Inside ``solve``, clocks wrapped around ``highspy.Highs.run`` / ``solve`` (HiGHS itself),
PuLP's ``HiGHS.buildSolverModel`` and ``highspy.Highs.passModel`` (the hand-over of the
model) and PuLP's ``HiGHS.findSolutionValues`` (reading the solution back) split its
time; the rest is the planner's own work (values, shadow prices). A clock whose function
is never called reads 0.

The same process writes the coalition min_cost model as MPS (``problem.writeMPS``) and
times HiGHS alone on it through highspy (``readModel`` + ``run``; no time limit, default
gap, output off), so ``ratio`` = coalition e2e / HiGHS alone is measured side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "pax_silica.xlsx"
MIB: Final = 1024 * 1024

STAGES: Final = (
    "read",
    "validate",
    "build",
    "solve",
    "extract",
    "coalition e2e",
    "report",
    "six runs e2e",
)
"""The rows of the stage table, in pipeline order."""

CLOCKS: Final = ("highs", "handover", "readback")
"""The clocks inside solve: HiGHS itself, model hand-over, solution read-back."""

TARGETS: Final = (
    ("coalition e2e / HiGHS alone", 1.3, "x"),
    ("build / solve", 0.3, "x"),
    ("read + validate", 2.0, "s"),
    ("report", 5.0, "s"),
    ("max RSS", 2048.0, "MiB"),
    ("six runs e2e (default scenario)", 10.0, "s"),
)
"""Issue 6's targets: (measure, limit, unit); each is met when the measure is <= limit."""


# --- the worker: one workbook, measured in its own process ---------------------------------

_time_limit: list[float] = []
"""The worker's ``--time-limit``, if any (set once, by :func:`main`)."""


def _solve_options() -> Any:
    """What every solve gets: the planner's defaults, with ``--time-limit`` if given."""
    from planner.model.solve import SolveOptions

    return SolveOptions(time_limit=_time_limit[0] if _time_limit else None)


class _Clocks:
    """Seconds spent inside third-party functions, by bucket, while installed.

    A bucket counts only its outermost call, so a wrapped function that calls another of
    the same bucket is not counted twice.
    """

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(CLOCKS, 0.0)
        self.calls = dict.fromkeys(CLOCKS, 0)
        self._depth = dict.fromkeys(CLOCKS, 0)
        self.options: dict[str, Any] | None = None
        """The HiGHS options of the first solve that differ from HiGHS's defaults."""

    def targets(self) -> list[tuple[str, type, str]]:
        """(bucket, owner, attribute) of every function to time that exists.

        PuLP's HiGHS interface is timed in every subclass that overrides it (the planner
        may hand the model over its own way); highspy's model-loading calls are timed too,
        for code that calls them without PuLP.
        """
        import highspy
        import pulp

        wanted: list[tuple[str, type, str]] = [("highs", highspy.Highs, "run")]
        wanted += [("highs", highspy.Highs, "solve")]
        loading = ("passModel", "addCols", "addRows", "addVars", "changeColsIntegrality")
        wanted += [("handover", highspy.Highs, name) for name in loading]
        wanted += [("readback", highspy.Highs, "getSolution")]
        for owner in _family(getattr(pulp, "HiGHS", None)):
            wanted += [("handover", owner, "buildSolverModel")]
            wanted += [("readback", owner, "findSolutionValues")]
        return [(b, o, a) for b, o, a in wanted if a in o.__dict__ or o is highspy.Highs]

    def _wrap(self, bucket: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if bucket == "highs" and self.options is None:
                self.options = _changed_options(args[0])
            self._depth[bucket] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth[bucket] -= 1
                if self._depth[bucket] == 0:
                    self.seconds[bucket] += time.perf_counter() - started
                    self.calls[bucket] += 1

        return timed

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Clocks]:
        """Wrap the functions for the duration of the block, then restore them."""
        saved = []
        for bucket, owner, attribute in self.targets():
            if not hasattr(owner, attribute):
                continue
            original = owner.__dict__.get(attribute)
            saved.append((owner, attribute, original))
            setattr(owner, attribute, self._wrap(bucket, getattr(owner, attribute)))
        try:
            yield self
        finally:
            for owner, attribute, original in saved:
                if original is None:
                    delattr(owner, attribute)
                else:
                    setattr(owner, attribute, original)


_OUTPUT_OPTIONS: Final = frozenset({"output_flag", "log_to_console", "log_file", "log_dev_level"})


def _option_values(highs: Any) -> dict[str, Any]:
    options = highs.getOptions()
    return {
        name: getattr(options, name)
        for name in dir(options)
        if not name.startswith("_") and not callable(getattr(options, name))
    }


def _changed_options(highs: Any) -> dict[str, Any]:
    """The options of a HiGHS instance that differ from a fresh one's, output aside."""
    import highspy

    defaults = _option_values(highspy.Highs())  # type: ignore[no-untyped-call]
    return {
        name: value
        for name, value in _option_values(highs).items()
        if name not in _OUTPUT_OPTIONS and defaults.get(name) != value
    }


def _family(cls: type | None) -> list[type]:
    """A class and all its subclasses, recursively."""
    if cls is None:
        return []
    found = [cls]
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found += _family(sub)
    return found


def _rss_mib() -> float:
    """The process's max resident set size so far (Linux reports KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MIB


@dataclass
class _Record:
    """What the worker measures, gathered over the repeats."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, float] = field(default_factory=dict)
    traced: dict[str, float] = field(default_factory=dict)
    clocks: dict[str, list[float]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def time(self, stage: str, seconds: float) -> None:
        self.seconds.setdefault(stage, []).append(seconds)
        self.rss.setdefault(stage, _rss_mib())


def _timed[T](record: _Record, stage: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = action()
    record.time(stage, time.perf_counter() - started)
    return value


def _coalition_chain(scenario: Any, record: _Record) -> tuple[Any, Any]:
    """Build, solve and extract the coalition min_cost run, timing each stage."""
    from planner.model.build import build, setting_for
    from planner.model.results import tabulate
    from planner.model.solve import solve
    from planner.scenario.schema import Mode, Regime

    def build_run() -> tuple[Any, Any]:
        setting = setting_for(scenario, Regime.COALITION, Mode.MIN_COST)
        return setting, build(scenario, setting)

    setting, built = _timed(record, "build", build_run)
    with _Clocks().installed() as clocks:
        solution = _timed(record, "solve", lambda: solve(built, _solve_options()))
    record.facts["highs_options"] = clocks.options or {}
    for bucket in CLOCKS:
        record.clocks.setdefault(bucket, []).append(clocks.seconds[bucket])
    result = _timed(record, "extract", lambda: tabulate(scenario, setting, solution))
    chain = sum(record.seconds[s][-1] for s in ("build", "solve", "extract"))
    record.time("coalition e2e", chain)
    return built, result


def _six_runs(path: Path, out: Path, record: _Record) -> Any:
    """``planner run``: load, all six runs, the Excel report and the JSON summary."""
    import planner
    from planner.io.report import write_json, write_report

    started = time.perf_counter()
    loaded = planner.load(path)
    comparison = planner.run(loaded, options=_solve_options())
    before = time.perf_counter()
    write_report(comparison, out / f"{path.stem}-report.xlsx")
    record.time("report", time.perf_counter() - before)
    write_json(comparison, out / f"{path.stem}-summary.json")
    record.time("six runs e2e", time.perf_counter() - started)
    return comparison


def _timing_pass(path: Path, out: Path, repeat: int, record: _Record) -> Any:
    """Every stage, ``repeat`` times; returns the last coalition min_cost model built."""
    from planner.io.reader import read_workbook
    from planner.io.validate import validate

    def once() -> Any:
        raw = _timed(record, "read", lambda: read_workbook(path))
        scenario = _timed(record, "validate", lambda: validate(raw))
        built, result = _coalition_chain(scenario, record)
        record.facts["status"] = str(result.status)
        comparison = _six_runs(path, out, record)
        record.facts["six_statuses"] = sorted({str(r.status) for r in comparison.runs.values()})
        return built

    built = None
    for _ in range(repeat):
        built = None  # free the previous model before the next is built
        built = once()
    record.facts.update(_model_facts(built))
    return built


def _each_run(path: Path) -> list[dict[str, Any]]:
    """Every mode x regime once, through the stage functions: where the six runs' time goes."""
    from planner import load
    from planner.model.build import build, setting_for
    from planner.model.results import tabulate
    from planner.model.solve import solve
    from planner.scenario.schema import Mode, Regime

    scenario = load(path).scenario
    runs = []
    for mode in Mode:
        for regime in Regime:
            started = time.perf_counter()
            setting = setting_for(scenario, regime, mode)
            built = build(scenario, setting)
            solving = time.perf_counter()
            with _Clocks().installed() as clocks:
                solution = solve(built, _solve_options())
            extracting = time.perf_counter()
            tabulate(scenario, setting, solution)
            done = time.perf_counter()
            runs.append(
                {
                    "run": f"{mode.value} {regime.value}",
                    "variables": built.problem.numVariables(),
                    "constraints": built.problem.numConstraints(),
                    "build": solving - started,
                    "solve": extracting - solving,
                    "extract": done - extracting,
                    **clocks.seconds,
                }
            )
            del built, solution
    return runs


def _model_facts(built: Any) -> dict[str, Any]:
    problem = built.problem
    return {
        "countries": len(built.scenario.countries),
        "members": len(built.scenario.members),
        "in_model": len(built.setting.countries),
        "variables": problem.numVariables(),
        "constraints": problem.numConstraints(),
        "binaries": len(built.build),
        "objective": float(problem.objective.value() or 0.0),
        "objective_constant": float(problem.objective.constant),
    }


class _Tracer:
    """Peak Python allocations of consecutive steps, alone and together."""

    def __init__(self) -> None:
        self.start = tracemalloc.get_traced_memory()[0]
        self.peak = self.start

    def step[T](self, record: _Record, stage: str, action: Callable[[], T]) -> T:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        value = action()
        peak = tracemalloc.get_traced_memory()[1]
        record.traced[stage] = (peak - base) / MIB
        self.peak = max(self.peak, peak)
        return value

    def total(self) -> float:
        return (self.peak - self.start) / MIB


def _memory_pass(path: Path, out: Path, record: _Record) -> None:
    """Every stage once more, under tracemalloc."""
    import planner
    from planner.io.reader import read_workbook
    from planner.io.report import write_json, write_report
    from planner.io.validate import validate
    from planner.model.build import build, setting_for
    from planner.model.results import tabulate
    from planner.model.solve import solve
    from planner.scenario.schema import Mode, Regime

    scratch = _Record()
    tracemalloc.start()
    try:
        raw = _Tracer().step(record, "read", lambda: read_workbook(path))
        scenario = _Tracer().step(record, "validate", lambda: validate(raw))
        chain = _Tracer()
        setting = setting_for(scenario, Regime.COALITION, Mode.MIN_COST)
        built = chain.step(record, "build", lambda: build(scenario, setting))
        solution = chain.step(record, "solve", lambda: solve(built, _solve_options()))
        chain.step(record, "extract", lambda: tabulate(scenario, setting, solution))
        record.traced["coalition e2e"] = chain.total()
        six = _Tracer()
        comparison = six.step(
            scratch,
            "run",
            lambda: planner.run(planner.load(path), options=_solve_options()),
        )
        six.step(
            record, "report", lambda: write_report(comparison, out / f"{path.stem}-traced.xlsx")
        )
        six.step(scratch, "json", lambda: write_json(comparison, out / f"{path.stem}-traced.json"))
        record.traced["six runs e2e"] = six.total()
    finally:
        tracemalloc.stop()


def _highs_alone(built: Any, path: Path, out: Path, repeat: int, record: _Record) -> None:
    """Write the model as MPS and time HiGHS on it: readModel + run, output off, and
    every other option as the planner's solve set it (its time limit, gap, tolerances)."""
    import highspy

    mps = out / f"{path.stem}-coalition-min-cost.mps"
    started = time.perf_counter()
    built.problem.writeMPS(str(mps))
    record.facts["mps_seconds"] = time.perf_counter() - started
    for _ in range(repeat):
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        for name, value in record.facts["highs_options"].items():
            highs.setOptionValue(name, value)
        started = time.perf_counter()
        highs.readModel(str(mps))
        loaded = time.perf_counter()
        highs.run()
        done = time.perf_counter()
        record.seconds.setdefault("highs read", []).append(loaded - started)
        record.seconds.setdefault("highs run", []).append(done - loaded)
        record.seconds.setdefault("highs alone", []).append(done - started)
        record.facts["highs_status"] = highs.modelStatusToString(highs.getModelStatus())
        record.facts["highs_objective"] = highs.getInfo().objective_function_value
    record.rss["highs alone"] = _rss_mib()


def _profile(path: Path, out: Path) -> None:
    """cProfile of read, validate and the coalition min_cost chain, top 30 by cumulative."""
    from planner.io.reader import read_workbook
    from planner.io.validate import validate

    profiler = cProfile.Profile()
    profiler.enable()
    _coalition_chain(validate(read_workbook(path)), _Record())
    profiler.disable()
    with (out / f"profile-{path.stem}.txt").open("w") as sink:
        stats = pstats.Stats(profiler, stream=sink)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(30)


def measure(path: Path, out: Path, repeat: int, profile: Path | None = None) -> dict[str, Any]:
    """Measure one workbook in this process (see the module docstring).

    Args:
        path: the scenario workbook.
        out: a folder for the reports, the summary and the MPS file.
        repeat: how many times each stage is timed; the best time is kept.
        profile: a folder for a cProfile listing of the coalition chain, or None.

    Returns:
        The measurements, as plain JSON-ready values.
    """
    from planner.model.solve import highs_version

    highs_version()  # HiGHS's banner goes to /dev/null once, before any timing
    record = _Record()
    record.facts["load_before"] = os.getloadavg()[0]
    built = _timing_pass(path, out, repeat, record)
    _highs_alone(built, path, out, repeat, record)
    del built
    record.facts["runs"] = _each_run(path)
    record.facts["load_after"] = os.getloadavg()[0]
    max_rss = _rss_mib()  # before tracemalloc, whose own bookkeeping takes memory
    _memory_pass(path, out, record)
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        _profile(path, profile)
    return {
        "workbook": path.name,
        "best": {stage: min(times) for stage, times in record.seconds.items()},
        "clocks": {bucket: min(times) for bucket, times in record.clocks.items()},
        "rss_mib": record.rss,
        "max_rss_mib": max_rss,
        "traced_mib": record.traced,
        "facts": record.facts,
    }


# --- the parent: generate, spawn one worker per size, tabulate -----------------------------


@dataclass(frozen=True)
class Case:
    """One workbook to measure and the label of its rows."""

    label: str
    path: Path
    countries: int | None


def _spawn(case: Case, work: Path, repeat: int, profile: Path | None) -> dict[str, Any]:
    result = work / f"{case.path.stem}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(case.path),
        "--result",
        str(result),
        "--repeat",
        str(repeat),
        "--workdir",
        str(work),
    ]
    if profile is not None:
        command += ["--profile", str(profile)]
    if _time_limit:
        command += ["--time-limit", str(_time_limit[0])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {case.path} failed:\n{done.stderr}")
    data: dict[str, Any] = json.loads(result.read_text())
    data["label"] = case.label
    return data


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[n]) for r in rows)) for n, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def ratio(data: dict[str, Any]) -> float:
    """Coalition min_cost end to end (build + solve + extract) over HiGHS alone."""
    best = data["best"]
    return float(best["coalition e2e"] / best["highs alone"])


def summary_table(results: Sequence[dict[str, Any]]) -> str:
    """One row per workbook: model size, planner vs HiGHS alone, six runs, memory."""
    headers = [
        "workbook",
        "countries",
        "members",
        "in model",
        "variables",
        "rows",
        "binaries",
        "coalition e2e s",
        "HiGHS alone s",
        "ratio",
        "build/solve",
        "six runs s",
        "max RSS MiB",
        "load avg",
    ]
    rows = []
    for data in results:
        facts, best = data["facts"], data["best"]
        rows.append(
            [
                data["label"],
                str(facts["countries"]),
                str(facts["members"]),
                str(facts["in_model"]),
                str(facts["variables"]),
                str(facts["constraints"]),
                str(facts["binaries"]),
                _fmt(best["coalition e2e"]),
                _fmt(best["highs alone"]),
                _fmt(ratio(data), 2),
                _fmt(best["build"] / best["solve"], 2),
                _fmt(best["six runs e2e"]),
                _fmt(data["max_rss_mib"], 0),
                f"{facts['load_before']:.1f}-{facts['load_after']:.1f}",
            ]
        )
    return _table(headers, rows)


def solve_table(results: Sequence[dict[str, Any]]) -> str:
    """Inside the coalition min_cost solve, and HiGHS alone on the same model's MPS file."""
    headers = [
        "workbook",
        "solve s",
        "HiGHS run",
        "hand-over",
        "read-back",
        "planner + PuLP rest",
        "writeMPS s",
        "HiGHS readModel s",
        "HiGHS run s",
        "objectives agree",
    ]
    rows = []
    for data in results:
        best, clocks, facts = data["best"], data["clocks"], data["facts"]
        rest = best["solve"] - sum(clocks.values())
        planner_objective = facts["objective"] - facts["objective_constant"]
        agree = math.isclose(
            planner_objective, facts["highs_objective"], rel_tol=1e-6, abs_tol=1e-6
        )
        rows.append(
            [
                data["label"],
                _fmt(best["solve"]),
                _fmt(clocks["highs"]),
                _fmt(clocks["handover"]),
                _fmt(clocks["readback"]),
                _fmt(rest),
                _fmt(facts["mps_seconds"]),
                _fmt(best["highs read"]),
                _fmt(best["highs run"]),
                "yes" if agree else "NO",
            ]
        )
    return _table(headers, rows)


def runs_table(results: Sequence[dict[str, Any]]) -> str:
    """Each of the six runs once, split into build, HiGHS, hand-over and the rest."""
    headers = [
        "workbook",
        "run",
        "variables",
        "rows",
        "build s",
        "solve s",
        "HiGHS run",
        "hand-over",
        "read-back",
        "extract s",
    ]
    rows = []
    for data in results:
        for run in data["facts"]["runs"]:
            rows.append(
                [
                    data["label"],
                    run["run"],
                    str(run["variables"]),
                    str(run["constraints"]),
                    _fmt(run["build"]),
                    _fmt(run["solve"]),
                    _fmt(run["highs"]),
                    _fmt(run["handover"]),
                    _fmt(run["readback"]),
                    _fmt(run["extract"]),
                ]
            )
    return _table(headers, rows)


def _options_note(results: Sequence[dict[str, Any]]) -> str:
    """Which options HiGHS alone ran with (those the planner's solve set), grouped."""
    groups: dict[str, list[str]] = {}
    for data in results:
        options = data["facts"]["highs_options"]
        text = ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "HiGHS's defaults"
        groups.setdefault(text, []).append(data["label"])
    if len(groups) == 1:
        return f"HiGHS alone ran with output off and, as the planner's solve, {next(iter(groups))}."
    return "HiGHS alone ran with output off and, as the planner's solve: " + "; ".join(
        f"{', '.join(labels)}: {text}" for text, labels in groups.items()
    )


def stage_table(results: Sequence[dict[str, Any]]) -> str:
    """One row per workbook and stage: best wall time, Python peak, process max RSS."""
    headers = ["workbook", "stage", "seconds", "Python peak MiB", "max RSS MiB"]
    rows = []
    for data in results:
        for stage in STAGES:
            rows.append(
                [
                    data["label"],
                    stage,
                    _fmt(data["best"].get(stage)),
                    _fmt(data["traced_mib"].get(stage), 1),
                    _fmt(data["rss_mib"].get(stage), 0),
                ]
            )
    return _table(headers, rows)


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(y) on log(x): the exponent b of y ~ a * x**b."""
    logs = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in logs}) < 2:
        return None
    mean_x = sum(x for x, _ in logs) / len(logs)
    mean_y = sum(y for _, y in logs) / len(logs)
    spread = sum((x - mean_x) ** 2 for x, _ in logs)
    return sum((x - mean_x) * (y - mean_y) for x, y in logs) / spread


def growth_table(results: Sequence[dict[str, Any]], cases: Sequence[Case]) -> str:
    """The observed exponent of each stage's time in the number of countries: fitted over
    every size, and between the two largest (the trend where it matters)."""
    sized = sorted(
        (case.countries, data)
        for case, data in zip(cases, results, strict=True)
        if case.countries is not None
    )
    rows = []
    for stage in (*STAGES, "highs alone"):
        points = [(float(n), float(d["best"][stage])) for n, d in sized if stage in d["best"]]
        rows.append([stage, _fmt(slope(points), 2), _fmt(slope(points[-2:]), 2)])
    last = f"b, {sized[-2][0]} -> {sized[-1][0]} countries" if len(sized) >= 2 else "b"
    return _table(["stage", "b over all sizes (time ~ countries^b)", last], rows)


def target_table(results: Sequence[dict[str, Any]], default: dict[str, Any] | None) -> str:
    """Issue 6's targets, on the largest synthetic world and the default scenario."""
    largest = max(
        (d for d in results if d is not default),
        key=lambda d: d["facts"]["countries"],
        default=None,
    )
    rows = []
    if largest is not None:
        best = largest["best"]
        values = {
            "coalition e2e / HiGHS alone": ratio(largest),
            "build / solve": best["build"] / best["solve"],
            "read + validate": best["read"] + best["validate"],
            "report": best["report"],
            "max RSS": largest["max_rss_mib"],
        }
        for name, limit, unit in TARGETS:
            if name in values:
                met = "yes" if values[name] <= limit else "no"
                rows.append(
                    [largest["label"], name, f"<= {limit:g} {unit}", _fmt(values[name], 2), met]
                )
    if default is not None:
        seconds = default["best"]["six runs e2e"]
        met = "yes" if seconds <= 10.0 else "no"
        rows.append([default["label"], "six runs e2e", "<= 10 s", _fmt(seconds, 2), met])
    return _table(["workbook", "target", "limit", "measured", "met"], rows)


def machine() -> dict[str, str]:
    """Python, library versions and the processor, for the record."""
    from planner.api import versions

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        openpyxl = metadata.version("openpyxl")
    except metadata.PackageNotFoundError:
        openpyxl = "unknown"
    return {**versions(), "openpyxl": openpyxl, "cpu": cpu, "platform": platform.platform()}


def render(results: Sequence[dict[str, Any]], cases: Sequence[Case], command: str) -> str:
    """Every table, as markdown."""
    default = next((d for d, c in zip(results, cases, strict=True) if c.countries is None), None)
    about = machine()
    lines = [
        f"Command: `{command}`",
        "",
        "Python {python}, PuLP {pulp}, highspy {highspy} (HiGHS {highs}), openpyxl {openpyxl}; "
        "{cpu}; {platform}".format(**about),
        "",
        "### Coalition min_cost: planner vs HiGHS alone",
        "",
        summary_table(results),
        "",
        "### Inside the coalition min_cost solve (seconds)",
        "",
        solve_table(results),
        "",
        _options_note(results),
        "",
        "### Stages",
        "",
        stage_table(results),
        "",
        "### The six runs one by one (each once, seconds)",
        "",
        runs_table(results),
    ]
    if sum(c.countries is not None for c in cases) >= 2:
        lines += ["", "### Growth with the number of countries", "", growth_table(results, cases)]
    lines += ["", "### Targets of issue 6", "", target_table(results, default), ""]
    return "\n".join(lines)


def _cases(args: argparse.Namespace, work: Path) -> list[Case]:
    from generate import World, write_workbook

    cases = []
    for countries in args.sizes:
        for periods in args.periods:
            world = World(countries, seed=args.seed, fixed_costs=args.fixed_costs, periods=periods)
            path = write_workbook(world, work / f"{world.name}.xlsx")
            label = f"{countries} countries" + (f", {periods} periods" if periods > 1 else "")
            cases.append(Case(label, path, countries))
    extra = list(args.scenario)
    if not extra and DEFAULT_SCENARIO.exists():
        extra.append(DEFAULT_SCENARIO)
    cases += [Case(path.name, path.resolve(), None) for path in extra]
    return cases


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Time and measure every stage of the planner on synthetic worlds."
    )
    parser.add_argument("--sizes", type=_sizes, default=[10, 50, 100, 200], help="e.g. 10,50")
    parser.add_argument("--fixed-costs", action="store_true", help="binary build decisions")
    parser.add_argument(
        "--periods",
        type=_sizes,
        default=[1],
        help="numbers of two-year periods per world, e.g. 1,2,4,6 (Version 2)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per stage (best)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    parser.add_argument(
        "--scenario",
        type=Path,
        action="append",
        default=[],
        help="also measure this workbook (default: scenarios/pax_silica.xlsx if it exists)",
    )
    parser.add_argument("--profile", type=Path, help="write cProfile listings to this folder")
    parser.add_argument(
        "--time-limit", type=float, help="seconds per HiGHS call (default: none, as planned)"
    )
    parser.add_argument("--workdir", type=Path, help="keep workbooks, reports and MPS here")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every size in its own process and print the tables."""
    args = _parser().parse_args(argv)
    if args.time_limit is not None:
        _time_limit.append(args.time_limit)
    if args.worker is not None:
        data = measure(args.worker, args.workdir, args.repeat, args.profile)
        args.result.write_text(json.dumps(data, indent=1))
        return 0
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        else:
            work = args.workdir.resolve()
            work.mkdir(parents=True, exist_ok=True)
        cases = _cases(args, work)
        results = []
        for case in cases:
            print(f"measuring {case.label} ...", file=sys.stderr, flush=True)
            results.append(_spawn(case, work, args.repeat, args.profile))
        text = render(results, cases, command.strip())
    print(text)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
