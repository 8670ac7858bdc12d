"""Model building: a validated scenario and a run's setting in, a PuLP problem out.

Contract of this stage: :func:`setting_for` says which countries, members, links, budgets
and outside sources a regime puts in the model (docs/model.md, "Links of each regime";
DESIGN.md, "Sovereignty, the world market and backstops"); :func:`build` turns a scenario and a
setting into a :class:`BuiltModel` over the scenario's horizon (DESIGN.md, "Periods"),
whose typed handles are the only way later stages read the solution. Variables and
constraints exist only for rows that exist in their period.

Index tuples keep one order everywhere, the period last: ``(country, commodity, period)``,
``(country, process, period)`` (for builds, the period the build starts in),
``(commodity, exporter, importer, period)``; budget rows are ``(group, period)``.

A scenario without a Periods sheet is one period of length 1 with every discount factor
exactly 1, and the model is built term for term in version 1's order, so its numbers are
version 1's to the last bit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulp

from planner.model.families import PriceFamily, VariableFamily
from planner.model.learning import LearningHandles, PartKey, add_learning
from planner.model.links import LinkKey, TradeLink, coalition_countries, regime_links
from planner.scenario.horizon import Horizon, Span, rows_in
from planner.scenario.schema import (
    Capacity,
    Mode,
    NationalScope,
    Regime,
    Resource,
    Role,
    Scenario,
    Target,
)

__all__ = [
    "BudgetGroup",
    "BuiltModel",
    "Key",
    "LinkKey",
    "Setting",
    "TradeLink",
    "build",
    "setting_for",
]

Key = tuple[str, ...]
"""An index tuple in the order of its family's dims (:mod:`planner.model.families`), the
period last: ``(country, commodity or process, period)``,
``(commodity, exporter, importer, period)``, ``(group, period)``."""

SpendTerm = tuple[VariableFamily, Key, float, float]
"""(variable family, index tuple, money per unit, discounted money per unit): one term of a
country's spend in one period. ``money`` is undiscounted (what the period's spend adds up);
``discounted`` is the term's coefficient in the objective (flows times ``w_t``, builds times
``D(y_v)`` less the salvage credit)."""


@dataclass(frozen=True)
class BudgetGroup:
    """Countries whose spend one budget pays for (DESIGN.md, max_capability).

    ``budget`` is money per year, per period id: the sum of the group's members' budgets
    in that period (Budgets rows, else the Countries budget).
    """

    name: str
    countries: tuple[str, ...]
    budget: Mapping[str, float]


@dataclass(frozen=True)
class Setting:
    """Which part of a scenario one model holds.

    Attributes:
        regime: the trade regime.
        mode: the question asked.
        countries: every country whose resources and processes are in the model.
        members: the members, whose targets are in the model and whose budgets pay.
        links: the trade links of every period (each carries its period).
        budgets: in ``max_capability``, one group per budget that binds.
        world: the commodities countries of the model may buy from the world market.
    """

    regime: Regime
    mode: Mode
    countries: tuple[str, ...]
    members: tuple[str, ...]
    links: tuple[TradeLink, ...]
    budgets: tuple[BudgetGroup, ...]
    world: tuple[str, ...] = ()


def setting_for(
    scenario: Scenario,
    regime: Regime,
    mode: Mode,
    members: Sequence[str] | None = None,
    *,
    prune: bool = True,
) -> Setting:
    """The countries, links, budgets and world-market access that ``regime`` puts in the model.

    Args:
        scenario: the validated scenario.
        regime: national, coalition or open.
        mode: min_cost or max_capability.
        members: the members to use instead of the scenario's own (for sub-coalitions);
            their order follows the Countries sheet.
        prune: leave out the links that no optimal plan needs
            (:func:`planner.model.links.needless_transit`); the optimum is the same either way.

    ``national`` holds every member as its own block: no links, and one budget per member.
    Solving the blocks together equals the sum of each solved alone, because the blocks
    share no constraint; a min_cost or max_capability optimum of the sum is the sum of the
    blocks' optima. The world market is open in ``open`` for every commodity with a world
    price, in ``coalition`` for those not sovereign, and in ``national`` for those not
    sovereign when ``national_scope`` is ``declared``.
    """
    wanted = set(scenario.members if members is None else members)
    member_ids = tuple(c.country for c in scenario.countries if c.country in wanted)
    world = _world_market(scenario, regime)
    budgets = _yearly_budgets(scenario)
    if regime is Regime.NATIONAL:
        groups = tuple(BudgetGroup(m, (m,), budgets[m]) for m in member_ids)
        return Setting(regime, mode, member_ids, member_ids, (), groups, world)
    if regime is Regime.COALITION:
        countries = coalition_countries(scenario, member_ids)
    else:
        countries = tuple(c.country for c in scenario.countries)
    links = tuple(
        link
        for period in scenario.horizon.ids
        for link in regime_links(
            scenario, regime, member_ids, countries, prune=prune, period=period, outside=world
        )
    )
    pooled = {t: sum(budgets[m][t] for m in member_ids) for t in scenario.horizon.ids}
    group = BudgetGroup("pooled", countries, pooled)
    return Setting(regime, mode, countries, member_ids, links, (group,), world)


def _world_market(scenario: Scenario, regime: Regime) -> tuple[str, ...]:
    """The commodities the regime may buy from the world market."""
    if regime is Regime.NATIONAL and scenario.national_scope is NationalScope.ALL:
        return ()
    return tuple(
        k.commodity
        for k in scenario.commodities
        if k.world_price is not None and (regime is Regime.OPEN or not k.sovereign)
    )


def _yearly_budgets(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Country -> period -> budget per year: its Budgets row, else its Countries budget."""
    periods = scenario.horizon.ids
    budgets = {c.country: dict.fromkeys(periods, c.budget) for c in scenario.countries}
    for row in scenario.budgets:
        budgets[row.country][row.period] = row.budget
    return budgets


@dataclass
class BuiltModel:
    """A PuLP problem with typed handles to every variable and constraint family.

    One handle per :class:`~planner.model.families.VariableFamily` (an attribute named by its
    value; :meth:`variables` reads it by member) and per priced constraint row
    (``balance``, ``capacity``, ``budget``; :meth:`rows`). The bound-priced families
    (resource, new-capacity limit, link) are the upper bounds of ``use``, ``new``, ``ship``.

    ``spend`` holds, per (country, period), the terms of its spend as :data:`SpendTerm`,
    e.g. ``(VariableFamily.SHIP, ("chip", "A", "B", "1"), 0.5, 0.5)``: the model turns them into
    expressions, and the solve stage prices them with the values it has read, so spend per
    country needs neither a second reading of the solution nor a reparse.
    """

    scenario: Scenario
    setting: Setting
    problem: pulp.LpProblem
    horizon: Horizon
    use: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    act: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    new: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    build: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    ship: dict[LinkKey, pulp.LpVariable] = field(default_factory=dict)
    wimp: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    back: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    deliver: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    targets: dict[Key, float] = field(default_factory=dict)
    weights: dict[Key, float] = field(default_factory=dict)
    existing: dict[Key, float] = field(default_factory=dict)
    """The existing capacity of each (country, process, period) that can run."""
    balance: dict[Key, pulp.LpConstraint] = field(default_factory=dict)
    capacity: dict[Key, pulp.LpConstraint] = field(default_factory=dict)
    budget: dict[Key, pulp.LpConstraint] = field(default_factory=dict)
    spend: dict[tuple[str, str], list[SpendTerm]] = field(default_factory=dict)
    learn: dict[PartKey, pulp.LpVariable] = field(default_factory=dict)
    """The part of each learning cost's variable in each segment (:mod:`planner.model.learning`)."""
    learning: LearningHandles = field(default_factory=LearningHandles)
    cost: pulp.LpAffineExpression | None = None
    """The discounted cost without the penalty: the objective of max_capability's second
    stage, and min_cost's objective less its penalty term."""
    capability: pulp.LpAffineExpression | None = None
    """``sum_t w_t x sum(weight x deliver)``."""

    def variables(self, family: VariableFamily) -> dict[Key, pulp.LpVariable]:
        """The variables of one family, by key."""
        handles: dict[Key, pulp.LpVariable] = getattr(self, family.value)
        return handles

    def rows(self, family: PriceFamily) -> dict[Any, pulp.LpConstraint]:
        """The constraint rows a row-priced family prices (balance, capacity, budget)."""
        if family not in _ROW_FAMILIES:
            raise ValueError(f"{family.value} prices no constraint row of its own")
        handles: dict[Any, pulp.LpConstraint] = getattr(self, family.value)
        return handles

    def spend_of(
        self, countries: Iterable[str], periods: Iterable[str] | None = None
    ) -> list[tuple[pulp.LpVariable, float]]:
        """The (variable, undiscounted money per unit) terms of the spend of ``countries``
        in ``periods`` (default: every period)."""
        chosen = self.horizon.ids if periods is None else tuple(periods)
        return [
            (self.variables(family)[key], money)
            for country in countries
            for t in chosen
            for family, key, money, _ in self.spend.get((country, t), ())
        ]

    @property
    def is_mip(self) -> bool:
        """True when the model has build decisions or learning segments to choose."""
        return bool(self.build) or bool(self.learning.segment)

    def binaries(self) -> list[pulp.LpVariable]:
        """Every binary of the model: build decisions and learning segments."""
        return [*self.build.values(), *self.learning.segment.values()]


_ROW_FAMILIES = (PriceFamily.BALANCE, PriceFamily.CAPACITY, PriceFamily.BUDGET)
"""The price families that are constraint rows, each held on a handle named by its value."""


def build(scenario: Scenario, setting: Setting) -> BuiltModel:
    """Build the model of one run: variables, then each constraint family, then objective."""
    sense = pulp.LpMinimize if setting.mode is Mode.MIN_COST else pulp.LpMaximize
    horizon = scenario.horizon
    model = BuiltModel(scenario, setting, pulp.LpProblem("planner", sense), horizon)
    model.spend = {(c, t): [] for c in setting.countries for t in horizon.ids}
    in_model = set(setting.countries)
    capacity = {
        s.period: [
            r for r in rows_in(scenario.capacity, _process_key, s.period) if r.country in in_model
        ]
        for s in horizon.periods
    }
    _add_resources(model, in_model)
    _add_activity(model, capacity)
    _add_builds(model, capacity)
    _add_trade(model)
    _add_outside_supply(model, capacity)
    _add_deliveries(model)
    _add_capacity_limits(model, capacity)
    _add_build_logic(model, capacity)
    _add_balances(model)
    add_learning(model, capacity)
    _add_objective(model)
    return model


def _process_key(row: Capacity) -> tuple[str, str]:
    return (row.country, row.process)


def _commodity_key(row: Resource | Target) -> tuple[str, str]:
    return (row.country, row.commodity)


def _flow(
    model: BuiltModel, country: str, span: Span, family: VariableFamily, key: Key, cost: float
) -> None:
    """A yearly cost in a period: ``L_t x cost`` spent, ``w_t x cost`` in the objective."""
    model.spend[(country, span.period)].append(
        (family, key, span.length * cost, span.weight * cost)
    )


def _add_resources(model: BuiltModel, in_model: set[str]) -> None:
    """``0 <= use[c,k,t] <= available`` of the row that holds in t; spend += cost x use."""
    rows = [
        (span, row)
        for span in model.horizon.periods
        for row in rows_in(model.scenario.resources, _commodity_key, span.period)
        if row.country in in_model
    ]
    variables = model.problem.add_variable_dict("use_%s", range(len(rows)), lowBound=0)
    for n, (span, row) in enumerate(rows):
        key = (row.country, row.commodity, span.period)
        var = variables[n]
        var.upBound = row.available
        model.use[key] = var
        if row.cost:
            _flow(model, row.country, span, VariableFamily.USE, key, row.cost)


def _add_activity(model: BuiltModel, capacity: Mapping[str, list[Capacity]]) -> None:
    """``act[c,p,t] >= 0`` where (c, p) has a Capacity row in t; spend += cost x act."""
    rows = [(span, row) for span in model.horizon.periods for row in capacity[span.period]]
    acts = model.problem.add_variable_dict("act_%s", range(len(rows)), lowBound=0)
    for n, (span, row) in enumerate(rows):
        key = (row.country, row.process, span.period)
        model.act[key] = acts[n]
        model.existing[key] = row.existing
        if row.cost:
            _flow(model, row.country, span, VariableFamily.ACT, key, row.cost)


def _builds(
    model: BuiltModel, capacity: Mapping[str, list[Capacity]]
) -> list[tuple[Span, Capacity]]:
    """The (start period, row) of every build that may start: ``max_new > 0`` in that
    period's row, the process's window holding ``y_v``, and active in some period."""
    horizon, processes = model.horizon, model.scenario.process_by_id
    return [
        (span, row)
        for span in horizon.periods
        for row in capacity[span.period]
        if row.max_new > 0
        and processes[row.process].open_in(span.year)
        and horizon.active(span, row.lead_time, row.lifetime)
    ]


def _add_builds(model: BuiltModel, capacity: Mapping[str, list[Capacity]]) -> None:
    """``0 <= new[c,p,v] <= max_new``; ``build[c,p,v]`` binary where that period's row has a
    fixed cost or a minimum scale. Paid once, in v: ``new_cost x new + fixed_cost x build``,
    discounted by ``D(y_v)`` less the salvage credit ``sigma x D(Y)``."""
    builds = _builds(model, capacity)
    news = model.problem.add_variable_dict("new_%s", range(len(builds)), lowBound=0)
    decided = [n for n, (_, row) in enumerate(builds) if row.needs_build_decision]
    binaries = model.problem.add_variable_dict("build_%s", decided, cat="Binary")
    for n, (span, row) in enumerate(builds):
        key = (row.country, row.process, span.period)
        factor = span.discount - model.horizon.salvage(span, row.lead_time, row.lifetime)
        spend = model.spend[(row.country, span.period)]
        news[n].upBound = row.max_new
        model.new[key] = news[n]
        if row.new_cost:
            spend.append((VariableFamily.NEW, key, row.new_cost, factor * row.new_cost))
        if n in binaries:
            model.build[key] = binaries[n]
            if row.fixed_cost:
                spend.append((VariableFamily.BUILD, key, row.fixed_cost, factor * row.fixed_cost))


def _add_trade(model: BuiltModel) -> None:
    """``0 <= ship[k,i,j,t] <= capacity``; the importer's spend += link cost x ship."""
    links = model.setting.links
    ships = model.problem.add_variable_dict("ship_%s", range(len(links)), lowBound=0)
    for n, link in enumerate(links):
        var = ships[n]
        if link.capacity is not None:
            var.upBound = link.capacity
        model.ship[link.key] = var
        if link.cost:
            span = model.horizon.span(link.period)
            _flow(model, link.importer, span, VariableFamily.SHIP, link.key, link.cost)


def _add_outside_supply(model: BuiltModel, capacity: Mapping[str, list[Capacity]]) -> None:
    """``wimp[c,k,t] >= 0`` at ``world_price x (1 + world_premium)`` where the regime opens
    the world market for k; ``back[c,k,t] >= 0`` at ``backstop_cost`` for every k with one.

    Both only in countries where a process that consumes k can run in t: the price is the
    same everywhere and shipping costs nothing less than nothing, so buying where it is used
    is always at least as cheap as buying elsewhere and shipping it (docs/model.md).
    """
    scenario = model.scenario
    by_id = scenario.commodity_by_id
    sources = [(VariableFamily.WIMP, k, by_id[k].world_cost) for k in model.setting.world] + [
        (VariableFamily.BACK, k.commodity, k.backstop_cost)
        for k in scenario.commodities
        if k.backstop_cost is not None
    ]
    if not sources:
        return
    consumers: dict[str, set[str]] = defaultdict(set)
    for line in scenario.recipe:
        if line.role is Role.INPUT:
            consumers[line.process].add(line.commodity)
    for number, (family, k, price) in enumerate(sources):
        assert price is not None
        keys = [
            (span, row.country)
            for span in model.horizon.periods
            for row in capacity[span.period]
            if k in consumers[row.process]
        ]
        unique = list(dict.fromkeys(keys))
        variables = model.problem.add_variable_dict(
            f"{family}{number}_%s", range(len(unique)), lowBound=0
        )
        handles = model.variables(family)
        for n, (span, country) in enumerate(unique):
            key = (country, k, span.period)
            handles[key] = variables[n]
            if price:
                _flow(model, country, span, family, key, price)


def _add_deliveries(model: BuiltModel) -> None:
    """``deliver[c,k,t]`` for each target of a member in the model that holds in t.

    min_cost: ``0 <= deliver <= amount`` (shortfall ``amount - deliver``, substituted in the
    objective). max_capability: ``deliver >= 0``.
    """
    members = set(model.setting.members)
    rows = [
        (span, row)
        for span in model.horizon.periods
        for row in rows_in(model.scenario.targets, _commodity_key, span.period)
        if row.country in members
    ]
    min_cost = model.setting.mode is Mode.MIN_COST
    delivers = model.problem.add_variable_dict("deliver_%s", range(len(rows)), lowBound=0)
    for n, (span, row) in enumerate(rows):
        key = (row.country, row.commodity, span.period)
        model.targets[key] = row.amount
        model.weights[key] = row.weight
        if min_cost:
            delivers[n].upBound = row.amount
        model.deliver[key] = delivers[n]


def _add_capacity_limits(model: BuiltModel, capacity: Mapping[str, list[Capacity]]) -> None:
    """``act[c,p,t] - sum of new[c,p,v] over builds v active in t <= existing[c,p,t]``."""
    horizon = model.horizon
    active: dict[Key, list[pulp.LpVariable]] = defaultdict(list)
    lasting = {
        (row.country, row.process, span.period): row
        for span in horizon.periods
        for row in capacity[span.period]
    }
    for (c, p, v), var in model.new.items():
        row = lasting[(c, p, v)]
        for span in horizon.active(horizon.span(v), row.lead_time, row.lifetime):
            active[(c, p, span.period)].append(var)
    problem = model.problem
    for key, var in model.act.items():
        terms = [(var, 1.0)] + [(new, -1.0) for new in active.get(key, ())]
        expr = pulp.LpAffineExpression.from_list(terms)
        model.capacity[key] = problem.addConstraint(expr <= model.existing[key])


def _add_build_logic(model: BuiltModel, capacity: Mapping[str, list[Capacity]]) -> None:
    """``new <= max_new x build`` and, where min_new > 0, ``new >= min_new x build``, per
    build period."""
    problem = model.problem
    for span in model.horizon.periods:
        for row in capacity[span.period]:
            key = (row.country, row.process, span.period)
            if key not in model.build:
                continue
            new, decide = model.new[key], model.build[key]
            problem.addConstraint(
                pulp.LpAffineExpression.from_list([(new, 1.0), (decide, -row.max_new)]) <= 0
            )
            if row.min_new > 0:
                problem.addConstraint(
                    pulp.LpAffineExpression.from_list([(new, 1.0), (decide, -row.min_new)]) >= 0
                )


def _add_balances(model: BuiltModel) -> None:
    """For every (country, commodity, period) with any flow:

    ``use + sum_p out[p,k] act[c,p,t] + sum_i ship[k,i,c,t] + wimp + back
      >= sum_p in[p,k] act[c,p,t] + sum_j ship[k,c,j,t] + deliver[c,k,t]``
    """
    recipe: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in model.scenario.recipe:
        sign = 1.0 if line.role is Role.OUTPUT else -1.0
        recipe[line.process].append((line.commodity, sign * line.amount))
    # PuLP adds up repeated variables in a row, so each term is simply appended
    terms: dict[Key, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for key, var in model.use.items():
        terms[key].append((var, 1.0))
    for (c, p, t), var in model.act.items():
        for k, amount in recipe[p]:
            terms[(c, k, t)].append((var, amount))
    for (k, i, j, t), var in model.ship.items():
        terms[(j, k, t)].append((var, 1.0))
        terms[(i, k, t)].append((var, -1.0))
    for handles in (model.wimp, model.back):
        for key, var in handles.items():
            terms[key].append((var, 1.0))
    for key, var in model.deliver.items():
        terms[key].append((var, -1.0))
    problem = model.problem
    for key, pairs in terms.items():
        expr = pulp.LpAffineExpression.from_list(pairs)
        model.balance[key] = problem.addConstraint(expr >= 0)


def _add_objective(model: BuiltModel) -> None:
    """The discounted cost, the weighted capability and, per mode, the objective and budgets.

    min_cost: minimise ``sum_t w_t x (sum_c F[c,t] + shortfall_penalty x shortfall in t)
    + sum_t D(y_t) x sum_c I[c,t] - salvage``.
    max_capability: maximise ``sum_t w_t x sum(weight x deliver)`` subject to, per budget
    group and period, the group's spend in t ``<= L_t x`` its budget per year. (The second
    stage, the cheapest plan at that capability, is the solve stage's.)
    """
    horizon = model.horizon
    cost_terms = [
        (model.variables(family)[key], discounted)
        for terms in model.spend.values()
        for family, key, _, discounted in terms
    ]
    model.cost = pulp.LpAffineExpression.from_list(cost_terms)
    weight = {s.period: s.weight for s in horizon.periods}
    model.capability = pulp.LpAffineExpression.from_list(
        [(var, weight[key[2]] * model.weights[key]) for key, var in model.deliver.items()]
    )
    problem = model.problem
    if model.setting.mode is Mode.MIN_COST:
        penalty = model.scenario.shortfall_penalty
        amounts: dict[str, float] = defaultdict(float)
        for key, amount in model.targets.items():
            amounts[key[2]] += amount
        constant = sum(weight[t] * penalty * total for t, total in amounts.items())
        objective = pulp.LpAffineExpression.from_list(
            cost_terms + [(var, -weight[key[2]] * penalty) for key, var in model.deliver.items()],
            constant=constant,
        )
        problem.setObjective(objective)
        return
    for group in model.setting.budgets:
        for span in horizon.periods:
            expr = pulp.LpAffineExpression.from_list(
                model.spend_of(group.countries, (span.period,))
            )
            limit = span.length * group.budget[span.period]
            model.budget[(group.name, span.period)] = problem.addConstraint(expr <= limit)
    problem.setObjective(model.capability)
