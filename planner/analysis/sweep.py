"""Sweeps: the draws of a design, one run per draw, mode and regime, and what they add up to.

Contract of this stage (DESIGN.md, "Sweeps and uncertainty"):

- :func:`make_draws` turns a validated scenario's Uncertain rows and a design into a
  :class:`Draws` table, once, from the seed, before anything is solved: nothing about a draw
  depends on workers or engine. Draw 0 is the base (every input as the workbook has it), so
  its runs are exactly ``planner run``'s. Each *factor* (a group, or a parameter alone) gets
  one number ``u`` in (0, 1) per draw, from ``numpy``'s seeded generator (``mc``),
  :class:`scipy.stats.qmc.LatinHypercube` (``lhs``) or SALib's Saltelli design on a scrambled
  Sobol' sequence (``sobol``); every parameter of the factor takes its distribution's
  quantile at ``u`` (``scipy.stats``), so a group moves together. ``mc`` and ``sobol``
  draws are prefixes of longer runs of the same seed: growing ``samples`` adds draws and keeps
  the old ones. ``oat`` sets each factor to its low, then its high, the rest at base.
- :func:`run_items` lists the runs (draw x mode x regime) and :func:`run_key` gives each a
  hash of everything that determines it, so a store can tell which runs are done.
- :class:`SweepRun` is the picklable function a worker calls: it applies a draw to the
  scenario (:func:`apply_draw`) and returns the run's contract JSON entry.
- :func:`solve_runs` solves the runs on the batch engine (:mod:`planner.analysis.batch`),
  the :class:`SweepRun` (and with it the scenario) sent once per worker, each outcome
  handed to the coordinating process as it arrives so it can be stored at once.
- :func:`summarise` turns the draws and the finished entries into a frozen
  :class:`SweepResult` of tidy tables; reports only format it.

Only a failed run is a failure: it is recorded with its reason, never dropped; figures that
need it are None, and sensitivity indices refuse to compute while any run is missing.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
import json
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from planner.analysis.batch import BatchResult, Outcome, ProgressCallback, run_batch
from planner.analysis.compare import run_entry
from planner.errors import InputError, PlannerError
from planner.model.build import build, setting_for
from planner.model.results import tabulate
from planner.model.solve import SolveOptions, solve
from planner.scenario.schema import (
    Design,
    Distribution,
    Mode,
    Regime,
    Scenario,
    Uncertain,
)
from planner.scenario.uncertain import Target, cells_of, moved

__all__ = [
    "SENSITIVITY_INSTALL",
    "Draws",
    "Finished",
    "MissingExtraError",
    "RunItem",
    "SweepResult",
    "SweepRun",
    "apply_draw",
    "make_draws",
    "run_items",
    "run_key",
    "scenario_digest",
    "solve_item",
    "solve_runs",
    "summarise",
]

SENSITIVITY_INSTALL: Final = "pip install 'coalition-planner[sensitivity]'"
"""How to install SALib, which the ``sobol`` design needs."""

OAT_QUANTILES: Final = (0.05, 0.95)
"""The low and high of a one-at-a-time sweep for a distribution without both ends given
(an untruncated normal, a lognormal): its 5% and 95% quantiles."""

HISTOGRAM_BINS: Final = 20
"""Bins of the Distributions chart."""


class MissingExtraError(PlannerError):
    """An optional extra the request needs is not installed."""

    exit_code = 2


# ----------------------------------------------------------------------------------------
# The draws


@dataclass(frozen=True)
class Draws:
    """Every draw of a sweep, made once from the seed.

    Attributes:
        design, samples, seed: what made them.
        parameters: the Uncertain rows, in sheet order.
        values: one row per draw (draw 0 first), one column per parameter: the draw, or NaN
            where the parameter stays as the workbook has it.
        oat: for ``oat``, per draw after 0, the factor it moves and which end (``low`` or
            ``high``).
    """

    design: Design
    samples: int
    seed: int
    parameters: tuple[Uncertain, ...]
    values: tuple[tuple[float, ...], ...]
    oat: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        """Draws, the base draw included."""
        return len(self.values)

    @property
    def factors(self) -> tuple[str, ...]:
        """The factors (groups, or parameters alone), in order of first appearance."""
        return tuple(dict.fromkeys(p.factor for p in self.parameters))

    def shown(self, draw: int) -> dict[str, float | None]:
        """``{parameter: value}`` of a draw; a parameter at base shows its ``centre``."""
        return {
            p.parameter: (p.centre if math.isnan(v) else v)
            for p, v in zip(self.parameters, self.values[draw], strict=True)
        }


def distribution(parameter: Uncertain) -> Any:
    """The parameter's frozen ``scipy.stats`` distribution.

    ``normal`` is truncated to ``low``..``high`` where given (:data:`scipy.stats.truncnorm`);
    ``lognormal``'s ``mean`` and ``sd`` are those of the draw itself (not of its logarithm);
    ``discrete`` is over the positions of ``values`` (map with :func:`quantile`).
    """
    from scipy import stats

    low, high, mean, sd = parameter.low, parameter.high, parameter.mean, parameter.sd
    match parameter.distribution:
        case Distribution.UNIFORM:
            assert low is not None and high is not None
            return stats.uniform(loc=low, scale=high - low)
        case Distribution.TRIANGULAR:
            assert low is not None and high is not None and parameter.peak is not None
            return stats.triang(c=(parameter.peak - low) / (high - low), loc=low, scale=high - low)
        case Distribution.NORMAL:
            assert mean is not None and sd is not None
            if low is None and high is None:
                return stats.norm(loc=mean, scale=sd)
            a = -math.inf if low is None else (low - mean) / sd
            b = math.inf if high is None else (high - mean) / sd
            return stats.truncnorm(a, b, loc=mean, scale=sd)
        case Distribution.LOGNORMAL:
            assert mean is not None and sd is not None
            ratio = 1 + (sd / mean) ** 2
            return stats.lognorm(s=math.sqrt(math.log(ratio)), scale=mean / math.sqrt(ratio))
        case Distribution.DISCRETE:
            weights = np.asarray(parameter.weights or [1.0] * len(parameter.values))
            positions = np.arange(len(parameter.values))
            return stats.rv_discrete(values=(positions, weights / weights.sum()))


def quantile(parameter: Uncertain, u: np.ndarray) -> np.ndarray:
    """The parameter's draws at the probabilities ``u`` (its distribution's ``ppf``)."""
    points = np.asarray(distribution(parameter).ppf(u), dtype=float)
    if parameter.distribution is Distribution.DISCRETE:
        values: np.ndarray = np.asarray(parameter.values, dtype=float)
        return np.asarray(values[points.astype(int)], dtype=float)
    return points


def ends(parameter: Uncertain) -> tuple[float, float]:
    """A one-at-a-time sweep's low and high: ``low`` and ``high`` where the distribution has
    them, the smallest and largest of a discrete one's ``values``, else the quantiles
    :data:`OAT_QUANTILES`."""
    if parameter.distribution is Distribution.DISCRETE:
        return min(parameter.values), max(parameter.values)
    given = parameter.distribution is not Distribution.LOGNORMAL
    at = quantile(parameter, np.asarray(OAT_QUANTILES))
    low = parameter.low if given and parameter.low is not None else float(at[0])
    high = parameter.high if given and parameter.high is not None else float(at[1])
    return low, high


def make_draws(
    scenario: Scenario,
    *,
    design: Design | str | None = None,
    samples: int | None = None,
    seed: int | None = None,
) -> Draws:
    """The sweep's draws, from the scenario's Uncertain rows and its Sampling sheet.

    Args:
        scenario: the validated scenario.
        design, samples, seed: override the Sampling sheet's settings.

    Raises:
        InputError: the scenario has no Uncertain rows, or ``samples`` < 1.
        MissingExtraError: ``sobol`` without SALib.
    """
    design = Design(design or scenario.sampling.design)
    samples = scenario.sampling.samples if samples is None else samples
    seed = scenario.sampling.seed if seed is None else seed
    if not scenario.uncertain:
        raise InputError(
            "the scenario has no Uncertain sheet (or it is empty); add one row per uncertain "
            "input (`planner template` writes the sheet with notes)"
        )
    if samples < 1 or seed < 0:
        raise InputError(f"samples must be >= 1 and seed >= 0 (got {samples} and {seed})")
    parameters = scenario.uncertain
    base = (math.nan,) * len(parameters)
    if design is Design.OAT:
        rows, oat = _oat(parameters)
        return Draws(design, len(rows), seed, parameters, (base, *rows), oat)
    factors = tuple(dict.fromkeys(p.factor for p in parameters))
    u = _unit_sample(design, samples, seed, len(factors))
    column = {f: i for i, f in enumerate(factors)}
    table = np.column_stack([quantile(p, u[:, column[p.factor]]) for p in parameters])
    drawn = tuple(tuple(float(x) for x in row) for row in table)
    return Draws(design, samples, seed, parameters, (base, *drawn))


def _oat(parameters: Sequence[Uncertain]) -> tuple[list[tuple[float, ...]], tuple[Any, ...]]:
    rows: list[tuple[float, ...]] = []
    oat: list[tuple[str, str]] = []
    for factor in dict.fromkeys(p.factor for p in parameters):
        for side in (0, 1):
            rows.append(
                tuple(ends(p)[side] if p.factor == factor else math.nan for p in parameters)
            )
            oat.append((factor, ("low", "high")[side]))
    return rows, tuple(oat)


def _unit_sample(design: Design, samples: int, seed: int, factors: int) -> np.ndarray:
    """``samples`` points in the unit cube of the factors (rows), as the design spreads them."""
    if design is Design.MC:
        # row by row from one stream: the first n rows of 2n draws are the n draws
        return np.random.default_rng(seed).random((samples, factors))
    if design is Design.LHS:
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=factors, seed=seed).random(samples), dtype=float)
    sample = _salib("sample.sobol")
    problem = _problem(factors)
    with warnings.catch_warnings():
        # SALib warns when samples is not a power of 2: the design is still valid
        warnings.simplefilter("ignore", UserWarning)
        points = sample.sample(problem, samples, calc_second_order=False, seed=seed)
    # Saltelli's points lie in [0, 1); a point at 0 would be an infinite quantile
    return np.clip(np.asarray(points, dtype=float), np.finfo(float).tiny, 1 - np.finfo(float).eps)


def _problem(factors: int) -> dict[str, Any]:
    return {
        "num_vars": factors,
        "names": [f"f{i}" for i in range(factors)],
        "bounds": [[0.0, 1.0]] * factors,
    }


def _salib(module: str) -> Any:
    try:
        return importlib.import_module(f"SALib.{module}")
    except ImportError as exc:
        raise MissingExtraError(
            f"the sobol design needs SALib, which is not installed; install it with "
            f"`{SENSITIVITY_INSTALL}`, or choose another design (oat, mc, lhs)"
        ) from exc


# ----------------------------------------------------------------------------------------
# Applying a draw


Plan = tuple[tuple[Target, ...], ...]
"""Per parameter (in :attr:`Draws.parameters` order), the cells it moves."""


def plan_of(scenario: Scenario) -> Plan:
    """The cells each Uncertain row moves (:func:`planner.scenario.uncertain.cells_of`)."""
    return tuple(tuple(cells_of(scenario, p)) for p in scenario.uncertain)


def apply_draw(scenario: Scenario, plan: Plan, values: Sequence[float]) -> Scenario:
    """The scenario with one draw applied: each parameter's cells moved by its value.

    A NaN value leaves the parameter's cells as they are. Every moved cell goes into one
    new scenario, validated from scratch once (the changed records from their values, then
    every cross-sheet rule), so no cached value of the base survives and a draw that breaks
    a rule raises with every problem located.

    Why not the edits API (:mod:`planner.scenario.edits`) one edit per parameter: each edit
    validates the whole scenario again, and ``add`` has no edit that moves many cells by one
    amount, so it would take one edit per cell. Measured on ``scenarios/pax_silica.xlsx``
    (median of 5 draws of four parameters: resource costs scaled, a process's new_cost
    scaled, a country's budget added to, the shortfall penalty set), one validation takes
    2.8 ms a draw, the edits 10.9 ms; with ``add`` on every Resources ``available`` (104
    cells) instead of the budget, 2.7 ms against 306 ms, about a solve's time. The results
    are equal (``benchmarks/bench_apply_draw.py``; docs/performance.md, "Sweeps").

    Raises:
        InputError: a changed record breaks its schema or a cross-sheet rule.
    """
    changes: dict[str, dict[int, dict[str, float]]] = {}
    settings: dict[str, float] = {}
    for parameter, targets, draw in zip(scenario.uncertain, plan, values, strict=True):
        if math.isnan(draw):
            continue
        for target in targets:
            value = moved(parameter.apply, target.value, draw)
            if target.field:
                changes.setdefault(target.field, {}).setdefault(target.index, {})[target.column] = (
                    value
                )
            else:
                settings[target.column] = value
    if not changes and not settings:
        return scenario
    fields = scenario.fields() | settings
    for name, edits in changes.items():
        records: list[Any] = list(fields[name])
        for index, columns in edits.items():
            records[index] = records[index].fields() | columns
        fields[name] = records
    return Scenario.model_validate(fields)


# ----------------------------------------------------------------------------------------
# The runs


@dataclass(frozen=True)
class RunItem:
    """One run of a sweep: a draw, in one mode and regime."""

    draw: int
    mode: Mode
    regime: Regime

    def order(self) -> tuple[int, int, int]:
        """Sort key: draw, then modes and regimes in contract order (as ``planner run``)."""
        return self.draw, list(Mode).index(self.mode), list(Regime).index(self.regime)


def run_items(draws: Draws, modes: Iterable[Mode]) -> list[RunItem]:
    """Every run of the sweep: per draw, each mode asked for, all three regimes."""
    wanted = [m for m in Mode if m in set(modes)]
    return [RunItem(d, m, r) for d in range(draws.count) for m in wanted for r in Regime]


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the validated scenario's canonical content, without its Sampling sheet
    (which says how to draw, not what a draw changes)."""
    content = scenario.model_dump(mode="json", exclude={"sampling"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def run_key(
    digest: str,
    draws: Draws,
    item: RunItem,
    options: SolveOptions,
    versions: Mapping[str, str],
) -> str:
    """The hash of what determines one run: scenario, draw, mode, regime, options, versions."""
    values = [None if math.isnan(v) else v for v in draws.values[item.draw]]
    content = {
        "scenario": digest,
        "draw": item.draw,
        "values": values,
        "mode": item.mode.value,
        "regime": item.regime.value,
        # not the thread count: it changes how fast HiGHS gets there, not where
        "options": [options.time_limit, options.gap],
        "versions": dict(sorted(versions.items())),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class SweepRun:
    """What a worker calls per run: apply the draw, build, solve, return the JSON entry.

    Picklable (a module-level class holding the scenario, the draws and the options), so a
    process pool or a Dask cluster receives it once. The last draw applied is kept, so the
    three regimes of one draw apply it once.
    """

    def __init__(self, scenario: Scenario, draws: Draws, options: SolveOptions) -> None:
        self.scenario = scenario
        self.draws = draws
        self.options = options
        self._plan: Plan | None = None
        self._last: tuple[int, Scenario] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "draws": self.draws, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["scenario"], state["draws"], state["options"])  # type: ignore[misc]

    def scenario_of(self, draw: int) -> Scenario:
        """The scenario with draw ``draw`` applied."""
        # read once: a Dask worker may run several threads on this one object
        last = self._last
        if last is None or last[0] != draw:
            if self._plan is None:
                self._plan = plan_of(self.scenario)
            last = (draw, apply_draw(self.scenario, self._plan, self.draws.values[draw]))
            self._last = last
        return last[1]

    def __call__(self, item: RunItem) -> dict[str, Any]:
        """The run's entry, as ``planner run --json`` writes it.

        Solved without shadow prices: the entry holds none, and pricing every binding limit
        on both sides (re-solves) would cost more than the run itself.
        """
        scenario = self.scenario_of(item.draw)
        setting = setting_for(scenario, item.regime, item.mode)
        solution = solve(build(scenario, setting), self.options, prices=False)
        return run_entry(tabulate(scenario, setting, solution))


# ----------------------------------------------------------------------------------------
# What the runs add up to


@dataclass(frozen=True)
class Finished:
    """A run's outcome as the store holds it: its entry, or why it failed."""

    item: RunItem
    entry: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class SweepResult:
    """A sweep's draws, runs and the figures derived from them (tidy DataFrames).

    Attributes:
        scenario: the scenario's name.
        design, samples, seed: how the draws were made.
        draws: the draws (:class:`Draws`).
        modes: the modes solved.
        runs: one row per finished run: draw, mode, regime, status, objective, total_cost,
            total_capability, total_shortfall, error.
        paired: per draw and mode: ``saving`` (the headline's: national minus coalition
            objective in min_cost, spend in max_capability), ``price_of_trust`` (coalition
            minus open, same measure), ``extra_capability`` (coalition minus national
            capability) and ``coalition_better`` (min_cost: saving > 0; max_capability:
            extra capability > 0); None where a run has no plan.
        summary: per mode and figure: mean, p05, p50, p95 over the draws after the base
            (only those whose runs all have a plan), with how many there are.
        tornado: ``oat`` only, per mode and factor: its low and high, the saving at each and
            at base, ``swing`` = |saving_high - saving_low|, ``d_low`` and ``d_high`` = the
            savings minus the base saving; by decreasing swing.
        sensitivity: ``sobol`` only, per mode and factor: Sobol' first-order and total
            indices of the saving with 95% confidence half-widths.
        histogram: per mode, the saving's histogram: bin edges and counts.
        failures: one row per failed run: draw, mode, regime, reason.
        requested, notes: how many runs the sweep asked for; what could not be computed.
        entries: per draw, its runs' JSON entries (for the JSON summary).
        provenance: where the sweep came from (source, sha256, versions, store).
    """

    scenario: str
    currency: str
    draws: Draws
    modes: tuple[Mode, ...]
    runs: pd.DataFrame
    paired: pd.DataFrame
    summary: pd.DataFrame
    tornado: pd.DataFrame
    sensitivity: pd.DataFrame
    histogram: pd.DataFrame
    failures: pd.DataFrame
    requested: int
    notes: tuple[str, ...]
    entries: dict[int, list[dict[str, Any]]]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def design(self) -> Design:
        """The design of the draws."""
        return self.draws.design

    @property
    def done(self) -> int:
        """Runs that finished with a plan or a status, failed ones excluded."""
        return len(self.runs)

    @property
    def complete(self) -> bool:
        """True when every requested run finished without failing."""
        return self.done == self.requested and self.failures.empty

    def to_json(self) -> dict[str, Any]:
        """The JSON summary of DESIGN.md (``planner sweep --json``)."""
        summary: dict[str, Any] = {}
        for mode in self.modes:
            rows = self.summary[self.summary["mode"] == mode.value]
            figures = {
                r["figure"]: {k: _plain(r[k]) for k in ("mean", "p05", "p50", "p95", "draws")}
                for r in rows.to_dict("records")
            }
            better = figures.pop("coalition_better", {})
            summary[mode.value] = {**figures, "p_coalition_better": better.get("mean")}
        return {
            "scenario": self.scenario,
            "design": self.design.value,
            "samples": self.draws.samples,
            "seed": self.draws.seed,
            "runs_requested": self.requested,
            "runs_done": self.done,
            "runs_failed": len(self.failures),
            "draws": [
                {
                    "draw": d,
                    "values": self.draws.shown(d),
                    "runs": self.entries.get(d, []),
                }
                for d in range(self.draws.count)
            ],
            "summary": summary,
            "tornado": [
                {k: _plain(v) for k, v in row.items()} for row in self.tornado.to_dict("records")
            ],
            "sensitivity": [
                {k: _plain(v) for k, v in row.items()}
                for row in self.sensitivity.to_dict("records")
            ],
            "failures": [
                {k: _plain(v) for k, v in row.items()} for row in self.failures.to_dict("records")
            ],
            "notes": list(self.notes),
            "provenance": self.provenance,
        }


_FIGURES = ("saving", "price_of_trust", "extra_capability", "coalition_better")


def summarise(
    scenario: Scenario,
    draws: Draws,
    modes: Sequence[Mode],
    finished: Iterable[Finished],
    *,
    requested: int,
    provenance: Mapping[str, Any] | None = None,
) -> SweepResult:
    """The sweep's tables from its draws and finished runs."""
    done = sorted(finished, key=lambda f: f.item.order())
    ok = [f for f in done if f.entry is not None]
    entries: dict[int, list[dict[str, Any]]] = {}
    for f in ok:
        assert f.entry is not None
        entries.setdefault(f.item.draw, []).append(f.entry)
    runs = pd.DataFrame(
        [
            {
                "draw": f.item.draw,
                "mode": f.item.mode.value,
                "regime": f.item.regime.value,
                **{k: f.entry.get(k) for k in _RUN_COLUMNS},
            }
            for f in ok
            if f.entry is not None
        ],
        columns=["draw", "mode", "regime", *_RUN_COLUMNS],
    )
    failures = pd.DataFrame(
        [
            {
                "draw": f.item.draw,
                "mode": f.item.mode.value,
                "regime": f.item.regime.value,
                "reason": f.error,
            }
            for f in done
            if f.entry is None
        ],
        columns=["draw", "mode", "regime", "reason"],
    )
    paired = _paired(runs, draws, modes)
    notes: list[str] = []
    missing = requested - len(done)
    if missing:
        notes.append(f"{missing:,} of {requested:,} runs did not finish (interrupted)")
    return SweepResult(
        scenario=scenario.name,
        currency=scenario.currency,
        draws=draws,
        modes=tuple(modes),
        runs=runs,
        paired=paired,
        summary=_summary(paired, modes),
        tornado=_tornado(paired, draws, modes),
        sensitivity=_sensitivity(paired, draws, modes, complete=len(ok) == requested, notes=notes),
        histogram=_histogram(paired, modes),
        failures=failures,
        requested=requested,
        notes=tuple(notes),
        entries=entries,
        provenance=dict(provenance or {}),
    )


_RUN_COLUMNS = (
    "status",
    "objective",
    "total_cost",
    "total_capability",
    "total_shortfall",
    "message",
)


def _paired(runs: pd.DataFrame, draws: Draws, modes: Sequence[Mode]) -> pd.DataFrame:
    """Per draw and mode, the headline's figures from that draw's three runs."""
    records: list[dict[str, Any]] = runs.to_dict("records")  # type: ignore[assignment]
    index = {(r["draw"], r["mode"], r["regime"]): r for r in records}
    rows = []
    for draw in range(draws.count):
        for mode in modes:
            nat, coa, opn = (index.get((draw, mode.value, r.value)) for r in Regime)
            measure = "objective" if mode is Mode.MIN_COST else "total_cost"
            saving = _diff(nat, coa, measure)
            extra = _diff(coa, nat, "total_capability")
            better = saving if mode is Mode.MIN_COST else extra
            rows.append(
                {
                    "draw": draw,
                    "mode": mode.value,
                    "saving": saving,
                    "price_of_trust": _diff(coa, opn, measure),
                    "extra_capability": extra,
                    "coalition_better": None if better is None else float(better > _BETTER),
                }
            )
    return pd.DataFrame(rows, columns=["draw", "mode", *_FIGURES])


_BETTER = 1e-9
"""A saving (or extra capability) above this counts as the coalition doing better."""


def _diff(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, measure: str) -> float | None:
    if a is None or b is None or a.get(measure) is None or b.get(measure) is None:
        return None
    return float(a[measure]) - float(b[measure])


def _sampled(paired: pd.DataFrame, mode: Mode) -> pd.DataFrame:
    """The draws after the base, in ``mode``."""
    return paired[(paired["mode"] == mode.value) & (paired["draw"] > 0)]


def _summary(paired: pd.DataFrame, modes: Sequence[Mode]) -> pd.DataFrame:
    rows = []
    for mode in modes:
        frame = _sampled(paired, mode)
        for figure in _FIGURES:
            values = frame[figure].dropna().astype(float).to_numpy()
            if values.size:
                p05, p50, p95 = np.percentile(values, [5, 50, 95])
                figures = {"mean": values.mean(), "p05": p05, "p50": p50, "p95": p95}
            else:
                figures = dict.fromkeys(("mean", "p05", "p50", "p95"))
            rows.append({"mode": mode.value, "figure": figure, **figures, "draws": values.size})
    return pd.DataFrame(rows, columns=["mode", "figure", "mean", "p05", "p50", "p95", "draws"])


def _tornado(paired: pd.DataFrame, draws: Draws, modes: Sequence[Mode]) -> pd.DataFrame:
    columns = ["mode", "parameter", "low", "high", "saving_base", "saving_low", "saving_high"]
    if draws.design is not Design.OAT:
        return pd.DataFrame([], columns=[*columns, "swing", "d_low", "d_high"])
    saving = {(r["draw"], r["mode"]): r["saving"] for r in paired.to_dict("records")}
    first = {f: next(p for p in draws.parameters if p.factor == f) for f in draws.factors}
    position = {p.parameter: i for i, p in enumerate(draws.parameters)}
    rows = []
    for mode in modes:
        for factor in draws.factors:
            at = {side: d for d, (f, side) in enumerate(draws.oat, 1) if f == factor}
            column = position[first[factor].parameter]
            low, high = (_none(saving.get((at[s], mode.value))) for s in ("low", "high"))
            rows.append(
                {
                    "mode": mode.value,
                    "parameter": factor,
                    "low": draws.values[at["low"]][column],
                    "high": draws.values[at["high"]][column],
                    "saving_base": _none(saving.get((0, mode.value))),
                    "saving_low": low,
                    "saving_high": high,
                    "swing": None if low is None or high is None else abs(high - low),
                    "d_low": _change(low, saving.get((0, mode.value))),
                    "d_high": _change(high, saving.get((0, mode.value))),
                }
            )
    frame = pd.DataFrame(rows, columns=[*columns, "swing", "d_low", "d_high"])
    frame["_order"] = frame["swing"].fillna(-1.0)
    frame = frame.sort_values(["mode", "_order"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def _change(value: float | None, base: Any) -> float | None:
    """``value - base``: a tornado bar's length from the base saving."""
    base = _none(base)
    return None if value is None or base is None else value - base


def _none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _sensitivity(
    paired: pd.DataFrame,
    draws: Draws,
    modes: Sequence[Mode],
    *,
    complete: bool,
    notes: list[str],
) -> pd.DataFrame:
    columns = ["mode", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    if draws.design is not Design.SOBOL:
        return pd.DataFrame([], columns=columns)
    rows = []
    for mode in modes:
        saving = _sampled(paired, mode)["saving"]
        if not complete or saving.isna().any():
            notes.append(
                f"{mode.value}: Sobol' indices not computed: every run must finish with a plan "
                "(re-run the sweep to finish it, or --retry-failed)"
            )
            continue
        analyze = _salib("analyze.sobol")
        indices = analyze.analyze(
            _problem(len(draws.factors)),
            saving.astype(float).to_numpy(),
            calc_second_order=False,
            seed=draws.seed + 1,  # SALib ignores a seed of 0 (falsy) and reseeds at random
        )
        for k, factor in enumerate(draws.factors):
            rows.append(
                {"mode": mode.value, "parameter": factor}
                | {name: float(indices[name][k]) for name in columns[2:]}
            )
    return pd.DataFrame(rows, columns=columns)


def _histogram(paired: pd.DataFrame, modes: Sequence[Mode]) -> pd.DataFrame:
    rows = []
    for mode in modes:
        values = _sampled(paired, mode)["saving"].dropna().astype(float).to_numpy()
        if not values.size:
            continue
        spread = float(values.max() - values.min())
        # a saving that barely varies (round-off) gets one bin, not 20 of zero width
        bins = HISTOGRAM_BINS if spread > 1e-9 * max(1.0, float(abs(values).max())) else 1
        counts, edges = np.histogram(values, bins=bins)
        for k, count in enumerate(counts):
            rows.append(
                {"mode": mode.value, "low": edges[k], "high": edges[k + 1], "count": int(count)}
            )
    return pd.DataFrame(rows, columns=["mode", "low", "high", "count"])


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ----------------------------------------------------------------------------------------
# Running the items


RunFunction = Callable[[RunItem], dict[str, Any]]
"""What solves one run (a :class:`SweepRun`), picklable."""


def solve_item(function: RunFunction, item: RunItem) -> dict[str, Any]:
    """The batch engine's function: ``function`` (the context, a :class:`SweepRun` holding
    the scenario) solves ``item``."""
    return function(item)


def solve_runs(
    function: RunFunction,
    items: Sequence[RunItem],
    *,
    workers: int = 1,
    executor: concurrent.futures.Executor | None = None,
    on_result: Callable[[Finished], None],
    progress: ProgressCallback | None = None,
) -> BatchResult[dict[str, Any]]:
    """Solve ``items`` on the batch engine, handing each outcome to ``on_result`` as it
    arrives (in this process, so the caller can store it at once).

    ``function`` is the engine's context: sent once to each worker. A run that raises is a
    failure with the exception's type and message; a worker that dies fails only the run
    that killed it (``worker died ...``); see :mod:`planner.analysis.batch`. Items travel
    in adaptive chunks in the order given, so the runs of one draw mostly share a worker,
    which applies the draw once (:meth:`SweepRun.scenario_of`).

    Args:
        function: the run function.
        items: the runs.
        workers: local processes (``spawn``); 1 solves in this process.
        executor: any ``concurrent.futures.Executor`` (Dask's ``Client.get_executor()``);
            overrides ``workers``.
        on_result: called with each outcome.
        progress: called with a :class:`~planner.analysis.batch.Progress` as runs finish.

    Raises:
        BatchInterrupted: Ctrl-C stopped the batch, after every outcome that arrived was
            handed over.
    """

    def hand_over(outcome: Outcome[dict[str, Any]]) -> None:
        on_result(Finished(items[outcome.index], outcome.value, outcome.error))

    return run_batch(
        solve_item,
        items,
        function,
        workers=workers,
        executor=executor,
        progress=progress,
        on_result=hand_over,
    )
