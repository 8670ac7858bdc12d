"""Properties of every run, on small scenarios that hypothesis generates.

A generated scenario has 2-4 countries (at least one member), a two- or three-layer stack
(ore and power -> chip [-> model] -> cap) with random recipe amounts, resources, capacities,
costs, targets, budgets and Links rows. About a quarter have build decisions (fixed_cost
or min_new), which make them MILPs; the properties hold for those too.

Example counts are bounded (each example solves up to twelve small models) so that the file
runs in well under a minute.
"""

from __future__ import annotations

from collections import defaultdict
from random import Random
from typing import Any

import pytest
from conftest import flat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model.build import Setting, build, setting_for
from planner.model.solve import Solution, SolveOptions, Status, solve
from planner.scenario.schema import Mode, Regime, Role, Scenario

MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY
NATIONAL, COALITION, OPEN = Regime.NATIONAL, Regime.COALITION, Regime.OPEN
TOL = 1e-6

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

quantities = st.integers(0, 20).map(lambda n: n / 2)
"""0, 0.5, ..., 10."""
money = st.integers(0, 10).map(lambda n: n / 2)
"""0, 0.5, ..., 5: costs per unit."""
likely = st.integers(0, 3).map(bool)
"""True three times in four."""
amounts = st.sampled_from([0.5, 1.0, 2.0])
"""Recipe amounts."""


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= TOL + rel * max(abs(a), abs(b))


@st.composite
def stacks(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """Commodities and recipe of a two- or three-layer stack."""
    commodities: dict[str, Any] = {}
    for k, kind in [("ore", "resource"), ("power", "resource"), ("chip", "product")]:
        commodities[k] = {"kind": kind, "tradable": draw(likely), "trade_cost": draw(money)}
    recipe = {"fab": {"ore": -draw(amounts), "chip": draw(amounts)}}
    if draw(st.booleans()):
        recipe["fab"]["power"] = -draw(amounts)
    made = "chip"
    if draw(st.booleans()):
        commodities["model"] = {"kind": "product", "tradable": draw(st.booleans())}
        recipe["serve"] = {"chip": -draw(amounts), "power": -draw(amounts), "model": 1.0}
        made = "model"
    commodities["cap"] = "capability"
    recipe["train"] = {made: -draw(amounts), "cap": draw(amounts)}
    return commodities, recipe


@st.composite
def capacity_rows(draw: st.DrawFn, builds: bool) -> dict[str, float]:
    """One Capacity row; with ``builds``, perhaps a fixed cost and a minimum scale."""
    row = {
        "existing": draw(quantities),
        "cost": draw(money),
        "max_new": draw(quantities),
        "new_cost": draw(money),
    }
    if builds and draw(st.booleans()):
        row["existing"] = draw(st.sampled_from([0.0, row["existing"]]))
        row["fixed_cost"] = draw(st.integers(0, 12))
        row["min_new"] = draw(st.integers(0, 4)) / 4 * row["max_new"]
    return row


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of ``make_scenario`` for a small random scenario."""
    countries = [f"C{n}" for n in range(draw(st.integers(2, 4)))]
    members = draw(st.lists(st.booleans(), min_size=len(countries), max_size=len(countries)))
    members[draw(st.integers(0, len(countries) - 1))] = True
    commodities, recipe = draw(stacks())
    builds = draw(st.integers(0, 2)) == 0
    resources = {
        (c, k): {"available": draw(quantities), "cost": draw(money)}
        for c in countries
        for k in ("ore", "power")
        if draw(likely)
    }
    capacity = {
        (c, p): draw(capacity_rows(builds)) for c in countries for p in recipe if draw(likely)
    }
    targets = {
        (c, "cap"): {"amount": draw(quantities), "weight": draw(st.integers(0, 3))}
        for c, member in zip(countries, members, strict=True)
        if member and draw(likely)
    }
    tradable = [k for k, f in commodities.items() if isinstance(f, dict) and f["tradable"]]
    links: dict[tuple[str, str, str], dict[str, Any]] = {}
    if tradable:
        for _ in range(draw(st.integers(0, 4))):
            i, j = draw(st.permutations(countries))[:2]
            k = draw(st.sampled_from([*tradable, "*"]))
            links[(i, j, k)] = {
                "allowed": draw(st.booleans()),
                "cost": draw(st.none() | money),
                "capacity": draw(st.none() | quantities),
            }
    return {
        "countries": {
            c: {"member": m, "budget": draw(st.integers(0, 60))}
            for c, m in zip(countries, members, strict=True)
        },
        "commodities": commodities,
        "recipe": recipe,
        "resources": resources,
        "capacity": capacity,
        "targets": targets,
        "links": links,
        "penalty": draw(st.integers(20, 200)),
    }


def expected_links(
    scenario: Scenario, regime: Regime
) -> dict[tuple[str, str, str], tuple[float, float | None]]:
    """(commodity, exporter, importer) -> (cost, capacity), read from DESIGN.md anew."""
    if regime is NATIONAL:
        return {}
    pairs = scenario.members if regime is COALITION else [c.country for c in scenario.countries]
    tradable = [k.commodity for k in scenario.commodities if k.tradable]
    trade_cost = {k.commodity: k.trade_cost for k in scenario.commodities}
    rows = {}
    for star in (True, False):  # a commodity's own row beats a ``*`` row
        for row in scenario.links:
            if (row.commodity == "*") is star:
                for k in tradable if star else [row.commodity]:
                    rows[(k, row.exporter, row.importer)] = row
    links: dict[tuple[str, str, str], tuple[float, float | None]] = {
        (k, i, j): (trade_cost[k], None) for k in tradable for i in pairs for j in pairs
    }
    links = {key: value for key, value in links.items() if key[1] != key[2]}
    for key, row in rows.items():
        if regime is OPEN or row.allowed:
            cost = trade_cost[key[0]] if row.cost is None else row.cost
            links[key] = (cost, row.capacity)
        else:
            links.pop(key, None)
    return links


def solve_six(scenario: Scenario, solve_run: Any) -> dict[tuple[Mode, Regime], Solution]:
    return {(mode, regime): solve_run(scenario, regime, mode) for mode in Mode for regime in Regime}


def total_cost(solution: Solution) -> float:
    return sum(solution.spend.values())


@PROPERTY
@given(data=scenarios())
def test_regimes_are_ordered(data, make_scenario, solve_run):
    """min_cost: open <= coalition <= national; max_capability: the reverse. Each regime's
    plans are plans of the next (coalition links are a subset of open's, with the same costs
    and capacities; a national plan meets the pooled budget)."""
    runs = solve_six(make_scenario(**data), solve_run)
    cost = {regime: runs[MIN, regime].objective for regime in Regime}
    assert cost[OPEN] <= cost[COALITION] + TOL * max(1, cost[COALITION])
    assert cost[COALITION] <= cost[NATIONAL] + TOL * max(1, cost[NATIONAL])
    capability = {regime: runs[MAX, regime].objective for regime in Regime}
    assert capability[NATIONAL] <= capability[COALITION] + TOL * max(1, capability[COALITION])
    assert capability[COALITION] <= capability[OPEN] + TOL * max(1, capability[OPEN])


@PROPERTY
@given(data=scenarios(), k=st.sampled_from([0.25, 3.0, 10.0]))
def test_scaling_money_scales_min_cost(data, k, make_scenario, scale_money, solve_run):
    """Every money column and the penalty times k: each min_cost objective times k; in
    max_capability the budgets scale too, so capability stays and its cost scales by k."""
    scenario = make_scenario(**data)
    scaled = scale_money(scenario, k)
    for regime in Regime:
        base, times = solve_run(scenario, regime, MIN), solve_run(scaled, regime, MIN)
        assert close(times.objective, k * base.objective)
        base, times = solve_run(scenario, regime, MAX), solve_run(scaled, regime, MAX)
        assert close(times.objective, base.objective)
        assert close(total_cost(times), k * total_cost(base), rel=1e-5)


def shuffled(scenario: Scenario, rng: Random) -> Scenario:
    data = scenario.model_dump()
    for rows in data.values():
        if isinstance(rows, list):
            rng.shuffle(rows)
    return Scenario.model_validate(data)


@PROPERTY
@given(data=scenarios(), rng=st.randoms(use_true_random=False))
def test_row_order_changes_no_result(data, rng, make_scenario, solve_run):
    """Shuffling the rows of every sheet changes no objective, no max_capability cost and
    no set of reported variables. (Flows may differ where the optimum has ties.)"""
    scenario = make_scenario(**data)
    before = solve_six(scenario, solve_run)
    after = solve_six(shuffled(scenario, rng), solve_run)
    for run, solution in before.items():
        other = after[run]
        assert close(other.objective, solution.objective), run
        if run[0] is MAX:
            assert close(total_cost(other), total_cost(solution), rel=1e-5), run
        for name in ("use", "act", "new", "build", "ship", "deliver", "spend"):
            assert set(getattr(other, name)) == set(getattr(solution, name)), (run, name)


def balance_gaps(scenario: Scenario, solution: Solution) -> dict[tuple[str, str], float]:
    """supply - demand of every (country, commodity), from the reported plan."""
    gap: dict[tuple[str, str], float] = defaultdict(float)
    for key, value in solution.use.items():
        gap[key] += value
    for line in scenario.recipe:
        sign = 1.0 if line.role is Role.OUTPUT else -1.0
        for (c, p), value in solution.act.items():
            if p == line.process:
                gap[(c, line.commodity)] += sign * line.amount * value
    for (k, i, j), value in solution.ship.items():
        gap[(j, k)] += value
        gap[(i, k)] -= value
    for key, value in solution.deliver.items():
        gap[key] -= value
    return gap


def spend_by_country(
    scenario: Scenario, solution: Solution, links: dict[tuple[str, str, str], Any]
) -> dict[str, float]:
    """DESIGN.md's spend: resources, activity, new capacity, fixed costs, imports."""
    spend: dict[str, float] = defaultdict(float)
    for row in scenario.resources:
        spend[row.country] += row.cost * solution.use.get((row.country, row.commodity), 0.0)
    for row in scenario.capacity:
        key = (row.country, row.process)
        spend[row.country] += row.cost * solution.act.get(key, 0.0)
        spend[row.country] += row.new_cost * solution.new.get(key, 0.0)
        spend[row.country] += row.fixed_cost * solution.build.get(key, 0.0)
    for key, value in solution.ship.items():
        spend[key[2]] += links[key][0] * value
    return spend


def check_bounds(scenario: Scenario, regime: Regime, mode: Mode, solution: Solution) -> None:
    """Every reported quantity within its bounds, balances held, spend and objective as
    DESIGN.md defines them."""
    setting = setting_for(scenario, regime, mode)
    links = expected_links(scenario, regime)
    assert set(solution.ship) <= set(links)  # links no optimal plan needs are left out
    countries = {*setting.members, *(c for _, i, j in links for c in (i, j))}
    if regime is OPEN:
        countries = {c.country for c in scenario.countries}
    assert set(solution.spend) == countries
    check_production(scenario, countries, solution)
    for key, value in solution.ship.items():
        capacity = links[key][1]
        assert -TOL <= value <= (float("inf") if capacity is None else capacity) + TOL
    for key, gap in balance_gaps(scenario, solution).items():
        assert gap >= -10 * TOL, key
    spend = spend_by_country(scenario, solution, links)
    for country, value in solution.spend.items():
        assert close(value, spend[country]), country
    check_objective(scenario, setting, solution)


def check_production(scenario: Scenario, countries: set[str], solution: Solution) -> None:
    """Resource use, activity, new capacity and build decisions within their bounds."""
    for row in scenario.resources:
        if row.country in countries:
            assert -TOL <= solution.use[(row.country, row.commodity)] <= row.available + TOL
    for row in scenario.capacity:
        if row.country not in countries:
            continue
        key = (row.country, row.process)
        new = solution.new.get(key, 0.0)
        build = solution.build.get(key, 1.0)
        assert build in (0.0, 1.0)
        assert -TOL <= new <= row.max_new * build + TOL
        assert new >= row.min_new * build - TOL
        assert -TOL <= solution.act[key] <= row.existing + new + TOL
        assert key in solution.build or not (row.fixed_cost or row.min_new) or not row.max_new


def check_objective(scenario: Scenario, setting: Setting, solution: Solution) -> None:
    """Deliveries within their bounds, budgets kept, and the objective as defined."""
    members = set(setting.members)
    targets = {(t.country, t.commodity): t for t in scenario.targets if t.country in members}
    assert set(solution.deliver) == set(targets)
    assert all(value >= -TOL for value in solution.deliver.values())
    if setting.mode is MIN:
        shortfall = 0.0
        for key, value in solution.deliver.items():
            assert value <= targets[key].amount + TOL
            shortfall += targets[key].amount - value
        expected = total_cost(solution) + scenario.shortfall_penalty * shortfall
        assert close(solution.objective, expected)
        return
    budget = {c.country: c.budget for c in scenario.countries}
    if setting.regime is NATIONAL:
        for member in setting.members:
            assert solution.spend[member] <= budget[member] + TOL * max(1, budget[member])
    else:
        pool = sum(budget[m] for m in setting.members)
        assert total_cost(solution) <= pool + TOL * max(1, pool)
    capability = sum(targets[key].weight * value for key, value in solution.deliver.items())
    assert close(solution.objective, capability)


@PROPERTY
@given(data=scenarios())
def test_every_quantity_respects_its_bounds(data, make_scenario, solve_run):
    scenario = make_scenario(**data)
    for (mode, regime), solution in solve_six(scenario, solve_run).items():
        check_bounds(scenario, regime, mode, solution)


@pytest.mark.parametrize("regime", list(Regime))
def test_bounds_hold_on_a_known_scenario(regime, capped_nonmember, solve_run):
    """The bound checks themselves, on a scenario with a capped link and a non-member."""
    for mode in Mode:
        check_bounds(capped_nonmember, regime, mode, solve_run(capped_nonmember, regime, mode))


@PROPERTY
@given(data=scenarios())
def test_national_is_the_sum_of_members_alone(data, make_scenario, solve_run):
    """national is the sum, over members, of each member solved alone (DESIGN.md)."""
    scenario = make_scenario(**data)
    for mode in Mode:
        together = solve_run(scenario, NATIONAL, mode)
        alone = [solve_run(scenario, NATIONAL, mode, members=[m]) for m in scenario.members]
        assert close(together.objective, sum(s.objective for s in alone))
        for member, solution in zip(scenario.members, alone, strict=True):
            assert close(together.spend[member], solution.spend[member], rel=1e-5)


def delivering(scenario: Scenario, solution: Solution) -> Scenario:
    """The scenario with every target's amount set to what ``solution`` delivers, and a
    penalty far above any unit cost a generated scenario can reach."""
    data = scenario.model_dump()
    for row in data["targets"]:
        row["amount"] = max(0.0, solution.deliver.get((row["country"], row["commodity"]), 0.0))
    data["shortfall_penalty"] = 1e5
    return Scenario.model_validate(data)


@PROPERTY
@given(data=scenarios())
def test_max_capability_reports_the_cheapest_plan(data, make_scenario, solve_run):
    """The second stage: max_capability's cost equals min_cost's cost of delivering the same
    amounts. (Its plan meets those amounts within budget, so min_cost costs no more; and
    min_cost's plan has the same capability and spends no more, so the second stage, which
    minimises spend at that capability, finds it.)"""
    scenario = make_scenario(**data)
    for regime in Regime:
        best = solve_run(scenario, regime, MAX)
        cheapest = solve_run(delivering(scenario, best), regime, MIN)
        assert close(cheapest.objective, total_cost(cheapest), rel=1e-5)
        assert close(total_cost(best), total_cost(cheapest), rel=1e-5)


@PROPERTY
@given(data=scenarios())
def test_leaving_out_needless_links_changes_no_optimum(data, make_scenario):
    """planner.model.carrying_links drops links no optimal plan needs: the objective (and,
    in max_capability, the spend of the cheapest plan) is the same with every link."""
    scenario = make_scenario(**data)
    for mode in Mode:
        for regime in (COALITION, OPEN):
            results = []
            for prune in (True, False):
                setting = setting_for(scenario, regime, mode, prune=prune)
                results.append(flat(solve(build(scenario, setting), SolveOptions(gap=1e-9))))
            pruned, full = results
            assert pruned.status is full.status is Status.OPTIMAL
            assert close(pruned.objective, full.objective)
            assert close(total_cost(pruned), total_cost(full)) or mode is MIN
