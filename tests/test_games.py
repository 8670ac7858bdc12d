"""Cost-sharing rules and stability tests on games given directly (no planner LP).

The published games and their exact values come from ``shared/research/cost_sharing.md``
(§A7 table G1-G14, §B2 Ricardo, §B3 the toy compute/minerals stack game). Savings games
``v`` are passed as the cost game ``c = -v``: the cost shares are then the negated
payoffs, and excesses, the least core's ``t`` and stability are the same numbers.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

import highspy
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.analysis.batch import Progress
from planner.analysis.games import (
    Allocation,
    CoalitionError,
    CoalitionValues,
    gray_code_coalitions,
    least_core,
    most_dissatisfied,
    nucleolus,
    owen_from_prices,
    shapley,
    shapley_exact,
    shapley_sampled,
)

Game = dict[frozenset[str], float]
EXACT = {"rel": 1e-8, "abs": 1e-7}
"""Exact values: the LPs of the nucleolus are solved to 1e-9 on costs scaled to 1."""


# ----------------------------------------------------------------------------------------
# Game builders


def names(n: int) -> list[str]:
    return [f"p{k}" for k in range(n)]


def proper_and_grand(players: Sequence[str]) -> list[frozenset[str]]:
    """Every non-empty coalition in CoopGame's "lex" order: 1, 2, 3, 12, 13, 23, 123."""
    return [frozenset(s) for k in range(1, len(players) + 1) for s in combinations(players, k)]


def lex_game(players: Sequence[str], values: Sequence[float], *, savings: bool = True) -> Game:
    """A game from its lex-ordered values; a savings game becomes the cost game ``-v``."""
    coalitions = proper_and_grand(players)
    assert len(values) == len(coalitions)
    sign = -1.0 if savings else 1.0
    return {s: sign * float(v) for s, v in zip(coalitions, values, strict=True)}


def game_of(players: Sequence[str], cost: Callable[[frozenset[str]], float]) -> Game:
    return {s: cost(s) for s in proper_and_grand(players)}


def bankruptcy(claims: Mapping[str, float], estate: float) -> Game:
    """``v(S) = max(0, E - claims outside S)``, as a cost game."""
    total = sum(claims.values())
    return game_of(list(claims), lambda s: -max(0.0, estate - (total - sum(claims[p] for p in s))))


def frac(*values: Fraction | int | str) -> list[float]:
    return [float(Fraction(v)) for v in values]


def neg(values: Sequence[float]) -> list[float]:
    return [-v for v in values]


def production_lp(
    matrix: Sequence[Sequence[float]], prices: Sequence[float], resources: Sequence[float]
) -> tuple[float, list[float]]:
    """``min -prices @ y`` s.t. ``matrix @ y <= resources``, ``y >= 0`` with HiGHS.

    Returns the optimum (the cost of a linear production game) and the row duals, which
    for this minimisation are ``∂cost/∂resources`` (<= 0).
    """
    a = np.asarray(matrix, dtype=float)
    m, k = a.shape
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    none = np.array([], dtype=np.int32)
    highs.addCols(k, -np.asarray(prices, float), np.zeros(k), np.full(k, np.inf), 0, none, none, [])
    rows, cols = np.nonzero(a)
    starts = np.searchsorted(rows, np.arange(m)).astype(np.int32)
    highs.addRows(
        m, np.full(m, -np.inf), np.asarray(resources, float), len(rows), starts,
        cols.astype(np.int32), a[rows, cols],
    )  # fmt: skip
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value, list(highs.getSolution().row_dual)


def production_game(
    matrix: Sequence[Sequence[float]],
    prices: Sequence[float],
    owned: Mapping[str, Sequence[float]],
) -> tuple[Game, list[float]]:
    """Owen's linear production game as a cost game, and the grand coalition's duals."""

    def cost(s: frozenset[str]) -> float:
        pooled = np.sum([owned[p] for p in s], axis=0)
        return production_lp(matrix, prices, pooled)[0]

    game = game_of(list(owned), cost)
    return game, production_lp(matrix, prices, np.sum(list(owned.values()), axis=0))[1]


def owen_of_production(
    owned: Mapping[str, Sequence[float]], duals: Sequence[float], game: Game
) -> Allocation:
    contributions = {p: dict(enumerate(b)) for p, b in owned.items()}
    return owen_from_prices(
        contributions,
        dict(enumerate(duals)),
        standalone={p: game[frozenset([p])] for p in owned},
        total=game[frozenset(owned)],
    )


def in_core(players: Sequence[str], game: Game, allocation: Allocation) -> bool:
    assert sum(allocation.costs) == pytest.approx(game[frozenset(players)], rel=1e-9, abs=1e-9)
    return most_dissatisfied(players, game, allocation, tolerance=1e-6).stable


# ----------------------------------------------------------------------------------------
# Published games with exact values


def test_glove_game() -> None:
    """G6: one left glove (P1), two right; Shapley (2/3, 1/6, 1/6), nucleolus (1, 0, 0)."""
    players = names(3)
    game = lex_game(players, [0, 0, 0, 1, 1, 0, 1])
    assert shapley_exact(players, game).savings == pytest.approx(frac("2/3", "1/6", "1/6"))
    assert nucleolus(players, game).savings == pytest.approx([1, 0, 0], **EXACT)


def test_airport_game() -> None:
    """G8: runway costs 12, 18, 24, 36, ``c(S)`` = the longest runway S needs."""
    players = names(4)
    runway = dict(zip(players, [12.0, 18.0, 24.0, 36.0], strict=True))
    game = game_of(players, lambda s: max(runway[p] for p in s))
    assert shapley_exact(players, game).costs == pytest.approx([3, 5, 8, 20])
    assert nucleolus(players, game).costs == pytest.approx([6, 6, 6, 18], **EXACT)
    assert least_core(players, game)[0] == pytest.approx(-6, **EXACT)


@pytest.mark.parametrize(
    ("estate", "talmud", "shapley_value"),
    [
        (100, frac("100/3", "100/3", "100/3"), frac("100/3", "100/3", "100/3")),
        (200, [50, 75, 75], frac("100/3", "250/3", "250/3")),
        (300, [50, 100, 150], [50, 100, 150]),
    ],
)
def test_bankruptcy_nucleolus_is_the_talmud_rule(
    estate: float, talmud: list[float], shapley_value: list[float]
) -> None:
    """G5: claims 100, 200, 300 (Aumann & Maschler 1985)."""
    players = names(3)
    game = bankruptcy(dict(zip(players, [100, 200, 300], strict=True)), estate)
    assert nucleolus(players, game).savings == pytest.approx(talmud, **EXACT)
    assert shapley_exact(players, game).savings == pytest.approx(shapley_value)


def test_lp_production_game_published_values() -> None:
    """G1 (coopProductGame): Shapley (229, 272, 491), nucleolus (149, 192, 651), Owen
    (230, 282, 480) from the duals (8, 6), least core -81; every value is a profit."""
    players = names(3)
    owned = {"p0": [4, 33], "p1": [6, 39], "p2": [60, 0]}
    game, duals = production_game([[4, 5], [6, 2]], [68, 52], owned)
    assert [game[s] for s in proper_and_grand(players)] == pytest.approx(
        neg([68, 102, 0, 170, 710, 762, 992])
    )
    assert duals == pytest.approx([-8, -6])
    assert shapley_exact(players, game).costs == pytest.approx(neg([229, 272, 491]))
    assert nucleolus(players, game).costs == pytest.approx(neg([149, 192, 651]), **EXACT)
    owen = owen_of_production(owned, duals, game)
    assert owen.costs == pytest.approx(neg([230, 282, 480]))
    assert owen.savings == pytest.approx([230 - 68, 282 - 102, 480 - 0])
    assert owen.notes == ()
    assert in_core(players, game, owen)
    assert least_core(players, game)[0] == pytest.approx(-81, **EXACT)


def test_lp_production_game_owen_matches_mattugames() -> None:
    """G2 (MatTuGames): duals (0, 150/7, 50/7), Owen (7000, 4000, 15500), in the core."""
    players = names(3)
    owned = {"p0": [9, 260, 200], "p1": [5, 120, 200], "p2": [14, 590, 400]}
    game, duals = production_game([[0.25, 0.1], [8, 5], [4, 6]], [200, 150], owned)
    assert game[frozenset(["p0", "p2"])] == pytest.approx(-243000 / 11)
    assert game[frozenset(players)] == pytest.approx(-26500)
    owen = owen_of_production(owned, duals, game)
    assert owen.costs == pytest.approx(neg([7000, 4000, 15500]))
    assert in_core(players, game, owen)


@pytest.mark.parametrize(
    ("values", "savings", "shapley_value", "nucleolus_value", "epsilon"),
    [
        pytest.param(
            [0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21], True,
            frac("47/12", "21/4", "21/4", "79/12"), [3.5, 4.5, 5.5, 7.5], -0.5, id="G3",
        ),
        pytest.param(
            [1, 1, 1, 2, 3, 4, 5], True, frac("7/6", "5/3", "13/6"), [1, 1.5, 2.5], 0,
            id="G4",
        ),
        pytest.param(
            [300, 270, 280, 410, 410, 410, 550], False, frac("575/3", "530/3", "545/3"),
            frac("550/3", "550/3", "550/3"), -130 / 3, id="G7-apartments",
        ),
        pytest.param(
            [163520, 140826, 250096, 301607, 378821, 367370, 412584], False,
            [117829, 100756.5, 193998.5], [116234, 93540, 202810], None, id="G9-TVA",
        ),
        pytest.param(
            [46125, 17437.5, 5812.5, 69187.5, 53812.5, 30750, 90000], True,
            [51750, 25875, 12375], [52687.5, 24468.75, 12843.75], -6562.5, id="G10-Lemaire",
        ),
        pytest.param(
            [100, 0, 0, 150, 160, 0, 160], True, frac("415/3", "25/3", "40/3"), [155, 0, 5], 0,
            id="G13-farmer",
        ),
    ],
)  # fmt: skip
def test_published_games(
    values: list[float],
    savings: bool,
    shapley_value: list[float],
    nucleolus_value: list[float],
    epsilon: float | None,
) -> None:
    """Shapley value, nucleolus and least-core ``t`` of the §A7 games (payoffs or costs)."""
    players = names(round(math.log2(len(values) + 1)))
    game = lex_game(players, values, savings=savings)
    sign = -1.0 if savings else 1.0
    assert shapley_exact(players, game).costs == pytest.approx([sign * v for v in shapley_value])
    found = nucleolus(players, game)
    assert found.costs == pytest.approx([sign * v for v in nucleolus_value], **EXACT)
    if epsilon is not None:
        assert least_core(players, game)[0] == pytest.approx(epsilon, **EXACT)
        assert most_dissatisfied(players, game, found).excess == pytest.approx(epsilon, **EXACT)


def test_shapley_of_a_game_that_is_not_superadditive() -> None:
    """G11 (Ibn Ezra, Aumann 2010): (485/6, 125/6, 65/6, 15/2)."""
    players = names(4)
    game = lex_game(players, [120, 60, 40, 30, 120, 120, 120, 60, 60, 40, 120, 120, 120, 60, 120])
    assert shapley_exact(players, game).costs == pytest.approx(
        neg(frac("485/6", "125/6", "65/6", "15/2"))
    )


@pytest.mark.parametrize(
    ("values", "epsilon"),
    [
        ([1, 1, 1, 2, 3, 4, 3], 1),
        ([0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 3, 3, 3, 3, 4], 1 / 3),
        ([0, 0, 0, 40, 50, 20, 100], -25),
    ],
)
def test_least_core_tells_an_empty_core_from_a_non_empty_one(
    values: list[float], epsilon: float
) -> None:
    """G14: the first two games are unbalanced (``t > 0``), the last balanced."""
    players = names(round(math.log2(len(values) + 1)))
    game = lex_game(players, values)
    t, point = least_core(players, game)
    assert t == pytest.approx(epsilon, **EXACT)
    assert sum(point.costs) == pytest.approx(game[frozenset(players)])
    assert most_dissatisfied(players, game, point).excess == pytest.approx(epsilon, **EXACT)
    assert most_dissatisfied(players, game, nucleolus(players, game)).stable is (epsilon <= 0)


STACK_GAME = lex_game(["A", "B", "C"], [20, 12, 12, 8, 30, 13, 12], savings=False)
"""§B3: the toy compute/minerals stack game's coalition costs."""


def test_stack_game_shares() -> None:
    """§B3: Shapley (26/3, -23/6, 43/6), nucleolus (9.5, -5.5, 8), Owen (0, 8, 4).

    Owen: the demand row is priced 2 (the marginal unit is made in C), A's compute
    capacity -1 (its rent); B's capacity and the minerals are not binding (price 0).
    """
    players = ["A", "B", "C"]
    assert shapley_exact(players, STACK_GAME).costs == pytest.approx(frac("26/3", "-23/6", "43/6"))
    assert nucleolus(players, STACK_GAME).costs == pytest.approx([9.5, -5.5, 8], **EXACT)
    owen = owen_from_prices(
        {
            "A": {"demand": 4, "capacity A": 8},
            "B": {"demand": 4, "capacity B": 10, "minerals B": 12},
            "C": {"demand": 2, "capacity C": 5},
        },
        {"demand": 2, "capacity A": -1, "capacity B": 0, "capacity C": 0, "minerals B": 0},
        standalone={"A": 20, "B": 12, "C": 12},
        total=12,
    )
    assert owen.costs == pytest.approx([0, 8, 4])
    assert owen.savings == pytest.approx([20, 4, 8])
    verdict = most_dissatisfied(players, STACK_GAME, owen)
    assert verdict.stable
    assert verdict.exhaustive
    assert verdict.coalition == {"A", "B"}  # the tight coalition
    assert verdict.excess == pytest.approx(0, abs=1e-12)


def test_ricardo_game() -> None:
    """§B2: Shapley = nucleolus = equal split (1840/9, 1390/9); Owen (1700/9, 170)."""
    players = ["E", "P"]
    game = lex_game(players, [220, 170, Fraction(3230, 9)], savings=False)
    expected = frac("1840/9", "1390/9")
    assert shapley_exact(players, game).costs == pytest.approx(expected)
    assert nucleolus(players, game).costs == pytest.approx(expected, **EXACT)
    owen = owen_from_prices(
        {"E": {"cloth": 1, "wine": 1, "labour E": 220},
         "P": {"cloth": 1, "wine": 1, "labour P": 170}},
        {"cloth": 100, "wine": Fraction(800, 9), "labour E": 0, "labour P": -Fraction(1, 9)},
        standalone={"E": 220, "P": 170},
    )  # fmt: skip
    assert owen.costs == pytest.approx(frac("1700/9", 170))
    assert owen.savings == pytest.approx([280 / 9, 0], abs=1e-12)
    assert owen.total == pytest.approx(3230 / 9)


# ----------------------------------------------------------------------------------------
# Properties on random games


@st.composite
def random_games(draw: st.DrawFn, min_players: int = 2, max_players: int = 5) -> Game:
    n = draw(st.integers(min_players, max_players))
    values = draw(st.lists(st.integers(-50, 50), min_size=2**n - 1, max_size=2**n - 1))
    return lex_game(names(n), values, savings=False)


@st.composite
def concave_cost_games(draw: st.DrawFn) -> Game:
    """Submodular cost games (the core is non-empty and holds the Shapley value):
    ``c(S) = sum_S a_i + b * sqrt(sum_S w_i)``."""
    n = draw(st.integers(2, 5))
    a = draw(st.lists(st.integers(-10, 10), min_size=n, max_size=n))
    w = draw(st.lists(st.integers(1, 9), min_size=n, max_size=n))
    b = draw(st.integers(0, 20))
    players = names(n)
    return game_of(
        players, lambda s: sum(a[players.index(p)] + 0.0 for p in s)
        + b * math.sqrt(sum(w[players.index(p)] for p in s)),
    )  # fmt: skip


def players_of(game: Game) -> list[str]:
    return names(max(len(s) for s in game))


def kohlberg_balanced(players: Sequence[str], game: Game, allocation: Allocation) -> bool:
    """Kohlberg's criterion for the prenucleolus: for every level ``a``, the coalitions
    with excess >= ``a`` form a balanced collection (positive weights ``w_S`` with
    ``sum_S w_S 1_S = 1_N``). An independent check of the sequential LPs."""
    x = dict(zip(players, allocation.costs, strict=True))
    proper = [s for s in game if len(s) < len(players)]
    excess = {s: sum(x[p] for p in s) - game[s] for s in proper}
    for level in sorted(set(np.round(list(excess.values()), 6)), reverse=True):
        chosen = [s for s in proper if excess[s] >= level - 1e-6]
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        k = len(chosen)
        none = np.array([], dtype=np.int32)
        # columns: w_S >= 1 (scale-free positivity), then lambda >= 0
        highs.addCols(k + 1, np.zeros(k + 1), np.append(np.ones(k), 0), np.full(k + 1, np.inf),
                      0, none, none, [])  # fmt: skip
        for p in players:
            cols = [j for j, s in enumerate(chosen) if p in s] + [k]
            vals = [1.0] * (len(cols) - 1) + [-1.0]
            highs.addRow(0, 0, len(cols), np.array(cols, dtype=np.int32), np.array(vals))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(random_games(min_players=1))
def test_every_method_is_efficient(game: Game) -> None:
    players = players_of(game)
    total = game[frozenset(players)]
    assert sum(shapley_exact(players, game).costs) == pytest.approx(total, abs=1e-9)
    assert sum(nucleolus(players, game).costs) == pytest.approx(total, abs=1e-6)
    assert sum(least_core(players, game)[1].costs) == pytest.approx(total, abs=1e-6)
    sampled = shapley_sampled(players, game, samples=8)
    assert sum(sampled.costs) == pytest.approx(total, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(random_games())
def test_prenucleolus_satisfies_kohlberg(game: Game) -> None:
    players = players_of(game)
    assert kohlberg_balanced(players, game, nucleolus(players, game, imputation=False))


@settings(max_examples=40, deadline=None)
@given(random_games())
def test_symmetric_players_get_equal_shares(game: Game) -> None:
    """Symmetrise a random game in players p0 and p1: they must get equal shares."""
    players = players_of(game)
    swap = {"p0": "p1", "p1": "p0"}
    symmetric = {s: game[s] + game[frozenset(swap.get(p, p) for p in s)] for s in game}
    for method in (shapley_exact, nucleolus):
        costs = method(players, symmetric).costs
        assert costs[0] == pytest.approx(costs[1], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(random_games(max_players=4), st.integers(-20, 20))
def test_a_dummy_player_pays_its_own_cost(game: Game, own: int) -> None:
    """A player z with ``c(S + z) = c(S) + own`` pays ``own`` (0: the null player)."""
    players = players_of(game)
    bigger = {**game, frozenset(["z"]): float(own)}
    bigger.update({s | {"z"}: v + own for s, v in game.items()})
    everyone = [*players, "z"]
    assert shapley_exact(everyone, bigger).share("z").cost == pytest.approx(own)
    assert shapley_exact(everyone, bigger).share("z").saving == pytest.approx(0, abs=1e-9)
    assert shapley_exact(everyone, bigger).costs[:-1] == pytest.approx(
        shapley_exact(players, game).costs
    )


@settings(max_examples=40, deadline=None)
@given(random_games(max_players=4), st.integers(0, 2**32 - 1), st.integers(-3, 3))
def test_shapley_is_linear(game: Game, seed: int, weight: int) -> None:
    players = players_of(game)
    rng = np.random.default_rng(seed)
    other = {s: float(rng.integers(-50, 50)) for s in game}
    combined = {s: game[s] + weight * other[s] for s in game}
    expected = np.add(shapley_exact(players, game).costs,
                      weight * np.array(shapley_exact(players, other).costs))  # fmt: skip
    assert shapley_exact(players, combined).costs == pytest.approx(expected, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(concave_cost_games())
def test_concave_cost_games_have_shapley_and_nucleolus_in_the_core(game: Game) -> None:
    players = players_of(game)
    t, _ = least_core(players, game)
    assert t <= 1e-9
    assert in_core(players, game, shapley_exact(players, game))
    found = nucleolus(players, game)
    assert in_core(players, game, found)
    assert most_dissatisfied(players, game, found).excess == pytest.approx(t, abs=1e-6)
    assert kohlberg_balanced(players, game, found)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(2, 4),
    st.integers(2, 3),
    st.integers(2, 3),
    st.integers(0, 2**32 - 1),
)
def test_owen_and_nucleolus_lie_in_the_core_of_lp_production_games(
    n: int, resources: int, products: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(1, 6, size=(resources, products)).tolist()
    prices = rng.integers(1, 11, size=products).tolist()
    owned = {p: rng.integers(0, 21, size=resources).tolist() for p in names(n)}
    game, duals = production_game(matrix, prices, owned)
    players = names(n)
    owen = owen_of_production(owned, duals, game)
    assert owen.notes == ()
    assert in_core(players, game, owen)
    assert in_core(players, game, nucleolus(players, game))


def test_nucleolus_keeps_to_imputations_when_the_core_is_empty() -> None:
    """G14's first game (v = 1, 1, 1, 2, 3, 4, 3): the least core is the single point
    (0, 1, 2), which is the prenucleolus; the only imputation is (1, 1, 1)."""
    players = names(3)
    game = lex_game(players, [1, 1, 1, 2, 3, 4, 3])
    assert nucleolus(players, game).costs == pytest.approx([-1, -1, -1], **EXACT)
    pre = nucleolus(players, game, imputation=False)
    assert pre.method == "prenucleolus"
    assert pre.costs == pytest.approx([0, -1, -2], **EXACT)


@settings(max_examples=60, deadline=None)
@given(random_games())
def test_the_nucleolus_is_an_imputation(game: Game) -> None:
    players = players_of(game)
    alone = [game[frozenset([p])] for p in players]
    assume(sum(alone) >= game[frozenset(players)])
    found = nucleolus(players, game)
    assert found.method == "nucleolus"
    assert all(s >= -1e-6 for s in found.savings)


def test_nucleolus_of_a_large_random_game() -> None:
    """11 players, random costs (empty core, many rounds): the prenucleolus's largest
    excess is the least core's ``t``, and the nucleolus stays an imputation."""
    rng = np.random.default_rng(1)
    players = names(11)
    game = game_of(players, lambda s: float(rng.uniform(0, 10 * len(s) ** 0.8)))
    t, _ = least_core(players, game)
    pre = nucleolus(players, game, imputation=False)
    assert sum(pre.costs) == pytest.approx(game[frozenset(players)])
    assert most_dissatisfied(players, game, pre).excess == pytest.approx(t, abs=1e-6)
    found = nucleolus(players, game)
    assert found.method == "nucleolus"
    assert all(s >= -1e-6 for s in found.savings)


def test_nucleolus_without_imputations_is_the_prenucleolus() -> None:
    """Cooperating costs more (3 > 1 + 1): no imputation; (1.5, 1.5) with a note."""
    players = names(2)
    found = nucleolus(players, {frozenset(["p0"]): 1, frozenset(["p1"]): 1,
                                frozenset(players): 3})  # fmt: skip
    assert found.method == "prenucleolus"
    assert found.costs == pytest.approx([1.5, 1.5])
    assert "prenucleolus" in found.notes[0]


def test_one_player_pays_everything() -> None:
    game = {frozenset(["solo"]): 7.0}
    for method in (shapley_exact, nucleolus, shapley):
        assert method(["solo"], game).costs == (7.0,)
    t, point = least_core(["solo"], game)
    assert (t, point.costs) == (0.0, (7.0,))
    verdict = most_dissatisfied(["solo"], game, {"solo": 7.0})
    assert verdict.stable
    assert verdict.coalition == frozenset()


# ----------------------------------------------------------------------------------------
# Sampled Shapley value


def nine_player_game() -> Game:
    """A 9-player game with large, uneven marginal costs (random, with some structure)."""
    rng = np.random.default_rng(7)
    players = names(9)
    base = rng.uniform(10, 100, 9)
    noise = {s: rng.uniform(-20, 20) for s in proper_and_grand(players)}
    return game_of(
        players,
        lambda s: float(np.sqrt(sum(base[players.index(p)] ** 2 for p in s))) + noise[s],
    )


def test_sampled_shapley_lies_within_its_reported_error_of_the_exact_value() -> None:
    game = nine_player_game()
    players = names(9)
    exact = np.array(shapley_exact(players, game).costs)
    sampled = shapley_sampled(players, game, samples=2000, seed=3)
    error = np.array(sampled.stderr)
    assert not sampled.exact
    assert sampled.samples == 2000
    assert np.all(error > 0)
    assert np.all(np.abs(np.array(sampled.costs) - exact) <= 4 * error)
    assert sum(sampled.costs) == pytest.approx(game[frozenset(players)], abs=1e-9)


def test_antithetic_pairs_are_exact_for_two_players() -> None:
    """An order and its reverse are both orders of two players: no sampling error."""
    game = lex_game(names(2), [3, 5, 4], savings=False)
    sampled = shapley_sampled(names(2), game, samples=4)
    assert sampled.costs == pytest.approx(shapley_exact(names(2), game).costs)
    assert sampled.stderr == (0.0, 0.0)


def test_reported_standard_errors_match_the_spread_over_seeds() -> None:
    """Over 300 seeds, the spread of the estimates is the standard error reported."""
    players = names(5)
    game = {s: v for s, v in nine_player_game().items() if s <= set(players)}
    runs = [shapley_sampled(players, game, samples=40, seed=seed) for seed in range(300)]
    spread = np.std([r.costs for r in runs], axis=0, ddof=1)
    reported = np.sqrt(np.mean([np.square(r.stderr) for r in runs], axis=0))
    assert spread / reported == pytest.approx(np.ones(5), abs=0.2)


def test_sampled_shapley_stops_at_the_requested_precision() -> None:
    game = nine_player_game()
    players = names(9)
    sampled = shapley_sampled(players, game, precision=3.0, seed=1)
    assert max(1.96 * e for e in sampled.stderr) < 3.0
    assert 20 <= sampled.samples < 100_000
    assert sampled.notes == ()
    # one pair fewer would not have met it: the rule stops at the first pair that does
    fewer = shapley_sampled(players, game, samples=sampled.samples - 2, seed=1)
    assert max(1.96 * e for e in fewer.stderr) >= 3.0


def test_sampled_shapley_says_when_the_precision_is_not_reached() -> None:
    sampled = shapley_sampled(names(9), nine_player_game(), precision=1e-6, max_samples=40)
    assert sampled.samples == 40
    assert "not reached" in sampled.notes[0]


def test_sampled_shapley_is_reproducible_and_batch_independent() -> None:
    game = nine_player_game()
    players = names(9)
    first = shapley_sampled(players, game, samples=200, seed=11)
    assert shapley_sampled(players, game, samples=200, seed=11) == first
    assert shapley_sampled(players, game, samples=200, seed=11, batch=1).costs == first.costs
    assert shapley_sampled(players, game, samples=200, seed=12).costs != first.costs


def test_shapley_is_exact_up_to_the_limit_then_sampled() -> None:
    game = nine_player_game()
    players = names(9)
    assert shapley(players, game).exact
    assert shapley(players, game).stderr == (0.0,) * 9
    sampled = shapley(players, game, exact_limit=8, samples=100)
    assert not sampled.exact
    assert sampled.samples == 100


def test_sampling_requests_are_checked() -> None:
    game = nine_player_game()
    with pytest.raises(ValueError, match="at least 4"):
        shapley_sampled(names(9), game, samples=2)
    with pytest.raises(ValueError, match="positive"):
        shapley_sampled(names(9), game, precision=0)


# ----------------------------------------------------------------------------------------
# Stability


def planted_game(
    n: int, members: frozenset[str], *, gradual: bool
) -> tuple[Callable[[frozenset[str]], float], dict[str, float]]:
    """Everyone costs 10 alone; the planted members save together (all four at once, or 2
    per pair inside the group); the allocation gives the group's 12 of savings to others.

    The planted group's excess is 12; any other coalition's is lower.
    """
    players = names(n)

    def cost(s: frozenset[str]) -> float:
        inside = len(s & members)
        saving = 2 * math.comb(inside, 2) if gradual else 12.0 * (inside == len(members))
        return 10.0 * len(s) - saving

    outsiders = n - len(members)
    shares = {p: 10.0 if p in members else 10.0 - 12.0 / outsiders for p in players}
    return cost, shares


def test_most_dissatisfied_finds_the_planted_coalition_by_enumeration() -> None:
    members = frozenset(["p2", "p3", "p5", "p7"])
    cost, shares = planted_game(10, members, gradual=False)
    verdict = most_dissatisfied(names(10), cost, shares)
    assert verdict.coalition == members
    assert verdict.excess == pytest.approx(12)
    assert not verdict.stable
    assert verdict.exhaustive
    assert verdict.coalitions_checked == 2**10 - 2


def test_most_dissatisfied_finds_the_planted_coalition_by_search() -> None:
    members = frozenset(["p1", "p8", "p13", "p20"])
    cost, shares = planted_game(24, members, gradual=True)
    verdict = most_dissatisfied(names(24), cost, shares)
    assert verdict.coalition == members
    assert verdict.excess == pytest.approx(12)
    assert not verdict.exhaustive
    assert 24 < verdict.coalitions_checked < 2**24 // 100


def test_the_search_stops_at_its_budget() -> None:
    """A budget of 100 coalitions: the search stops within one climbing step (at most 24
    more) of it, and still reports the best coalition it saw, not exhaustively."""
    members = frozenset(["p1", "p8", "p13", "p20"])
    cost, shares = planted_game(24, members, gradual=True)
    unlimited = most_dissatisfied(names(24), cost, shares)
    verdict = most_dissatisfied(names(24), cost, shares, budget=100)
    assert 100 <= verdict.coalitions_checked <= 100 + 24
    assert verdict.coalitions_checked < unlimited.coalitions_checked
    assert not verdict.exhaustive
    assert verdict.excess <= unlimited.excess


def test_shapley_outside_the_core_is_unstable() -> None:
    """G4: the core is ``{(1, y, 4 - y)}``; Shapley pays p0 7/6 > 1, so {p1, p2} would
    leave, gaining 4 - (5/3 + 13/6) = 1/6."""
    players = names(3)
    game = lex_game(players, [1, 1, 1, 2, 3, 4, 5])
    verdict = most_dissatisfied(players, game, shapley_exact(players, game))
    assert verdict.coalition == {"p1", "p2"}
    assert verdict.excess == pytest.approx(1 / 6)
    assert not verdict.stable


def test_among_equally_dissatisfied_coalitions_the_smallest_is_reported() -> None:
    """{p0, p1} and {p2} both have excess 0 under (0.5, 0.5, 1); the report names {p2}."""
    players = names(3)
    game = game_of(players, lambda s: 1.0 if s == {"p0", "p1"} else min(len(s), 2))
    verdict = most_dissatisfied(players, game, {"p0": 0.5, "p1": 0.5, "p2": 1.0})
    assert verdict.coalition == {"p2"}
    assert verdict.stable


def test_most_dissatisfied_needs_every_share() -> None:
    with pytest.raises(ValueError, match="p2"):
        most_dissatisfied(names(3), STACK_GAME, {"p0": 1.0, "p1": 2.0})


# ----------------------------------------------------------------------------------------
# Evaluating coalition costs


def additive_cost(coalition: frozenset[str]) -> float:
    """Module level, so that spawned worker processes can unpickle it."""
    return float(sum(int(p[1:]) + 1 for p in coalition))


def cost_failing_for_p0_p2(coalition: frozenset[str]) -> float:
    if coalition == {"p0", "p2"}:
        raise RuntimeError("solver gave up")
    return additive_cost(coalition)


class Counting:
    def __init__(self, cost: Callable[[frozenset[str]], float]) -> None:
        self.cost = cost
        self.calls: list[frozenset[str]] = []

    def __call__(self, coalition: frozenset[str]) -> float:
        self.calls.append(coalition)
        return self.cost(coalition)


def test_each_coalition_is_evaluated_once_across_methods() -> None:
    counting = Counting(additive_cost)
    values = CoalitionValues(counting)
    players = names(5)
    exact = shapley_exact(players, values)
    nucleolus(players, values)
    most_dissatisfied(players, values, exact)
    assert sorted(map(sorted, counting.calls)) == sorted(map(sorted, proper_and_grand(players)))
    assert exact.evaluations == values.evaluations == 31


def test_exact_methods_walk_the_coalitions_in_gray_code_order() -> None:
    counting = Counting(additive_cost)
    shapley_exact(names(4), counting)
    assert counting.calls == gray_code_coalitions(names(4))
    steps = zip(counting.calls, counting.calls[1:], strict=False)
    assert all(len(a ^ b) == 1 for a, b in steps)


def test_a_failed_coalition_is_reported_not_dropped() -> None:
    values = CoalitionValues(cost_failing_for_p0_p2)
    with pytest.raises(CoalitionError, match=r"\{p0, p2\}: RuntimeError: solver gave up") as info:
        shapley_exact(names(3), values)
    assert [f.coalition for f in info.value.failures] == [{"p0", "p2"}]
    assert values.values[frozenset(["p0", "p1", "p2"])] == 6.0  # the others were evaluated
    assert info.value.exit_code == 3


def test_non_finite_costs_and_missing_coalitions_are_failures() -> None:
    game: Game = {frozenset(["p0"]): 1.0, frozenset(["p1"]): math.nan}
    with pytest.raises(CoalitionError) as info:
        shapley_exact(names(2), game)
    errors = {f.coalition: f.error for f in info.value.failures}
    assert "not a finite number" in errors[frozenset(["p1"])]
    assert "no cost given for coalition {p0, p1}" in errors[frozenset(["p0", "p1"])]


def test_progress_is_reported_up_to_the_total() -> None:
    seen: list[Progress] = []
    values = CoalitionValues(additive_cost, progress=seen.append)
    shapley_exact(names(4), values)
    assert (seen[-1].done, seen[-1].failed, seen[-1].total) == (15, 0, 15)
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_parallel_workers_give_the_same_values_and_report_failures() -> None:
    players = names(6)
    with CoalitionValues(cost_failing_for_p0_p2, workers=2, chunk_size=5) as parallel:
        parallel.evaluate(proper_and_grand(players))
        assert [f.coalition for f in parallel.failures] == [{"p0", "p2"}]
        expected = {s: additive_cost(s) for s in proper_and_grand(players) if s != {"p0", "p2"}}
        assert parallel.values == expected
    with CoalitionValues(additive_cost, workers=2) as parallel:
        assert shapley_exact(players, parallel).costs == pytest.approx([1, 2, 3, 4, 5, 6])


class InlineExecutor:
    """Executor-like, as a Dask ``distributed.Client`` is: ``submit`` returns a future."""

    def __init__(self, *, lose_tasks: bool = False) -> None:
        self.submitted = 0
        self.lose_tasks = lose_tasks

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> concurrent.futures.Future[Any]:
        self.submitted += 1
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        if self.lose_tasks:
            future.set_exception(OSError("worker lost"))
        else:
            future.set_result(fn(*args))
        return future


def test_an_executor_can_replace_the_process_pool() -> None:
    executor = InlineExecutor()
    values = CoalitionValues(additive_cost, executor=executor, chunk_size=4)
    assert shapley_exact(names(4), values).costs == pytest.approx([1, 2, 3, 4])
    assert executor.submitted == 4  # 15 coalitions in chunks of 4


def test_a_lost_task_fails_each_of_its_coalitions() -> None:
    values = CoalitionValues(additive_cost, executor=InlineExecutor(lose_tasks=True))
    values.evaluate(proper_and_grand(names(3)))
    assert len(values.failures) == 7
    assert all(f.error == "OSError: worker lost" for f in values.failures)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        shapley_exact(["a", "a"], {})
    with pytest.raises(ValueError, match="workers"):
        CoalitionValues(additive_cost, workers=0)


def test_a_search_budget_below_one_is_refused() -> None:
    """With no coalition searched, the best excess found would be -inf: a verdict of
    "stable" that checked nothing, and a number JSON cannot hold."""
    cost, shares = planted_game(24, frozenset(["p1", "p8"]), gradual=True)
    with pytest.raises(ValueError, match="budget"):
        most_dissatisfied(names(24), cost, shares, budget=0)


# ----------------------------------------------------------------------------------------
# Owen's allocation


def test_owen_needs_a_price_for_every_owned_row() -> None:
    with pytest.raises(ValueError, match="capacity"):
        owen_from_prices({"A": {"demand": 1, "capacity": 2}}, {"demand": 1})


def test_owen_refuses_a_price_that_is_not_a_finite_number() -> None:
    """A NaN or infinite dual would make every share it touches NaN or infinite."""
    for price in (math.nan, math.inf):
        with pytest.raises(ValueError, match="capacity"):
            owen_from_prices({"A": {"demand": 1, "capacity": 2}}, {"demand": 1, "capacity": price})


def test_owen_notes_when_the_shares_miss_the_total() -> None:
    """A constant right-hand side no player owns: the prices no longer add up to c(N)."""
    owen = owen_from_prices({"A": {"demand": 1}, "B": {"demand": 1}}, {"demand": 3}, total=10)
    assert owen.costs == (3.0, 3.0)
    assert owen.total == 10
    assert "not a linear production game" in owen.notes[0]
    assert all(math.isnan(s) for s in owen.savings)  # no standalone costs given
