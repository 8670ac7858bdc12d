"""Result tables: a solved run in, tidy pandas tables out.

Contract of this stage: :func:`tabulate` turns one run's :class:`~planner.model.solve.Solution`
into a frozen :class:`RunResult` of long-format DataFrames. The figures derived from
several runs live in :class:`~planner.analysis.compare.Comparison`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.model.build import Setting
from planner.model.families import Dim, Key, PriceFamily
from planner.model.solve import Prices, Solution, Status
from planner.scenario.horizon import rows_in
from planner.scenario.schema import Capacity, Mode, Regime, Resource, Role, Scenario, Target

RUN_ORDER: tuple[tuple[Mode, Regime], ...] = tuple(
    (mode, regime) for mode in Mode for regime in Regime
)
"""The six runs, in the order every table and the JSON summary list them."""

TABLE_COLUMNS: dict[str, list[str]] = {
    "countries": ["country", "name", "member", "cost", "capability", "shortfall"],
    "periods": [
        "country",
        "member",
        "period",
        "year",
        "cost",
        "capability",
        "shortfall",
        "world_imports",
        "backstop",
        "generations_behind",
        "node_gap_years",
    ],
    "deliveries": ["country", "commodity", "target", "delivered", "shortfall", "weight", "period"],
    "production": [
        "country",
        "process",
        "layer",
        "activity",
        "existing",
        "new",
        "built",
        "period",
    ],
    "trade": [
        "commodity",
        "exporter",
        "importer",
        "quantity",
        "unit_cost",
        "cost",
        "capacity",
        "period",
    ],
    "resources": ["country", "commodity", "used", "available", "unit_cost", "cost", "period"],
    "outside": ["country", "commodity", "source", "quantity", "unit_cost", "cost", "period"],
    "learning": ["process", "pool", "period", "year", "experience", "segment", "multiplier"],
    "prices": [
        "family",
        "country",
        "item",
        "value",
        "binding",
        "may_not_be_unique",
        "checked",
        "reading",
        "more",
        "less",
        "family_id",
        "period",
    ],
}
"""Every table's columns. Quantities are per year within their period; ``cost`` columns
are the period's spend (per-year cost times the period's length); ``period`` is the
period's id (``1`` without a Periods sheet)."""

GENERATION_USE_SHARE = 0.01
"""A member uses a generation when it is at least this share of its use of every
commodity that has a generation (DESIGN.md, "Technology generations")."""


def table_frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as the named table, with its columns even when there are no rows."""
    return pd.DataFrame(rows, columns=TABLE_COLUMNS[name])


@dataclass(frozen=True)
class RunResult:
    """One mode x regime run: its outcome and its tables.

    Attributes:
        countries: per country in the model, over the horizon: spend (``cost``, the sum of
            its spend per period), capability delivered and shortfall (per year times the
            period's length, summed).
        periods: per country in the model and period: spend in the period, capability and
            shortfall per year, world imports and backstop supply per year, and for members
            the lag figures ``generations_behind`` and ``node_gap_years`` (NaN where the
            period has no frontier or the member uses no generation).
        deliveries: per target and period: target amount, delivered, shortfall (per year),
            weight.
        production: per (country, process, period): activity, existing capacity, new
            capacity started in the period and whether a build decision was taken.
        trade: per link and period that carries anything: quantity and what the importer
            pays in the period.
        resources: per resource row and period: units used against units available.
        outside: per country, commodity and period: what came from the world market
            (``source`` ``world``) and from backstops (``backstop``), per year, and its cost.
        prices: shadow prices with a plain-language reading, per period; ``family`` is the
            family's display label, ``family_id`` its
            :class:`~planner.model.families.PriceFamily` (filter on this one: the labels are
            words for readers).
        world_imports, backstop: total units over the horizon (per year times length).
    """

    mode: Mode
    regime: Regime
    status: Status
    message: str
    objective: float | None
    total_cost: float | None
    total_capability: float | None
    total_shortfall: float | None
    solve_time: float
    gap: float | None
    countries: pd.DataFrame
    deliveries: pd.DataFrame
    production: pd.DataFrame
    trade: pd.DataFrame
    resources: pd.DataFrame
    prices: pd.DataFrame
    periods: pd.DataFrame
    outside: pd.DataFrame
    world_imports: float | None = None
    backstop: float | None = None
    penalty: float | None = None
    """In min_cost, the discounted shortfall penalty paid, ``sum_t w_t x penalty x
    shortfall in t`` (the objective less the discounted cost); None otherwise."""
    learning: pd.DataFrame = field(default_factory=lambda: table_frame("learning", []))
    """Per learning process, pool (the tuple of its countries) and period: the experience
    at the period's start, the segment k holding it and its multiplier ``m_k``
    (DESIGN.md, "Learning"); empty without a plan or a Learning sheet."""

    @property
    def has_plan(self) -> bool:
        """True when the run found a plan (optimal or time-limited)."""
        return self.status.has_plan


def tabulate(scenario: Scenario, setting: Setting, solution: Solution) -> RunResult:
    """Turn one run's solution into its tables.

    Shortfall of a target in a period = max(0, amount - delivered), per year: in min_cost
    it is the unmet part the penalty was paid on; in max_capability it says how far the
    budget falls short of the target. ``total_cost`` is spend only (no penalty, no
    discounting, no salvage) summed over periods; ``total_capability`` and
    ``total_shortfall`` are the unweighted per-year figures times each period's length,
    summed (DESIGN.md, "What a multi-period run reports").
    """
    horizon = scenario.horizon
    length = {s.period: s.length for s in horizon.periods}
    deliveries = _deliveries(scenario, setting, solution)
    planned = solution.status.has_plan
    outside = _outside(scenario, solution) if planned else table_frame("outside", [])
    periods = _periods(scenario, setting, solution, deliveries, outside)
    countries = _countries(scenario, setting, solution, periods)
    if planned:
        plan = (
            _production(scenario, setting, solution),
            _trade(scenario, setting, solution),
            _resources(scenario, setting, solution),
            _prices(scenario, setting, solution.prices),
        )
    else:
        # no plan, no figures: blank rather than zero, so nothing reads as a real result
        unknown = ["cost", "capability", "shortfall"]
        countries[unknown] = countries[unknown].astype(float) * float("nan")
        periods[unknown] = periods[unknown].astype(float) * float("nan")
        deliveries[["delivered", "shortfall"]] = float("nan")
        empty = [table_frame(name, []) for name in ("production", "trade", "resources", "prices")]
        plan = (empty[0], empty[1], empty[2], empty[3])

    def total(frame: pd.DataFrame, column: str) -> float | None:
        if not planned:
            return None
        if column == "cost":
            return float(frame[column].sum())
        years = frame["period"].map(length).astype(float)
        return float((frame[column] * years).sum())

    def units(source: str) -> float | None:
        if not planned:
            return None
        chosen = outside.loc[outside["source"] == source]
        years = chosen["period"].map(length).astype(float)
        return float((chosen["quantity"] * years).sum())

    return RunResult(
        setting.mode,
        setting.regime,
        solution.status,
        solution.message,
        solution.objective if planned else None,
        total(countries, "cost"),
        total(deliveries, "delivered"),
        total(deliveries, "shortfall"),
        solution.solve_time,
        solution.gap if planned else None,
        countries,
        deliveries,
        *plan,
        periods,
        outside,
        units("world"),
        units("backstop"),
        _penalty(scenario, setting, deliveries) if planned else None,
        _learning(scenario, solution) if planned else table_frame("learning", []),
    )


def _learning(scenario: Scenario, solution: Solution) -> pd.DataFrame:
    """One row per learning process, pool and period of the plan."""
    year = {s.period: s.year for s in scenario.horizon.periods}
    rows = [
        {
            "process": state.process,
            "pool": state.pool,
            "period": state.period,
            "year": year[state.period],
            "experience": state.experience,
            "segment": state.segment,
            "multiplier": state.multiplier,
        }
        for state in solution.learning
    ]
    return table_frame("learning", rows)


def _penalty(scenario: Scenario, setting: Setting, deliveries: pd.DataFrame) -> float | None:
    """``sum_t w_t x shortfall_penalty x shortfall in t`` of a min_cost run."""
    if setting.mode is not Mode.MIN_COST:
        return None
    weight = {s.period: s.weight for s in scenario.horizon.periods}
    factors = deliveries["period"].map(weight).astype(float)
    return float((deliveries["shortfall"] * factors).sum()) * scenario.shortfall_penalty


def _deliveries(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    members = set(setting.members)
    rows = []
    for span in scenario.horizon.periods:
        for target in rows_in(scenario.targets, _commodity_key, span.period):
            if target.country not in members:
                continue
            key = (target.country, target.commodity, span.period)
            delivered = solution.deliver.get(key, 0.0)
            rows.append(
                {
                    "country": target.country,
                    "commodity": target.commodity,
                    "target": target.amount,
                    "delivered": delivered,
                    "shortfall": max(0.0, target.amount - delivered),
                    "weight": target.weight,
                    "period": span.period,
                }
            )
    return table_frame("deliveries", rows)


def _commodity_key(row: Resource | Target) -> tuple[str, str]:
    return (row.country, row.commodity)


def _process_key(row: Capacity) -> tuple[str, str]:
    return (row.country, row.process)


def _periods(
    scenario: Scenario,
    setting: Setting,
    solution: Solution,
    deliveries: pd.DataFrame,
    outside: pd.DataFrame,
) -> pd.DataFrame:
    """Per country and period: spend, capability, shortfall, outside supply and lags."""
    grouped = deliveries.groupby(["country", "period"])[["delivered", "shortfall"]].sum()
    by_country: dict[Any, Any] = dict(grouped.to_dict("index"))
    bought = outside.groupby(["country", "period", "source"])["quantity"].sum()
    lags = _generation_lags(scenario, setting, solution)
    rows = []
    for country in setting.countries:
        info = scenario.country_by_id[country]
        member = info.member and country in setting.members
        for span in scenario.horizon.periods:
            where = (country, span.period)
            got = by_country.get(where)
            behind, gap = lags.get(where, (None, None))
            rows.append(
                {
                    "country": country,
                    "member": member,
                    "period": span.period,
                    "year": span.year,
                    "cost": solution.spend.get(where, 0.0),
                    "capability": 0.0 if got is None else got["delivered"],
                    "shortfall": 0.0 if got is None else got["shortfall"],
                    "world_imports": float(bought.get((*where, "world"), 0.0)),
                    "backstop": float(bought.get((*where, "backstop"), 0.0)),
                    "generations_behind": behind,
                    "node_gap_years": gap,
                }
            )
    return table_frame("periods", rows)


def _countries(
    scenario: Scenario, setting: Setting, solution: Solution, periods: pd.DataFrame
) -> pd.DataFrame:
    """Per country: the sums over periods (spend; capability and shortfall times length)."""
    length = {s.period: s.length for s in scenario.horizon.periods}
    rows = []
    for country in setting.countries:
        info = scenario.country_by_id[country]
        own = periods.loc[periods["country"] == country]
        years = own["period"].map(length).astype(float)
        rows.append(
            {
                "country": country,
                "name": info.name,
                "member": info.member and country in setting.members,
                "cost": sum(solution.spend.get((country, t), 0.0) for t in length),
                "capability": float((own["capability"] * years).sum()),
                "shortfall": float((own["shortfall"] * years).sum()),
            }
        )
    return table_frame("countries", rows)


def _generation_lags(
    scenario: Scenario, setting: Setting, solution: Solution
) -> dict[tuple[str, str], tuple[int | None, float | None]]:
    """Per (member, period): ``generations_behind`` and ``node_gap_years``.

    The frontier in t is the generation with the latest ``frontier_year <= y_t``; a member
    uses generation g when its processes consume commodities of g (``sum in[p,k] x act``)
    at least :data:`GENERATION_USE_SHARE` of its use of every commodity with a generation.
    ``generations_behind`` = rank of the frontier - rank of the newest generation used;
    ``node_gap_years`` = the difference of their frontier years. None where there is no
    frontier or the member uses no generation.
    """
    if not scenario.generations:
        return {}
    ranked = sorted(scenario.generations, key=lambda g: g.frontier_year)
    rank = {g.generation: n for n, g in enumerate(ranked)}
    year = {g.generation: g.frontier_year for g in ranked}
    generation_of = {k.commodity: k.generation for k in scenario.commodities if k.generation}
    inputs: dict[str, list[tuple[str, float]]] = {}
    for line in scenario.recipe:
        if line.role is Role.INPUT and line.commodity in generation_of:
            inputs.setdefault(line.process, []).append((generation_of[line.commodity], line.amount))
    use: dict[tuple[str, str], dict[str, float]] = {}
    for (country, process, period), activity in solution.act.items():
        for generation, amount in inputs.get(process, ()):
            if activity > 0:
                by = use.setdefault((country, period), {})
                by[generation] = by.get(generation, 0.0) + amount * activity
    lags: dict[tuple[str, str], tuple[int | None, float | None]] = {}
    for span in scenario.horizon.periods:
        reached = [g for g in ranked if g.frontier_year <= span.year]
        for member in setting.members:
            used = use.get((member, span.period), {})
            whole = sum(used.values())
            chosen = [g for g, u in used.items() if whole > 0 and u >= GENERATION_USE_SHARE * whole]
            if not reached or not chosen:
                lags[(member, span.period)] = (None, None)
                continue
            frontier = reached[-1].generation
            newest = max(chosen, key=rank.__getitem__)
            lags[(member, span.period)] = (
                rank[frontier] - rank[newest],
                year[frontier] - year[newest],
            )
    return lags


def _outside(scenario: Scenario, solution: Solution) -> pd.DataFrame:
    """World imports and backstop supply per country, commodity and period."""
    by_id = scenario.commodity_by_id
    length = {s.period: s.length for s in scenario.horizon.periods}
    rows = []
    for source, values in (("world", solution.wimp), ("backstop", solution.back)):
        for (country, commodity, period), quantity in values.items():
            if quantity <= 0:
                continue
            info = by_id[commodity]
            price = info.world_cost if source == "world" else info.backstop_cost
            unit = 0.0 if price is None else price
            rows.append(
                {
                    "country": country,
                    "commodity": commodity,
                    "source": source,
                    "quantity": quantity,
                    "unit_cost": unit,
                    "cost": length[period] * unit * quantity,
                    "period": period,
                }
            )
    return table_frame("outside", rows)


def _production(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = []
    for span in scenario.horizon.periods:
        for row in rows_in(scenario.capacity, _process_key, span.period):
            if row.country not in in_model:
                continue
            key = (row.country, row.process, span.period)
            new = solution.new.get(key, 0.0)
            rows.append(
                {
                    "country": row.country,
                    "process": row.process,
                    "layer": scenario.process_by_id[row.process].layer,
                    "activity": solution.act.get(key, 0.0),
                    "existing": row.existing,
                    "new": new,
                    "built": solution.build.get(key, 1.0 if new else 0.0) > 0.5,
                    "period": span.period,
                }
            )
    return table_frame("production", rows)


def _trade(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    length = {s.period: s.length for s in scenario.horizon.periods}
    rows = []
    for link in setting.links:
        quantity = solution.ship.get(link.key, 0.0)
        if quantity <= 0:
            continue
        rows.append(
            {
                "commodity": link.commodity,
                "exporter": link.exporter,
                "importer": link.importer,
                "quantity": quantity,
                "unit_cost": link.cost,
                "cost": length[link.period] * quantity * link.cost,
                "capacity": link.capacity,
                "period": link.period,
            }
        )
    return table_frame("trade", rows)


def _resources(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = [
        {
            "country": row.country,
            "commodity": row.commodity,
            "used": (used := solution.use.get((row.country, row.commodity, span.period), 0.0)),
            "available": row.available,
            "unit_cost": row.cost,
            "cost": span.length * row.cost * used,
            "period": span.period,
        }
        for span in scenario.horizon.periods
        for row in rows_in(scenario.resources, _commodity_key, span.period)
        if row.country in in_model
    ]
    return table_frame("resources", rows)


def _locate(family: PriceFamily, key: str | Key) -> tuple[str, str, str]:
    """(country, item, period) of a price key: a link's country reads ``exporter->importer``,
    a budget's is its group and its item ``budget``."""
    named = family.named(key)
    period = named[Dim.PERIOD]
    if Dim.GROUP in named:
        return named[Dim.GROUP], "budget", period
    if Dim.EXPORTER in named:
        return f"{named[Dim.EXPORTER]}->{named[Dim.IMPORTER]}", named[Dim.COMMODITY], period
    item = named.get(Dim.PROCESS, named.get(Dim.COMMODITY, ""))
    return named[Dim.COUNTRY], item, period


def _prices(scenario: Scenario, setting: Setting, prices: Prices) -> pd.DataFrame:
    """Shadow prices with a plain-language reading.

    ``value`` is the objective's improvement per extra unit (money saved in min_cost,
    capability gained in max_capability), except for targets, where it is what one more
    unit of target costs. A price is flagged ``may_not_be_unique`` only where its two
    one-sided derivatives, measured by re-solving (:attr:`Prices.sides`), differ: one more
    unit is then worth a different amount from one less, and any value between the two is
    a valid shadow price; its reading states that range and both sides. ``more`` and
    ``less`` are the two sides (both ``value`` where the price was not measured, being
    unique): the improvement from one more unit, and the improvement lost by one less.
    A binding price left unmeasured because the run's price checks ran out
    (:attr:`Prices.unchecked`) is flagged too, and its reading says it was not checked.
    """
    if setting.regime is Regime.NATIONAL:
        whose = "national stacks'"
    else:
        whose = f"{setting.regime.value} regime's"
    if setting.mode is Mode.MIN_COST:
        effect = "lower the {whose} cost by {value:.4g} {currency}"
    else:
        effect = "raise the {whose} capability by {value:.4g}"
    several = len(scenario.horizon.periods) > 1

    def suffix(period: str) -> str:
        return f" (period {period})" if several else ""

    fixed = (
        ", with the plan's build decisions and learning steps held fixed"
        if prices.fixed_binaries and scenario.learning
        else ""
    )

    rows = []
    for family in PriceFamily:  # the enum's order is the table's
        for key, value in prices.of(family).items():
            country, item, period = _locate(family, key)
            binding = prices.binding(family, key)
            text = family.subject(key, scenario.currency)
            sides = prices.one_sided(family, key)
            unique = prices.unique(family, key)
            if family is PriceFamily.TARGET:
                verb = f"cost {_amount(value, sides, unique)} {scenario.currency}"
            elif not unique and sides is not None:
                worth = (
                    "change nothing"
                    if math.isinf(sides[1]) and sides[0] == 0
                    else effect.format(
                        whose=whose, value=_Range(*sides), currency=scenario.currency
                    )
                )
                verb = worth + _sides_note(sides)
            elif value:
                verb = effect.format(whose=whose, value=value, currency=scenario.currency)
            else:
                verb = "change nothing"
            checked = prices.checked(family, key)
            if not checked:
                verb += (
                    " (not checked by re-solving: the run's price checks ran out, and the LP"
                    " is degenerate, so this price may not be unique)"
                )
            reading = f"{text} would {verb}"
            rows.append(
                {
                    "family": family.label,
                    "country": country,
                    "item": item,
                    "value": value,
                    "binding": binding or family is PriceFamily.TARGET,
                    "may_not_be_unique": not unique or not checked,
                    "checked": checked,
                    "reading": reading[0].upper() + reading[1:] + suffix(period) + fixed,
                    "more": value if sides is None else sides[0],
                    "less": value if sides is None else _finite(sides[1]),
                    "family_id": family,
                    "period": period,
                }
            )
    return table_frame("prices", rows)


@dataclass(frozen=True)
class _Range:
    """Two one-sided derivatives, formatted as the range of valid prices they bound."""

    more: float
    less: float

    def __format__(self, spec: str) -> str:
        if math.isinf(self.less):
            return format(self.more, spec)
        low, high = sorted((self.more, self.less))
        return f"between {format(low, spec)} and {format(high, spec)}"


def _sides_note(sides: tuple[float, float]) -> str:
    more, less = sides
    if math.isinf(less):
        return (
            f" (the price is not unique: one more unit is worth {more:.4g}, and with one unit "
            "less the plan is infeasible)"
        )
    return (
        f" (the price is not unique: one more unit is worth {more:.4g}, one less costs {less:.4g})"
    )


def _finite(value: float) -> float | None:
    """A one-sided price for the table: None where one unit less leaves no plan."""
    return None if math.isinf(value) else value


def _amount(value: float, sides: tuple[float, float] | None, unique: bool) -> str:
    """What one more unit of a target costs: one figure, or the range where not unique."""
    if unique or sides is None:
        return f"{value:.4g}"
    more, less = sides
    if math.isinf(less):
        return f"{more:.4g} (one unit less of it is not possible)"
    return (
        f"between {min(more, less):.4g} and {max(more, less):.4g} ({more:.4g} for one more "
        f"unit, {less:.4g} saved by one less)"
    )
