"""Solving: a built model in, plain numbers out.

Contract of this stage: :func:`solve` runs HiGHS on a :class:`~planner.model.BuiltModel`
and returns a :class:`Solution` that holds no PuLP object: the status as a small enum,
every variable's value keyed by its index tuple, and the shadow prices. After it returns,
nothing downstream touches the solver.

Modes:

- ``min_cost``: one solve of the problem as built.
- ``max_capability``: maximise weighted capability; then, holding it at its optimum,
  minimise total spend. HiGHS returns the first optimum within its feasibility tolerances
  (1e-6 for a MIP), so a hold at exactly that value may prove infeasible: it is then
  relaxed by a relative 1e-9, 1e-7, 1e-6 and 1e-5 in turn. Should all fail, the first
  stage's plan is reported, with a message saying its spend may not be the least.

Shadow prices come from the LP. Where the model has build binaries, they come from the
LP re-solved with every binary fixed at its optimal value. In ``max_capability`` they are
the first stage's: capability gained per extra unit, the question that mode asks.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulp

from planner.model.build import BuiltModel
from planner.model.families import Key, PriceFamily, VariableFamily
from planner.model.learning import LearningState, PartKey, SegmentKey
from planner.scenario.schema import Mode

_TOLERANCE = 1e-7
"""How close to a bound a value must be to count as on it (HiGHS's feasibility tolerance)."""

_HOLD_SLACKS = (1e-9, 1e-7, 1e-6, 1e-5)
"""Relative room given to the capability hold when holding it exactly proves infeasible."""

_MIP_FEASIBILITY = 1e-9
"""HiGHS's tolerance on a MIP solution's constraints (its default, 1e-6, lets a MIP plan
deliver a few millionths more than the data allow, which the second stage then cannot hold)."""

_FIRST_STAGE: dict[str, Any] = {"simplex_strategy": 4}
"""HiGHS options of max_capability's first stage when it is an LP: the primal simplex.
Delivering nothing is a feasible start, and on the 200-country open world the primal
simplex took 4 s where the default dual took 12 s (docs/performance.md); for min_cost, and
inside a MIP's branch and bound, HiGHS's default stays."""

_NO_BOUND = 1e30
"""HiGHS treats any bound beyond 1e20 as infinite; PuLP accepts only finite ones."""


class Status(StrEnum):
    """How a run ended (docs/model.md, "The JSON summary": ``status``)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_plan(self) -> bool:
        """True when the run produced a plan to report."""
        return self in (Status.OPTIMAL, Status.TIME_LIMIT)


_SEVERITY = [Status.OPTIMAL, Status.TIME_LIMIT, Status.UNBOUNDED, Status.INFEASIBLE, Status.ERROR]


def worst(statuses: list[Status]) -> Status:
    """The least favourable of several statuses (optimal < time_limit < ... < error)."""
    return max(statuses, key=_SEVERITY.index, default=Status.OPTIMAL)


@dataclass(frozen=True)
class SolveOptions:
    """What the user may set about a solve.

    Attributes:
        time_limit: seconds per solver call; None for no limit.
        gap: relative MIP gap at which HiGHS may stop. The default, 1e-7, is far tighter than
            HiGHS's own (1e-4), which would let a plan 0.01% dearer than the optimum pass as
            optimal; raise it to trade precision for speed on large MILPs.
        threads: HiGHS threads; None for HiGHS's default.
        price_checks: the most bounds re-solved per run to measure the two one-sided
            derivatives of binding prices where HiGHS's ranging cannot say (each re-solve
            takes milliseconds, and a large degenerate LP has thousands of binding prices).
            The binding limits (the bottleneck families) are checked first, then the
            other prices, each largest first; a binding price left unchecked is reported
            as one that may not be unique. None checks every one.
    """

    time_limit: float | None = None
    gap: float = 1e-7
    threads: int | None = None
    price_checks: int | None = 400


@dataclass(frozen=True)
class Prices:
    """Shadow prices: the objective's improvement per extra unit of each right-hand side.

    In ``min_cost`` an improvement is money saved; in ``max_capability`` it is weighted
    capability gained. ``balance`` is the value of one more unit of a commodity in a
    country (its marginal cost in min_cost); ``resource`` of one more unit available;
    ``capacity`` of one more unit of existing capacity; ``budget`` of one more unit of
    money in a budget group; ``new_limit`` of one more unit of ``max_new``; ``link`` of one
    more unit of a capped link's capacity. ``target`` is, in min_cost only, what one more
    unit of a target costs (shortfall penalty or cost of delivery; positive). ``tight``
    marks constraints that hold with equality; ``degenerate`` says the LP's solution was
    degenerate, so prices of tight constraints may not be unique. ``fixed_binaries`` says
    they come from the LP with build decisions fixed.

    One attribute per :class:`~planner.model.families.PriceFamily`, named by its value
    (:meth:`of` reads it by member); ``tight`` holds ``(family, key as a tuple)``.
    """

    balance: dict[Key, float] = field(default_factory=dict)
    resource: dict[Key, float] = field(default_factory=dict)
    capacity: dict[Key, float] = field(default_factory=dict)
    budget: dict[Key, float] = field(default_factory=dict)
    new_limit: dict[Key, float] = field(default_factory=dict)
    link: dict[Key, float] = field(default_factory=dict)
    target: dict[Key, float] = field(default_factory=dict)
    tight: frozenset[tuple[PriceFamily, Key]] = frozenset()
    degenerate: bool = False
    fixed_binaries: bool = False
    sides: dict[tuple[PriceFamily, Key], tuple[float, float]] = field(default_factory=dict)
    """Per binding price ``(family, key as a tuple)``, its two one-sided derivatives, in the
    price's own units, measured by re-solving the LP: ``(more, less)``, the improvement per
    unit from one more unit and the improvement lost per unit from one less (for a target:
    the cost of one more unit, and what one less saves); ``less`` is infinite where one
    unit less leaves no feasible plan. A price not listed is unique (its constraint is
    slack, or it was not measured)."""
    unchecked: frozenset[tuple[PriceFamily, Key]] = frozenset()
    """Binding prices of a degenerate LP that were not measured because the run's
    :attr:`SolveOptions.price_checks` ran out: they may not be unique."""

    def one_sided(self, family: PriceFamily, key: str | Key) -> tuple[float, float] | None:
        """``(more, less)`` of a binding price, or None when it was not measured."""
        return self.sides.get((family, (key,) if isinstance(key, str) else key))

    def unique(self, family: PriceFamily, key: str | Key) -> bool:
        """True unless the two one-sided derivatives were measured and differ."""
        sides = self.one_sided(family, key)
        return sides is None or _same(*sides)

    def checked(self, family: PriceFamily, key: str | Key) -> bool:
        """False for a binding price of a degenerate LP left unmeasured (it may not be
        unique); True otherwise."""
        return (family, (key,) if isinstance(key, str) else key) not in self.unchecked

    def of(self, family: PriceFamily) -> dict[Any, float]:
        """The prices of one family, by key."""
        values: dict[Any, float] = getattr(self, family.value)
        return values

    def binding(self, family: PriceFamily, key: str | Key) -> bool:
        """True when the constraint or bound priced at ``key`` holds with equality."""
        return (family, (key,) if isinstance(key, str) else key) in self.tight


@dataclass(frozen=True)
class Solution:
    """Everything a run's solve produced, as plain numbers keyed by index tuples.

    One attribute of values per :class:`~planner.model.families.VariableFamily`, named by
    its value (:meth:`values` reads it by member).
    """

    status: Status
    message: str = ""
    objective: float | None = None
    solve_time: float = 0.0
    gap: float | None = None
    use: dict[Key, float] = field(default_factory=dict)
    act: dict[Key, float] = field(default_factory=dict)
    new: dict[Key, float] = field(default_factory=dict)
    build: dict[Key, float] = field(default_factory=dict)
    ship: dict[Key, float] = field(default_factory=dict)
    wimp: dict[Key, float] = field(default_factory=dict)
    back: dict[Key, float] = field(default_factory=dict)
    deliver: dict[Key, float] = field(default_factory=dict)
    learn: dict[PartKey, float] = field(default_factory=dict)
    segment: dict[SegmentKey, float] = field(default_factory=dict)
    learning: list[LearningState] = field(default_factory=list)
    """Per learning process, pool and period: experience, segment and multiplier."""
    spend: dict[tuple[str, str], float] = field(default_factory=dict)
    """Per (country, period), undiscounted (``S[c,t]``); ``objective`` is the discounted one."""
    prices: Prices = field(default_factory=Prices)

    @property
    def country_spend(self) -> dict[str, float]:
        """Each country's spend summed over the periods."""
        total: dict[str, float] = {}
        for (country, _), money in self.spend.items():
            total[country] = total.get(country, 0.0) + money
        return total

    def values(self, family: VariableFamily) -> dict[Key, float]:
        """The values of one variable family, by key."""
        values: dict[Key, float] = getattr(self, family.value)
        return values


_STATUS = {
    pulp.LpSolveStatus.Optimal: Status.OPTIMAL,
    pulp.LpSolveStatus.GapLimit: Status.OPTIMAL,
    pulp.LpSolveStatus.TimeLimit: Status.TIME_LIMIT,
    pulp.LpSolveStatus.Infeasible: Status.INFEASIBLE,
    pulp.LpSolveStatus.Unbounded: Status.UNBOUNDED,
}

_quiet = False


def _silence_banner() -> None:
    """HiGHS prints a banner to the process's stdout the first time it is created.

    Create that first instance with stdout pointed at /dev/null, so that the CLI's
    output and JSON written to stdout stay clean.
    """
    global _quiet
    if _quiet:
        return
    import highspy

    with _stdout_to_devnull():
        highspy.Highs()  # type: ignore[no-untyped-call]
    _quiet = True


def highs_version() -> str:
    """The version of the HiGHS library that solves the models."""
    _silence_banner()
    import highspy

    return str(highspy.Highs().version())  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    try:
        fd = os.dup(1)
    except OSError:  # no stdout at all: nothing to protect
        yield
        return
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, with the model handed to HiGHS in bulk.

    PuLP 4.2's ``HiGHS.buildSolverModel`` walks the model in Python, wrapping every variable
    and every matrix entry in a Python object on the way. On the 200-country open world
    (240,000 columns) that took longer than HiGHS's own solve (see docs/performance.md).
    This reads the same columns, bounds, costs and rows from PuLP's Rust core in bulk and
    passes them to HiGHS in one call each; everything else (options, solving, reading the
    solution back) is PuLP's own. ``tests/test_solve.py`` checks that it gives HiGHS the
    same model as PuLP's own hand-over.
    """

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        import highspy
        import numpy as np

        inf = highspy.kHighsInf
        core = lp._model
        ids = core.used_variable_ids()
        columns = core.list_variables_by_ids(ids)
        position = {vid: j for j, vid in enumerate(ids)}
        cost = np.zeros(len(ids))
        objective = lp.objective
        if objective is not None:
            for var, coefficient in objective._expr.items():
                cost[position[var.id()]] += coefficient
        lower = np.array([v.lb for v in columns], dtype=np.float64).clip(-inf, inf)
        upper = np.array([v.ub for v in columns], dtype=np.float64).clip(-inf, inf)
        highs: Any = lp.solverModel
        empty = np.zeros(0, dtype=np.int32)
        highs.addCols(len(ids), cost, lower, upper, 0, empty, empty, np.zeros(0))
        if self.mip:
            integer = np.fromiter(
                (j for j, v in enumerate(columns) if v.category != _CONTINUOUS), dtype=np.int32
            )
            if len(integer):
                kinds = np.full(len(integer), highspy.HighsVarType.kInteger)
                highs.changeColsIntegrality(len(integer), integer, kinds)
        if lp.sense == pulp.LpMaximize:
            highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        if objective is not None:
            highs.changeObjectiveOffset(objective.constant)
        self._add_rows(highs, core.list_constraints(), position)

    @staticmethod
    def _add_rows(highs: Any, rows: list[Any], position: dict[int, int]) -> None:
        """All rows in one ``addRows`` call, the matrix gathered with numpy."""
        import highspy
        import numpy as np

        inf = highspy.kHighsInf
        entries = [row.items() for row in rows]
        lengths = np.fromiter((len(e) for e in entries), dtype=np.int64, count=len(rows))
        flat = [pair for pairs in entries for pair in pairs]
        ids = np.fromiter((v.id() for v, _ in flat), dtype=np.int64, count=len(flat))
        values = np.fromiter((c for _, c in flat), dtype=np.float64, count=len(flat))
        column = np.full(max(position, default=-1) + 1, -1, dtype=np.int32)
        column[np.fromiter(position, dtype=np.int64)] = np.fromiter(
            position.values(), dtype=np.int32
        )
        keep = values != 0
        row_of = np.repeat(np.arange(len(rows)), lengths)[keep]
        counts = np.bincount(row_of, minlength=len(rows))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int32)
        rhs = np.fromiter((row.rhs for row in rows), dtype=np.float64, count=len(rows))
        senses = [row.sense for row in rows]
        lower = np.where([s == _LESS_EQUAL for s in senses], -inf, rhs)
        upper = np.where([s == _GREATER_EQUAL for s in senses], inf, rhs)
        indices = column[ids[keep]]
        highs.addRows(len(rows), lower, upper, len(indices), starts, indices, values[keep])

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[Any, bool]:
        """PuLP's reading of the solution, with values and duals stored in bulk."""
        highs: Any = lp.solverModel
        core = lp._model
        ids = core.used_variable_ids()
        solution = highs.getSolution()
        core.set_variable_values(list(zip(ids, solution.col_value, strict=True)))
        core.set_variable_djs(list(zip(ids, solution.col_dual, strict=True)))
        rows = core.list_constraints()
        core.set_constraint_pis([(r.id(), d) for r, d in zip(rows, solution.row_dual, strict=True)])
        slacks = []
        for row, activity in zip(rows, solution.row_value, strict=True):
            slack = activity - row.rhs  # PuLP's convention: >= 0 when satisfied
            slacks.append((row.id(), -slack if row.sense == _LESS_EQUAL else slack))
        core.set_constraint_slacks(slacks)
        return _highs_status(highs)


def _highs_status(highs: Any) -> tuple[Any, bool]:
    """PuLP's status for a HiGHS model status, and whether a solution came back.

    The same mapping as PuLP's own ``HiGHS.findSolutionValues``.
    """
    import highspy

    model = highspy.HighsModelStatus
    status = highs.getModelStatus()
    S = pulp.LpSolveStatus
    table = {
        model.kOptimal: S.Optimal,
        model.kInfeasible: S.Infeasible,
        model.kUnbounded: S.Unbounded,
        model.kUnboundedOrInfeasible: S.Undefined,
        model.kObjectiveBound: S.GapLimit,
        model.kObjectiveTarget: S.GapLimit,
        model.kInterrupt: S.Interrupted,
        model.kTimeLimit: S.TimeLimit,
        model.kIterationLimit: S.IterationLimit,
        model.kSolutionLimit: S.SolutionLimit,
        model.kMemoryLimit: S.MemoryLimit,
        model.kNotset: S.NotSolved,
        model.kModelEmpty: S.NotSolved,
    }
    stopped_early = {
        model.kObjectiveBound,
        model.kObjectiveTarget,
        model.kInterrupt,
        model.kTimeLimit,
        model.kIterationLimit,
        model.kSolutionLimit,
        model.kMemoryLimit,
    }
    objective = highs.getObjectiveValue()
    has_solution = status == model.kOptimal or (
        status in stopped_early and math.isfinite(objective)
    )
    return table.get(status, S.Undefined), has_solution


_CONTINUOUS = pulp._rustcore.Category.Continuous
_LESS_EQUAL = pulp._rustcore.Sense.LessEqual
_GREATER_EQUAL = pulp._rustcore.Sense.GreaterEqual


def _solver(options: SolveOptions, *, mip: bool = True, **extra: Any) -> pulp.LpSolver:
    params: dict[str, Any] = {"mip_feasibility_tolerance": _MIP_FEASIBILITY, **extra}
    if options.threads is not None:
        params["threads"] = options.threads
    return BulkHiGHS(
        msg=False,
        mip=mip,
        timeLimit=options.time_limit,
        gapRel=options.gap,
        **params,
    )


@dataclass(frozen=True)
class _Outcome:
    status: Status
    message: str
    seconds: float
    gap: float | None


def _run(model: BuiltModel, options: SolveOptions, *, mip: bool = True, **extra: Any) -> _Outcome:
    """One HiGHS call, its outcome mapped to :class:`Status`; ``extra`` are HiGHS options."""
    _silence_banner()
    started = time.perf_counter()
    stats = model.problem.solve(_solver(options, mip=mip, **extra))
    if stats.status == pulp.LpSolveStatus.Undefined:
        # HiGHS's presolve may only know "infeasible or unbounded"; without it, it tells.
        stats = model.problem.solve(_solver(options, mip=mip, presolve="off"))
    seconds = time.perf_counter() - started
    status = _STATUS.get(stats.status, Status.ERROR)
    if status is Status.TIME_LIMIT and not stats.has_solution:
        return _Outcome(Status.ERROR, "time limit reached before any plan was found", seconds, None)
    if status.has_plan and not stats.has_solution:
        return _Outcome(Status.ERROR, "the solver reported no solution", seconds, None)
    message = "" if status is Status.OPTIMAL else f"HiGHS stopped: {stats.status_str}"
    gap = stats.gap_rel if model.is_mip and mip else 0.0
    if gap is not None and not math.isfinite(gap):
        gap = None  # a relative gap around an objective of 0 has no finite value
    return _Outcome(status, message, seconds, gap)


def solve(
    model: BuiltModel, options: SolveOptions | None = None, *, prices: bool = True
) -> Solution:
    """Solve a built model as its mode asks, and read back values and shadow prices.

    Args:
        model: the built model (solving changes its bounds and objective: build it anew
            for another solve).
        options: time limit, MIP gap and threads.
        prices: read the shadow prices; without them (``Solution.prices`` empty) a model
            with build decisions saves the LP re-solve that prices it. Cost sharing, which
            needs only the objective of thousands of coalitions, solves without.
    """
    options = options or SolveOptions()
    if model.setting.mode is Mode.MIN_COST:
        return _solve_min_cost(model, options, prices)
    return _solve_max_capability(model, options, prices)


def _solve_min_cost(model: BuiltModel, options: SolveOptions, want_prices: bool) -> Solution:
    outcome = _run(model, options)
    if not outcome.status.has_plan:
        return Solution(outcome.status, outcome.message, solve_time=outcome.seconds)
    values = _values(model)
    prices, seconds = Prices(), 0.0
    if want_prices:
        prices, seconds = _prices(model, options, _binaries(model, values), lambda: None)
    objective = model.problem.objective
    assert objective is not None
    return Solution(
        outcome.status,
        outcome.message,
        objective=_expression_value(objective),
        solve_time=outcome.seconds + seconds,
        gap=outcome.gap,
        prices=prices,
        **values,
    )


def _solve_max_capability(model: BuiltModel, options: SolveOptions, want_prices: bool) -> Solution:
    assert model.capability is not None and model.cost is not None
    capability, problem = model.capability, model.problem
    first = _run(model, options, **({} if model.is_mip else _FIRST_STAGE))
    if not first.status.has_plan:
        return Solution(first.status, first.message, solve_time=first.seconds)
    best = _expression_value(capability)
    values = _values(model)
    prices = (
        _read_prices(model, options.price_checks) if want_prices and not model.is_mip else Prices()
    )
    hold = problem.addConstraint(capability >= best, "hold_capability")
    problem.sense = pulp.LpMinimize
    problem.setObjective(model.cost)
    second = _run(model, options)
    for slack in _HOLD_SLACKS:
        if second.status is not Status.INFEASIBLE:
            break
        # the first stage's optimum, read back to the solver, may sit just outside its
        # own feasibility tolerance: give the hold a little room and try again
        hold.changeRHS(best - slack * max(1.0, abs(best)))
        second = _run(model, options)
    seconds = first.seconds + second.seconds
    status, message = worst([first.status, second.status]), first.message or second.message
    if second.status.has_plan:
        values, best = _values(model), _expression_value(capability)
    else:
        # keep the first stage's plan: it has the most capability, if not the least spend
        status = first.status
        message = (
            f"the plan has the most capability, but finding the cheapest such plan failed "
            f"({second.status.value}): its spend may not be the least"
        )

    def first_stage() -> None:
        hold.changeRHS(-_NO_BOUND)  # the hold no longer binds
        problem.sense = pulp.LpMaximize
        problem.setObjective(capability)

    if want_prices and model.is_mip:
        prices, extra = _prices(model, options, _binaries(model, values), first_stage)
        seconds += extra
    return Solution(
        status,
        message,
        objective=best,
        solve_time=seconds,
        gap=first.gap,
        prices=prices,
        **values,
    )


def _prices(
    model: BuiltModel, options: SolveOptions, builds: list[float], prepare: Any
) -> tuple[Prices, float]:
    """Shadow prices of the solved model; for a MILP, from the LP with binaries fixed.

    ``builds`` are the plan's binaries (build decisions and learning segments) in
    :meth:`~planner.model.build.BuiltModel.binaries` order; ``prepare`` turns the problem
    into the one whose prices are wanted (it is called only for a MILP, whose LP must be re-solved).
    """
    if not model.is_mip:
        return _read_prices(model, options.price_checks), 0.0
    for var, value in zip(model.binaries(), builds, strict=True):
        var.lowBound = value
        var.upBound = value
    prepare()
    outcome = _run(model, options, mip=False)
    prices = (
        _read_prices(model, options.price_checks, fixed_binaries=True)
        if outcome.status.has_plan
        else Prices()
    )
    for var in model.binaries():
        var.lowBound = 0
        var.upBound = 1
    return prices, outcome.seconds


def _binaries(model: BuiltModel, values: dict[str, Any]) -> list[float]:
    """The plan's binaries in :meth:`~planner.model.build.BuiltModel.binaries` order."""
    return [*values["build"].values(), *values["segment"].values()]


def _values(model: BuiltModel) -> dict[str, Any]:
    def read(handles: dict[Any, pulp.LpVariable]) -> dict[Any, float]:
        return {key: _clean(var.varValue) for key, var in handles.items()}

    values: dict[str, Any] = {
        family.value: read(model.variables(family)) for family in VariableFamily
    }
    values["build"] = {key: float(round(value)) for key, value in values["build"].items()}
    values["segment"] = {key: float(round(v)) for key, v in read(model.learning.segment).items()}
    values["learning"] = [pool.state(values) for pool in model.learning.pools]
    values["spend"] = {
        where: sum(values[family.value][key] * money for family, key, money, _ in terms)
        for where, terms in model.spend.items()
    }
    return values


def _clean(value: float | None) -> float:
    """A solver value with round-off below HiGHS's tolerances snapped to zero."""
    if value is None or abs(value) < 1e-9:
        return 0.0
    return float(value)


def _expression_value(expr: pulp.LpAffineExpression) -> float:
    value = expr.value()
    return 0.0 if value is None else float(value)


def _read_prices(model: BuiltModel, checks: int | None, *, fixed_binaries: bool = False) -> Prices:
    """Shadow prices as the objective's improvement per extra unit of each right-hand side.

    HiGHS's row dual ``pi`` and column dual ``dj`` are d(objective)/d(rhs or bound).
    An improvement is -d(objective) when minimising and +d(objective) when maximising.
    Balance rows have the extra supply on their left-hand side, so their rhs falls.
    """
    sign = -1.0 if model.problem.sense == pulp.LpMinimize else 1.0
    tight: set[tuple[PriceFamily, Key]] = set()

    def row_value(family: PriceFamily, direction: float) -> dict[Any, float]:
        values = {}
        for key, row in model.rows(family).items():
            values[key] = _clean(sign * direction * (row.pi or 0.0))
            if abs(row.slack or 0.0) <= _TOLERANCE:
                tight.add((family, key if isinstance(key, tuple) else (key,)))
        return values

    def bound_value(family: PriceFamily) -> dict[Any, float]:
        """Value of raising an upper bound: the column's dual, where it sits at that bound."""
        assert family.bound_of is not None
        values = {}
        for key, var in model.variables(family.bound_of).items():
            upper = var.upBound
            if upper is None or not math.isfinite(upper):
                continue
            values[key] = max(0.0, _clean(sign * (var.dj or 0.0)))
            if (var.varValue or 0.0) >= upper - _TOLERANCE:
                tight.add((family, key))
        return values

    target = {}
    if model.setting.mode is Mode.MIN_COST:
        # cost = penalty * (amount - deliver) + ...; deliver <= amount: d cost / d amount is
        # the penalty plus the upper bound's dual, which is the column's dual where it is
        # <= 0 (the bound binds) and 0 where it is > 0 (the lower bound, 0, binds instead)
        penalty = model.scenario.shortfall_penalty
        weight = {s.period: s.weight for s in model.horizon.periods}
        target = {
            key: _clean(weight[key[-1]] * penalty + min(0.0, var.dj or 0.0))
            for key, var in model.deliver.items()
        }
    values = {
        PriceFamily.BALANCE: row_value(PriceFamily.BALANCE, -1.0),
        PriceFamily.RESOURCE: bound_value(PriceFamily.RESOURCE),
        PriceFamily.CAPACITY: row_value(PriceFamily.CAPACITY, 1.0),
        PriceFamily.BUDGET: row_value(PriceFamily.BUDGET, 1.0),
        PriceFamily.NEW_LIMIT: bound_value(PriceFamily.NEW_LIMIT),
        PriceFamily.LINK: bound_value(PriceFamily.LINK),
    }
    measured = set(tight)
    if model.setting.mode is Mode.MIN_COST:
        measured |= {(PriceFamily.TARGET, key) for key in model.deliver}
    degenerate = _is_degenerate(model)
    sides, unchecked = (
        _measured(model, sign, measured, values, target, checks) if degenerate else ({}, set())
    )
    return Prices(
        **{family.value: prices for family, prices in values.items()},
        target=target,
        tight=frozenset(tight),
        degenerate=degenerate,
        fixed_binaries=fixed_binaries,
        sides=sides,
        unchecked=frozenset(unchecked),
    )


def _measured(
    model: BuiltModel,
    sign: float,
    measured: set[tuple[PriceFamily, Key]],
    values: dict[PriceFamily, dict[Any, float]],
    target: dict[Key, float],
    checks: int | None,
) -> tuple[dict[tuple[PriceFamily, Key], tuple[float, float]], set[tuple[PriceFamily, Key]]]:
    """The one-sided derivatives of the binding prices, and the prices left unchecked
    when ``checks`` ran out: the limits first (the bottlenecks a report names), then the
    other prices, each group largest first."""
    limits = PriceFamily.limits()
    order = sorted(
        measured,
        key=lambda item: (item[0] not in limits, -_size(item, values, target), item),
    )
    sides, unchecked = _one_sided(model, sign, order, checks)
    return _snapped(sides, values, target), unchecked


def _size(
    item: tuple[PriceFamily, Key],
    values: dict[PriceFamily, dict[Any, float]],
    target: dict[Key, float],
) -> float:
    """How large a binding price is, for checking the largest first."""
    price = _price_of(item, values, target)
    return 0.0 if price is None else abs(price)


def _price_of(
    item: tuple[PriceFamily, Key],
    values: dict[PriceFamily, dict[Any, float]],
    target: dict[Key, float],
) -> float | None:
    """The solver's price of a binding item (keys of one element are also tried bare, as
    :func:`_bound_of` does)."""
    family, key = item
    prices: dict[Any, float] = target if family is PriceFamily.TARGET else values[family]
    if key in prices:
        return prices[key]
    return prices.get(key[0]) if len(key) == 1 else None


def _snapped(
    sides: dict[tuple[PriceFamily, Key], tuple[float, float]],
    values: dict[PriceFamily, dict[Any, float]],
    target: dict[Key, float],
) -> dict[tuple[PriceFamily, Key], tuple[float, float]]:
    """Each measured side that agrees with the solver's price (:func:`_same`) replaced by
    it, so that round-off of a re-solve or of the ranging never differs from the dual."""
    snapped = {}
    for (family, key), (more, less) in sides.items():
        price = _price_of((family, key), values, target)
        if price is not None:
            more = price if _same(more, price) else more
            less = price if _same(less, price) else less
        snapped[(family, key)] = (more, less)
    return snapped


_STEP = 1e-4
"""Finite-difference step of :func:`_one_sided`, relative to the bound's size (at least 1)."""

_SAME = 1e-6
"""Two one-sided derivatives closer than this (relative, at least absolute 1e-6) agree."""


def _same(more: float, less: float) -> bool:
    if not (math.isfinite(more) and math.isfinite(less)):
        return more == less
    return abs(more - less) <= _SAME * max(1.0, abs(more), abs(less))


def _one_sided(
    model: BuiltModel, sign: float, tight: list[tuple[PriceFamily, Key]], checks: int | None
) -> tuple[dict[tuple[PriceFamily, Key], tuple[float, float]], set[tuple[PriceFamily, Key]]]:
    """The two one-sided derivatives of every binding price of a degenerate LP.

    A degenerate LP's dual need not be unique: the value function of a right-hand side b
    is piecewise linear and the solver's price is one subgradient at b. A side whose linear
    piece HiGHS's ranging reports (at least ``h`` long) is that piece's slope; every other
    side is measured by changing b in the HiGHS model left by the solve by ``+-h`` (h =
    :data:`_STEP` x max(1, |b|)) and re-solving from the optimal basis (a few simplex
    iterations): ``more = sign (z(b + d h) - z(b)) / h`` and ``less = sign (z(b) -
    z(b - d h)) / h``, where ``d`` is the direction in which the bound moves for one more
    unit (+1 for a ``<=`` row or an upper bound, -1 for the supply side of a balance row)
    and ``sign`` turns objective changes into improvements. A target's sides are the
    shortfall penalty plus the objective's slope in its delivery bound. The bound is put
    back afterwards; the HiGHS model is not reused (each solve builds its own).

    At most ``checks`` re-solves are made (None: no limit), on the prices in the order
    given; the binding prices that would need a re-solve after that are returned unchecked.
    """
    highs: Any = getattr(model.problem, "solverModel", None)
    if highs is None:
        return {}, set(tight)
    core = model.problem._model
    column = {vid: j for j, vid in enumerate(core.used_variable_ids())}
    row = {r.id(): i for i, r in enumerate(core.list_constraints())}
    lp = highs.getLp()
    base = highs.getInfo().objective_function_value
    _, highs_ranging = highs.getRanging()
    ranging = _Ranging.read(highs_ranging) if highs_ranging.valid else None
    penalty = model.scenario.shortfall_penalty
    sides: dict[tuple[PriceFamily, Key], tuple[float, float]] = {}
    unchecked: set[tuple[PriceFamily, Key]] = set()
    left = math.inf if checks is None else checks
    for family, key in tight:
        place = _bound_of(model, family, key, row, column)
        if place is None:
            continue
        kind, index, direction = place
        lower, upper = (
            (lp.row_lower_[index], lp.row_upper_[index])
            if kind == "row"
            else (lp.col_lower_[index], lp.col_upper_[index])
        )
        bound = upper if direction > 0 else lower
        step = _STEP * max(1.0, abs(bound))
        slopes: list[float | None] = []
        known_sides = [
            _ranged(ranging, kind, index, direction * move > 0, bound, base, step)
            for move in (step, -step)
        ]
        needed = sum(side is None for side in known_sides)
        if needed > left:
            unchecked.add((family, key))
            continue
        left -= needed
        for move, known in zip((step, -step), known_sides, strict=True):
            change = direction * move  # how the bound itself moves
            if known is not None:
                slopes.append(known * direction)
                continue
            shifted = bound + change
            new = (lower, shifted) if direction > 0 else (shifted, upper)
            objective = _resolve(highs, kind, index, new, (lower, upper))
            slopes.append(None if objective is None else float((objective - base) / move))
        if slopes[0] is None:
            continue  # one more unit only relaxes the model: a failed re-solve says nothing
        # one unit less may leave no feasible plan (a capacity the fixed builds need):
        # then one less costs without limit, and the price is not unique
        up = slopes[0]
        down = sign * math.inf if slopes[1] is None else slopes[1]
        if family is PriceFamily.TARGET:
            sides[(family, key)] = (_clean(penalty + up), _side(penalty + down))
        else:
            sides[(family, key)] = (_clean(sign * up), _side(sign * down))
    return sides, unchecked


@dataclass(frozen=True)
class _Ranging:
    """HiGHS's bound ranging as plain lists: ``(value, objective)`` per side, for rows and
    columns. Reading highspy's vectors element by element copies the whole vector each
    time, so they are copied once."""

    row_up: tuple[list[float], list[float]]
    row_down: tuple[list[float], list[float]]
    col_up: tuple[list[float], list[float]]
    col_down: tuple[list[float], list[float]]

    @classmethod
    def read(cls, ranging: Any) -> _Ranging:
        def pair(side: Any) -> tuple[list[float], list[float]]:
            return list(side.value_), list(side.objective_)

        return cls(
            pair(ranging.row_bound_up),
            pair(ranging.row_bound_dn),
            pair(ranging.col_bound_up),
            pair(ranging.col_bound_dn),
        )


def _ranged(
    ranging: _Ranging | None,
    kind: str,
    index: int,
    up: bool,
    bound: float,
    base: float,
    step: float,
) -> float | None:
    """The objective's slope per unit rise of a bound on one side, from HiGHS's ranging:
    ``(z' - z) / (b' - b)``, where the basis stays optimal from ``b`` to ``b'`` (so the
    value function is linear there). None where the range is shorter than ``step`` (the
    kink is at ``b``: a re-solve must say) or unknown."""
    if ranging is None:
        return None
    if kind == "row":
        values, objectives = ranging.row_up if up else ranging.row_down
    else:
        values, objectives = ranging.col_up if up else ranging.col_down
    reach, objective = values[index], objectives[index]
    if not (math.isfinite(reach) and math.isfinite(objective)) or abs(reach - bound) < step:
        return None
    return float((objective - base) / (reach - bound))


def _bound_of(
    model: BuiltModel,
    family: PriceFamily,
    key: Key,
    row: dict[int, int],
    column: dict[int, int],
) -> tuple[str, int, float] | None:
    """Where a price's right-hand side sits in the HiGHS model: ``("row" or "col", index,
    direction of one more unit)``."""
    if family is PriceFamily.TARGET:
        var = model.deliver.get(key)
        return None if var is None else ("col", column[_ident(var)], 1.0)
    if family.bound_of is not None:
        var = model.variables(family.bound_of).get(key)
        return None if var is None else ("col", column[_ident(var)], 1.0)
    handles = model.rows(family)
    constraint = handles.get(key[0] if len(key) == 1 and key[0] in handles else key)
    if constraint is None:
        return None
    return ("row", row[_ident(constraint)], -1.0 if family is PriceFamily.BALANCE else 1.0)


def _side(value: float) -> float:
    return value if math.isinf(value) else _clean(value)


def _ident(handle: Any) -> int:
    """The PuLP core's id of a variable or constraint handle."""
    ident = handle.id
    return int(ident() if callable(ident) else ident)


def _resolve(
    highs: Any, kind: str, index: int, new: tuple[float, float], old: tuple[float, float]
) -> float | None:
    """The LP's optimum with one bound changed (None unless optimal), the bound put back."""
    import highspy

    change = highs.changeRowBounds if kind == "row" else highs.changeColBounds
    change(index, *new)
    try:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(highs.getInfo().objective_function_value)
    finally:
        change(index, *old)


def _is_degenerate(model: BuiltModel) -> bool:
    """True when a basic column or row sits at one of its bounds: the LP's solution is
    primal degenerate and its dual (the prices) may not be unique."""
    highs = getattr(model.problem, "solverModel", None)
    if highs is None:
        return False
    import highspy

    basic = highspy.HighsBasisStatus.kBasic
    basis = highs.getBasis()
    if not basis.valid:
        return False
    solution = highs.getSolution()
    lp = highs.getLp()
    checks = (
        (basis.col_status, solution.col_value, lp.col_lower_, lp.col_upper_),
        (basis.row_status, solution.row_value, lp.row_lower_, lp.row_upper_),
    )
    for statuses, values, lowers, uppers in checks:
        for status, value, lower, upper in zip(statuses, values, lowers, uppers, strict=True):
            if status != basic:
                continue
            if abs(value - lower) <= _TOLERANCE or abs(value - upper) <= _TOLERANCE:
                return True
    return False
