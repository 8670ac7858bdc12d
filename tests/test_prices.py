"""Shadow prices against finite differences: re-solve with one unit more and compare.

A reported price is the objective's improvement per extra unit of a right-hand side (money
saved in min_cost, weighted capability gained in max_capability). Each case below gives one
extra unit of:

- a resource: its ``available`` + 1;
- a capacity: its ``existing`` + 1;
- a budget: a member's ``budget`` + 1 (in national its own group, otherwise the pool);
- a new-capacity limit: its ``max_new`` + 1; a capped link: its ``capacity`` + 1;
- a target (min_cost): its ``amount`` + 1, one unit more demand, so the objective worsens
  by the price;
- a commodity balance: a free supply of one unit there (a new process with that commodity
  as its only output, cost 0, existing capacity 1), or, for a capability with a target
  met in min_cost, one unit more ``amount`` (one unit more demand: the objective worsens by
  the price).

An LP's optimal value is piecewise linear in each right-hand side, and the price is its
slope on the piece where the optimal basis stays the same. Each perturbation is chosen
(the arithmetic is in the ``why`` column) so that one more unit stays on that piece: the
binding constraint still binds and the same marginal activity absorbs the unit. A step
that ends exactly on a breakpoint is still on the piece. For a MILP the prices come from
the LP with the binaries fixed; each MILP perturbation leaves the optimal build decisions
unchanged, so the MILP's difference equals that LP's.

Each case also states its price derived by hand, so a test fails if the price, the
difference or the arithmetic is off.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pytest import approx

from planner.scenario.edits import with_records
from planner.scenario.schema import Mode, Regime

MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY
NATIONAL, COALITION, OPEN = Regime.NATIONAL, Regime.COALITION, Regime.OPEN


@dataclass(frozen=True)
class Case:
    """One price and the perturbation that checks it.

    ``run`` is ``scenario/regime/mode``; ``key`` is the price's key in its family.
    """

    run: str
    family: str
    key: tuple[str, ...] | str
    price: float
    why: str
    row: tuple[str, ...] = ()
    """The row that gets one unit more, where it is not ``key``: a budget's member, a link's
    Links row."""
    demand: bool = False
    """One unit more of a target's amount: the objective worsens by the price."""
    milp: bool = False

    @property
    def scenario(self) -> str:
        return self.run.split("/")[0]

    @property
    def regime(self) -> Regime:
        return Regime(self.run.split("/")[1])

    @property
    def mode(self) -> Mode:
        return Mode(self.run.split("/")[2])


CHIP_AT_A = 248.375
"""multi_layer's chip price: 0.25 * (1000 - 5 - 3 * 0.5), see its case."""

# fmt: off
CASES = [
    # multi_layer (LP): ore 10 allows 2.5 of the 3 caps; a cap costs 19.5, 4 of it ore.
    Case(
        "multi_layer/national/min_cost", "resource", ("A", "ore"), 0.25 * (1000 - 19.5),
        "one more ore = 0.25 cap more (2.75 < 3, still short): 250 penalty less 0.25*19.5",
    ),
    Case(
        "multi_layer/national/min_cost", "balance", ("A", "chip"), CHIP_AT_A,
        "a free chip = 0.25 cap (still short): 250 penalty less train 0.25*5, power 0.25*1.5",
    ),
    Case(
        "multi_layer/national/min_cost", "balance", ("A", "wafer"), 2 * CHIP_AT_A - 2 - 1,
        "a free wafer (gas in surplus) = one fab run = 2 chips, 3 caps exactly: two chips "
        "less fab 2 and power 2*0.5",
    ),
    Case(
        "multi_layer/national/max_capability", "budget", "A", 1 / 19.5,
        "budget 39 < the 48.75 that ore allows: one more money buys 1/19.5 cap",
        row=("A",),
    ),
    Case(
        "multi_layer/national/max_capability", "resource", ("A", "ore"), 0,
        "only 8 of the 10 ore are used: one more is worth nothing",
    ),
    # rich_multi_layer: multi_layer with budget 100: ore binds (2.5 caps for 48.75 < 100).
    Case(
        "rich_multi_layer/national/max_capability", "resource", ("A", "ore"), 0.25,
        "one more ore = 0.25 cap more, and the budget still has room (53.625 < 100)",
    ),
    Case(
        "rich_multi_layer/coalition/max_capability", "budget", "pooled", 0,
        "ore, not money, binds: one more money buys nothing",
        row=("A",),
    ),
    # short_of_fab: shortfall_stack with A's fab at 7: chips A 4, B 3; B falls 2 short.
    Case(
        "short_of_fab/coalition/min_cost", "capacity", ("A", "fab"), 100 - 9,
        "one more fab run = one more cap in B (then short 1): penalty 100 less its cost 9",
    ),
    Case(
        "short_of_fab/coalition/min_cost", "balance", ("B", "chip"), 100 - 2 - 1,
        "a free chip in B = one more cap there: penalty 100 less power 2 and train 1",
    ),
    Case(
        "short_of_fab/coalition/min_cost", "balance", ("A", "cap"), 6 + (100 - 9),
        "a free cap in A saves A's own (6) and frees a chip for B (then short 1): 91",
    ),
    Case(
        "shortfall_stack/coalition/min_cost", "balance", ("B", "cap"), 9,
        "target met; one more unit of B's target costs one more cap in B: 9 < penalty 100",
        demand=True,
    ),
    Case(
        "shortfall_stack/coalition/min_cost", "balance", ("A", "chip"), 2 + 3,
        "a free chip in A saves one fab run: ore 2 + fab 3 (fab 9 < 10 before and after)",
    ),
    Case(
        "capped_nonmember/open/min_cost", "balance", ("A", "chip"), 1 + 1 + 1,
        "A's marginal chip comes X -> B -> A (X -> A is full): fab 1 + two shipments",
    ),
    Case(
        "capped_nonmember/coalition/min_cost", "link", ("chip", "X", "A"), 5 - 2.5,
        "X -> A is full (3): one more X chip in A (2.5) replaces one of A's own (5)",
        row=("X", "A", "chip"),
    ),
    Case(
        "short_of_fab/coalition/min_cost", "target", ("B", "cap"), 100,
        "B falls short: one more unit of its target is one more unit short",
        demand=True,
    ),
    Case(
        "shortfall_stack/coalition/min_cost", "target", ("B", "cap"), 9,
        "target met: one more unit of it costs one more cap in B (9 < penalty 100)",
        demand=True,
    ),
    # pooled_budget (LP): A 4 units, B 4 (its train's limit), the pool of 12 spent.
    Case(
        "pooled_budget/coalition/max_capability", "budget", "pooled", 1,
        "A brings one more money to the pool: one more unit in A (weight 1, cost 1)",
        row=("A",),
    ),
    Case(
        "pooled_budget/coalition/max_capability", "capacity", ("B", "train"), 3 - 2,
        "one more unit in B (weight 3, cost 2) paid for by two fewer in A (weight 1 each)",
    ),
    Case(
        "pooled_budget/coalition/max_capability", "balance", ("B", "chip"), 2,
        "a free chip in B saves an import (2), which buys 2 more units in A",
    ),
    Case(
        "pooled_budget/national/max_capability", "budget", "A", 1,
        "A alone: one more money, one more unit at cost 1",
        row=("A",),
    ),
    Case(
        "pooled_budget/national/max_capability", "budget", "B", 0,
        "B alone has no fab: money buys it nothing",
        row=("B",),
    ),
    # MILPs: prices from the LP with the binaries fixed at their optimum.
    Case(
        "fixed_cost_justify/coalition/min_cost", "capacity", ("A", "fab"), 2,
        "built (new 6): one more existing unit saves one new unit (2); new 5 >= min_new",
        milp=True,
    ),
    Case(
        "fixed_cost_justify/coalition/min_cost", "balance", ("A", "chip"), 2 + 1,
        "built: a free chip in A saves new 2 + activity 1; new 5 >= min_new",
        milp=True,
    ),
    Case(
        "fixed_cost_justify/coalition/min_cost", "balance", ("B", "chip"), 2 + 1 + 1,
        "built: a free chip in B also saves the shipment (1)",
        milp=True,
    ),
    Case(
        "fixed_cost_justify/national/min_cost", "capacity", ("A", "fab"), 10 - 1,
        "not built: one existing unit makes a chip at 1 instead of a shortfall at 10 (and a "
        "build still does not pay: 12 + 5*2 + 1*1 > 1*10)",
        milp=True,
    ),
    Case(
        "small_build/coalition/min_cost", "new_limit", ("A", "fab"), 10 - (2 + 1 + 1),
        "new 5 = max_new: one more chip lets B (unit cost new 2 + activity 1 + ship 1), not "
        "A (3), avoid a shortfall at 10",
        milp=True,
    ),
    Case(
        "fixed_cost_afford/coalition/max_capability", "budget", "pooled", 3,
        "built: B brings one more money, which buys one more unit in B (cost 1, weight 3)",
        row=("B",),
        milp=True,
    ),
    Case(
        "fixed_cost_afford/coalition/max_capability", "capacity", ("A", "fab"), 0.25 * 3,
        "built: one existing unit saves new_cost 0.25, a quarter of a unit in B",
        milp=True,
    ),
]
# fmt: on


def case_id(case: Case) -> str:
    key = case.key if isinstance(case.key, str) else ",".join(case.key)
    return f"{case.run}/{case.family}/{key}"


@pytest.fixture(name="scenario_named")
def _scenario_named(request, edit):
    """A scenario by name; ``short_of_fab`` is shortfall_stack with A's fab at 7,
    ``rich_multi_layer`` multi_layer with budget 100, ``small_build`` fixed_cost_justify
    with A's max_new at 5 (= min_new)."""

    def scenario_named(name: str):
        if name == "short_of_fab":
            base = request.getfixturevalue("shortfall_stack")
            return edit(base, "capacity", ("A", "fab"), existing=7)
        if name == "small_build":
            base = request.getfixturevalue("fixed_cost_justify")
            return edit(base, "capacity", ("A", "fab"), max_new=5)
        if name == "rich_multi_layer":
            base = request.getfixturevalue("multi_layer")
            return edit(base, "countries", ("A",), budget=100)
        return request.getfixturevalue(name)

    return scenario_named


@pytest.fixture(name="one_more")
def _one_more(bump):
    """The scenario with one more unit of the right-hand side a case prices."""

    def one_more(scenario, case: Case):
        if case.family == "resource":
            return bump(scenario, "resources", case.key, "available")
        if case.family == "capacity":
            return bump(scenario, "capacity", case.key, "existing")
        if case.family == "new_limit":
            return bump(scenario, "capacity", case.key, "max_new")
        if case.family == "link":
            return bump(scenario, "links", case.row, "capacity")
        if case.family == "budget":
            return bump(scenario, "countries", case.row, "budget")
        if case.demand:
            return bump(scenario, "targets", case.key, "amount")
        country, commodity = case.key
        gift = f"gift_{commodity}"
        return with_records(
            scenario,
            {
                "Processes": [{"process": gift}],
                "Recipe": [
                    {"process": gift, "commodity": commodity, "role": "output", "amount": 1}
                ],
                "Capacity": [{"country": country, "process": gift, "existing": 1}],
            },
        )

    return one_more


def improvement(mode: Mode, before: float, after: float) -> float:
    """Money saved (min_cost) or capability gained (max_capability)."""
    return before - after if mode is MIN else after - before


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_price_equals_the_finite_difference(case, scenario_named, one_more, solve_run):
    scenario = scenario_named(case.scenario)
    base = solve_run(scenario, case.regime, case.mode)
    prices = base.prices
    reported = getattr(prices, case.family)[case.key]
    assert reported == approx(case.price, abs=1e-7), case.why
    assert prices.fixed_binaries is case.milp

    perturbed = solve_run(one_more(scenario, case), case.regime, case.mode)
    change = improvement(case.mode, base.objective, perturbed.objective)
    assert change == approx(-reported if case.demand else reported, abs=1e-6), case.why
    assert perturbed.build == base.build


def test_max_capability_prices_are_the_first_stages(pooled_budget, solve_run):
    """max_capability prices capability, not the second stage's money: a free cap is worth
    its weight (B 3, A 1), where the second stage (minimise spend holding capability at 16)
    would value a free cap in A at the 1 money it saves, and one in B at 2."""
    prices = solve_run(pooled_budget, COALITION, MAX).prices
    assert prices.balance[("B", "cap")] == approx(3)
    assert prices.balance[("A", "cap")] == approx(1)
    assert prices.budget == approx({"pooled": 1})


def test_prices_of_a_milp_come_from_the_lp_with_binaries_fixed(fixed_cost_justify, solve_run):
    """fixed_cost_justify's coalition builds A's fab (new 6). In the LP relaxation the fixed
    cost would scale with build >= new/20, pricing A's chip at new 2 + activity 1 + 12/20 =
    3.6; with build fixed at 1 the fixed cost is sunk and the chip costs 3. The national run
    fixes build at 0, so there a chip is worth its shortfall penalty 10."""
    coalition = solve_run(fixed_cost_justify, COALITION, MIN).prices
    assert coalition.fixed_binaries
    assert coalition.balance[("A", "chip")] == approx(3)
    national = solve_run(fixed_cost_justify, NATIONAL, MIN).prices
    assert national.fixed_binaries
    assert national.balance[("A", "chip")] == approx(10)


def test_tight_rows_are_marked(pooled_budget, multi_layer, solve_run):
    """pooled_budget's coalition spends the whole pool and fills B's train, not A's fab;
    multi_layer uses all its ore and only part of its power."""
    tight = solve_run(pooled_budget, COALITION, MAX).prices.tight
    assert {("budget", ("pooled",)), ("capacity", ("B", "train"))} <= tight
    assert ("capacity", ("A", "fab")) not in tight
    tight = solve_run(multi_layer, NATIONAL, MIN).prices.tight
    assert ("resource", ("A", "ore")) in tight
    assert ("resource", ("A", "power")) not in tight


def test_degenerate_when_a_price_is_not_unique(multi_layer, edit, solve_run):
    """With ore 12, exactly the 12 that the target 3 needs, ore is used up just as the
    target is met: one unit less costs a shortfall (value 245.125), one unit more saves
    nothing (0). Any price in between is a valid dual, and the flag must say so; with ore
    10 (short, ore binding alone) the price is unique."""
    assert not solve_run(multi_layer, NATIONAL, MIN).prices.degenerate
    exact = edit(multi_layer, "resources", ("A", "ore"), available=12)
    prices = solve_run(exact, NATIONAL, MIN).prices
    assert prices.degenerate
    assert 0 <= prices.resource[("A", "ore")] <= 245.125 + 1e-7


def test_a_target_missed_in_full_costs_the_penalty_per_extra_unit(make_scenario, bump, solve_run):
    """Making a unit costs 150 against a penalty of 100, so the whole target of 4 goes
    unmet: one more unit of target costs the penalty, 100, not 100 plus the (positive)
    dual of deliver's lower bound. (Found by the Owen property test: the extra 50 per
    unit broke Owen's efficiency.)"""
    scenario = make_scenario(
        countries=["A"],
        commodities={"cap": "capability"},
        recipe={"make": {"cap": 1}},
        capacity={("A", "make"): {"existing": 10, "cost": 150}},
        targets={("A", "cap"): 4},
        penalty=100,
    )
    base = solve_run(scenario, NATIONAL, MIN)
    assert base.deliver[("A", "cap")] == approx(0)
    assert base.prices.target[("A", "cap")] == approx(100)
    more = solve_run(bump(scenario, "targets", ("A", "cap"), "amount"), NATIONAL, MIN)
    assert more.objective - base.objective == approx(100)
