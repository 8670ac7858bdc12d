"""Who gains what: the scenario's cost game, shared among its members and tested for stability.

Contract of this stage: :func:`share` takes a validated scenario and returns a frozen
:class:`SharingResult`; :mod:`planner.io.sharing_report` only formats it, and
:func:`planner.share` also takes a workbook. The game (issue 4):

- ``c(S)`` for a coalition ``S`` of two or more members is the ``min_cost`` objective (spend
  plus shortfall penalty) of the coalition regime with only ``S`` as members: the other
  countries are non-members, reachable only through rows of the Links sheet;
- ``c({i})`` is member ``i``'s national-stack cost (the national regime, ``i`` alone);
- the coalition's saving is ``sum_i c({i}) - c(N)``; a member's saving under a rule is
  ``c({i}) - x_i``, where ``x_i`` is its cost share.

Every ``c(S)`` is one build and solve (:class:`CoalitionCost`, picklable, so a local process
pool or a Dask cluster can evaluate coalitions in parallel); :mod:`planner.analysis.games`
enumerates, caches and shares them. Owen's allocation comes from one solve of the grand
coalition: each member pays for its targets and is credited for its resources and capacities at the
coalition's shadow prices (:func:`owen_allocation`). A coalition whose solve finds no
optimal plan is recorded in :attr:`SharingResult.failures`, never dropped; the methods that
needed it are listed as unavailable.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from planner.analysis.batch import connect
from planner.analysis.games import (
    Allocation,
    CoalitionError,
    CoalitionFailure,
    CoalitionValues,
    ExecutorLike,
    ProgressCallback,
    Stability,
    most_dissatisfied,
    nucleolus,
    owen_from_prices,
    shapley_exact,
    shapley_sampled,
)
from planner.analysis.sharing_words import Explanation, explain
from planner.errors import InputError, NoPlanError
from planner.model.build import BuiltModel, build, setting_for
from planner.model.families import Dim, Key, PriceFamily
from planner.model.solve import Prices, SolveOptions, Status, solve
from planner.scenario.schema import Mode, Regime, Scenario

__all__ = [
    "EXACT_LIMIT",
    "METHODS",
    "SAMPLES_BEYOND_EXACT",
    "CoalitionCost",
    "CoalitionSolveError",
    "SharingResult",
    "owen_allocation",
    "share",
]

METHODS = ("owen", "shapley", "nucleolus")
"""The sharing rules :func:`share` knows, in the order reports list them."""

EXACT_LIMIT = 12
"""Most members for which every coalition is solved (``2^12 - 1 = 4,095`` solves): exact
Shapley value, nucleolus and an exhaustive stability check. Beyond, the Shapley value is
sampled, the nucleolus is not computed and stability is checked by a local search."""

SEARCH_BUDGET = 500
"""Most coalitions the stability search solves per allocation beyond :data:`EXACT_LIMIT`
members (coalitions already solved for the Shapley value cost nothing): a verdict that
says how much it covered within minutes, rather than one that takes an hour."""

SAMPLES_BEYOND_EXACT = 200
"""Permutations of a sampled Shapley value when neither ``samples`` nor ``precision`` is
given: each costs up to ``2 (n - 1)`` new coalitions, so 200 permutations of 24 members
solve up to about 9,200 coalitions, and every share carries its standard error."""

_RENT_TOLERANCE = 1e-9
"""A shadow price smaller than this counts as no rent."""


class CoalitionSolveError(NoPlanError):
    """The solve of one coalition found no optimal plan."""


# ----------------------------------------------------------------------------------------
# The game


class CoalitionCost:
    """``c(S)``: the cost of a coalition of a scenario's members (picklable).

    A module-level class holding only the scenario and the solve options, so a process
    pool or a Dask worker can rebuild and solve any coalition on its own.

    Args:
        scenario: the validated scenario.
        options: HiGHS options. Leave ``threads`` unset unless every solve of the process
            uses the same value: HiGHS refuses to change its thread count once its scheduler
            has started. Unset, it is *not* taken from
            :func:`planner.analysis.batch.solver_threads`: one thread changes the last bit
            of some coalitions' MIP objectives (474.717608390476 against
            474.7176083904758 on the default scenario), and ``share`` keeps its numbers.
    """

    def __init__(self, scenario: Scenario, options: SolveOptions | None = None) -> None:
        self.scenario = scenario
        self.options = options or SolveOptions()

    def __call__(self, coalition: Iterable[str]) -> float:
        """The ``min_cost`` objective of ``coalition``: national for one member.

        Raises:
            ValueError: the coalition is empty or names a country that is not a member.
            CoalitionSolveError: the solve ended without a proven optimum.
        """
        members = frozenset(coalition)
        unknown = sorted(members - set(self.scenario.members))
        if unknown or not members:
            what = f"not members: {', '.join(unknown)}" if unknown else "it is empty"
            raise ValueError(f"not a coalition of the scenario's members ({what})")
        solution = solve(self.built(members), self.options, prices=False)
        if solution.status is not Status.OPTIMAL or solution.objective is None:
            detail = f": {solution.message}" if solution.message else ""
            raise CoalitionSolveError(f"no optimal plan (status {solution.status.value}){detail}")
        return solution.objective

    def built(self, members: Iterable[str]) -> BuiltModel:
        """The ``min_cost`` model of a coalition (national for a single member)."""
        chosen = tuple(members)
        regime = Regime.NATIONAL if len(chosen) == 1 else Regime.COALITION
        return build(self.scenario, setting_for(self.scenario, regime, Mode.MIN_COST, chosen))


# ----------------------------------------------------------------------------------------
# Owen's allocation from the grand coalition's prices

RowKey = tuple[str, ...]
"""``(price family, *key)`` of a right-hand side a member owns, e.g. ``("capacity", "A",
"fab")``: the family's :class:`~planner.model.families.PriceFamily` value, then its key."""

_OWNED = (PriceFamily.TARGET, PriceFamily.RESOURCE, PriceFamily.CAPACITY, PriceFamily.NEW_LIMIT)
"""The right-hand sides a member brings to Owen's game: its targets, resources' availability,
existing capacity and ``max_new``; each is indexed by ``country`` first, its owner."""


def _contributions(built: BuiltModel, members: Sequence[str]) -> dict[str, dict[RowKey, float]]:
    """Each member's right-hand sides, per period: its targets, resources' availability,
    existing capacity and ``max_new`` (each family's :attr:`~PriceFamily.rhs` as the model
    holds it in that period)."""
    values: dict[PriceFamily, dict[Key, float | None]] = {
        PriceFamily.TARGET: dict(built.targets),
        PriceFamily.RESOURCE: {key: var.upBound for key, var in built.use.items()},
        PriceFamily.CAPACITY: dict(built.existing),
        PriceFamily.NEW_LIMIT: {key: var.upBound for key, var in built.new.items()},
    }
    owned: dict[str, dict[RowKey, float]] = {m: {} for m in members}
    for family, by_key in values.items():
        for key, value in by_key.items():
            country = family.named(key)[Dim.COUNTRY]
            if country in owned and value is not None:
                owned[country][(family.value, *key)] = value
    return owned


def _sensitivities(prices: Prices) -> dict[RowKey, float]:
    """``d c(N) / d b`` per right-hand side: a target's price is positive, the others'
    (limits) are minus the money one more unit saves."""
    rows: dict[RowKey, float] = {}
    for family in _OWNED:
        sign = -1.0 if family.limit else 1.0
        rows.update({(family.value, *key): sign * v for key, v in prices.of(family).items()})
    return rows


def _unowned_rent(prices: Prices, members: set[str]) -> list[tuple[str, float]]:
    """Right-hand sides no member owns that carry a price: non-member supply, link caps."""
    rent: list[tuple[str, float]] = []
    for family in (PriceFamily.RESOURCE, PriceFamily.CAPACITY, PriceFamily.NEW_LIMIT):
        for key, value in prices.of(family).items():
            named = family.named(key)
            country, item = named[Dim.COUNTRY], named.get(Dim.PROCESS, named.get(Dim.COMMODITY))
            if country not in members and abs(value) > _RENT_TOLERANCE:
                rent.append((f"{family.noun} {item} in non-member {country}", value))
    link = PriceFamily.LINK
    for key, value in prices.of(link).items():
        named = link.named(key)
        if abs(value) > _RENT_TOLERANCE:
            where = f"{named[Dim.EXPORTER]} -> {named[Dim.IMPORTER]} ({named[Dim.COMMODITY]})"
            rent.append((f"{link.noun} {where}", value))
    return sorted(rent, key=lambda item: -abs(item[1]))


def _owen_notes(
    built: BuiltModel,
    prices: Prices,
    members: set[str],
    contributions: Mapping[str, Mapping[RowKey, float]],
) -> list[str]:
    notes: list[str] = []
    if built.is_mip:
        notes.append(
            "the scenario has build decisions (fixed costs or minimum scales), so it is not "
            "a linear production game: the prices come from the LP with the build decisions "
            "fixed at the optimum, and Owen's shares need not add up to the coalition's cost "
            "nor lie in the core"
        )
    rent = _unowned_rent(prices, members)
    if rent:
        shown = "; ".join(f"{what} ({value:,.4g} per unit)" for what, value in rent[:5])
        more = f"; and {len(rent) - 5} more" if len(rent) > 5 else ""
        notes.append(
            "rent goes to right-hand sides no member owns, so Owen's shares need not add up "
            f"to the coalition's cost nor lie in the core: {shown}{more}"
        )
    ranges = _share_ranges(prices, contributions)
    varying = [(m, low, high) for m, (low, high) in ranges.items() if high - low > _SHARE_SPREAD]
    if varying:
        shown = "; ".join(
            f"{m} between {_bound(low)} and {_bound(high)}" for m, low, high in varying
        )
        notes.append(
            "the grand coalition's LP is degenerate and some of its prices are not unique "
            "(one more unit is worth other than one less), so these members' Owen cost "
            f"shares vary across its optimal prices: {shown} (each price taken anywhere "
            "between its two one-sided derivatives: an outer bound)"
        )
    return notes


def _bound(value: float) -> str:
    return f"{value:,.4g}" if math.isfinite(value) else "no limit"


_SHARE_SPREAD = 1e-6
"""A range of Owen cost shares narrower than this is one share (round-off)."""


def _share_ranges(
    prices: Prices, contributions: Mapping[str, Mapping[RowKey, float]]
) -> dict[str, tuple[float, float]]:
    """Per member, the lowest and highest Owen cost share with each price it is charged or
    credited at anywhere between its two one-sided derivatives (:attr:`Prices.sides`)."""
    ranges = {}
    for member, owned in contributions.items():
        low = high = 0.0
        for (family_id, *key), amount in owned.items():
            family = PriceFamily(family_id)
            value = prices.of(family).get(tuple(key), 0.0)
            more, less = prices.one_sided(family, tuple(key)) or (value, value)
            if amount == 0:
                continue
            sign = -1.0 if family.limit else 1.0
            ends = sorted((sign * more * amount, sign * less * amount))
            low, high = low + ends[0], high + ends[1]
        ranges[member] = (low, high)
    return ranges


def owen_allocation(
    scenario: Scenario,
    options: SolveOptions | None = None,
    *,
    standalone: Mapping[str, float] | None = None,
    total: float | None = None,
) -> Allocation:
    """Owen's allocation: one solve of the grand coalition, its prices applied to what each
    member brings.

    ``x_i = sum_k (d c(N) / d b_k) * b_k^i`` over member ``i``'s right-hand sides: its
    targets (priced at what one more unit costs), and its resources' availability, existing
    capacity and ``max_new`` (each credited at the money one more unit saves).

    In a linear production game (no build decisions; no rent to non-member supply or to
    link capacities) the shares add up to ``c(N)`` and lie in the core. Otherwise the
    allocation's notes say what breaks it and by how much the shares miss ``c(N)``.

    Args:
        scenario: the validated scenario.
        options: HiGHS options.
        standalone: each member's national cost, for the savings.
        total: ``c(N)`` if known; default the grand solve's objective.

    Raises:
        CoalitionError: the grand coalition's solve found no optimal plan or no prices.
    """
    cost = CoalitionCost(scenario, options)
    members = scenario.members
    grand = frozenset(members)
    built = cost.built(members)
    # every price a share is made of is checked by re-solving, however many there are
    solution = solve(built, dataclasses.replace(cost.options, price_checks=None))
    if solution.status is not Status.OPTIMAL or solution.objective is None:
        error = f"no optimal plan (status {solution.status.value})"
        raise CoalitionError([CoalitionFailure(grand, error)])
    contributions = _contributions(built, members)
    notes = _owen_notes(built, solution.prices, set(members), contributions)
    c_n = solution.objective if total is None else total
    try:
        allocation = owen_from_prices(
            contributions,
            _sensitivities(solution.prices),
            standalone=standalone,
            total=c_n,
            notes=notes,
        )
    except ValueError as exc:  # the LP with fixed build decisions gave no prices
        raise CoalitionError([CoalitionFailure(grand, f"no shadow prices: {exc}")]) from exc
    return allocation


# ----------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class SharingResult:
    """The cost game of a scenario's members, its allocations and their stability.

    Attributes:
        scenario: the scenario's name.
        currency: its currency label.
        members: the players, in the Countries sheet's order.
        names: each member's display name.
        coalition_cost: ``c(N)``, the grand coalition's ``min_cost`` objective.
        national_costs: ``c({i})``, each member's national-stack objective.
        allocations: per method computed, the allocation.
        stability: per method, the most dissatisfied coalition found; its ``stable`` is
            the verdict (no coalition checked gains by leaving, and the shares add up to
            ``c(N)``), the same as :meth:`stable`.
        unavailable: per method (or ``stability/<method>``) not computed, why.
        notes: caveats about the game as a whole.
        failures: coalitions whose solve failed.
        coalition_costs: every ``c(S)`` solved, by coalition.
        exact_limit: the member count up to which every coalition was solved.
        seconds: wall-clock time of :func:`share`.
        source: the workbook's path ("" when built in Python).
        sha256: the workbook's SHA-256 ("" when built in Python).
    """

    scenario: str
    currency: str
    members: tuple[str, ...]
    names: Mapping[str, str]
    coalition_cost: float
    national_costs: Mapping[str, float]
    allocations: Mapping[str, Allocation]
    stability: Mapping[str, Stability]
    unavailable: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    failures: tuple[CoalitionFailure, ...] = ()
    coalition_costs: Mapping[frozenset[str], float] = field(default_factory=dict)
    exact_limit: int = EXACT_LIMIT
    seconds: float = 0.0
    source: str = ""
    sha256: str = ""

    @property
    def national_total(self) -> float:
        """``sum_i c({i})``: what the members' national stacks cost together."""
        return math.fsum(self.national_costs.values())

    @property
    def saving(self) -> float:
        """``sum_i c({i}) - c(N)``: what the coalition saves against national stacks."""
        return self.national_total - self.coalition_cost

    @property
    def complete(self) -> bool:
        """True when every coalition asked for was solved."""
        return not self.failures

    def efficiency_gap(self, method: str) -> float:
        """``c(N) - sum_i x_i`` of one allocation: zero for an efficient rule."""
        return self.coalition_cost - math.fsum(self.allocations[method].costs)

    def efficient(self, method: str) -> bool:
        """True when the method's shares add up to ``c(N)``, within the check's tolerance."""
        check = self.stability.get(method)
        tolerance = check.tolerance if check is not None else 1e-7 * abs(self.coalition_cost)
        return abs(self.efficiency_gap(method)) <= max(tolerance, 1e-9)

    def stable(self, method: str) -> bool:
        """True when the allocation is in the core as far as checked: its shares add up to
        ``c(N)`` and no coalition checked would save by leaving. The same answer as
        ``stability[method].stable``."""
        check = self.stability.get(method)
        return check is not None and check.stable

    @cached_property
    def shares(self) -> pd.DataFrame:
        """Per method and member: ``national_cost`` (``c({i})``), ``cost`` (the share
        ``x_i``), ``saving`` = national_cost - cost, ``stderr`` (0 when exact) and
        ``exact``."""
        rows = [
            {
                "method": method,
                "country": member,
                "name": self.names[member],
                "national_cost": self.national_costs[member],
                "cost": part.cost,
                "saving": part.saving,
                "stderr": part.stderr,
                "exact": allocation.exact,
            }
            for method, allocation in self.allocations.items()
            for member, part in allocation.shares.items()
        ]
        columns = ["method", "country", "name", "national_cost", "cost", "saving", "stderr"]
        return pd.DataFrame(rows, columns=[*columns, "exact"])

    @cached_property
    def verdicts(self) -> pd.DataFrame:
        """Per method checked: ``stable``, ``verdict`` (in words), ``worst_coalition`` (its
        members, comma-separated), ``excess``, ``exhaustive``, ``coalitions_checked``,
        ``efficiency_gap`` (``c(N) - sum x_i``) and ``tolerance``."""
        rows = [
            {
                "method": method,
                "stable": self.stable(method),
                "verdict": self.verdict(method),
                "worst_coalition": ", ".join(in_member_order(check.coalition, self.members)),
                "excess": check.excess,
                "exhaustive": check.exhaustive,
                "coalitions_checked": check.coalitions_checked,
                "efficiency_gap": self.efficiency_gap(method),
                "tolerance": check.tolerance,
            }
            for method, check in self.stability.items()
        ]
        return pd.DataFrame(rows, columns=_VERDICT_COLUMNS)

    @cached_property
    def coalitions(self) -> pd.DataFrame:
        """Every coalition solved: ``members`` (comma-separated, in the scenario's order),
        ``size`` and ``cost`` (``c(S)``), by size."""
        rows = [
            {"members": ", ".join(in_member_order(s, self.members)), "size": len(s), "cost": v}
            for s, v in coalitions_by_size(self.coalition_costs, self.members)
        ]
        return pd.DataFrame(rows, columns=["members", "size", "cost"])

    @cached_property
    def explanation(self) -> Explanation:
        """The result in plain words: the rule recommended here and why, why the rules
        differ, one sentence per member (:func:`planner.analysis.sharing_words.explain`)."""
        return explain(self)

    def verdict(self, method: str) -> str:
        """The stability verdict in words: ``stable``, ``not stable: ...``, ``no blocking
        coalition found by the search``, ``not checked``."""
        check = self.stability.get(method)
        if check is None:
            return "not checked"
        if not self.efficient(method):
            gap = self.efficiency_gap(method)
            amount = f"{abs(gap):,.4g} {self.currency}"
            if gap > 0:
                return f"not stable: the shares fall {amount} short of the coalition's cost"
            return f"not stable: the shares exceed the coalition's cost by {amount}"
        if not check.stable:
            coalition = ", ".join(in_member_order(check.coalition, self.members))
            return (
                f"not stable: {{{coalition}}} would save {check.excess:,.4g} {self.currency} "
                "by leaving"
            )
        return "stable" if check.exhaustive else "no blocking coalition found by the search"

    def to_json(self) -> dict[str, Any]:
        """The JSON summary: the issue's contract keys, then extras.

        Contract: ``scenario``, ``coalition_cost``, ``national_costs``,
        ``methods.<name>.exact``, ``methods.<name>.shares.<country>.{cost, saving,
        stderr}``, ``stability.<name>.{stable, worst_coalition, excess}``.
        """
        return {
            "scenario": self.scenario,
            "coalition_cost": self.coalition_cost,
            "national_costs": dict(self.national_costs),
            "methods": {m: self._method_json(m) for m in self.allocations},
            "stability": {m: self._stability_json(m) for m in self.stability},
            "currency": self.currency,
            "members": list(self.members),
            "national_total": self.national_total,
            "saving": self.saving,
            "recommended": self.explanation.recommended,
            "recommended_because": self.explanation.reason,
            "unavailable": dict(self.unavailable),
            "notes": list(self.notes),
            "failures": [
                {"coalition": sorted(f.coalition), "error": f.error} for f in self.failures
            ],
            "coalitions": [
                {"members": in_member_order(s, self.members), "cost": v}
                for s, v in coalitions_by_size(self.coalition_costs, self.members)
            ],
            "seconds": self.seconds,
            "source": self.source,
            "sha256": self.sha256,
        }

    def _method_json(self, method: str) -> dict[str, Any]:
        allocation = self.allocations[method]
        return {
            "exact": allocation.exact,
            "shares": {
                p: {"cost": s.cost, "saving": s.saving, "stderr": s.stderr}
                for p, s in allocation.shares.items()
            },
            "samples": allocation.samples,
            "evaluations": allocation.evaluations,
            "efficiency_gap": self.efficiency_gap(method),
            "notes": list(allocation.notes),
        }

    def _stability_json(self, method: str) -> dict[str, Any]:
        check = self.stability[method]
        return {
            "stable": self.stable(method),
            "worst_coalition": in_member_order(check.coalition, self.members),
            "excess": check.excess,
            "exhaustive": check.exhaustive,
            "coalitions_checked": check.coalitions_checked,
            "tolerance": check.tolerance,
            "efficient": self.efficient(method),
            "verdict": self.verdict(method),
        }


_VERDICT_COLUMNS = [
    "method",
    "stable",
    "verdict",
    "worst_coalition",
    "excess",
    "exhaustive",
    "coalitions_checked",
    "efficiency_gap",
    "tolerance",
]


def in_member_order(coalition: Iterable[str], members: Sequence[str]) -> list[str]:
    """A coalition's members in the scenario's order."""
    inside = set(coalition)
    return [m for m in members if m in inside]


def coalitions_by_size(
    costs: Mapping[frozenset[str], float], members: Sequence[str]
) -> list[tuple[frozenset[str], float]]:
    """Coalitions by size, then by their members' positions in the scenario."""
    position = {m: k for k, m in enumerate(members)}
    return sorted(
        costs.items(), key=lambda item: (len(item[0]), sorted(position[m] for m in item[0]))
    )


# ----------------------------------------------------------------------------------------
# Sharing


def share(
    scenario: Scenario,
    methods: Iterable[str] = METHODS,
    *,
    samples: int | None = None,
    seed: int = 0,
    workers: int = 1,
    scheduler: str | ExecutorLike | None = None,
    precision: float | None = None,
    progress: ProgressCallback | None = None,
    options: SolveOptions | None = None,
    exact_limit: int = EXACT_LIMIT,
    search_budget: int | None = SEARCH_BUDGET,
    source: str = "",
    sha256: str = "",
) -> SharingResult:
    """Share the coalition's cost among its members and test each allocation's stability.

    The grand coalition and every member alone are solved first; a failure there stops
    everything (:class:`CoalitionError`). Then each method asked for: ``owen`` (one more
    solve, :func:`owen_allocation`), ``shapley`` (exact over every coalition up to
    ``exact_limit`` members unless ``samples`` or ``precision`` is given; else antithetic
    permutation sampling with a standard error per member, :data:`SAMPLES_BEYOND_EXACT`
    permutations by default) and ``nucleolus`` (every
    coalition; up to ``exact_limit`` members). Each allocation's most dissatisfied
    coalition is then found, over every coalition up to ``exact_limit`` members and by a
    local search beyond. A coalition that fails later makes the methods needing it
    unavailable and is listed in :attr:`SharingResult.failures`.

    Args:
        scenario: a validated scenario (:func:`planner.share` also takes a workbook).
        methods: any of :data:`METHODS`.
        samples: permutations for a sampled Shapley value (asks for sampling; with
            ``precision`` too, whichever is reached first stops it).
        seed: seed of the sampling and of the stability search.
        workers: local processes solving coalitions (1: in this process).
        scheduler: a Dask scheduler's address (``tcp://host:8786``) or any executor with
            ``submit`` (e.g. a ``distributed.Client``); overrides ``workers``.
        precision: stop sampling once every 95 % half-width is below it (asks for
            sampling).
        progress: called with a :class:`planner.analysis.batch.Progress` (solved, failed,
            total, seconds, seconds left) while a batch of coalitions solves.
        options: HiGHS options for every solve.
        exact_limit: most members for exhaustive methods.
        search_budget: most coalitions the stability search evaluates per allocation
            beyond ``exact_limit`` members; None for no limit.
        source: the workbook the scenario came from, for the report's provenance.
        sha256: that workbook's SHA-256.

    Raises:
        InputError: no members, an unknown method, an unusable scheduler,
            or ``workers``, ``samples``, ``precision`` or ``search_budget`` out of range.
        CoalitionError: the grand coalition or a member alone could not be solved.
    """
    _check_arguments(workers=workers, samples=samples, precision=precision, budget=search_budget)
    started = time.perf_counter()
    wanted = _methods(methods)
    if not scenario.members:
        raise InputError(f"scenario {scenario.name} has no members: there is nothing to share")
    cost = CoalitionCost(scenario, options)
    client, owned_client = connect(scheduler)
    values = CoalitionValues(cost, workers=workers, executor=client, progress=progress)
    try:
        game = _Sharing(scenario, cost, values, exact_limit, search_budget)
        game.run(wanted, samples=samples, precision=precision, seed=seed)
    finally:
        values.close()
        if owned_client is not None:
            owned_client.close()
    return game.result(
        seconds=time.perf_counter() - started,
        source=source,
        sha256=sha256,
    )


def _check_arguments(
    *, workers: int, samples: int | None, precision: float | None, budget: int | None
) -> None:
    """Refuse out-of-range settings before any solve (the CLI's options refuse them too)."""
    problems = [
        f"{what} {value}: {rule}"
        for what, value, wrong, rule in (
            ("workers", workers, workers < 1, "at least 1 process"),
            ("samples", samples, samples is not None and samples < 4, "at least 4 orders"),
            ("precision", precision, precision is not None and not precision > 0, "above 0"),
            ("search budget", budget, budget is not None and budget < 1, "at least 1"),
        )
        if wrong
    ]
    if problems:
        raise InputError(f"unusable sharing settings: {'; '.join(problems)}")


def _methods(methods: Iterable[str]) -> tuple[str, ...]:
    asked = list(dict.fromkeys(methods))
    unknown = [m for m in asked if m not in METHODS]
    if unknown or not asked:
        raise InputError(
            f"unknown sharing method(s) {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(METHODS)}"
        )
    return tuple(m for m in METHODS if m in asked)


class _Sharing:
    """One run of :func:`share`: the game's values and what has been computed from them."""

    def __init__(
        self,
        scenario: Scenario,
        cost: CoalitionCost,
        values: CoalitionValues,
        exact_limit: int,
        search_budget: int | None = None,
    ) -> None:
        self.search_budget = search_budget
        self.scenario = scenario
        self.cost = cost
        self.values = values
        self.players = scenario.members
        self.exhaustive = len(self.players) <= exact_limit
        self.exact_limit = exact_limit
        self.allocations: dict[str, Allocation] = {}
        self.stability: dict[str, Stability] = {}
        self.unavailable: dict[str, str] = {}
        self.grand = 0.0
        self.national: dict[str, float] = {}

    def run(
        self, methods: Sequence[str], *, samples: int | None, precision: float | None, seed: int
    ) -> None:
        """Solve the grand coalition and the singletons, then each method and its check."""
        grand = frozenset(self.players)
        singles = [frozenset((p,)) for p in self.players]
        self.values.evaluate([grand, *singles])
        failed = [f for f in self.values.failures if f.coalition in {grand, *singles}]
        if failed:
            raise CoalitionError(failed)
        self.grand = self.values(grand)
        self.national = {p: self.values(s) for p, s in zip(self.players, singles, strict=True)}
        compute: dict[str, Callable[[], Allocation]] = {
            "owen": self._owen,
            "shapley": lambda: self._shapley(samples, precision, seed),
            "nucleolus": self._nucleolus,
        }
        for method in methods:
            self._attempt(method, compute[method])
        for method, allocation in self.allocations.items():
            self._check(method, allocation, seed)

    def _attempt(self, method: str, compute: Callable[[], Allocation]) -> None:
        try:
            self.allocations[method] = compute()
        except CoalitionError as exc:
            self.unavailable[method] = _failure_reason(exc)
        except _Skipped as exc:
            self.unavailable[method] = str(exc)

    def _owen(self) -> Allocation:
        return owen_allocation(
            self.scenario, self.cost.options, standalone=self.national, total=self.grand
        )

    def _shapley(self, samples: int | None, precision: float | None, seed: int) -> Allocation:
        if samples is None and precision is None:
            if self.exhaustive:
                return shapley_exact(self.players, self.values)
            samples = SAMPLES_BEYOND_EXACT
        return shapley_sampled(
            self.players, self.values, samples=samples, precision=precision, seed=seed
        )

    def _nucleolus(self) -> Allocation:
        if not self.exhaustive:
            raise _Skipped(
                f"the nucleolus needs every one of the {2 ** len(self.players) - 1:,} "
                f"coalitions; it is computed up to {self.exact_limit} members"
            )
        return nucleolus(self.players, self.values)

    def _check(self, method: str, allocation: Allocation, seed: int) -> None:
        try:
            self.stability[method] = most_dissatisfied(
                self.players,
                self.values,
                allocation,
                exhaustive_limit=self.exact_limit,
                seed=seed,
                tolerance=self._tolerance(),
                budget=self.search_budget,
            )
        except CoalitionError as exc:
            self.unavailable[f"stability/{method}"] = _failure_reason(exc)

    def _tolerance(self) -> float | None:
        """Excess still counted as stable: round-off for an LP, the MIP gap for a MILP."""
        if not self.scenario.has_build_decisions:
            return None
        gap = self.cost.options.gap
        magnitude = max(1.0, abs(self.grand), math.fsum(abs(v) for v in self.national.values()))
        return max(1e-7, gap) * magnitude

    def notes(self) -> tuple[str, ...]:
        notes: list[str] = []
        tolerance = self._tolerance()
        if tolerance is not None:
            notes.append(
                "the scenario has build decisions, so each coalition's cost is optimal only "
                "to within the MIP gap; an excess up to "
                f"{tolerance:,.4g} {self.scenario.currency} still counts as stable"
            )
        if any(link.allowed for link in self.scenario.links):
            notes.append(
                "a member alone is its national stack (no trade at all), while a coalition "
                "of two or more also trades over every link the Links sheet opens, including "
                "links to countries outside it (non-members, or members not in that "
                "coalition), whose resources and facilities it may then use"
            )
        return tuple(notes)

    def verdicts(self) -> dict[str, Stability]:
        """Each check, ``stable`` only when the shares also add up to ``c(N)``: the core's
        two conditions, so that ``stability[m].stable`` and ``stable(m)`` agree."""
        checks = {}
        for method, check in self.stability.items():
            gap = self.grand - math.fsum(self.allocations[method].costs)
            efficient = abs(gap) <= max(check.tolerance, 1e-9)
            checks[method] = dataclasses.replace(check, stable=check.stable and efficient)
        return checks

    def result(self, *, seconds: float, source: str, sha256: str) -> SharingResult:
        by_id = self.scenario.country_by_id
        return SharingResult(
            scenario=self.scenario.name,
            currency=self.scenario.currency,
            members=self.players,
            names={p: by_id[p].name for p in self.players},
            coalition_cost=self.grand,
            national_costs=self.national,
            allocations=self.allocations,
            stability=self.verdicts(),
            unavailable=self.unavailable,
            notes=self.notes(),
            failures=self.values.failures,
            coalition_costs=self.values.values,
            exact_limit=self.exact_limit,
            seconds=seconds,
            source=source,
            sha256=sha256,
        )


class _Skipped(Exception):
    """A method not computed for this game, with the reason."""


def _failure_reason(error: CoalitionError) -> str:
    count = len(error.failures)
    first = ", ".join("{" + ", ".join(sorted(f.coalition)) + "}" for f in error.failures[:3])
    more = f" and {count - 3} more" if count > 3 else ""
    return f"needs the cost of {count} coalition(s) whose solve failed: {first}{more}"
