"""Model building: a validated scenario and a run's setting in, a PuLP problem out.

Contract of this stage: :func:`setting_for` says which countries, members, links and budgets
a regime puts in the model (docs/model.md, "Links of each regime"); :func:`build` turns a
scenario and a setting into a :class:`BuiltModel`, whose typed handles are the only way
later stages read the solution. Variables and constraints exist only for rows that exist.

Every family of variables and of priced constraints is a member of
:class:`~planner.model.families.VariableFamily` or :class:`~planner.model.families.PriceFamily`,
whose ``dims`` fix the one order of its index tuples (``(country, commodity)``,
``(country, process)``, ``(commodity, exporter, importer)``); keys are built from records by
``family.key(record)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulp

from planner.model.families import Key, PriceFamily, VariableFamily
from planner.model.links import LinkKey, TradeLink, coalition_countries, regime_links
from planner.scenario.schema import Capacity, Mode, Regime, Role, Scenario

__all__ = [
    "BudgetGroup",
    "BuiltModel",
    "Key",
    "LinkKey",
    "Pair",
    "Setting",
    "TradeLink",
    "build",
    "setting_for",
]

Pair = tuple[str, str]

SpendTerm = tuple[VariableFamily, Key, float]
"""(variable family, index tuple, money per unit): one term of a country's spend."""


@dataclass(frozen=True)
class BudgetGroup:
    """Countries whose spend one budget pays for (docs/model.md, "Links of each regime")."""

    name: str
    countries: tuple[str, ...]
    budget: float


@dataclass(frozen=True)
class Setting:
    """Which part of a scenario one model holds.

    Attributes:
        regime: the trade regime.
        mode: the question asked.
        countries: every country whose resources and processes are in the model.
        members: the members, whose targets are in the model and whose budgets pay.
        links: the trade links.
        budgets: in ``max_capability``, one group per budget that binds.
    """

    regime: Regime
    mode: Mode
    countries: tuple[str, ...]
    members: tuple[str, ...]
    links: tuple[TradeLink, ...]
    budgets: tuple[BudgetGroup, ...]


def setting_for(
    scenario: Scenario,
    regime: Regime,
    mode: Mode,
    members: Sequence[str] | None = None,
    *,
    prune: bool = True,
) -> Setting:
    """The countries, links and budgets that ``regime`` puts in the model.

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
    blocks' optima.
    """
    wanted = set(scenario.members if members is None else members)
    member_ids = tuple(c.country for c in scenario.countries if c.country in wanted)
    budget = scenario.country_by_id
    if regime is Regime.NATIONAL:
        groups = tuple(BudgetGroup(m, (m,), budget[m].budget) for m in member_ids)
        return Setting(regime, mode, member_ids, member_ids, (), groups)
    if regime is Regime.COALITION:
        countries = coalition_countries(scenario, member_ids)
    else:
        countries = tuple(c.country for c in scenario.countries)
    links = regime_links(scenario, regime, member_ids, countries, prune=prune)
    pooled = BudgetGroup("pooled", countries, sum(budget[m].budget for m in member_ids))
    return Setting(regime, mode, countries, member_ids, links, (pooled,))


@dataclass
class BuiltModel:
    """A PuLP problem with typed handles to every variable and constraint family.

    One handle per :class:`~planner.model.families.VariableFamily` (an attribute named by its
    value; :meth:`variables` reads it by member) and per priced constraint row
    (``balance``, ``capacity``, ``budget``; :meth:`rows`). The bound-priced families
    (resource, new-capacity limit, link) are the upper bounds of ``use``, ``new``, ``ship``.

    ``spend`` holds, per country, the terms of its spend as (variable family, index
    tuple, money per unit), e.g. ``(VariableFamily.SHIP, ("chip", "A", "B"), 0.5)``: the model turns
    them into expressions, and the solve stage prices them with the values it has read,
    so spend per country needs neither a second reading of the solution nor a reparse.
    """

    scenario: Scenario
    setting: Setting
    problem: pulp.LpProblem
    use: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    act: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    new: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    build: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    ship: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    deliver: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    targets: dict[Key, float] = field(default_factory=dict)
    weights: dict[Key, float] = field(default_factory=dict)
    balance: dict[Key, pulp.LpConstraint] = field(default_factory=dict)
    capacity: dict[Key, pulp.LpConstraint] = field(default_factory=dict)
    budget: dict[str, pulp.LpConstraint] = field(default_factory=dict)
    spend: dict[str, list[SpendTerm]] = field(default_factory=dict)
    cost: pulp.LpAffineExpression | None = None
    capability: pulp.LpAffineExpression | None = None

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

    def spend_of(self, countries: Iterable[str]) -> list[tuple[pulp.LpVariable, float]]:
        """The (variable, money per unit) terms of the spend of ``countries``."""
        return [
            (self.variables(family)[key], cost)
            for country in countries
            for family, key, cost in self.spend[country]
        ]

    @property
    def is_mip(self) -> bool:
        """True when the model has build decisions."""
        return bool(self.build)


_ROW_FAMILIES = (PriceFamily.BALANCE, PriceFamily.CAPACITY, PriceFamily.BUDGET)
"""The price families that are constraint rows, each held on a handle named by its value."""


def build(scenario: Scenario, setting: Setting) -> BuiltModel:
    """Build the model of one run: variables, then each constraint family, then objective."""
    sense = pulp.LpMinimize if setting.mode is Mode.MIN_COST else pulp.LpMaximize
    model = BuiltModel(scenario, setting, pulp.LpProblem("planner", sense))
    model.spend = {c: [] for c in setting.countries}
    in_model = set(setting.countries)
    rows = [r for r in scenario.capacity if r.country in in_model]
    _add_resources(model, in_model)
    _add_activity(model, rows)
    _add_trade(model)
    _add_deliveries(model)
    _add_capacity_limits(model, rows)
    _add_build_logic(model, rows)
    _add_balances(model)
    _add_objective(model)
    return model


def _add_resources(model: BuiltModel, in_model: set[str]) -> None:
    """``0 <= use[c,k] <= available``; spend += cost * use."""
    rows = [r for r in model.scenario.resources if r.country in in_model]
    keys = [VariableFamily.USE.key(r) for r in rows]
    variables = model.problem.add_variable_dict("use_%s", range(len(rows)), lowBound=0)
    for n, (key, row) in enumerate(zip(keys, rows, strict=True)):
        var = variables[n]
        var.upBound = row.available
        model.use[key] = var
        if row.cost:
            model.spend[row.country].append((VariableFamily.USE, key, row.cost))


def _add_activity(model: BuiltModel, rows: list[Capacity]) -> None:
    """``act[c,p] >= 0``; ``0 <= new[c,p] <= max_new`` where max_new > 0; ``build[c,p]``
    binary where such a build has a fixed cost or a minimum scale."""
    problem = model.problem
    acts = problem.add_variable_dict("act_%s", range(len(rows)), lowBound=0)
    growable = [n for n, r in enumerate(rows) if r.max_new > 0]
    news = problem.add_variable_dict("new_%s", growable, lowBound=0)
    decided = [n for n in growable if rows[n].needs_build_decision]
    builds = problem.add_variable_dict("build_%s", decided, cat="Binary")
    for n, row in enumerate(rows):
        key = VariableFamily.ACT.key(row)  # the same (country, process) for new and build
        model.act[key] = acts[n]
        spend = model.spend[row.country]
        if row.cost:
            spend.append((VariableFamily.ACT, key, row.cost))
        if n in news:
            news[n].upBound = row.max_new
            model.new[key] = news[n]
            if row.new_cost:
                spend.append((VariableFamily.NEW, key, row.new_cost))
        if n in builds:
            model.build[key] = builds[n]
            if row.fixed_cost:
                spend.append((VariableFamily.BUILD, key, row.fixed_cost))


def _add_trade(model: BuiltModel) -> None:
    """``0 <= ship[k,i,j] <= capacity``; the importer's spend += link cost * ship."""
    links = model.setting.links
    ships = model.problem.add_variable_dict("ship_%s", range(len(links)), lowBound=0)
    for n, link in enumerate(links):
        var = ships[n]
        if link.capacity is not None:
            var.upBound = link.capacity
        key = VariableFamily.SHIP.key(link)
        model.ship[key] = var
        if link.cost:
            model.spend[link.importer].append((VariableFamily.SHIP, key, link.cost))


def _add_deliveries(model: BuiltModel) -> None:
    """``deliver[c,k]`` for each target of a member in the model.

    min_cost: ``deliver = amount - short``, ``0 <= short <= amount`` (the model uses
    ``deliver`` and ``short`` as two variables tied by that equation's bounds: deliver
    in [0, amount] and short = amount - deliver, substituted in the objective).
    max_capability: ``deliver >= 0``.
    """
    members = set(model.setting.members)
    rows = [t for t in model.scenario.targets if t.country in members]
    min_cost = model.setting.mode is Mode.MIN_COST
    delivers = model.problem.add_variable_dict("deliver_%s", range(len(rows)), lowBound=0)
    for n, row in enumerate(rows):
        key = VariableFamily.DELIVER.key(row)
        model.targets[key] = row.amount
        model.weights[key] = row.weight
        if min_cost:
            delivers[n].upBound = row.amount
        model.deliver[key] = delivers[n]


def _add_capacity_limits(model: BuiltModel, rows: list[Capacity]) -> None:
    """``act[c,p] - new[c,p] <= existing``."""
    problem = model.problem
    for row in rows:
        key = PriceFamily.CAPACITY.key(row)
        terms = [(model.act[key], 1.0)]
        if key in model.new:
            terms.append((model.new[key], -1.0))
        expr = pulp.LpAffineExpression.from_list(terms)
        model.capacity[key] = problem.addConstraint(expr <= row.existing)


def _add_build_logic(model: BuiltModel, rows: list[Capacity]) -> None:
    """``new <= max_new * build`` and, where min_new > 0, ``new >= min_new * build``."""
    problem = model.problem
    for row in rows:
        key = VariableFamily.BUILD.key(row)
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
    """For every (country, commodity) with any flow:

    ``use + sum_p out[p,k] act[c,p] + sum_i ship[k,i,c]
      >= sum_p in[p,k] act[c,p] + sum_j ship[k,c,j] + deliver[c,k]``
    """
    recipe: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in model.scenario.recipe:
        sign = 1.0 if line.role is Role.OUTPUT else -1.0
        recipe[line.process].append((line.commodity, sign * line.amount))
    # PuLP adds up repeated variables in a row, so each term is simply appended
    terms: dict[Key, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for key, var in model.use.items():
        terms[key].append((var, 1.0))
    for (c, p), var in model.act.items():
        for k, amount in recipe[p]:
            terms[(c, k)].append((var, amount))
    for (k, i, j), var in model.ship.items():
        terms[(j, k)].append((var, 1.0))
        terms[(i, k)].append((var, -1.0))
    for key, var in model.deliver.items():
        terms[key].append((var, -1.0))
    problem = model.problem
    for key, pairs in terms.items():
        expr = pulp.LpAffineExpression.from_list(pairs)
        model.balance[key] = problem.addConstraint(expr >= 0)


def _add_objective(model: BuiltModel) -> None:
    """Total spend, capability and, per mode, the objective and budget rows.

    min_cost: minimise spend + shortfall_penalty * sum(amount - deliver).
    max_capability: maximise sum(weight * deliver) subject to, per budget group,
    spend of its countries <= its budget. (The second stage, cheapest plan at that
    capability, is the solve stage's.)
    """
    cost_terms = model.spend_of(model.spend)
    model.cost = pulp.LpAffineExpression.from_list(cost_terms)
    model.capability = pulp.LpAffineExpression.from_list(
        [(var, model.weights[key]) for key, var in model.deliver.items()]
    )
    problem = model.problem
    if model.setting.mode is Mode.MIN_COST:
        penalty = model.scenario.shortfall_penalty
        shortfall = sum(model.targets.values())
        objective = pulp.LpAffineExpression.from_list(
            cost_terms + [(var, -penalty) for var in model.deliver.values()],
            constant=penalty * shortfall,
        )
        problem.setObjective(objective)
        return
    for group in model.setting.budgets:
        expr = pulp.LpAffineExpression.from_list(model.spend_of(group.countries))
        model.budget[group.name] = problem.addConstraint(expr <= group.budget)
    problem.setObjective(model.capability)
