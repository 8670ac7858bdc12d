"""Who gains what: cost-sharing rules and stability tests for a cooperative cost game.

Contract of this stage: every function takes the players and a **cost game** given
directly, ``c(S)`` for each non-empty coalition ``S`` of players (``c(∅) = 0`` by
convention, never asked for), and returns a frozen :class:`Allocation` or
:class:`Stability`. The game is a mapping ``frozenset -> cost``, a callable
``frozenset -> cost``, or a :class:`CoalitionValues` (a cached, possibly parallel
callable). No function here knows about the planner's LP: the planner supplies
``c(S)`` = the ``min_cost`` objective of the coalition regime with only ``S`` as
members, and ``c({i})`` = member ``i``'s national cost.

Conventions:

- A **cost share** ``x_i`` is what player ``i`` pays; ``sum_i x_i = c(N)`` (efficiency)
  for every rule here, and for Owen's whenever the game is a linear production game.
  Its **saving** is ``c({i}) - x_i``.
- The **excess** of a coalition under ``x`` is ``e(S, x) = x(S) - c(S)``: what the
  members of ``S`` would save by leaving and standing alone. ``x`` is in the core
  (stable) when no proper coalition has a positive excess.
- Exact methods enumerate all ``2^n - 1`` coalitions once, in Gray-code order (each
  coalition differs from the previous one by one member, so a caller's warm-started
  solver changes one member at a time), and cache every value.
- Values must be finite. A coalition whose evaluation raises or returns a non-finite
  number is recorded as a :class:`CoalitionFailure`; a method that needs its value
  raises :class:`CoalitionError`, which lists every failed coalition.

The small LPs of the least core and the nucleolus go to HiGHS through
:func:`planner.model.lp.solve_lp`.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, cast

import numpy as np
import numpy.typing as npt

from planner.analysis.batch import BatchEngine, Outcome, ProgressCallback
from planner.errors import NoPlanError
from planner.model.lp import solve_lp

__all__ = [
    "Allocation",
    "CoalitionError",
    "CoalitionFailure",
    "CoalitionValues",
    "CostFunction",
    "ExecutorLike",
    "ProgressCallback",
    "Share",
    "Stability",
    "gray_code_coalitions",
    "least_core",
    "most_dissatisfied",
    "nucleolus",
    "owen_from_prices",
    "shapley",
    "shapley_exact",
    "shapley_sampled",
]

Coalition = frozenset[str]
CostFunction = Mapping[frozenset[str], float] | Callable[[frozenset[str]], float]
"""A cost game: ``c(S)`` for every non-empty coalition ``S`` of the players."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

MAX_ENUMERATED_PLAYERS = 24
"""Beyond this, enumerating every coalition (16.7 million) is refused."""

DEFAULT_SAMPLES = 1000
"""Permutations drawn by :func:`shapley_sampled` when neither samples nor precision is given."""

_Z95 = 1.96
"""Two-sided 95 % normal quantile: the stopping rule is ``max_i 1.96 SE_i < precision``."""

_LP_TOLERANCE = 1e-9
"""Tolerance of the least-core and nucleolus LPs, which are solved on costs scaled to 1."""

_STABILITY_TOLERANCE = 1e-7
"""Relative tolerance under which a positive excess still counts as stable."""


# ----------------------------------------------------------------------------------------
# Results


class Share(NamedTuple):
    """One player's part of an allocation.

    Attributes:
        cost: the cost share ``x_i`` the player pays.
        saving: ``c({i}) - x_i``, what it saves against standing alone.
        stderr: standard error of ``cost`` (and of ``saving``); 0 when exact.
    """

    cost: float
    saving: float
    stderr: float


@dataclass(frozen=True)
class Allocation:
    """A division of the grand coalition's cost among its players.

    Attributes:
        method: ``shapley``, ``nucleolus``, ``least_core``, ``owen``, ...
        players: the players, in the order given.
        costs: cost share ``x_i`` per player (aligned with ``players``).
        savings: ``c({i}) - x_i`` per player; NaN where ``c({i})`` was not supplied.
        stderr: standard error per player; 0 when exact.
        total: the grand coalition's cost ``c(N)``.
        exact: True unless the shares are estimates.
        evaluations: distinct coalitions whose cost the method used.
        samples: permutations drawn (0 for exact methods).
        notes: caveats a report must show next to the numbers.
    """

    method: str
    players: tuple[str, ...]
    costs: tuple[float, ...]
    savings: tuple[float, ...]
    stderr: tuple[float, ...]
    total: float
    exact: bool
    evaluations: int
    samples: int = 0
    notes: tuple[str, ...] = ()

    def share(self, player: str) -> Share:
        """The share of one player.

        Raises:
            KeyError: ``player`` is not one of the players.
        """
        try:
            k = self.players.index(player)
        except ValueError:
            raise KeyError(player) from None
        return Share(self.costs[k], self.savings[k], self.stderr[k])

    @property
    def shares(self) -> dict[str, Share]:
        """Every player's share, by player."""
        return {p: self.share(p) for p in self.players}

    @property
    def cost_shares(self) -> dict[str, float]:
        """Cost share per player, the form :func:`most_dissatisfied` accepts."""
        return dict(zip(self.players, self.costs, strict=True))


@dataclass(frozen=True)
class Stability:
    """The verdict on one allocation: which coalition would most gain by leaving.

    Attributes:
        coalition: the most dissatisfied proper coalition found (empty only for one player).
        excess: its excess ``x(S) - c(S)``: what its members would save by leaving.
        stable: ``excess <= tolerance``; when not ``exhaustive`` it means only that the
            search found no blocking coalition.
        exhaustive: True when every proper coalition was checked.
        coalitions_checked: distinct proper coalitions whose excess was computed.
        tolerance: the excess still counted as stable (round-off of the LP values).
    """

    coalition: frozenset[str]
    excess: float
    stable: bool
    exhaustive: bool
    coalitions_checked: int
    tolerance: float


@dataclass(frozen=True)
class CoalitionFailure:
    """A coalition whose cost could not be evaluated.

    Attributes:
        coalition: the coalition.
        error: what went wrong (the exception's type and message, or the bad value).
    """

    coalition: frozenset[str]
    error: str


class CoalitionError(NoPlanError):
    """A cost-sharing method needed coalition costs that could not be evaluated."""

    def __init__(self, failures: Sequence[CoalitionFailure]) -> None:
        self.failures: tuple[CoalitionFailure, ...] = tuple(failures)
        lines = [f"the cost of {len(self.failures)} coalition(s) could not be evaluated:"]
        lines += [f"  - {_label(f.coalition)}: {f.error}" for f in self.failures[:10]]
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more")
        super().__init__("\n".join(lines))


def _label(coalition: Iterable[str]) -> str:
    return "{" + ", ".join(sorted(coalition)) + "}"


# ----------------------------------------------------------------------------------------
# Evaluating coalition costs, cached and in parallel


class ExecutorLike(Protocol):
    """An executor: any ``concurrent.futures.Executor``, or a Dask ``distributed.Client``
    (whose ``get_executor()`` is then used)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Schedule ``fn(*args)``."""
        ...


def _evaluate_cost(cost: Callable[[Coalition], float], coalition: Coalition) -> float:
    """The batch engine's item function: ``cost`` is the context each worker holds."""
    return float(cost(coalition))


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _MappingCost:
    """A mapping used as a cost function; a missing coalition is a clear error."""

    def __init__(self, values: Mapping[frozenset[str], float]) -> None:
        self.values = values

    def __call__(self, coalition: Coalition) -> float:
        try:
            return self.values[coalition]
        except KeyError:
            raise KeyError(f"no cost given for coalition {_label(coalition)}") from None


class CoalitionValues:
    """A cost function evaluated at most once per coalition, in parallel when asked.

    Pass one to any function of this module in place of the plain cost function, to
    share the cache between methods (Shapley, nucleolus and stability reuse the same
    ``2^n - 1`` values) and to evaluate batches in parallel. The batches run on
    :class:`planner.analysis.batch.BatchEngine`: the cost function is sent once to each
    worker, a coalition whose evaluation raises (or kills its worker) fails alone, and the
    values do not depend on the number of workers.

    Args:
        cost: the cost game. With ``workers > 1`` or an ``executor`` it must pickle
            (a module-level function or an instance of a module-level class).
        workers: processes of a local pool (``spawn`` start method); 1 evaluates in this
            process.
        executor: any ``concurrent.futures.Executor``, or a Dask ``distributed.Client``;
            overrides ``workers``. It is not shut down here.
        progress: called with a :class:`planner.analysis.batch.Progress` while a batch
            is evaluated.
        chunk_size: coalitions per task; default adaptive (see the batch engine).
    """

    def __init__(
        self,
        cost: CostFunction,
        *,
        workers: int = 1,
        executor: ExecutorLike | None = None,
        progress: ProgressCallback | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self._cost: Callable[[Coalition], float] = (
            _MappingCost(cost) if isinstance(cost, Mapping) else cost
        )
        get_executor = getattr(executor, "get_executor", None)
        if not isinstance(executor, concurrent.futures.Executor) and callable(get_executor):
            executor = get_executor()  # a Dask client: its concurrent.futures face
        self._engine: BatchEngine[Callable[[Coalition], float], Coalition, float] = BatchEngine(
            _evaluate_cost,
            self._cost,
            workers=workers,
            executor=cast(concurrent.futures.Executor | None, executor),
            chunk_size=chunk_size,
        )
        self.workers = workers
        self.progress = progress
        self._values: dict[Coalition, float] = {}
        self._failures: dict[Coalition, str] = {}

    def __call__(self, coalition: Iterable[str]) -> float:
        """The cost of one coalition (0 for the empty one).

        Raises:
            CoalitionError: its evaluation failed (now or before).
        """
        key = frozenset(coalition)
        if not key:
            return 0.0
        self.evaluate([key])
        if key in self._failures:
            raise CoalitionError([CoalitionFailure(key, self._failures[key])])
        return self._values[key]

    @property
    def values(self) -> Mapping[frozenset[str], float]:
        """Every cost evaluated so far (a read-only copy)."""
        return dict(self._values)

    @property
    def failures(self) -> tuple[CoalitionFailure, ...]:
        """Every coalition whose evaluation failed, in the order they failed."""
        return tuple(CoalitionFailure(s, e) for s, e in self._failures.items())

    @property
    def evaluations(self) -> int:
        """Coalitions evaluated so far, failed ones included."""
        return len(self._values) + len(self._failures)

    def failure(self, coalition: frozenset[str]) -> str | None:
        """Why a coalition failed, or None if it has not failed."""
        return self._failures.get(coalition)

    def evaluate(self, coalitions: Iterable[frozenset[str]]) -> None:
        """Evaluate every coalition not yet evaluated (or failed), in parallel if set up.

        Failures are recorded (see :attr:`failures`), never raised, and not retried; they
        are recorded in the order of ``coalitions``, whatever order the workers finish in.
        """
        todo = [
            s
            for s in dict.fromkeys(coalitions)
            if s and s not in self._values and s not in self._failures
        ]
        if not todo:
            return
        batch = self._engine.map(todo, progress=self.progress)
        for outcome in batch.outcomes:
            self._record(todo[outcome.index], outcome)

    def _record(self, coalition: Coalition, outcome: Outcome[float]) -> None:
        value = outcome.value
        if outcome.error is not None or value is None:
            self._failures[coalition] = outcome.error or "no value"
        elif not math.isfinite(value):
            self._failures[coalition] = f"its cost is {value}, not a finite number"
        else:
            self._values[coalition] = value

    def close(self) -> None:
        """Shut down the local process pool, if one was started (not a given executor)."""
        self._engine.close()

    def __enter__(self) -> CoalitionValues:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gray_code_coalitions(players: Sequence[str]) -> list[frozenset[str]]:
    """Every non-empty coalition, each differing from the previous one by one player.

    The order in which the exact methods evaluate a game: a solver kept warm between
    coalitions changes one member at a time.
    """
    game = _Game(players, {})
    return [game.coalition(int(m)) for m in _gray_masks(len(game.players))]


def _gray_masks(n: int) -> Ints:
    k = np.arange(1, 1 << n, dtype=np.int64)
    return k ^ (k >> 1)


class _Game:
    """Players with their indices, and the game's values keyed by bit mask."""

    def __init__(self, players: Sequence[str], cost: CostFunction | CoalitionValues) -> None:
        self.players = _check_players(players)
        self.n = len(self.players)
        self.grand = (1 << self.n) - 1
        self.values = cost if isinstance(cost, CoalitionValues) else CoalitionValues(cost)
        self._cache: dict[int, float] = {0: 0.0}

    def coalition(self, mask: int) -> Coalition:
        return frozenset(p for k, p in enumerate(self.players) if mask >> k & 1)

    def ensure(self, masks: Iterable[int]) -> None:
        """Evaluate every coalition not yet known; raise if any of them failed."""
        todo = {m: self.coalition(m) for m in masks if m not in self._cache}
        if not todo:
            return
        self.values.evaluate(todo.values())
        failed: list[CoalitionFailure] = []
        for mask, coalition in todo.items():
            error = self.values.failure(coalition)
            if error is None:
                self._cache[mask] = self.values(coalition)
            else:
                failed.append(CoalitionFailure(coalition, error))
        if failed:
            raise CoalitionError(failed)

    def value(self, mask: int) -> float:
        self.ensure([mask])
        return self._cache[mask]

    def table(self) -> Floats:
        """``c`` of every coalition, indexed by mask (``c(∅) = 0``)."""
        if self.n > MAX_ENUMERATED_PLAYERS:
            raise ValueError(
                f"{self.n} players have {2**self.n - 1} coalitions, too many to enumerate "
                f"(at most {MAX_ENUMERATED_PLAYERS} players); use a sampled method"
            )
        self.ensure(int(m) for m in _gray_masks(self.n))
        return np.array([self._cache[m] for m in range(1 << self.n)], dtype=np.float64)

    def singletons(self) -> Floats:
        self.ensure(1 << k for k in range(self.n))
        return np.array([self._cache[1 << k] for k in range(self.n)], dtype=np.float64)

    @property
    def evaluations(self) -> int:
        """Distinct non-empty coalitions whose values were used."""
        return len(self._cache) - 1

    def known(self, mask: int) -> float:
        """The value of a coalition already evaluated by :meth:`ensure`."""
        return self._cache[mask]

    def allocation(
        self,
        method: str,
        costs: Floats,
        *,
        exact: bool,
        stderr: Floats | None = None,
        samples: int = 0,
        notes: tuple[str, ...] = (),
    ) -> Allocation:
        """Package cost shares with their savings against each player's own cost."""
        return Allocation(
            method=method,
            players=self.players,
            costs=tuple(float(v) for v in costs),
            savings=tuple(float(v) for v in self.singletons() - costs),
            stderr=(0.0,) * self.n if stderr is None else tuple(float(v) for v in stderr),
            total=self.value(self.grand),
            exact=exact,
            evaluations=self.evaluations,
            samples=samples,
            notes=notes,
        )


def _check_players(players: Sequence[str]) -> tuple[str, ...]:
    names = tuple(players)
    if not names:
        raise ValueError("a game needs at least one player")
    if len(set(names)) != len(names):
        doubles = sorted({p for p in names if names.count(p) > 1})
        raise ValueError(f"players must be distinct; repeated: {', '.join(doubles)}")
    return names


def _membership(n: int, masks: Ints) -> Floats:
    """Incidence matrix: row r is the 0/1 membership vector of ``masks[r]``."""
    return ((masks[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.float64)


# ----------------------------------------------------------------------------------------
# Shapley value


def shapley(
    players: Sequence[str],
    cost: CostFunction | CoalitionValues,
    *,
    exact_limit: int = 12,
    samples: int | None = None,
    precision: float | None = None,
    seed: int = 0,
    max_samples: int = 100_000,
) -> Allocation:
    """The Shapley value: exact up to ``exact_limit`` players, sampled beyond.

    Args:
        players: the players.
        cost: the cost game.
        exact_limit: largest number of players computed exactly (``2^n - 1`` values).
        samples: see :func:`shapley_sampled`.
        precision: see :func:`shapley_sampled`.
        seed: see :func:`shapley_sampled`.
        max_samples: see :func:`shapley_sampled`.
    """
    if len(players) <= exact_limit:
        return shapley_exact(players, cost)
    return shapley_sampled(
        players, cost, samples=samples, precision=precision, seed=seed, max_samples=max_samples
    )


def shapley_exact(players: Sequence[str], cost: CostFunction | CoalitionValues) -> Allocation:
    """The Shapley value by enumerating every coalition once.

    ``x_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! * (c(S + i) - c(S))``:
    the player's marginal cost averaged over every order in which the coalition can form.
    Each of the ``2^n - 1`` values is evaluated once and reused by every player.
    """
    game = _Game(players, cost)
    values = game.table()
    n = game.n
    masks = np.arange(1 << n, dtype=np.int64)
    sizes = np.bitwise_count(masks).astype(np.int64)
    f = [math.factorial(k) for k in range(n + 1)]
    weights = np.array([f[s] * f[n - s - 1] / f[n] for s in range(n)], dtype=np.float64)
    costs = np.empty(n, dtype=np.float64)
    for k in range(n):
        bit = 1 << k
        without = masks[(masks & bit) == 0]
        costs[k] = weights[sizes[without]] @ (values[without | bit] - values[without])
    return game.allocation("shapley", costs, exact=True)


class _RunningMean:
    """Mean and standard error of a stream of vectors (Welford's update)."""

    def __init__(self, n: int) -> None:
        self.count = 0
        self.mean = np.zeros(n, dtype=np.float64)
        self._m2 = np.zeros(n, dtype=np.float64)

    def add(self, sample: Floats) -> None:
        self.count += 1
        delta = sample - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (sample - self.mean)

    def stderr(self) -> Floats:
        if self.count < 2:
            return np.full_like(self.mean, np.inf)
        return np.sqrt(np.maximum(self._m2, 0.0) / (self.count - 1) / self.count)


def shapley_sampled(
    players: Sequence[str],
    cost: CostFunction | CoalitionValues,
    *,
    samples: int | None = None,
    precision: float | None = None,
    seed: int = 0,
    max_samples: int = 100_000,
    min_samples: int = 20,
    batch: int = 16,
) -> Allocation:
    """The Shapley value estimated by antithetic permutation sampling.

    Each draw is a pair: a uniform random order of the players and its reverse. A
    player's estimate is the mean over pairs of its marginal cost averaged over the two
    orders; its standard error is the standard deviation of those pair means over
    ``sqrt(pairs)`` (the pairs, not the orders, are independent). Every order's marginal
    costs sum to ``c(N)``, so the estimate is exactly efficient.

    The same ``seed`` gives the same orders and the same estimate, whatever the cache,
    ``batch`` or the number of workers: coalitions are evaluated ``batch`` pairs at a
    time, but the stopping rule is applied after every pair.

    Args:
        players: the players.
        cost: the cost game.
        samples: permutations to draw (rounded up to an even number, at least 4). With
            ``precision`` too, the run stops at whichever comes first.
        precision: stop once ``max_i 1.96 * SE_i < precision`` (a 95 % half-width, in
            cost units), after at least ``min_samples`` permutations.
        seed: seed of the ``numpy`` random generator.
        max_samples: cap on permutations when only ``precision`` is given.
        min_samples: permutations drawn before the stopping rule may apply.
        batch: pairs whose coalitions are evaluated together (parallelism only).

    Without ``samples`` or ``precision``, draws :data:`DEFAULT_SAMPLES` permutations.
    """
    limit = _sample_limit(samples, precision, max_samples)
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    game = _Game(players, cost)
    game.ensure([game.grand])
    rng = np.random.default_rng(seed)
    stats = _RunningMean(game.n)
    min_pairs = max(2, math.ceil(min_samples / 2))
    stop = False
    while not stop and stats.count < limit // 2:
        orders = [rng.permutation(game.n) for _ in range(min(batch, limit // 2 - stats.count))]
        chains = [_prefixes(o) for o in orders] + [_prefixes(o[::-1]) for o in orders]
        game.ensure(m for chain in chains for m in chain)
        for order in orders:
            stats.add(0.5 * (_marginals(game, order) + _marginals(game, order[::-1])))
            stop = (
                precision is not None
                and stats.count >= min_pairs
                and float(np.max(_Z95 * stats.stderr())) < precision
            )
            if stop:
                break
    notes = _precision_notes(precision, stop, stats)
    return game.allocation(
        "shapley",
        stats.mean,
        stderr=stats.stderr(),
        exact=False,
        samples=2 * stats.count,
        notes=notes,
    )


def _sample_limit(samples: int | None, precision: float | None, max_samples: int) -> int:
    if precision is not None and not precision > 0:
        raise ValueError(f"precision must be positive, not {precision}")
    limit = samples if samples is not None else max_samples if precision else DEFAULT_SAMPLES
    if limit < 4:
        raise ValueError(f"at least 4 permutations (two pairs) are needed, not {limit}")
    return limit + limit % 2


def _prefixes(order: Ints) -> list[int]:
    """The coalitions formed along an order: first player, first two, ..., all."""
    masks, mask = [], 0
    for k in order:
        mask |= 1 << int(k)
        masks.append(mask)
    return masks


def _marginals(game: _Game, order: Ints) -> Floats:
    chain = [0.0, *(game.known(m) for m in _prefixes(order))]
    out = np.empty(game.n, dtype=np.float64)
    out[order] = np.diff(np.array(chain, dtype=np.float64))
    return out


def _precision_notes(precision: float | None, stop: bool, stats: _RunningMean) -> tuple[str, ...]:
    if precision is None or stop:
        return ()
    reached = float(np.max(_Z95 * stats.stderr()))
    return (
        f"precision ±{precision:g} not reached after {2 * stats.count} permutations "
        f"(largest 95 % half-width ±{reached:g})",
    )


# ----------------------------------------------------------------------------------------
# Least core and nucleolus


@dataclass
class _ExcessProgram:
    """The coalitions of a sequential excess LP, on costs scaled to magnitude 1.

    ``rows``/``costs`` are the proper coalitions still free; ``fixed``/``fixed_rhs`` the
    equalities ``x(S) = rhs`` already settled (the grand coalition first).
    """

    rows: Floats
    costs: Floats
    fixed: list[Floats] = field(default_factory=list)
    fixed_rhs: list[float] = field(default_factory=list)

    def solve(self, upper: Floats | None) -> tuple[Floats, float, Floats]:
        """``min t s.t. x(S) - t <= c(S)`` (free rows), the equalities, ``x <= upper``.

        Returns:
            x, t, and each free row's dual (non-zero only where the row is tight in
            every optimum).
        """
        m, n = self.rows.shape
        fixed = np.array(self.fixed, dtype=np.float64).reshape(-1, n)
        matrix = np.block([[self.rows, -np.ones((m, 1))], [fixed, np.zeros((len(fixed), 1))]])
        rhs = np.array(self.fixed_rhs, dtype=np.float64)
        lower = np.concatenate([np.full(m, -np.inf), rhs])
        upper_rows = np.concatenate([self.costs, rhs])
        col_upper = np.append(np.full(n, np.inf) if upper is None else upper, np.inf)
        objective = np.zeros(n + 1)
        objective[n] = 1.0
        solution, duals = solve_lp(objective, col_upper, matrix, lower, upper_rows)
        return solution[:n], float(solution[n]), duals[:m]


def least_core(
    players: Sequence[str], cost: CostFunction | CoalitionValues
) -> tuple[float, Allocation]:
    """The least core: the smallest ``t`` with ``x(S) - c(S) <= t`` for every proper ``S``.

    One LP over all ``2^n - 2`` proper coalitions: ``min t`` subject to ``x(N) = c(N)``
    and ``x(S) - t <= c(S)``. The core is non-empty if and only if ``t <= 0``.

    Returns:
        ``t`` (unique), and one point of the least core (not unique in general; the
        nucleolus is its canonical point).
    """
    game = _Game(players, cost)
    if game.n == 1:
        return 0.0, game.allocation("least_core", game.singletons(), exact=True)
    program, scale = _excess_program(game)
    x, t, _ = program.solve(None)
    return t * scale, game.allocation("least_core", x * scale, exact=True)


def nucleolus(
    players: Sequence[str], cost: CostFunction | CoalitionValues, *, imputation: bool = True
) -> Allocation:
    """The nucleolus, by sequential LPs on all ``2^n - 2`` proper coalitions.

    Among imputations (``x(N) = c(N)``, ``x_i <= c({i})``), it lexicographically
    minimises the largest excesses ``x(S) - c(S)``. Round 1 is the least-core LP; the rows
    with a non-zero dual are tight in every optimum, so they become equalities at that
    level; coalitions whose membership vector is spanned by the settled ones are dropped
    (their excess is settled too); repeat until none is left (at most ``n - 1`` rounds).
    Costs are scaled to magnitude 1 for the LPs, whose tolerance is 1e-9.

    When no imputation exists (``sum_i c({i}) < c(N)``: cooperation costs more), the
    bounds are dropped and the prenucleolus is returned, with a note saying so. The
    nucleolus lies in the core whenever the core is non-empty, and then equals the
    prenucleolus.

    Args:
        players: the players.
        cost: the cost game.
        imputation: keep ``x_i <= c({i})``; False gives the prenucleolus.
    """
    game = _Game(players, cost)
    if game.n == 1:
        return game.allocation("nucleolus", game.singletons(), exact=True)
    program, scale = _excess_program(game)
    upper: Floats | None = game.singletons() / scale if imputation else None
    notes: tuple[str, ...] = ()
    method = "nucleolus" if imputation else "prenucleolus"
    if upper is not None and float(np.sum(upper)) < float(program.fixed_rhs[0]) - _LP_TOLERANCE:
        upper = None
        method = "prenucleolus"
        notes = (
            "no imputation exists (cooperating costs more than standing alone): "
            "this is the prenucleolus",
        )
    x = _settle(program, upper)
    return game.allocation(method, x * scale, exact=True, notes=notes)


def _excess_program(game: _Game) -> tuple[_ExcessProgram, float]:
    values = game.table()
    scale = max(1.0, float(np.max(np.abs(values))))
    masks = np.arange(1, game.grand, dtype=np.int64)
    program = _ExcessProgram(_membership(game.n, masks), values[1 : game.grand] / scale)
    program.fixed.append(np.ones(game.n))
    program.fixed_rhs.append(values[game.grand] / scale)
    return program, scale


def _settle(program: _ExcessProgram, upper: Floats | None) -> Floats:
    """Run the rounds of the nucleolus until every coalition's excess is settled.

    Only tight rows independent of those already settled become equalities, so the
    equalities stay of full rank (dependent ones, consistent only up to round-off, could
    make the next LP infeasible); the dependent ones are settled all the same.
    """
    x = np.zeros(program.rows.shape[1])
    while len(program.rows):
        x, t, duals = program.solve(upper)
        tight = np.flatnonzero(np.abs(duals) > _LP_TOLERANCE)
        if not len(tight):  # numerically flat duals: settle the most binding row
            tight = np.array([np.argmax(np.abs(duals))])
        for row in tight:
            if not _spanned(program.rows[row : row + 1], np.array(program.fixed))[0]:
                program.fixed.append(program.rows[row])
                program.fixed_rhs.append(float(program.costs[row]) + t)
        keep = ~_spanned(program.rows, np.array(program.fixed))
        program.rows, program.costs = program.rows[keep], program.costs[keep]
    return x


def _spanned(rows: Floats, basis_rows: Floats) -> npt.NDArray[np.bool_]:
    """Which rows are linear combinations of ``basis_rows`` (to 1e-9)."""
    _, singular, vt = np.linalg.svd(basis_rows, full_matrices=False)
    q = vt[singular > 1e-9 * max(1.0, float(singular[0]))].T
    residual = rows - (rows @ q) @ q.T
    return np.asarray(np.linalg.norm(residual, axis=1) < 1e-9)


# ----------------------------------------------------------------------------------------
# Stability


def most_dissatisfied(
    players: Sequence[str],
    cost: CostFunction | CoalitionValues,
    allocation: Allocation | Mapping[str, float],
    *,
    exhaustive_limit: int = 16,
    restarts: int = 20,
    seed: int = 0,
    tolerance: float | None = None,
    budget: int | None = None,
) -> Stability:
    """The proper coalition that would most gain by leaving, and by how much.

    Maximises the excess ``x(S) - c(S)`` over proper non-empty coalitions ``S``. Up to
    ``exhaustive_limit`` players every coalition is checked. Beyond, a local search
    (add or drop the one player that most raises the excess, until none does) starts
    from every singleton, every coalition of all but one player and ``restarts`` random
    coalitions; the result says it is not exhaustive and how many coalitions it checked.

    Args:
        players: the players.
        cost: the cost game.
        allocation: cost share per player (an :class:`Allocation` or a mapping).
        exhaustive_limit: most players for which every coalition is checked.
        restarts: random starting coalitions of the search.
        seed: seed of the search's random starts.
        tolerance: excess still counted as stable; default 1e-7 times the largest of 1,
            ``|c(N)|`` and the shares' magnitudes.
        budget: most coalitions the search (beyond ``exhaustive_limit``) evaluates; it
            stops starting new climbs, and ends the current one, once it has seen that
            many. None for no limit.

    Raises:
        ValueError: ``budget`` is below 1, or the allocation misses a player's share.
    """
    if budget is not None and budget < 1:
        raise ValueError(f"the search budget must be at least 1 coalition, not {budget}")
    game = _Game(players, cost)
    shares = allocation.cost_shares if isinstance(allocation, Allocation) else allocation
    missing = [p for p in game.players if p not in shares]
    if missing:
        raise ValueError(f"the allocation has no share for {', '.join(missing)}")
    x = np.array([float(shares[p]) for p in game.players], dtype=np.float64)
    if tolerance is None:
        magnitude = max(1.0, abs(game.value(game.grand)), float(np.max(np.abs(x))))
        tolerance = _STABILITY_TOLERANCE * magnitude
    if game.n == 1:
        return Stability(frozenset(), 0.0, True, True, 0, tolerance)
    exhaustive = game.n <= exhaustive_limit
    if exhaustive:
        mask, excess, checked = _enumerate_excess(game, x)
    else:
        mask, excess, checked = _search_excess(game, x, restarts, seed, budget)
    return Stability(
        game.coalition(mask), excess, excess <= tolerance, exhaustive, checked, tolerance
    )


def _enumerate_excess(game: _Game, x: Floats) -> tuple[int, float, int]:
    values = game.table()
    masks = np.arange(1, game.grand, dtype=np.int64)
    # smaller coalitions first, so that among ties the smallest is reported
    masks = masks[np.argsort(np.bitwise_count(masks), kind="stable")]
    excess = _membership(game.n, masks) @ x - values[masks]
    best = int(np.argmax(excess))
    return int(masks[best]), float(excess[best]), len(masks)


def _search_excess(
    game: _Game, x: Floats, restarts: int, seed: int, budget: int | None = None
) -> tuple[int, float, int]:
    rng = np.random.default_rng(seed)
    starts = [1 << k for k in range(game.n)] + [game.grand ^ (1 << k) for k in range(game.n)]
    for _ in range(restarts):
        mask = int(sum(1 << k for k in np.flatnonzero(rng.random(game.n) < 0.5)))
        if 0 < mask < game.grand:
            starts.append(mask)
    seen: set[int] = set()
    limit = math.inf if budget is None else budget
    best, best_excess = starts[0], -math.inf
    for start in starts:
        if len(seen) >= limit:
            break
        mask, excess = _climb(game, x, start, seen, limit)
        if excess > best_excess:
            best, best_excess = mask, excess
    return best, best_excess, len(seen)


def _climb(
    game: _Game, x: Floats, mask: int, seen: set[int], limit: float = math.inf
) -> tuple[int, float]:
    """Best-improvement local search over add-one / drop-one moves, until no move raises
    the excess or ``limit`` coalitions have been seen."""
    game.ensure([mask])
    seen.add(mask)
    excess = _excess(game, x, mask)
    while True:
        moves = [mask ^ (1 << k) for k in range(game.n)]
        moves = [m for m in moves if 0 < m < game.grand]
        game.ensure(moves)
        seen.update(moves)
        best = max(moves, key=lambda m: _excess(game, x, m))
        best_excess = _excess(game, x, best)
        if best_excess <= excess:
            return mask, excess
        mask, excess = best, best_excess
        if len(seen) >= limit:
            return mask, excess


def _excess(game: _Game, x: Floats, mask: int) -> float:
    members = [k for k in range(game.n) if mask >> k & 1]
    return float(np.sum(x[members])) - game.value(mask)


# ----------------------------------------------------------------------------------------
# Owen's dual-price allocation


def owen_from_prices[RowKey: Hashable](
    contributions: Mapping[str, Mapping[RowKey, float]],
    prices: Mapping[RowKey, float],
    *,
    standalone: Mapping[str, float] | None = None,
    total: float | None = None,
    notes: Sequence[str] = (),
) -> Allocation:
    """Owen's allocation: each player pays for what it brings at the grand coalition's prices.

    ``x_i = sum_k prices[k] * contributions[i][k]``.

    Sign convention: ``prices[k]`` is the sensitivity ``∂c(N)/∂b_k`` of the grand
    coalition's cost to the right-hand side ``b_k`` of row ``k`` as the solver sees it,
    where ``b_k(S) = sum_{i in S} contributions[i][k]``. For a minimisation that is the
    row dual HiGHS reports. A target row (``>= demand``) has a price >= 0: the player
    pays for its targets. A capacity or endowment row (``<= available``) has a price
    <= 0: the player is credited for what it brings. Pin it with a finite difference.

    When every coalition's problem is the grand one with right-hand side ``b(S)`` (a
    linear production game), the allocation is efficient and in the core. Rows whose
    right-hand side no player owns, binaries, or non-member supply break this; if
    ``total`` is given and the shares miss it, a note says so.

    Args:
        contributions: per player, its contribution ``b_k^i`` to each row it owns.
        prices: per row, ``∂c(N)/∂b_k``; rows absent from every player's contributions
            are ignored.
        standalone: ``c({i})`` per player, for the savings (NaN without it).
        total: ``c(N)``, to check efficiency; the shares' sum is reported without it.
        notes: caveats to carry with the allocation.

    Raises:
        ValueError: a row with a non-zero contribution has no price, or one that is not a
            finite number.
    """
    players = _check_players(list(contributions))
    unpriced = sorted(
        {
            str(k)
            for b in contributions.values()
            for k, v in b.items()
            if v and not math.isfinite(prices.get(k, math.nan))
        }
    )
    if unpriced:
        raise ValueError(f"no finite price for row(s) {', '.join(unpriced)}")
    costs = np.array(
        [sum(prices[k] * v for k, v in contributions[p].items() if v) for p in players],
        dtype=np.float64,
    )
    alone = np.array(
        [standalone[p] if standalone is not None else np.nan for p in players], dtype=np.float64
    )
    notes = tuple(notes) + _efficiency_notes(float(np.sum(costs)), total)
    return Allocation(
        method="owen",
        players=players,
        costs=tuple(float(v) for v in costs),
        savings=tuple(float(v) for v in alone - costs),
        stderr=(0.0,) * len(players),
        total=float(np.sum(costs)) if total is None else total,
        exact=True,
        evaluations=0,
        notes=notes,
    )


def _efficiency_notes(paid: float, total: float | None) -> tuple[str, ...]:
    if total is None or abs(paid - total) <= _STABILITY_TOLERANCE * max(1.0, abs(total)):
        return ()
    return (
        f"the shares sum to {paid:g}, not the grand coalition's cost {total:g}: some "
        "right-hand side is owned by no player, so this is not a linear production game",
    )
