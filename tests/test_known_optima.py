"""Known optima: small scenarios whose optimum each test derives by hand in its docstring.

The scenarios' data are in tests/conftest.py (each function's docstring lists them). Where a
plan has ties, only the quantities that every optimum shares are compared.

Coverage: resource bounds (multi_layer), capacity with existing and new, build binaries with
fixed_cost and min_new (fixed_cost_afford, fixed_cost_justify), several inputs and outputs over
three layers (multi_layer), trade costs paid by the importer (shortfall_stack,
capped_nonmember), link capacity and a non-member link (capped_nonmember), disallowed links
(disallowed_link), shortfall with penalty (shortfall_stack, fixed_cost_justify, multi_layer),
pooled against national budgets (pooled_budget, fixed_cost_afford), the second stage of
max_capability (test_second_stage_reports_the_cheapest_plan).
"""

from __future__ import annotations

from typing import Any

from pytest import approx

from planner.model.build import setting_for
from planner.model.links import coalition_links, open_links
from planner.scenario.schema import Mode, Regime, Scenario

MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY
NATIONAL, COALITION, OPEN = Regime.NATIONAL, Regime.COALITION, Regime.OPEN


def nonzero(values: dict[Any, float]) -> dict[Any, float]:
    """The entries that are not zero (up to solver round-off)."""
    return {key: value for key, value in values.items() if abs(value) > 1e-7}


def test_shortfall_under_national_stacks(shortfall_stack, solve_all):
    """min_cost. Cost of one cap, by where its chip comes from (fab: 2 ore -> 1 chip):

    - A's own chip, used in A: ore 2*1 + fab 3 + power 0 + train 1 = 6.
    - A's chip, used in B: 2 + 3 + ship 1 (B pays) + B's power 2 + train 1 = 9.
    - X's chip (ore 2*0.5 + fab 1 = 2), in A: 2 + 1 + 0 + 1 = 4; in B: 2 + 1 + 2 + 1 = 6.

    national: A makes its 4 (ore 8, fab 4): 4*6 = 24. B has no fab: shortfall 5 at 100 =
    500. Objective 524; spend A 24, B 0.
    coalition (X is not linked): A makes 9 chips (ore 18 <= 20, fab 9 <= 10), ships 5 to B.
    A: ore 18 + fab 27 + train 4 = 49; B: ship 5 + power 10 + train 5 = 20. Objective 69.
    open: both buy from X. X: ore 18*0.5 + fab 9 = 18; A: ship 4 + train 4 = 8; B: ship 5 +
    power 10 + train 5 = 20. Objective 46.
    """
    runs = solve_all(shortfall_stack)
    national = runs[MIN, NATIONAL]
    assert national.objective == approx(524)
    assert national.spend == approx({"A": 24, "B": 0})
    assert national.deliver == approx({("A", "cap"): 4, ("B", "cap"): 0})
    assert national.use[("A", "ore")] == approx(8)
    assert national.ship == {}

    coalition = runs[MIN, COALITION]
    assert coalition.objective == approx(69)
    assert coalition.spend == approx({"A": 49, "B": 20})
    assert coalition.deliver == approx({("A", "cap"): 4, ("B", "cap"): 5})
    assert nonzero(coalition.ship) == approx({("chip", "A", "B"): 5})
    assert coalition.act[("A", "fab")] == approx(9)
    assert "X" not in coalition.spend

    open_ = runs[MIN, OPEN]
    assert open_.objective == approx(46)
    assert open_.spend == approx({"A": 8, "B": 20, "X": 18})
    assert open_.deliver == approx({("A", "cap"): 4, ("B", "cap"): 5})
    assert nonzero(open_.ship) == approx({("chip", "X", "A"): 4, ("chip", "X", "B"): 5})
    assert open_.act[("A", "fab")] == approx(0)


def test_fixed_cost_build_only_the_coalition_can_afford(fixed_cost_afford, solve_all):
    """max_capability. A's fab needs a fixed 10 before its first chip; each chip then costs
    0.25 (activity) + 0.25 (new capacity) = 0.5 in A, and 0.5 + ship 0.5 = 1 in B.

    national: A's budget 6 < 10, so no build; B has no fab. Capability 0, spend 0.
    coalition: pooled budget 12 pays the build (10) and leaves 2: a unit in A buys weight 1
    per 0.5, i.e. 2 per money; in B weight 3 per 1, i.e. 3 per money. So 2 units to B:
    capability 3*2 = 6; spend A 10 + 2*0.5 = 11, B 2*0.5 = 1. open (no non-member): same.
    """
    runs = solve_all(fixed_cost_afford)
    national = runs[MAX, NATIONAL]
    assert national.objective == approx(0)
    assert national.spend == approx({"A": 0, "B": 0})
    assert national.build == {("A", "fab"): 0}
    for regime in (COALITION, OPEN):
        pooled = runs[MAX, regime]
        assert pooled.objective == approx(6)
        assert pooled.spend == approx({"A": 11, "B": 1})
        assert pooled.deliver == approx({("A", "cap"): 0, ("B", "cap"): 2})
        assert pooled.build == {("A", "fab"): 1}
        assert pooled.new[("A", "fab")] == approx(2)
        assert nonzero(pooled.ship) == approx({("chip", "A", "B"): 2})


def test_fixed_cost_is_paid_once_in_min_cost(fixed_cost_afford, solve_all):
    """min_cost, targets 1 each, penalty 1000 (the default).

    national: A builds (10 + 1*0.5 = 10.5 < 1000); B, with no fab, falls 1 short: 1000.
    Objective 1010.5; spend A 10.5, B 0.
    coalition and open: A builds 2 and ships 1: A 10 + 2*0.5 = 11, B ship 0.5. Objective 11.5
    (the fixed cost is paid once, not per unit).
    """
    runs = solve_all(fixed_cost_afford)
    national = runs[MIN, NATIONAL]
    assert national.objective == approx(1010.5)
    assert national.spend == approx({"A": 10.5, "B": 0})
    assert national.deliver == approx({("A", "cap"): 1, ("B", "cap"): 0})
    for regime in (COALITION, OPEN):
        assert runs[MIN, regime].objective == approx(11.5)
        assert runs[MIN, regime].spend == approx({"A": 11, "B": 0.5})
        assert runs[MIN, regime].build == {("A", "fab"): 1}


def test_fixed_cost_build_only_the_coalition_can_justify(fixed_cost_justify, solve_all):
    """min_cost, penalty 10. Building A's fab costs 12 fixed, and at least min_new 5 new
    units at 2 each; every chip made costs 1 more (activity), and 1 to ship to B.

    national: A's build costs at least 12 + 5*2 + 2*1 = 24 > its shortfall 2*10 = 20, so A
    falls short; B has no fab: 4*10 = 40. Objective 60, no build, spend 0.
    coalition and open: build 6: 12 + 6*2 + 6*1 = 30 in A, ship 4 = 4 in B. Objective 34 <
    60. (Building only 5 and falling 1 short would cost 12 + 10 + 5 + 3 + 10 = 40.)
    """
    runs = solve_all(fixed_cost_justify)
    national = runs[MIN, NATIONAL]
    assert national.objective == approx(60)
    assert national.spend == approx({"A": 0, "B": 0})
    assert national.build == {("A", "fab"): 0}
    assert national.deliver == approx({("A", "cap"): 0, ("B", "cap"): 0})
    for regime in (COALITION, OPEN):
        pooled = runs[MIN, regime]
        assert pooled.objective == approx(34)
        assert pooled.spend == approx({"A": 30, "B": 4})
        assert pooled.build == {("A", "fab"): 1}
        assert pooled.new[("A", "fab")] == approx(6)
        assert pooled.deliver == approx({("A", "cap"): 2, ("B", "cap"): 4})
        assert nonzero(pooled.ship) == approx({("chip", "A", "B"): 4})


def test_min_new_is_what_stops_the_national_build(fixed_cost_justify, edit, solve_run):
    """The same scenario with min_new 0: A alone now builds just 2: 12 + 2*2 + 2*1 = 18 < 20.
    national objective 18 + B's 40 = 58; min_new 5 (the test above) made it 60.
    """
    scenario = edit(fixed_cost_justify, "capacity", ("A", "fab"), min_new=0)
    national = solve_run(scenario, NATIONAL, MIN)
    assert national.objective == approx(58)
    assert national.spend == approx({"A": 18, "B": 0})
    assert national.new[("A", "fab")] == approx(2)
    assert national.build == {("A", "fab"): 1}


def test_capped_link_to_a_non_member(capped_nonmember, solve_all):
    """min_cost, penalty 100. A chip costs 5 from A's fab and 1 from X's.

    national: A makes its 4: 20. B has no fab: 4*100 = 400. Objective 420.
    coalition: the only link to X is X -> A, cost 1.5, capacity 3: an X chip lands in A at
    2.5. A imports 3 and makes the other 5 of the 8 chips, shipping 4 on to B.
    X: fab 3 = 3; A: ship 3*1.5 + fab 5*5 = 29.5; B: ship 4*1 = 4. Objective 36.5.
    open: X -> B at 1 (X chip lands in B at 2), X -> A capped at 3. A's 4th chip comes
    X -> B -> A at 1 + 1 + 1 = 3 < 5. X: fab 8; A: 3*1.5 + 1*1 = 5.5; B: 5*1 = 5.
    Objective 18.5.
    """
    runs = solve_all(capped_nonmember)
    national = runs[MIN, NATIONAL]
    assert national.objective == approx(420)
    assert national.spend == approx({"A": 20, "B": 0})

    coalition = runs[MIN, COALITION]
    assert coalition.objective == approx(36.5)
    assert coalition.spend == approx({"A": 29.5, "B": 4, "X": 3})
    assert coalition.deliver == approx({("A", "cap"): 4, ("B", "cap"): 4})
    assert nonzero(coalition.ship) == approx({("chip", "X", "A"): 3, ("chip", "A", "B"): 4})
    # B -> A is a coalition link, but B makes no chips and nothing gains by passing
    # through B, so the model leaves it out (planner.model.carrying_links)
    assert set(coalition.ship) == {("chip", "X", "A"), ("chip", "A", "B")}
    assert coalition.act[("A", "fab")] == approx(5)
    assert coalition.act[("X", "fab")] == approx(3)

    open_ = runs[MIN, OPEN]
    assert open_.objective == approx(18.5)
    assert open_.spend == approx({"A": 5.5, "B": 5, "X": 8})
    assert nonzero(open_.ship) == approx(
        {("chip", "X", "A"): 3, ("chip", "X", "B"): 5, ("chip", "B", "A"): 1}
    )


def test_disallowed_member_link(disallowed_link, solve_all):
    """min_cost, penalty 100. Links: A -> B ``*`` banned, A -> B chip allowed (overriding
    the ``*`` row for chip only), C -> B ``*`` banned. A chip costs 1 in A; power is free in
    A, 5 in B; every shipment costs 1.

    national: A has no target, B has no chip, C has nothing: 2*100 + 3*100 = 500.
    coalition: B gets chips from A (2 * (1 + 1)) but no power (A -> B and C -> B banned), so
    uses its own at 5: B pays 2 + 10 = 12. C imports 3 chips and 3 power: 6. A: fab 5.
    Objective 23.
    open ignores ``allowed``: B imports power from A at 1: B 2 + 2 = 4; A 5; C 6. Objective
    15.
    """
    runs = solve_all(disallowed_link)
    assert runs[MIN, NATIONAL].objective == approx(500)
    assert runs[MIN, NATIONAL].spend == approx({"A": 0, "B": 0, "C": 0})

    coalition = runs[MIN, COALITION]
    assert coalition.objective == approx(23)
    assert coalition.spend == approx({"A": 5, "B": 12, "C": 6})
    assert coalition.deliver == approx({("B", "cap"): 2, ("C", "cap"): 3})
    assert coalition.use[("B", "power")] == approx(2)
    assert nonzero(coalition.ship) == approx(
        {("chip", "A", "B"): 2, ("chip", "A", "C"): 3, ("power", "A", "C"): 3}
    )
    banned = {("power", "A", "B"), ("chip", "C", "B"), ("power", "C", "B")}
    assert not banned & set(coalition.ship)

    open_ = runs[MIN, OPEN]
    assert open_.objective == approx(15)
    assert open_.spend == approx({"A": 5, "B": 4, "C": 6})
    assert open_.use[("B", "power")] == approx(0)
    assert nonzero(open_.ship) == approx(
        {
            ("chip", "A", "B"): 2,
            ("chip", "A", "C"): 3,
            ("power", "A", "B"): 2,
            ("power", "A", "C"): 3,
        }
    )


def test_link_rows_star_and_specific_overrides(disallowed_link):
    """Links of each regime, straight from DESIGN.md:

    coalition: member pairs at trade_cost, uncapped; ``*`` expands to every tradable
    commodity; a specific row beats a ``*`` row either way (a specific ban under an allowed
    ``*`` row too); allowed yes adds a link to a non-member with its cost and capacity.
    open: every pair; the rows' cost and capacity apply, ``allowed`` does not.
    """
    links = {t.key[:3]: (t.cost, t.capacity) for t in coalition_links(disallowed_link, "ABC")}
    assert ("power", "A", "B") not in links
    assert links[("chip", "A", "B")] == (1, None)
    assert ("chip", "C", "B") not in links
    assert links[("power", "B", "C")] == (1, None)
    assert len(links) == 2 * 6 - 3

    rows = [
        {"exporter": "X", "importer": "A", "commodity": "*", "cost": 0.5, "capacity": 7},
        {"exporter": "X", "importer": "A", "commodity": "power", "allowed": False},
        {"exporter": "B", "importer": "C", "commodity": "*", "allowed": False, "capacity": 2},
    ]
    data = disallowed_link.model_dump()
    outsider = {"country": "X", "name": "X", "member": False, "budget": 0.0}
    data["countries"] = [*data["countries"], outsider]
    scenario = Scenario.model_validate({**data, "links": rows})
    links = {t.key[:3]: (t.cost, t.capacity) for t in coalition_links(scenario, "ABC")}
    assert links[("chip", "X", "A")] == (0.5, 7)
    assert ("power", "X", "A") not in links
    assert ("chip", "B", "C") not in links
    opened = {t.key[:3]: (t.cost, t.capacity) for t in open_links(disallowed_link, "ABC")}
    assert len(opened) == 2 * 6
    assert opened[("power", "A", "B")] == (1, None)


def test_non_member_enters_the_coalition_only_through_a_link(capped_nonmember):
    """coalition holds the members and the countries its links reach; national only the
    members, each with its own budget; open everyone under one pooled budget."""
    coalition = setting_for(capped_nonmember, COALITION, MAX)
    assert coalition.countries == ("A", "B", "X")
    assert coalition.members == ("A", "B")
    national = setting_for(capped_nonmember, NATIONAL, MAX)
    assert national.countries == ("A", "B")
    assert [group.countries for group in national.budgets] == [("A",), ("B",)]
    assert len(setting_for(capped_nonmember, OPEN, MAX).budgets) == 1


def test_pooled_budgets_in_max_capability(pooled_budget, solve_all):
    """max_capability; budgets A 10, B 2. A chip costs 1 in A, 1 + 1 (ship) in B; B's
    train holds 4; a unit is worth 1 in A, 3 in B.

    national: A buys 10 units with its 10 (capability 10); B, with no fab, buys nothing.
    coalition: pooled 12. B's units return 3/2 per money, A's 1: B takes 4 (its train's
    limit) for 8, A gets 4 more for 4. Capability 4*3 + 4 = 16; spend A fab 8 = 8, B ship
    4 = 4 (12 in all). open (no non-member): the same.
    """
    runs = solve_all(pooled_budget)
    national = runs[MAX, NATIONAL]
    assert national.objective == approx(10)
    assert national.spend == approx({"A": 10, "B": 0})
    assert national.deliver == approx({("A", "cap"): 10, ("B", "cap"): 0})
    for regime in (COALITION, OPEN):
        pooled = runs[MAX, regime]
        assert pooled.objective == approx(16)
        assert pooled.spend == approx({"A": 8, "B": 4})
        assert pooled.deliver == approx({("A", "cap"): 4, ("B", "cap"): 4})
        assert nonzero(pooled.ship) == approx({("chip", "A", "B"): 4})


def test_multi_layer_recipe_with_a_binding_resource(multi_layer, solve_all):
    """One cap needs 4 chips = 2 fab runs = 2 wafers (and 1 gas of the 2 made) = 2 refine
    runs = 4 ore. Power: refine 2 + fab 4 + train 3 = 9 per cap. Cost per cap: ore 4*1 +
    power 9*0.5 + refine 2*1 + fab 2*2 + train 5 = 19.5.

    min_cost: ore 10 allows 2.5 caps of the target 3: spend 2.5*19.5 = 48.75, shortfall
    0.5*1000 = 500, objective 548.75 in every regime (one member, no partner). refine 5,
    fab 5, train 2.5; power 2.5*9 = 22.5.
    max_capability: budget 39 buys 39/19.5 = 2 caps (ore 8 < 10).
    """
    runs = solve_all(multi_layer)
    for regime in Regime:
        lean = runs[MIN, regime]
        assert lean.objective == approx(548.75)
        assert lean.spend == approx({"A": 48.75})
        assert lean.deliver == approx({("A", "cap"): 2.5})
        assert lean.use == approx({("A", "ore"): 10, ("A", "power"): 22.5})
        assert lean.act == approx({("A", "refine"): 5, ("A", "fab"): 5, ("A", "train"): 2.5})
        rich = runs[MAX, regime]
        assert rich.objective == approx(2)
        assert rich.spend == approx({"A": 39})
        assert rich.use == approx({("A", "ore"): 8, ("A", "power"): 18})


def test_multi_layer_recipe_meets_its_target(multi_layer, edit, solve_run):
    """With ore 100 the target 3 is met: 3*19.5 = 58.5, with ore 12 and power 27."""
    scenario = edit(multi_layer, "resources", ("A", "ore"), available=100)
    lean = solve_run(scenario, NATIONAL, MIN)
    assert lean.objective == approx(58.5)
    assert lean.use == approx({("A", "ore"): 12, ("A", "power"): 27})


def test_second_stage_reports_the_cheapest_plan(make_scenario, solve_run):
    """max_capability, budget 100: ``train`` (6, cost 2) caps capability at 6; chips come
    from ``cheap`` (5 at 1) or ``dear`` (5 at 3).

    Any plan with 6 units and spend <= 100 is a first-stage optimum (even 10 chips, spend
    5 + 15 + 12 = 32, which is what HiGHS returns for the first stage alone). The cheapest:
    5 cheap + 1 dear + train 6 = 5 + 3 + 12 = 20.
    """
    scenario = make_scenario(
        countries={"A": {"budget": 100}},
        commodities={"chip": "product", "cap": "capability"},
        recipe={"dear": {"chip": 1}, "cheap": {"chip": 1}, "train": {"chip": -1, "cap": 1}},
        capacity={
            ("A", "dear"): {"existing": 5, "cost": 3},
            ("A", "cheap"): {"existing": 5, "cost": 1},
            ("A", "train"): {"existing": 6, "cost": 2},
        },
        targets={("A", "cap"): 0},
    )
    for regime in Regime:
        best = solve_run(scenario, regime, MAX)
        assert best.objective == approx(6)
        assert best.spend == approx({"A": 20})
        assert best.act == approx({("A", "dear"): 1, ("A", "cheap"): 5, ("A", "train"): 6})


def test_the_pool_holds_the_members_budgets_only(capped_nonmember, edit, solve_all):
    """max_capability on capped_nonmember with budgets A 10, X 1000 (X is no member, so its
    money is in no pool; its spend still draws on the members' pool). Weights 1. A unit
    costs, by route: A's own chip in A 5, in B 6; X's chip X -> A (capacity 3) in A 2.5,
    in B 3.5; X -> B (open only) in B 2.

    national: A buys 10/5 = 2 units; B nothing. Capability 2.
    coalition: pool 10: 3 units via X -> A in A (7.5), then 2.5/5 = 0.5 of A's own.
    Capability 3.5; spend X 3, A 3*1.5 + 0.5*5 = 7.
    open: pool 10: 5 units X -> B at 2. Capability 5; spend X 5, B 5.
    """
    scenario = edit(capped_nonmember, "countries", ("A",), budget=10)
    runs = solve_all(edit(scenario, "countries", ("X",), budget=1000))
    assert runs[MAX, NATIONAL].objective == approx(2)
    assert runs[MAX, NATIONAL].spend == approx({"A": 10, "B": 0})
    coalition = runs[MAX, COALITION]
    assert coalition.objective == approx(3.5)
    assert coalition.spend == approx({"A": 7, "B": 0, "X": 3})
    assert coalition.deliver == approx({("A", "cap"): 3.5, ("B", "cap"): 0})
    open_ = runs[MAX, OPEN]
    assert open_.objective == approx(5)
    assert open_.spend == approx({"A": 0, "B": 5, "X": 5})
    assert nonzero(open_.ship) == approx({("chip", "X", "B"): 5})


def test_budget_bound_milp_in_max_capability(make_scenario, solve_all):
    """max_capability, member A (budget 19), non-member B with nothing; ``model`` tradable.
    fab: 1 ore -> 1 chip; serve: 1 chip + 1 power -> 2 model; train: 1 model -> 1 cap.
    A has ore 0.5 and power 0.5 (free) and no existing capacity: fab up to 0.5 new, fixed
    9; serve up to 0.5 new at 1 each, fixed 4; train up to 4.5 new at 5 each, min_new 1.125.

    Every build is needed: 9 + 4 + 1.125*5 = 18.625, leaving 0.375 for 0.375 new serve
    units (1 each), which make 0.75 model: capability 0.75 (train 1.125 >= 0.75), spend
    19, the whole budget, in every regime.

    (A regression test found by test_properties: with HiGHS's default MIP feasibility
    tolerance, 1e-6, the first stage returned capability 0.750001; the second stage's hold
    at that value, relaxed by at most 1e-7, was infeasible, and the open run was reported
    infeasible.)
    """
    scenario = make_scenario(
        countries={"A": {"budget": 19}, "B": {"member": False}},
        commodities={
            "ore": "resource",
            "power": "resource",
            "chip": "product",
            "model": {"kind": "product", "tradable": True},
            "cap": "capability",
        },
        recipe={
            "fab": {"ore": -1, "chip": 1},
            "serve": {"chip": -1, "power": -1, "model": 2},
            "train": {"model": -1, "cap": 1},
        },
        resources={("A", "ore"): 0.5, ("A", "power"): 0.5},
        capacity={
            ("A", "fab"): {"max_new": 0.5, "fixed_cost": 9},
            ("A", "serve"): {"max_new": 0.5, "new_cost": 1, "fixed_cost": 4},
            ("A", "train"): {"max_new": 4.5, "new_cost": 5, "min_new": 1.125},
        },
        targets={("A", "cap"): 0},
    )
    runs = solve_all(scenario)
    for regime in Regime:
        best = runs[MAX, regime]
        assert best.objective == approx(0.75)
        assert sum(best.spend.values()) == approx(19)
        assert best.build == {("A", "fab"): 1, ("A", "serve"): 1, ("A", "train"): 1}
