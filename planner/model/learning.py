"""Learning: experience curves as one family of variables and constraints (DESIGN.md,
"Learning").

Contract of this stage: :func:`add_learning` takes a :class:`~planner.model.build.BuiltModel`
whose builds, activity and spend terms exist, and before its objective is formed adds, for
every process of the Learning sheet:

- its **pools** among the model's countries (``pool = regime``: each member alone in
  ``national``, every country of the model together otherwise; ``pool = country``: each
  country alone), keeping those that hold a Capacity row of the process;
- per pool the **initial experience** ``E0[P] = sum_{c in P} initial[c] + spillover x
  sum_{c not in P} initial[c]`` (over the scenario's countries) and the **experience** at the
  start of period t, ``E[P,t] = E0[P] + sum_{s<t} sum_{c in P} e[c,s]`` with ``e = new[c,p,s]``
  (driver ``builds``) or ``L_s x act[c,p,s]`` (``output``);
- the **staircase** (:func:`staircase`): breakpoints ``B_k = reference x 2^(k/q)`` for k from
  ``kmin = floor(q log2(min_P E0[P] / reference))`` to ``kmax = floor(q x max_doublings)``,
  multipliers ``m_k = PR^(k/q)``;
- per pool and period one binary ``z[p,P,t,k]`` per segment the experience can reach,
  ``sum_k z = 1``, ``sum_k B_k z_k <= E[P,t] <= sum_k B_{k+1} z_k`` (the top segment's upper
  end is the most experience the pool can have); segments below ``E0`` or above that most
  are left out, and a period with one segment left (always the first) has no binary at all;
- the **multiplied cost**: the variable ``x`` whose cost learns (``new[c,p,t]`` for
  ``new_cost``, ``act[c,p,t]`` for ``cost``) of every country c of the pool is split as
  ``x = sum_k x_k``, ``0 <= x_k <= U z_k`` (U the most x can be), and its spend term
  ``cost x`` (undiscounted and discounted, salvage included) becomes
  ``sum_k m_k cost x_k``: salvage is credited on the multiplied cost. ``fixed_cost`` does
  not learn;
- the **monotone segment cuts**: experience never falls, so for consecutive periods and
  every j, ``sum_{k>=j} z[t,k] <= sum_{k>=j} z[t+1,k]``. They cut no integer solution and
  tighten the relaxation (docs/performance.md measures them).

Index tuples: a part ``(country, process, k, period)``; a segment binary ``(process, pool,
period, k)`` with ``pool`` the tuple of its countries in the model's order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulp

from planner.model.families import VariableFamily
from planner.scenario.horizon import Span
from planner.scenario.schema import Capacity, Driver, Learning, LearningCost, Pool, Regime

if TYPE_CHECKING:
    from planner.model.build import BuiltModel

PartKey = tuple[str, str, str, str]
"""``(country, process, k, period)``: the part of a learning cost variable in segment k
(k as text, like every index of a variable family)."""

SegmentKey = tuple[str, tuple[str, ...], str, int]
"""``(process, pool, period, k)``: the binary choosing segment k."""

_ROUND_OFF = 1e-7
"""Relative slack with which an experience on a breakpoint counts as reaching it."""


@dataclass(frozen=True)
class Staircase:
    """The segments of one learning process: ``k``, ``B_k`` and ``m_k``, k ascending."""

    ks: tuple[int, ...]
    breakpoints: tuple[float, ...]
    multipliers: tuple[float, ...]

    def index_of(self, experience: float) -> int:
        """The index (into :attr:`ks`) of the segment holding ``experience``: the last
        breakpoint at or below it, a relative 1e-7 counting as reaching it."""
        reach = experience * (1 + _ROUND_OFF) + _ROUND_OFF
        held = [i for i, b in enumerate(self.breakpoints) if b <= reach]
        return held[-1] if held else 0


def staircase(rule: Learning, lowest: float) -> Staircase:
    """Segments ``k = kmin..kmax`` with ``B_k = reference 2^(k/q)`` and ``m_k = PR^(k/q)``.

    Args:
        rule: the process's Learning row.
        lowest: the least initial experience of its pools (> 0, by validation).
    """
    q, reference = rule.steps_per_doubling, rule.reference
    kmax = math.floor(q * rule.max_doublings + 1e-12)
    kmin = min(math.floor(q * math.log2(lowest / reference)), kmax)
    while kmin > -(10**6) and reference * 2 ** (kmin / q) > lowest * (1 + _ROUND_OFF):
        kmin -= 1  # round-off in log2 must not leave the lowest pool below B_kmin
    ks = tuple(range(kmin, kmax + 1))
    return Staircase(
        ks,
        tuple(reference * 2 ** (k / q) for k in ks),
        tuple(rule.progress_ratio ** (k / q) for k in ks),
    )


@dataclass
class PoolPeriod:
    """One pool of one learning process in one period: what reads its experience back.

    Attributes:
        process: the learning process.
        pool: its countries.
        period: the period id.
        initial: ``E0[P]``.
        experience: the terms of ``E[P,t] - E0[P]`` as (variable family, index tuple,
            coefficient), e.g. ``("new", ("A", "fab", "2026"), 1.0)``.
        stairs: the process's staircase.
        segments: the indices (into ``stairs.ks``) the experience can reach in this period.
    """

    process: str
    pool: tuple[str, ...]
    period: str
    initial: float
    experience: list[tuple[str, tuple[str, str, str], float]]
    stairs: Staircase
    segments: tuple[int, ...]

    def state(self, values: Mapping[str, Mapping[tuple[str, str, str], float]]) -> LearningState:
        """``E[P,t]`` and its segment, from a plan's values by family (``new``, ``act``)."""
        experience = self.initial + math.fsum(
            coef * values[family].get(key, 0.0) for family, key, coef in self.experience
        )
        i = self.stairs.index_of(experience)
        return LearningState(
            self.process,
            self.pool,
            self.period,
            experience,
            self.stairs.ks[i],
            self.stairs.multipliers[i],
        )


@dataclass(frozen=True)
class LearningState:
    """Where one pool of one learning process stands in one period of a solved plan.

    ``segment`` is the k of the segment holding ``experience`` and ``multiplier`` its
    ``m_k``: the factor on the pool's learning cost in that period.
    """

    process: str
    pool: tuple[str, ...]
    period: str
    experience: float
    segment: int
    multiplier: float


@dataclass
class LearningHandles:
    """The learning family's handles: binaries, pools and cuts (parts are ``BuiltModel.learn``)."""

    segment: dict[SegmentKey, pulp.LpVariable] = field(default_factory=dict)
    pools: list[PoolPeriod] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)
    """Names of the monotone segment cuts in the problem (a benchmark may drop them)."""


def add_learning(model: BuiltModel, capacity: dict[str, list[Capacity]]) -> None:
    """Every learning process's pools, staircase, binaries and multiplied costs.

    Args:
        model: the model, with builds, activity and their spend terms already in it.
        capacity: per period id, the Capacity rows that hold there, of the model's countries.
    """
    rules = model.scenario.learning_by_process
    if not rules:
        return
    holders: dict[str, set[str]] = defaultdict(set)
    for rows in capacity.values():
        for row in rows:
            holders[row.process].add(row.country)
    for number, (process, rule) in enumerate(rules.items()):
        pools = [pool for pool in _pools(model, rule) if holders[process].intersection(pool)]
        if not pools:
            continue
        initial = {pool: _initial(model, rule, pool) for pool in pools}
        stairs = staircase(rule, min(initial.values()))
        activity = _activity_bounds(model, process, capacity)
        bounds = _driver_bounds(model, rule, activity)
        for n, pool in enumerate(pools):
            tag = f"{number}_{n}"
            _add_pool(model, rule, pool, _Curve(initial[pool], stairs, bounds, activity), tag)


def _pools(model: BuiltModel, rule: Learning) -> list[tuple[str, ...]]:
    """Who learns together in this model."""
    countries = model.setting.countries
    if rule.pool is Pool.COUNTRY or model.setting.regime is Regime.NATIONAL:
        return [(c,) for c in countries]
    return [tuple(countries)]


def _initial(model: BuiltModel, rule: Learning, pool: tuple[str, ...]) -> float:
    """``E0[P] = sum_{c in P} initial + spillover x sum_{c not in P} initial``."""
    inside = set(pool)
    rows = [r for r in model.scenario.experience if r.process == rule.process]
    own = math.fsum(r.initial for r in rows if r.country in inside)
    other = math.fsum(r.initial for r in rows if r.country not in inside)
    return own + rule.spillover * other


def _driver_bounds(
    model: BuiltModel, rule: Learning, most_activity: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """``(country, period) -> the most e[c,t]`` can be: max_new of the build started in t
    (builds), or ``L_t x`` the most activity (output)."""
    if rule.driver is Driver.BUILDS:
        return {
            (c, t): float(var.upBound or 0.0)
            for (c, p, t), var in model.new.items()
            if p == rule.process
        }
    length = {s.period: s.length for s in model.horizon.periods}
    return {(c, t): length[t] * most for (c, t), most in most_activity.items()}


def _activity_bounds(
    model: BuiltModel, process: str, capacity: dict[str, list[Capacity]]
) -> dict[tuple[str, str], float]:
    """``(country, period) -> the most act[c,p,t]`` can be: existing plus the max_new of
    every build active in t."""
    horizon = model.horizon
    most = {(c, t): model.existing[(c, p, t)] for (c, p, t) in model.act if p == process}
    rows = {
        (row.country, period): row
        for period, held in capacity.items()
        for row in held
        if row.process == process
    }
    for (c, p, v), var in model.new.items():
        if p != process:
            continue
        row = rows[(c, v)]
        for span in horizon.active(horizon.span(v), row.lead_time, row.lifetime):
            if (c, span.period) in most:
                most[(c, span.period)] += float(var.upBound or 0.0)
    return most


@dataclass(frozen=True)
class _Curve:
    """What one pool's family needs: E0, the staircase and the bounds on its variables."""

    initial: float
    stairs: Staircase
    driver: dict[tuple[str, str], float]
    """(country, period) -> the most e[c,t]."""
    activity: dict[tuple[str, str], float]
    """(country, period) -> the most act[c,p,t]."""


def _add_pool(
    model: BuiltModel, rule: Learning, pool: tuple[str, ...], curve: _Curve, tag: str
) -> None:
    """Per period: the segment binaries and rows, the multiplied costs, the cuts."""
    problem, process = model.problem, rule.process
    initial, stairs, bounds = curve.initial, curve.stairs, curve.driver
    experience: list[tuple[pulp.LpVariable, float]] = []
    terms: list[tuple[str, tuple[str, str, str], float]] = []
    most = initial
    lowest = stairs.index_of(initial)
    previous: dict[int, pulp.LpVariable] | None = None
    for span in model.horizon.periods:
        t = span.period
        segments = tuple(range(lowest, stairs.index_of(most) + 1))
        choice: dict[int, pulp.LpVariable] = {}
        if len(segments) > 1:
            variables = problem.add_variable_dict(
                f"seg{tag}_{t}_%s", range(len(segments)), cat="Binary"
            )
            choice = {i: variables[n] for n, i in enumerate(segments)}
            for i, var in choice.items():
                model.learning.segment[(process, pool, t, stairs.ks[i])] = var
            _add_segment_rows(model, choice, experience, initial, most, stairs, f"{tag}_{t}")
            if previous is not None:
                _add_cuts(model, previous, choice, f"{tag}_{t}")
        model.learning.pools.append(
            PoolPeriod(process, pool, t, initial, list(terms), stairs, segments)
        )
        for n, country in enumerate(pool):
            _multiply(model, rule, country, span, curve, segments, choice, f"{tag}_{n}_{t}")
        previous = choice or None
        for country in pool:
            family, key, coef = _driver(rule, country, span)
            var = getattr(model, family).get(key)
            if var is not None:
                experience.append((var, coef))
                terms.append((family, key, coef))
                most += bounds.get((country, t), 0.0)


def _add_segment_rows(
    model: BuiltModel,
    choice: dict[int, pulp.LpVariable],
    experience: Sequence[tuple[pulp.LpVariable, float]],
    initial: float,
    most: float,
    stairs: Staircase,
    tag: str,
) -> None:
    """``sum_k z_k = 1`` and ``sum_k B_k z_k <= E <= sum_k B_{k+1} z_k``."""
    problem = model.problem
    top = len(stairs.ks) - 1
    upper = {
        i: stairs.breakpoints[i + 1] if i < top else max(most, stairs.breakpoints[i])
        for i in choice
    }
    problem.addConstraint(
        pulp.LpAffineExpression.from_list([(z, 1.0) for z in choice.values()]) == 1,
        f"segment_{tag}",
    )
    low = [*experience, *((z, -stairs.breakpoints[i]) for i, z in choice.items())]
    high = [*experience, *((z, -upper[i]) for i, z in choice.items())]
    problem.addConstraint(pulp.LpAffineExpression.from_list(low) >= -initial, f"reach_{tag}")
    problem.addConstraint(pulp.LpAffineExpression.from_list(high) <= -initial, f"within_{tag}")


def _add_cuts(
    model: BuiltModel,
    before: dict[int, pulp.LpVariable],
    after: dict[int, pulp.LpVariable],
    tag: str,
) -> None:
    """``sum_{k>=j} z[t,k] <= sum_{k>=j} z[t+1,k]`` for every j above the lowest segment."""
    segments = sorted(set(before) | set(after))
    for j in segments[1:]:
        terms = [(z, 1.0) for i, z in before.items() if i >= j]
        terms += [(z, -1.0) for i, z in after.items() if i >= j]
        if not any(coef > 0 for _, coef in terms):
            continue  # nothing to keep from falling
        name = f"monotone_{tag}_{j}"
        model.problem.addConstraint(pulp.LpAffineExpression.from_list(terms) <= 0, name)
        model.learning.cuts.append(name)


def _driver(rule: Learning, country: str, span: Span) -> tuple[str, tuple[str, str, str], float]:
    """``e[c,t]`` as (family, index, coefficient): ``new`` (builds) or ``L_t x act`` (output)."""
    key = (country, rule.process, span.period)
    if rule.driver is Driver.BUILDS:
        return "new", key, 1.0
    return "act", key, float(span.length)


def _multiply(
    model: BuiltModel,
    rule: Learning,
    country: str,
    span: Span,
    curve: _Curve,
    segments: tuple[int, ...],
    choice: dict[int, pulp.LpVariable],
    tag: str,
) -> None:
    """Replace ``cost x`` in the spend by ``m_k cost`` on each segment's part of x."""
    stairs = curve.stairs
    new_cost = rule.applies_to is LearningCost.NEW_COST
    family = VariableFamily.NEW if new_cost else VariableFamily.ACT
    key = (country, rule.process, span.period)
    terms = model.spend[(country, span.period)]
    learnt = [term for term in terms if term[0] == family and term[1] == key]
    if not learnt:
        return  # no such variable, or a cost of 0: nothing to multiply
    terms[:] = [term for term in terms if not (term[0] == family and term[1] == key)]
    if not choice:
        (i,) = segments
        m = stairs.multipliers[i]
        terms += [(family, key, m * money, m * discounted) for _, _, money, discounted in learnt]
        return
    var = model.variables(family)[key]
    most = float(var.upBound or 0.0) if new_cost else curve.activity[(country, span.period)]
    problem = model.problem
    parts = []
    for i, z in choice.items():
        k = stairs.ks[i]
        part = problem.add_variable(f"learn{tag}_{k}", 0, most)
        part_key = (country, rule.process, str(k), span.period)
        model.learn[part_key] = part
        parts.append((part, -1.0))
        problem.addConstraint(pulp.LpAffineExpression.from_list([(part, 1.0), (z, -most)]) <= 0)
        m = stairs.multipliers[i]
        terms += [
            (VariableFamily.LEARN, part_key, m * money, m * discounted)
            for _, _, money, discounted in learnt
        ]
    problem.addConstraint(pulp.LpAffineExpression.from_list([(var, 1.0), *parts]) == 0)
