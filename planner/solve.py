"""Solving: a built model in, plain numbers out.

Contract of this stage: :func:`solve` runs HiGHS on a :class:`~planner.model.BuiltModel`
and returns a :class:`Solution` that holds no PuLP object: the status as a small enum,
every variable's value keyed by its index tuple, and the shadow prices. After it returns,
nothing downstream touches the solver.

Modes:

- ``min_cost``: one solve of the problem as built.
- ``max_capability``: maximise weighted capability; then, holding it at its optimum,
  minimise total spend. Should the hold prove infeasible through round-off, it is relaxed
  by a relative 1e-9, then 1e-7 (HiGHS's own feasibility tolerance).

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

from planner.model import BuiltModel, LinkKey, Pair
from planner.schema import Mode

_TOLERANCE = 1e-7
"""How close to a bound a value must be to count as on it (HiGHS's feasibility tolerance)."""

_HOLD_SLACKS = (1e-9, 1e-7)
"""Relative room given to the capability hold when holding it exactly proves infeasible."""

_NO_BOUND = 1e30
"""HiGHS treats any bound beyond 1e20 as infinite; PuLP accepts only finite ones."""


class Status(StrEnum):
    """How a run ended (DESIGN.md: the ``status`` of the JSON summary)."""

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
        gap: relative MIP gap at which HiGHS may stop; None for HiGHS's default (1e-4).
        threads: HiGHS threads; None for HiGHS's default.
    """

    time_limit: float | None = None
    gap: float | None = None
    threads: int | None = None


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
    """

    balance: dict[Pair, float] = field(default_factory=dict)
    resource: dict[Pair, float] = field(default_factory=dict)
    capacity: dict[Pair, float] = field(default_factory=dict)
    budget: dict[str, float] = field(default_factory=dict)
    new_limit: dict[Pair, float] = field(default_factory=dict)
    link: dict[LinkKey, float] = field(default_factory=dict)
    target: dict[Pair, float] = field(default_factory=dict)
    tight: frozenset[tuple[str, tuple[str, ...]]] = frozenset()
    degenerate: bool = False
    fixed_binaries: bool = False


@dataclass(frozen=True)
class Solution:
    """Everything a run's solve produced, as plain numbers keyed by index tuples."""

    status: Status
    message: str = ""
    objective: float | None = None
    solve_time: float = 0.0
    gap: float | None = None
    use: dict[Pair, float] = field(default_factory=dict)
    act: dict[Pair, float] = field(default_factory=dict)
    new: dict[Pair, float] = field(default_factory=dict)
    build: dict[Pair, float] = field(default_factory=dict)
    ship: dict[LinkKey, float] = field(default_factory=dict)
    deliver: dict[Pair, float] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)
    prices: Prices = field(default_factory=Prices)


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


def _solver(options: SolveOptions, *, mip: bool = True, **extra: Any) -> pulp.LpSolver:
    params: dict[str, Any] = dict(extra)
    if options.threads is not None:
        params["threads"] = options.threads
    return pulp.HiGHS(
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


def _run(model: BuiltModel, options: SolveOptions, *, mip: bool = True) -> _Outcome:
    """One HiGHS call, its outcome mapped to :class:`Status`."""
    _silence_banner()
    started = time.perf_counter()
    stats = model.problem.solve(_solver(options, mip=mip))
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
    return _Outcome(status, message, seconds, gap)


def solve(model: BuiltModel, options: SolveOptions | None = None) -> Solution:
    """Solve a built model as its mode asks, and read back values and shadow prices."""
    options = options or SolveOptions()
    if model.setting.mode is Mode.MIN_COST:
        return _solve_min_cost(model, options)
    return _solve_max_capability(model, options)


def _solve_min_cost(model: BuiltModel, options: SolveOptions) -> Solution:
    outcome = _run(model, options)
    if not outcome.status.has_plan:
        return Solution(outcome.status, outcome.message, solve_time=outcome.seconds)
    values = _values(model)
    prices, seconds = _prices(model, options, lambda: None)
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


def _solve_max_capability(model: BuiltModel, options: SolveOptions) -> Solution:
    assert model.capability is not None and model.cost is not None
    first = _run(model, options)
    if not first.status.has_plan:
        return Solution(first.status, first.message, solve_time=first.seconds)
    best = _expression_value(model.capability)
    prices = _read_prices(model) if not model.is_mip else Prices()
    problem = model.problem
    hold = problem.addConstraint(model.capability >= best, "hold_capability")
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
    if not second.status.has_plan:
        return Solution(second.status, second.message, solve_time=seconds)
    values = _values(model)

    capability = model.capability

    def first_stage() -> None:
        hold.changeRHS(-_NO_BOUND)  # the hold no longer binds
        problem.sense = pulp.LpMaximize
        problem.setObjective(capability)

    if model.is_mip:
        prices, extra = _prices(model, options, first_stage)
        seconds += extra
    status = worst([first.status, second.status])
    return Solution(
        status,
        first.message or second.message,
        objective=_expression_value(model.capability),
        solve_time=seconds,
        gap=first.gap,
        prices=prices,
        **values,
    )


def _prices(model: BuiltModel, options: SolveOptions, prepare: Any) -> tuple[Prices, float]:
    """Shadow prices of the solved model; for a MILP, from the LP with binaries fixed.

    ``prepare`` turns the problem into the one whose prices are wanted (it is called
    only for a MILP, whose LP must be re-solved anyway).
    """
    if not model.is_mip:
        return _read_prices(model), 0.0
    for var in model.build.values():
        fixed = round(var.varValue or 0.0)
        var.lowBound = fixed
        var.upBound = fixed
    prepare()
    outcome = _run(model, options, mip=False)
    prices = _read_prices(model, fixed_binaries=True) if outcome.status.has_plan else Prices()
    for var in model.build.values():
        var.lowBound = 0
        var.upBound = 1
    return prices, outcome.seconds


def _values(model: BuiltModel) -> dict[str, Any]:
    def read(handles: dict[Any, pulp.LpVariable]) -> dict[Any, float]:
        return {key: _clean(var.varValue) for key, var in handles.items()}

    spend = {
        country: sum(_clean(var.varValue) * cost for var, cost in pairs)
        for country, pairs in model.spend.items()
    }
    return {
        "use": read(model.use),
        "act": read(model.act),
        "new": read(model.new),
        "build": {key: float(round(value)) for key, value in read(model.build).items()},
        "ship": read(model.ship),
        "deliver": read(model.deliver),
        "spend": spend,
    }


def _clean(value: float | None) -> float:
    """A solver value with round-off below HiGHS's tolerances snapped to zero."""
    if value is None or abs(value) < 1e-9:
        return 0.0
    return float(value)


def _expression_value(expr: pulp.LpAffineExpression) -> float:
    value = expr.value()
    return 0.0 if value is None else float(value)


def _read_prices(model: BuiltModel, *, fixed_binaries: bool = False) -> Prices:
    """Shadow prices as the objective's improvement per extra unit of each right-hand side.

    HiGHS's row dual ``pi`` and column dual ``dj`` are d(objective)/d(rhs or bound).
    An improvement is -d(objective) when minimising and +d(objective) when maximising.
    Balance rows have the extra supply on their left-hand side, so their rhs falls.
    """
    sign = -1.0 if model.problem.sense == pulp.LpMinimize else 1.0
    tight: set[tuple[str, tuple[str, ...]]] = set()

    def row_value(
        family: str, rows: dict[Any, pulp.LpConstraint], direction: float
    ) -> dict[Any, float]:
        values = {}
        for key, row in rows.items():
            values[key] = _clean(sign * direction * (row.pi or 0.0))
            if abs(row.slack or 0.0) <= _TOLERANCE:
                tight.add((family, key if isinstance(key, tuple) else (key,)))
        return values

    def bound_value(family: str, columns: dict[Any, pulp.LpVariable]) -> dict[Any, float]:
        """Value of raising an upper bound: the column's dual, where it sits at that bound."""
        values = {}
        for key, var in columns.items():
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
        # the penalty plus the bound's dual (<= 0 when the target is met)
        penalty = model.scenario.shortfall_penalty
        target = {key: _clean(penalty + (var.dj or 0.0)) for key, var in model.deliver.items()}
    return Prices(
        balance=row_value("balance", model.balance, -1.0),
        resource=bound_value("resource", model.use),
        capacity=row_value("capacity", model.capacity, 1.0),
        budget=row_value("budget", model.budget, 1.0),
        new_limit=bound_value("new_limit", model.new),
        link=bound_value("link", model.ship),
        target=target,
        tight=frozenset(tight),
        degenerate=_is_degenerate(model),
        fixed_binaries=fixed_binaries,
    )


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
