"""Stress tests of trust: what a coalition loses when a partner leaves, a ban lands or a
supplier fails (DESIGN.md, "Stress tests of trust").

Contract of this stage: :func:`stress` takes a validated scenario and returns a frozen
:class:`StressResult` of tidy tables; :mod:`planner.io.stress_report` only formats it. A
stress is a change to the scenario (:func:`apply_shocks`), solved by exactly the model that
``planner run`` builds (:func:`planner.model.build.setting_for`, :func:`build`,
:func:`solve`); it is never a different model. Three analyses:

- **cases**: each case of the Stresses sheet, in each regime its actions apply to and each
  mode asked; before is the base run, after the run of the scenario with the case's actions
  for that regime applied. ``damage`` is objective after minus before in min_cost, and
  capability before minus after in max_capability (positive when something is lost);
- **screen**: in the coalition's min_cost run, every member's exit (its damage is its
  ``loss_to_remaining``) and the full loss of every supply element (each Resources row,
  each Capacity row, each link of the coalition). An element the base plan does not use
  cannot change the optimum when it fails (the base plan stays feasible, and no plan gets
  cheaper when supply is taken away), so it is reported with damage 0 and not solved;
- **worst**: the most damaging sets of up to ``k`` supply losses, found by an exact tree
  search (:func:`worst_losses`).

Every solve is one item of a batch of :class:`~planner.analysis.batch.BatchEngine`: in
this process, on a local process pool or on a Dask cluster; a solve that fails is recorded
with its reason in :attr:`StressResult.failures`, never dropped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from planner.analysis.batch import BatchEngine, ProgressCallback, connect
from planner.errors import InputError, NoPlanError
from planner.model.build import build, setting_for
from planner.model.links import coalition_links
from planner.model.solve import Solution, SolveOptions, Status, solve
from planner.scenario.schema import (
    Action,
    Mode,
    Regime,
    Role,
    Scenario,
    Stress,
)

__all__ = [
    "BEAM_WIDTH",
    "DEFAULT_BUDGET",
    "DEFAULT_K",
    "Exit",
    "LinkShock",
    "Outage",
    "StressError",
    "StressResult",
    "apply_shocks",
    "element_shock",
    "stress",
    "supply_elements",
]

DEFAULT_K: Final = 2
"""Largest set of supply losses the worst-case search considers (``--k``)."""

DEFAULT_BUDGET: Final = 2000
"""Most solves of the exact worst-case search (``--budget``) before it turns into a beam."""

BEAM_WIDTH: Final = 8
"""Once the budget is spent, each further level expands only this many of the most
damaging sets of the level before."""

USED: Final = 1e-9
"""A plan uses an element when its resource use, activity, new capacity or shipment is
above this."""

_TOLERANCE: Final = 1e-7
"""Relative tolerance below which a damage or a saving counts as zero."""


# ----------------------------------------------------------------------------------------
# Shocks: the changes a stress makes to a scenario


@dataclass(frozen=True)
class Exit:
    """A member leaves: it becomes a non-member with no links at all (its Links rows go,
    and every link to or from it is removed); its targets and budget leave with it."""

    country: str


@dataclass(frozen=True)
class LinkShock:
    """Links removed (``capacity`` None: a ban) or capped (a cut) in every regime solved."""

    exporter: str = "*"
    importer: str = "*"
    commodity: str = "*"
    capacity: float | None = None


@dataclass(frozen=True)
class Outage:
    """A resource's ``available``, or a process's ``existing`` and ``max_new``, in one
    country times ``factor``; ``min_new`` is kept, and a ``max_new`` that falls below it
    makes both 0."""

    country: str
    commodity: str | None = None
    process: str | None = None
    factor: float = 0.0


@dataclass(frozen=True)
class DropTargets:
    """The country's targets left out (the reference of an exit's loss to the others)."""

    country: str


Shock = Exit | LinkShock | Outage | DropTargets


def apply_shocks(scenario: Scenario, shocks: Iterable[Shock]) -> Scenario:
    """The scenario with ``shocks`` applied, in order, validated anew.

    Built from a dump (never ``model_copy``), so no cached property survives the change.
    The Stresses rows are left out: a stressed scenario is solved, not stressed again.
    """
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in scenario.model_dump().items()}
    data["stresses"] = []
    for shock in shocks:
        _APPLY[type(shock)](data, shock)
    return Scenario.model_validate(data)


Data = dict[str, Any]


def _exit(data: Data, shock: Any) -> None:
    country = shock.country
    for row in data["countries"]:
        if row["country"] == country:
            row["member"] = False
            row["budget"] = 0.0
    data["targets"] = [t for t in data["targets"] if t["country"] != country]
    data["links"] = [r for r in data["links"] if country not in (r["exporter"], r["importer"])]
    data["link_limits"] += [{"exporter": country}, {"importer": country}]


def _link(data: Data, shock: Any) -> None:
    data["link_limits"].append(
        {
            "exporter": shock.exporter,
            "importer": shock.importer,
            "commodity": shock.commodity,
            "capacity": shock.capacity,
        }
    )


def _outage(data: Data, shock: Any) -> None:
    factor = shock.factor
    if shock.commodity is not None:
        for row in data["resources"]:
            if (row["country"], row["commodity"]) == (shock.country, shock.commodity):
                row["available"] *= factor
        return
    for row in data["capacity"]:
        if (row["country"], row["process"]) == (shock.country, shock.process):
            row["existing"] *= factor
            row["max_new"] *= factor
            if row["max_new"] < row["min_new"]:
                row["max_new"] = row["min_new"] = 0.0


def _drop_targets(data: Data, shock: Any) -> None:
    data["targets"] = [t for t in data["targets"] if t["country"] != shock.country]


_APPLY: Final[Mapping[type, Callable[[Data, Any], None]]] = {
    Exit: _exit,
    LinkShock: _link,
    Outage: _outage,
    DropTargets: _drop_targets,
}


# ----------------------------------------------------------------------------------------
# Supply elements and their names


def supply_elements(scenario: Scenario) -> tuple[str, ...]:
    """Every supply element, named as the JSON names them, in sheet order.

    ``resource:C:K`` for each Resources row, ``process:C:P`` for each Capacity row and
    ``link:E>I:K`` for each link of the coalition regime (before pruning).
    """
    names = [f"resource:{r.country}:{r.commodity}" for r in scenario.resources]
    names += [f"process:{r.country}:{r.process}" for r in scenario.capacity]
    names += [
        f"link:{link.exporter}>{link.importer}:{link.commodity}"
        for link in coalition_links(scenario, scenario.members)
    ]
    return tuple(names)


def element_shock(element: str) -> Shock:
    """The shock that takes ``element`` away entirely (``member:C`` is C's exit)."""
    kind, _, rest = element.partition(":")
    if kind == "member":
        return Exit(rest)
    if kind == "resource":
        country, _, commodity = rest.partition(":")
        return Outage(country, commodity=commodity)
    if kind == "process":
        country, _, process = rest.partition(":")
        return Outage(country, process=process)
    ends, _, commodity = rest.rpartition(":")
    exporter, _, importer = ends.partition(">")
    return LinkShock(exporter, importer, commodity)


def _used(solution: Solution) -> frozenset[str]:
    """The supply elements the plan uses."""
    # keys end with the period: an element is used when it is used in any period
    used = {f"resource:{c}:{k}" for (c, k, *_), v in solution.use.items() if v > USED}
    used |= {f"process:{c}:{p}" for (c, p, *_), v in solution.act.items() if v > USED}
    used |= {f"process:{c}:{p}" for (c, p, *_), v in solution.new.items() if v > USED}
    used |= {f"link:{i}>{j}:{k}" for (k, i, j, *_), v in solution.ship.items() if v > USED}
    return frozenset(used)


# ----------------------------------------------------------------------------------------
# One solve, as a batch item


@dataclass(frozen=True)
class Job:
    """One solve: a mode and regime of the scenario with ``shocks`` applied."""

    mode: Mode
    regime: Regime
    shocks: tuple[Shock, ...] = ()
    prices: bool = False
    """Read shadow prices (the case runs report the marginal cost of each target)."""


@dataclass(frozen=True)
class Run:
    """What one solve gives a stress test: its totals, per-member figures and plan use.

    The figures are those of :func:`planner.model.results.tabulate`: ``cost`` is spend
    without the penalty, ``capability`` the unweighted sum of deliveries and ``shortfall``
    the sum of ``max(0, amount - delivered)``, each None without a plan.
    """

    status: Status
    message: str = ""
    objective: float | None = None
    cost: float | None = None
    capability: float | None = None
    shortfall: float | None = None
    members: tuple[str, ...] = ()
    member_capability: Mapping[str, float] = field(default_factory=dict)
    member_shortfall: Mapping[str, float] = field(default_factory=dict)
    target_price: Mapping[tuple[str, str], float] = field(default_factory=dict)
    used: frozenset[str] = frozenset()
    output: Mapping[tuple[str, str], float] = field(default_factory=dict)
    """Per (country, commodity): resource use plus process output in the plan."""

    @property
    def has_plan(self) -> bool:
        """True when the solve found a plan (optimal or time-limited)."""
        return self.status.has_plan


@dataclass(frozen=True)
class _Context:
    """What every batch item shares: the base scenario and the solve options."""

    scenario: Scenario
    options: SolveOptions


def solve_job(context: _Context, job: Job) -> Run:
    """Apply the job's shocks, build and solve the run as ``planner run`` would.

    The thread count is the options' (HiGHS's default when unset), never
    :func:`~planner.analysis.batch.solver_threads`, as in cost sharing: HiGHS refuses to
    change its thread count once its scheduler has started in a process (so an in-process
    batch after a threaded one would fail), and one thread can change the last bit of a MIP
    objective, so the numbers would depend on the number of workers.
    """
    scenario = apply_shocks(context.scenario, job.shocks) if job.shocks else context.scenario
    setting = setting_for(scenario, job.regime, job.mode)
    built = build(scenario, setting)
    solution = solve(built, context.options, prices=job.prices)
    if not solution.status.has_plan:
        return Run(solution.status, solution.message, members=setting.members)
    capability: dict[str, float] = defaultdict(float)
    shortfall: dict[str, float] = defaultdict(float)
    length = {span.period: span.length for span in built.horizon.periods}
    for (country, commodity, period), amount in built.targets.items():
        got = solution.deliver.get((country, commodity, period), 0.0)
        # per year times the period's length, as planner run's totals
        capability[country] += length[period] * got
        shortfall[country] += length[period] * max(0.0, amount - got)
    return Run(
        solution.status,
        solution.message,
        objective=solution.objective,
        cost=sum(solution.country_spend.get(c, 0.0) for c in setting.countries),
        capability=sum(capability.values()),
        shortfall=sum(shortfall.values()),
        members=setting.members,
        member_capability=dict(capability),
        member_shortfall=dict(shortfall),
        target_price={(k[0], k[1]): v for k, v in solution.prices.target.items()},
        used=_used(solution),
        output=_output(scenario, solution),
    )


def _output(scenario: Scenario, solution: Solution) -> dict[tuple[str, str], float]:
    made: dict[tuple[str, str], float] = defaultdict(float)
    for (country, commodity, *_), value in solution.use.items():
        made[(country, commodity)] += value
    outputs: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in scenario.recipe:
        if line.role is Role.OUTPUT:
            outputs[line.process].append((line.commodity, line.amount))
    for (country, process, *_), value in solution.act.items():
        for commodity, amount in outputs[process]:
            made[(country, commodity)] += amount * value
    return {key: value for key, value in made.items() if value > USED}


@dataclass(frozen=True)
class Failure:
    """A solve that raised, or ended without a plan, with its reason."""

    what: str
    reason: str


class StressError(NoPlanError):
    """Some stress solves found no plan; the report lists them."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        self.failures = tuple(failures)
        lines = [f"{len(self.failures)} stress solve(s) found no plan:"]
        lines += [f"  - {f.what}: {f.reason}" for f in self.failures[:10]]
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more (see the report)")
        super().__init__("\n".join(lines))


@dataclass
class _Solver:
    """Runs batches of :class:`Job` on one batch engine and remembers every outcome.

    Each job is solved once: :meth:`many` skips the jobs solved before, so the screen's
    single losses are the first level of the worst-case search for free.
    """

    engine: BatchEngine[_Context, Job, Run]
    progress: ProgressCallback | None = None
    runs: dict[Job, Run] = field(default_factory=dict)
    errors: dict[Job, str] = field(default_factory=dict)
    solves: int = 0

    def many(self, jobs: Iterable[Job]) -> dict[Job, Run]:
        """The run of every job, solving those not solved before (failed ones are absent)."""
        wanted = list(dict.fromkeys(jobs))
        todo = [j for j in wanted if j not in self.runs and j not in self.errors]
        if todo:
            result = self.engine.map(todo, progress=self.progress)
            for outcome in result.outcomes:
                job = todo[outcome.index]
                if outcome.value is not None:
                    self.runs[job] = outcome.value
                else:
                    self.errors[job] = outcome.error or "the solve failed"
            self.solves += len(todo)
        return {j: self.runs[j] for j in wanted if j in self.runs}

    def one(self, job: Job) -> Run | None:
        """The run of one job, or None when its solve raised."""
        return self.many([job]).get(job)


# ----------------------------------------------------------------------------------------
# Cases of the Stresses sheet


@dataclass(frozen=True)
class _Resolved:
    """A case turned into shocks, per regime, with what each action became in words."""

    case: str
    regimes: tuple[Regime, ...]
    shocks: Mapping[Regime, tuple[Shock, ...]]
    exits: tuple[str, ...]
    text: tuple[str, ...]
    probability: float | None
    chokepoints: tuple[dict[str, Any], ...]


def _cases(scenario: Scenario, wanted: Sequence[str] | None) -> dict[str, tuple[Stress, ...]]:
    """The Stresses rows grouped by case, in sheet order; only ``wanted`` when given."""
    cases: dict[str, list[Stress]] = defaultdict(list)
    for row in scenario.stresses:
        cases[row.case].append(row)
    if wanted is not None:
        unknown = [c for c in wanted if c not in cases]
        if unknown:
            known = ", ".join(cases) or "none"
            raise InputError(f"no case {', '.join(unknown)} in the Stresses sheet (cases: {known})")
        cases = {c: cases[c] for c in dict.fromkeys(wanted)}
    return {c: tuple(rows) for c, rows in cases.items()}


def _share(value: float) -> str:
    """A share as a percentage to three significant figures: 60%, 42.9%, 100%."""
    return f"{value * 100:.3g}%"


def _ends(row: Stress) -> str:
    return f"{row.exporter} > {row.importer}"


def _resolve(scenario: Scenario, case: str, rows: Sequence[Stress], base: Run | None) -> _Resolved:
    """The shocks of each regime the case's rows apply to, and their description."""
    shocks: dict[Regime, list[Shock]] = defaultdict(list)
    text: list[str] = []
    chokepoints: list[dict[str, Any]] = []
    for row in rows:
        made, said = _action(scenario, row, base)
        if row.action is Action.CHOKEPOINT:
            chokepoints.append(said.pop())
            text.append(chokepoints[-1]["text"])
        text += [str(s) for s in said]
        for regime in row.regimes:
            shocks[regime] += made
    regimes = tuple(r for r in Regime if r in shocks)
    exits = tuple(dict.fromkeys(r.country for r in rows if r.action is Action.EXIT and r.country))
    probability = next((r.probability for r in rows if r.probability is not None), None)
    return _Resolved(
        case,
        regimes,
        {r: tuple(shocks[r]) for r in regimes},
        exits,
        tuple(text),
        probability,
        tuple(chokepoints),
    )


def _regimes_text(row: Stress) -> str:
    return ", ".join(r.value for r in row.regimes)


def _action(scenario: Scenario, row: Stress, base: Run | None) -> tuple[list[Shock], list[Any]]:
    """A row's shocks and its description (for a chokepoint, a dict with the resolution)."""
    where = f" (in {_regimes_text(row)})"
    commodity = row.commodity or "*"
    if row.action is Action.EXIT:
        assert row.country is not None  # validated
        return [Exit(row.country)], [f"exit of {row.country}{where}"]
    if row.action is Action.BAN:
        shock = LinkShock(row.exporter, row.importer, commodity)
        return [shock], [f"ban of {commodity} links {_ends(row)}{where}"]
    if row.action is Action.CUT:
        shock = LinkShock(row.exporter, row.importer, commodity, row.capacity)
        return [shock], [f"cut of {commodity} links {_ends(row)} to {row.capacity:g}{where}"]
    if row.action is Action.OUTAGE:
        assert row.country is not None  # validated
        outage = Outage(row.country, row.commodity, row.process, row.factor)
        what = f"resource {row.commodity}" if row.commodity else f"process {row.process}"
        return [outage], [f"outage of {what} in {row.country} to {_share(row.factor)}{where}"]
    return _chokepoint(scenario, row, base)


def _chokepoint(scenario: Scenario, row: Stress, base: Run | None) -> tuple[list[Shock], list[Any]]:
    """The outage (factor 0) of the ``rank``-th largest supplier of the commodity in the
    coalition's min_cost base plan: resource use plus the output of the processes that make
    it, ties broken by the Countries sheet's order."""
    commodity = row.commodity or ""
    order = {c.country: n for n, c in enumerate(scenario.countries)}
    output = {} if base is None else {c: v for (c, k), v in base.output.items() if k == commodity}
    ranked = sorted(output, key=lambda c: (-output[c], order[c]))
    total = sum(output.values())
    head = f"chokepoint: supplier {row.rank} of {commodity} in the coalition's min_cost base plan"
    if len(ranked) < row.rank:
        why = "the base plan has no plan" if base is None else f"it has {len(ranked)} suppliers"
        info = {"commodity": commodity, "rank": row.rank, "country": None, "share": None}
        return [], [{**info, "text": f"{head}: none ({why}); nothing changed"}]
    country = ranked[row.rank - 1]
    share = output[country] / total
    makers = {
        line.process
        for line in scenario.recipe
        if line.role is Role.OUTPUT and line.commodity == commodity
    }
    shocks: list[Shock] = [
        Outage(country, commodity=commodity)
        for r in scenario.resources
        if (r.country, r.commodity) == (country, commodity)
    ]
    shocks += [
        Outage(country, process=cap.process)
        for cap in scenario.capacity
        if cap.country == country and cap.process in makers
    ]
    text = (
        f"{head} is {country} ({_share(share)} of {total:,.6g} units); its outage"
        f" (in {_regimes_text(row)})"
    )
    info = {"commodity": commodity, "rank": row.rank, "country": country, "share": share}
    return shocks, [{**info, "text": text}]


# ----------------------------------------------------------------------------------------
# The result


CASE_COLUMNS: Final = [
    "case", "mode", "regime", "status_before", "status", "objective_before", "objective_after",
    "damage", "probability", "expected_damage", "cost_before", "cost_after", "d_cost",
    "capability_before", "capability_after", "d_capability", "shortfall_before",
    "shortfall_after", "d_shortfall", "saving_before", "saving_after", "beats_national",
]  # fmt: skip
COUNTRY_COLUMNS: Final = ["case", "mode", "regime", "country", "d_shortfall", "d_capability"]
TARGET_COLUMNS: Final = [
    "case", "mode", "regime", "country", "commodity", "marginal_cost_before",
    "marginal_cost_after", "d_marginal_cost",
]  # fmt: skip
SCREEN_COLUMNS: Final = [
    "element", "kind", "damage", "solved", "status", "shortfall_after", "d_shortfall",
    "single_point_of_failure",
]  # fmt: skip
WORST_COLUMNS: Final = ["k", "elements", "damage", "exact"]


@dataclass(frozen=True)
class StressResult:
    """Every figure of a stress test, as tidy tables (the report only formats them).

    Attributes:
        cases: one row per case, mode and regime its actions apply to: status before and
            after, objective before and after, ``damage`` (min_cost: objective after -
            before; max_capability: capability before - after), ``expected_damage``
            (probability x damage, where a probability is given), cost, capability and
            shortfall before and after with their changes ``d_...`` (after - before), and
            on the coalition rows ``saving_before``, ``saving_after`` (national minus
            coalition objective in min_cost; coalition minus national capability in
            max_capability, both with the case's national actions and exits applied to the
            national stacks) and ``beats_national`` (the saving after is positive).
        countries: per case row, each remaining member's ``d_shortfall``, ``d_capability``.
        targets: min_cost case rows only: each remaining member's target's marginal cost
            before and after (the target's shadow price) and its change.
        resolved: per case, what each of its actions became, in words.
        chokepoints: per case, each chokepoint's country and its share of the base plan's
            output (None when no supplier of that rank exists).
        loss_to_remaining: per case with an exit in the coalition: the coalition's min_cost
            objective after the case minus the base coalition's with the leavers' targets
            left out (both serve only the remaining members' targets).
        screen: one row per member exit and supply element, most damaging first.
        worst: per ``k`` from 1, the most damaging set of up to ``k`` supply losses found.
        failures: every solve that raised or found no plan, with its reason.
        solves: the number of models solved; ``seconds`` the wall-clock time.
        screen_skipped: supply elements of the screen not solved because the base plan
            does not use them.
        worst_solves: sets the worst-case search evaluated.
    """

    scenario: str
    currency: str
    modes: tuple[Mode, ...]
    cases: pd.DataFrame
    countries: pd.DataFrame
    targets: pd.DataFrame
    resolved: Mapping[str, tuple[str, ...]]
    chokepoints: Mapping[str, tuple[dict[str, Any], ...]]
    loss_to_remaining: Mapping[str, float | None]
    screen: pd.DataFrame
    worst: pd.DataFrame
    failures: tuple[Failure, ...]
    solves: int
    seconds: float
    screen_skipped: int = 0
    worst_solves: int = 0
    k: int = 0
    budget: int = 0
    source: str = ""
    sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON summary: the contract's keys (DESIGN.md), then more."""
        cases = []
        for case, text in self.resolved.items():
            rows = self.cases[self.cases["case"] == case]
            runs = []
            for row in rows.itertuples(index=False):
                who = self.countries[
                    (self.countries["case"] == case)
                    & (self.countries["mode"] == row.mode)
                    & (self.countries["regime"] == row.regime)
                ]
                runs.append(
                    {
                        "mode": row.mode,
                        "regime": row.regime,
                        "status": row.status,
                        "objective_before": _num(row.objective_before),
                        "objective_after": _num(row.objective_after),
                        "damage": _num(row.damage),
                        "status_before": row.status_before,
                        **{c: _num(getattr(row, c)) for c in CASE_COLUMNS[8:-1]},
                        "beats_national": _flag(row.beats_national),
                        "countries": [
                            {
                                "country": c.country,
                                "d_shortfall": _num(c.d_shortfall),
                                "d_capability": _num(c.d_capability),
                            }
                            for c in who.itertuples(index=False)
                        ],
                    }
                )
            cases.append(
                {
                    "case": case,
                    "resolved": list(text),
                    "runs": runs,
                    "loss_to_remaining": _num(self.loss_to_remaining.get(case)),
                    "chokepoints": [
                        {k: v for k, v in c.items() if k != "text"}
                        for c in self.chokepoints.get(case, ())
                    ],
                }
            )
        return {
            "scenario": self.scenario,
            "cases": cases,
            "screen": [
                {
                    "element": r.element,
                    "damage": _num(r.damage),
                    "solved": bool(r.solved),
                    "status": r.status,
                    "single_point_of_failure": bool(r.single_point_of_failure),
                }
                for r in self.screen.itertuples(index=False)
            ],
            "worst": [
                {
                    "k": int(r["k"]),
                    "elements": list(r["elements"]),
                    "damage": _num(r["damage"]),
                    "exact": bool(r["exact"]),
                }
                for r in self.worst.to_dict("records")
            ],
            "failures": [{"what": f.what, "reason": f.reason} for f in self.failures],
            "solves": self.solves,
            "seconds": round(self.seconds, 3),
        }


def _num(value: Any) -> float | None:
    """A finite number for the JSON, or None (no plan, not applicable)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)


def _flag(value: Any) -> bool | None:
    return None if value is None or value != value else bool(value)


# ----------------------------------------------------------------------------------------
# The analysis


def _damage(mode: Mode, before: Run, after: Run) -> float | None:
    """min_cost: objective after - before; max_capability: before - after."""
    if before.objective is None or after.objective is None:
        return None
    if mode is Mode.MIN_COST:
        return after.objective - before.objective
    return before.objective - after.objective


def _change(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _saving(mode: Mode, national: Run | None, coalition: Run) -> float | None:
    if national is None or national.objective is None or coalition.objective is None:
        return None
    if mode is Mode.MIN_COST:
        return national.objective - coalition.objective
    return coalition.objective - national.objective


def _is_zero(value: float, scale: float) -> bool:
    return abs(value) <= _TOLERANCE * max(1.0, abs(scale))


class _Analysis:
    """One call of :func:`stress`: the solver, the base runs and the tables being made."""

    def __init__(self, scenario: Scenario, solver: _Solver, modes: tuple[Mode, ...]) -> None:
        self.scenario = scenario
        self.solver = solver
        self.modes = modes
        self.failures: list[Failure] = []

    def run(self, job: Job, what: str) -> Run | None:
        """The job's run, or None (recorded as a failure) when it has no plan."""
        run = self.solver.one(job)
        return self._checked(job, run, what)

    def _checked(self, job: Job, run: Run | None, what: str) -> Run | None:
        if run is None:
            reason = self.solver.errors.get(job, "the solve failed")
            self.failures.append(Failure(what, reason))
            return None
        if not run.has_plan:
            detail = f": {run.message}" if run.message else ""
            self.failures.append(Failure(what, f"no plan (status {run.status.value}){detail}"))
            return None
        return run

    # --- cases -----------------------------------------------------------------------

    def cases(self, wanted: Sequence[str] | None) -> dict[str, Any]:
        groups = _cases(self.scenario, wanted)
        base = self.run(Job(Mode.MIN_COST, Regime.COALITION), "base coalition min_cost")
        resolved = [_resolve(self.scenario, c, rows, base) for c, rows in groups.items()]
        jobs = [self._jobs(r) for r in resolved]
        self.solver.many(j for per_case in jobs for pair in per_case.values() for j in pair)
        rows: list[dict[str, Any]] = []
        countries: list[dict[str, Any]] = []
        targets: list[dict[str, Any]] = []
        loss: dict[str, float | None] = {}
        for case, per_run in zip(resolved, jobs, strict=True):
            for (mode, regime), (before_job, after_job) in per_run.items():
                label = f"case {case.case}, {mode.value} {regime.value}"
                before = self.run(before_job, f"{label}: before")
                after = self.run(after_job, f"{label}: after")
                if before is None or after is None:
                    rows.append(self._failed_row(case, mode, regime, before, after))
                    continue
                row = self._row(case, mode, regime, before, after)
                if regime is Regime.COALITION:
                    row.update(self._versus_national(case, mode, before, after))
                rows.append(row)
                countries += self._who(case.case, mode, regime, before, after)
                if mode is Mode.MIN_COST:
                    targets += self._targets(case.case, regime, before, after)
            loss[case.case] = self._loss(case)
        return {
            "cases": pd.DataFrame(rows, columns=CASE_COLUMNS),
            "countries": pd.DataFrame(countries, columns=COUNTRY_COLUMNS),
            "targets": pd.DataFrame(targets, columns=TARGET_COLUMNS),
            "resolved": {r.case: r.text for r in resolved},
            "chokepoints": {r.case: r.chokepoints for r in resolved if r.chokepoints},
            "loss_to_remaining": loss,
        }

    def _jobs(self, case: _Resolved) -> dict[tuple[Mode, Regime], tuple[Job, Job]]:
        return {
            (mode, regime): (
                Job(mode, regime, prices=True),
                Job(mode, regime, case.shocks[regime], prices=True),
            )
            for mode in self.modes
            for regime in case.regimes
        }

    def _row(
        self, case: _Resolved, mode: Mode, regime: Regime, before: Run, after: Run
    ) -> dict[str, Any]:
        damage = _damage(mode, before, after)
        chance = case.probability
        return {
            "case": case.case,
            "mode": mode.value,
            "regime": regime.value,
            "status_before": before.status.value,
            "status": after.status.value,
            "objective_before": before.objective,
            "objective_after": after.objective,
            "damage": damage,
            "probability": case.probability,
            "expected_damage": None if chance is None or damage is None else chance * damage,
            "cost_before": before.cost,
            "cost_after": after.cost,
            "d_cost": _change(before.cost, after.cost),
            "capability_before": before.capability,
            "capability_after": after.capability,
            "d_capability": _change(before.capability, after.capability),
            "shortfall_before": before.shortfall,
            "shortfall_after": after.shortfall,
            "d_shortfall": _change(before.shortfall, after.shortfall),
        }

    def _failed_row(
        self, case: _Resolved, mode: Mode, regime: Regime, before: Run | None, after: Run | None
    ) -> dict[str, Any]:
        def status(run: Run | None, job: Job) -> str:
            if run is not None:
                return run.status.value
            known = self.solver.runs.get(job)
            return known.status.value if known is not None else Status.ERROR.value

        before_job = Job(mode, regime, prices=True)
        after_job = Job(mode, regime, case.shocks[regime], prices=True)
        return {
            "case": case.case,
            "mode": mode.value,
            "regime": regime.value,
            "status_before": status(before, before_job),
            "status": status(after, after_job),
            "objective_before": None if before is None else before.objective,
            "probability": case.probability,
        }

    def _versus_national(
        self, case: _Resolved, mode: Mode, before: Run, after: Run
    ) -> dict[str, Any]:
        """The saving against national stacks before and after the shock.

        The national stacks after the shock are those of the remaining members, with the
        case's actions that apply to national stacks."""
        base = self.run(Job(mode, Regime.NATIONAL, prices=True), f"base {mode.value} national")
        shocks = case.shocks.get(Regime.NATIONAL, ()) + tuple(Exit(c) for c in case.exits)
        national = (
            base
            if not shocks
            else self.run(
                Job(mode, Regime.NATIONAL, shocks, prices=True),
                f"case {case.case}, {mode.value} national stacks",
            )
        )
        saving_before = _saving(mode, base, before)
        saving_after = _saving(mode, national, after)
        beats = None
        if saving_after is not None:
            beats = saving_after > 0 and not _is_zero(saving_after, after.objective or 0.0)
        return {
            "saving_before": saving_before,
            "saving_after": saving_after,
            "beats_national": beats,
        }

    def _who(
        self, case: str, mode: Mode, regime: Regime, before: Run, after: Run
    ) -> list[dict[str, Any]]:
        return [
            {
                "case": case,
                "mode": mode.value,
                "regime": regime.value,
                "country": member,
                "d_shortfall": after.member_shortfall.get(member, 0.0)
                - before.member_shortfall.get(member, 0.0),
                "d_capability": after.member_capability.get(member, 0.0)
                - before.member_capability.get(member, 0.0),
            }
            for member in after.members
        ]

    def _targets(self, case: str, regime: Regime, before: Run, after: Run) -> list[dict[str, Any]]:
        rows = []
        for key, price in after.target_price.items():
            old = before.target_price.get(key)
            rows.append(
                {
                    "case": case,
                    "mode": Mode.MIN_COST.value,
                    "regime": regime.value,
                    "country": key[0],
                    "commodity": key[1],
                    "marginal_cost_before": old,
                    "marginal_cost_after": price,
                    "d_marginal_cost": None if old is None else price - old,
                }
            )
        return rows

    def _loss(self, case: _Resolved) -> float | None:
        """An exit's loss to the remaining members (see :attr:`StressResult.loss_to_remaining`)."""
        if not case.exits or Regime.COALITION not in case.regimes:
            return None
        after = self.run(
            Job(Mode.MIN_COST, Regime.COALITION, case.shocks[Regime.COALITION], prices=True),
            f"case {case.case}: min_cost coalition after",
        )
        reference = self.run(
            Job(Mode.MIN_COST, Regime.COALITION, tuple(DropTargets(c) for c in case.exits)),
            f"case {case.case}: base coalition without the leavers' targets",
        )
        if after is None or reference is None or after.objective is None:
            return None
        assert reference.objective is not None
        return after.objective - reference.objective

    # --- the single-loss screen --------------------------------------------------------

    def base(self) -> Run | None:
        """The coalition's min_cost base run (the plan the screen and the search start from)."""
        return self.run(Job(Mode.MIN_COST, Regime.COALITION), "base coalition min_cost")

    def loss_job(self, elements: Iterable[str]) -> Job:
        """The coalition's min_cost run without ``elements`` (in canonical order)."""
        shocks = tuple(element_shock(e) for e in sorted(elements))
        return Job(Mode.MIN_COST, Regime.COALITION, shocks)

    def screen(self) -> tuple[pd.DataFrame, int]:
        """Every member's exit and every supply element's full loss, most damaging first."""
        base = self.base()
        if base is None or base.objective is None:
            return pd.DataFrame([], columns=SCREEN_COLUMNS), 0
        members = self.scenario.members
        elements = supply_elements(self.scenario)
        used = [e for e in elements if e in base.used]
        exits = {m: Job(Mode.MIN_COST, Regime.COALITION, (Exit(m),)) for m in members}
        references = {m: Job(Mode.MIN_COST, Regime.COALITION, (DropTargets(m),)) for m in members}
        self.solver.many(
            [*exits.values(), *references.values(), *map(self.loss_job, [[e] for e in used])]
        )
        rows: list[dict[str, Any]] = []
        for member in members:
            after = self.run(exits[member], f"screen: exit of {member}")
            reference = self.run(references[member], f"screen: base without {member}'s targets")
            row = self._screen_row(f"member:{member}", "member", after, reference)
            rows.append(row)
        for element in elements:
            kind = element.partition(":")[0]
            if element not in base.used:
                rows.append(
                    {
                        "element": element,
                        "kind": kind,
                        "damage": 0.0,
                        "solved": False,
                        "status": "no effect: unused in the base plan",
                        "shortfall_after": base.shortfall,
                        "d_shortfall": 0.0,
                        "single_point_of_failure": False,
                    }
                )
                continue
            after = self.run(self.loss_job([element]), f"screen: loss of {element}")
            rows.append(self._screen_row(element, kind, after, base))
        frame = pd.DataFrame(rows, columns=SCREEN_COLUMNS)
        frame = frame.sort_values("damage", ascending=False, kind="stable", na_position="last")
        return frame.reset_index(drop=True), len(elements) - len(used)

    def _screen_row(
        self, element: str, kind: str, after: Run | None, reference: Run | None
    ) -> dict[str, Any]:
        if after is None or reference is None:
            status = Status.ERROR.value if after is None else after.status.value
            return {"element": element, "kind": kind, "solved": True, "status": status}
        assert after.objective is not None and reference.objective is not None
        assert after.shortfall is not None and reference.shortfall is not None
        d_shortfall = after.shortfall - reference.shortfall
        return {
            "element": element,
            "kind": kind,
            "damage": after.objective - reference.objective,
            "solved": True,
            "status": after.status.value,
            "shortfall_after": after.shortfall,
            "d_shortfall": d_shortfall,
            "single_point_of_failure": not _is_zero(d_shortfall, reference.shortfall)
            and d_shortfall > 0,
        }

    # --- the worst k losses ------------------------------------------------------------

    def worst(self, k: int, budget: int) -> tuple[pd.DataFrame, int]:
        """The most damaging sets of up to ``k`` supply losses: see :func:`worst_losses`."""
        base = self.base()
        if base is None or base.objective is None or k < 1:
            return pd.DataFrame([], columns=WORST_COLUMNS), 0
        search = worst_losses(self, base, k, budget)
        return search


def worst_losses(analysis: _Analysis, base: Run, k: int, budget: int) -> tuple[pd.DataFrame, int]:
    """The most damaging sets of up to ``k`` supply losses in the coalition's min_cost run.

    The damage ``f(S)`` of a set ``S`` is the min_cost objective without every element of
    ``S`` minus the base objective. Two facts make a tree search exact:

    - ``f`` never falls when an element is added (supply taken away never makes a plan
      cheaper: every plan without ``S + e`` is a plan without ``S``);
    - if the optimal plan without ``S`` uses no element of ``T``, it is still a plan
      without ``S + T``, and so an optimal one: ``f(S + T) = f(S)``.

    So search from the empty set, and from each set ``S`` branch only on the elements its
    optimal plan uses. Any set ``T`` of at most ``k`` elements has a subset reached by the
    search with the same damage (follow, from the empty set, the elements of ``T`` that the
    current plan uses; when it uses none, the damage equals ``f(T)``). Sets are memoised,
    whatever order they are reached in. The search goes level by level (sets of 1, 2, ...
    elements), one batch of solves per level. When a level would take the solves past
    ``budget``, it and every later level expand only the :data:`BEAM_WIDTH` most damaging
    sets of the level before: a beam search, whose answer is no longer a proof
    (``exact`` false). A solve without a proven optimum also makes the answer inexact.

    Returns:
        The table (per ``k`` from 1: the set, its damage and whether it is proven the
        worst) and the number of sets evaluated.
    """
    assert base.objective is not None
    found: dict[frozenset[str], Run] = {frozenset(): base}
    level: list[frozenset[str]] = [frozenset()]
    exact = base.status is Status.OPTIMAL
    evaluated = 0
    rows: list[dict[str, Any]] = []
    for size in range(1, k + 1):
        children = _children(level, found)
        if exact and evaluated + len(children) > budget:
            exact = False
        if not exact:
            parents = sorted(level, key=lambda s: -_objective(found[s]))[:BEAM_WIDTH]
            children = _children(parents, found)
        jobs = {child: analysis.loss_job(child) for child in children}
        runs = analysis.solver.many(jobs.values())
        evaluated += len(children)
        level = []
        for child, job in jobs.items():
            run = analysis._checked(
                job, runs.get(job), f"worst: loss of {', '.join(sorted(child))}"
            )
            if run is None or run.objective is None:
                exact = False
                continue
            exact = exact and run.status is Status.OPTIMAL
            found[child] = run
            level.append(child)
        best = max(found, key=lambda s: (_objective(found[s]), -len(s), sorted(s)))
        damage = _objective(found[best]) - base.objective
        rows.append({"k": size, "elements": tuple(sorted(best)), "damage": damage, "exact": exact})
        if not level:
            # nothing the plans use is left to take away: larger sets do no more damage
            rows += [{**rows[-1], "k": j} for j in range(size + 1, k + 1)]
            break
    return pd.DataFrame(rows, columns=WORST_COLUMNS), evaluated


def _objective(run: Run) -> float:
    assert run.objective is not None
    return run.objective


def _children(
    parents: Iterable[frozenset[str]], found: Mapping[frozenset[str], Run]
) -> list[frozenset[str]]:
    """The sets one element larger than a parent, by an element the parent's plan uses."""
    children: dict[frozenset[str], None] = {}
    for parent in parents:
        for element in sorted(found[parent].used - parent):
            child = parent | {element}
            if child not in found:
                children.setdefault(child, None)
    return list(children)


def stress(
    scenario: Scenario,
    *,
    cases: Sequence[str] | None = None,
    screen: bool = False,
    k: int = 0,
    budget: int = DEFAULT_BUDGET,
    modes: Iterable[Mode | str] = tuple(Mode),
    options: SolveOptions | None = None,
    workers: int = 1,
    scheduler: str | Any = None,
    progress: ProgressCallback | None = None,
    source: str = "",
    sha256: str = "",
) -> StressResult:
    """Stress-test a scenario's coalition.

    Args:
        scenario: the validated scenario.
        cases: the Stresses cases to solve (default: every case; ``[]`` for none).
        screen: also run the single-loss screen.
        k: also search the worst sets of up to ``k`` supply losses (0: no search).
        budget: most sets the exact search evaluates before it turns into a beam search.
        modes: the modes of the case runs (the screen and search are min_cost).
        options: HiGHS options for every solve.
        workers: local processes solving in parallel (1: in this process).
        scheduler: a Dask scheduler's address (``tcp://host:8786``), or any executor with
            ``submit`` (a Dask client, a ``concurrent.futures`` executor) to solve on.
        progress: called with a :class:`~planner.analysis.batch.Progress` while a batch of
            solves runs (see :class:`~planner.analysis.batch.ProgressReporter`).
        source: the workbook's path, for the report's provenance.
        sha256: the workbook's SHA-256.

    Raises:
        InputError: a case that the Stresses sheet does not have, or bad options.
    """
    if k < 0 or budget < 1:
        raise InputError("k must be 0 or more and the budget 1 or more")
    chosen = tuple(dict.fromkeys(Mode(m) for m in modes))
    started = time.perf_counter()
    client, owned = connect(scheduler)
    # a Dask client offers a concurrent.futures executor; any other executor is used as is
    executor: Any = getattr(client, "get_executor", lambda: client)()
    engine: BatchEngine[_Context, Job, Run] = BatchEngine(
        solve_job, _Context(scenario, options or SolveOptions()), workers=workers, executor=executor
    )
    solver = _Solver(engine, progress)
    analysis = _Analysis(scenario, solver, chosen)
    try:
        made = analysis.cases(cases)
        table, skipped = (
            analysis.screen() if screen else (pd.DataFrame([], columns=SCREEN_COLUMNS), 0)
        )
        worst, evaluated = analysis.worst(k, budget)
    finally:
        engine.close()
        if owned is not None:
            owned.close()
    return StressResult(
        scenario=scenario.name,
        currency=scenario.currency,
        modes=chosen,
        **made,
        screen=table,
        worst=worst,
        failures=tuple(dict.fromkeys(analysis.failures)),
        solves=solver.solves,
        seconds=time.perf_counter() - started,
        screen_skipped=skipped,
        worst_solves=evaluated,
        k=k,
        budget=budget,
        source=source,
        sha256=sha256,
    )
