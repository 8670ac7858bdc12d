"""Result tables: a solved run in, tidy pandas tables out.

Contract of this stage: :func:`tabulate` turns one run's :class:`~planner.model.solve.Solution`
into a frozen :class:`RunResult` of long-format DataFrames. The figures derived from
several runs live in :class:`~planner.analysis.compare.Comparison`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.model.build import Setting
from planner.model.families import Dim, Key, PriceFamily, VariableFamily
from planner.model.solve import Prices, Solution, Status
from planner.scenario.schema import Mode, Regime, Scenario

RUN_ORDER: tuple[tuple[Mode, Regime], ...] = tuple(
    (mode, regime) for mode in Mode for regime in Regime
)
"""The six runs, in the order every table and the JSON summary list them."""

TABLE_COLUMNS: dict[str, list[str]] = {
    "countries": ["country", "name", "member", "cost", "capability", "shortfall"],
    "deliveries": ["country", "commodity", "target", "delivered", "shortfall", "weight"],
    "production": ["country", "process", "layer", "activity", "existing", "new", "built"],
    "trade": ["commodity", "exporter", "importer", "quantity", "unit_cost", "cost", "capacity"],
    "resources": ["country", "commodity", "used", "available", "unit_cost", "cost"],
    "prices": [
        "family",
        "country",
        "item",
        "value",
        "binding",
        "may_not_be_unique",
        "reading",
        "more",
        "less",
        "family_id",
    ],
}


def table_frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as the named table, with its columns even when there are no rows."""
    return pd.DataFrame(rows, columns=TABLE_COLUMNS[name])


@dataclass(frozen=True)
class RunResult:
    """One mode x regime run: its outcome and its tables.

    Attributes:
        countries: per country in the model: spend (``cost``), capability delivered and
            shortfall against its targets.
        deliveries: per target: target amount, delivered, shortfall, weight.
        production: per (country, process): activity, existing capacity, new capacity and
            whether a build decision was taken.
        trade: per link that carries anything: quantity and what the importer pays.
        resources: per resource row: units used against units available.
        prices: shadow prices with a plain-language reading; ``family`` is the family's
            display label, ``family_id`` its :class:`~planner.model.families.PriceFamily`
            (filter on this one: the labels are words for readers).
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

    @property
    def has_plan(self) -> bool:
        """True when the run found a plan (optimal or time-limited)."""
        return self.status.has_plan


def tabulate(scenario: Scenario, setting: Setting, solution: Solution) -> RunResult:
    """Turn one run's solution into its tables.

    Shortfall of a target = max(0, amount - delivered): in min_cost it is the unmet part
    the penalty was paid on; in max_capability it says how far the budget falls short of
    the target. ``total_cost`` is spend only (no penalty); ``total_capability`` is the
    unweighted sum of deliveries.
    """
    deliveries = _deliveries(scenario, setting, solution)
    countries = _countries(scenario, setting, solution, deliveries)
    planned = solution.status.has_plan
    if planned:
        plan = (
            _production(scenario, setting, solution),
            _trade(setting, solution),
            _resources(scenario, setting, solution),
            _prices(scenario, setting, solution.prices),
        )
    else:
        # no plan, no figures: blank rather than zero, so nothing reads as a real result
        unknown = ["cost", "capability", "shortfall"]
        countries[unknown] = countries[unknown].astype(float) * float("nan")
        deliveries[["delivered", "shortfall"]] = float("nan")
        empty = [table_frame(name, []) for name in ("production", "trade", "resources", "prices")]
        plan = (empty[0], empty[1], empty[2], empty[3])

    def total(frame: pd.DataFrame, column: str) -> float | None:
        return float(frame[column].sum()) if planned else None

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
    )


def _deliveries(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    members = set(setting.members)
    rows = []
    for target in scenario.targets:
        if target.country not in members:
            continue
        delivered = solution.deliver.get(VariableFamily.DELIVER.key(target), 0.0)
        rows.append(
            {
                "country": target.country,
                "commodity": target.commodity,
                "target": target.amount,
                "delivered": delivered,
                "shortfall": max(0.0, target.amount - delivered),
                "weight": target.weight,
            }
        )
    return table_frame("deliveries", rows)


def _countries(
    scenario: Scenario, setting: Setting, solution: Solution, deliveries: pd.DataFrame
) -> pd.DataFrame:
    by_country = deliveries.groupby("country")[["delivered", "shortfall"]].sum()
    rows = []
    for country in setting.countries:
        info = scenario.country_by_id[country]
        got = by_country.loc[country] if country in by_country.index else None
        rows.append(
            {
                "country": country,
                "name": info.name,
                "member": info.member and country in setting.members,
                "cost": solution.spend.get(country, 0.0),
                "capability": 0.0 if got is None else got["delivered"],
                "shortfall": 0.0 if got is None else got["shortfall"],
            }
        )
    return table_frame("countries", rows)


def _production(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = []
    for row in scenario.capacity:
        if row.country not in in_model:
            continue
        key = VariableFamily.ACT.key(row)
        rows.append(
            {
                "country": row.country,
                "process": row.process,
                "layer": scenario.process_by_id[row.process].layer,
                "activity": solution.act.get(key, 0.0),
                "existing": row.existing,
                "new": solution.new.get(key, 0.0),
                "built": solution.build.get(key, 1.0 if solution.new.get(key) else 0.0) > 0.5,
            }
        )
    return table_frame("production", rows)


def _trade(setting: Setting, solution: Solution) -> pd.DataFrame:
    rows = []
    for link in setting.links:
        quantity = solution.ship.get(VariableFamily.SHIP.key(link), 0.0)
        if quantity <= 0:
            continue
        rows.append(
            {
                "commodity": link.commodity,
                "exporter": link.exporter,
                "importer": link.importer,
                "quantity": quantity,
                "unit_cost": link.cost,
                "cost": quantity * link.cost,
                "capacity": link.capacity,
            }
        )
    return table_frame("trade", rows)


def _resources(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = [
        {
            "country": row.country,
            "commodity": row.commodity,
            "used": solution.use.get(VariableFamily.USE.key(row), 0.0),
            "available": row.available,
            "unit_cost": row.cost,
            "cost": row.cost * solution.use.get(VariableFamily.USE.key(row), 0.0),
        }
        for row in scenario.resources
        if row.country in in_model
    ]
    return table_frame("resources", rows)


def _locate(family: PriceFamily, key: str | Key) -> tuple[str, str]:
    """(country, item) of a price key: a link's country reads ``exporter->importer``, a
    budget's is its group and its item ``budget``."""
    named = family.named(key)
    if Dim.GROUP in named:
        return named[Dim.GROUP], "budget"
    if Dim.EXPORTER in named:
        return f"{named[Dim.EXPORTER]}->{named[Dim.IMPORTER]}", named[Dim.COMMODITY]
    item = named.get(Dim.PROCESS, named.get(Dim.COMMODITY, ""))
    return named[Dim.COUNTRY], item


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
    """
    if setting.regime is Regime.NATIONAL:
        whose = "national stacks'"
    else:
        whose = f"{setting.regime.value} regime's"
    if setting.mode is Mode.MIN_COST:
        effect = "lower the {whose} cost by {value:.4g} {currency}"
    else:
        effect = "raise the {whose} capability by {value:.4g}"
    rows = []
    for family in PriceFamily:  # the enum's order is the table's
        for key, value in prices.of(family).items():
            country, item = _locate(family, key)
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
            reading = f"{text} would {verb}"
            rows.append(
                {
                    "family": family.label,
                    "country": country,
                    "item": item,
                    "value": value,
                    "binding": binding or family is PriceFamily.TARGET,
                    "may_not_be_unique": not unique,
                    "reading": reading[0].upper() + reading[1:],
                    "more": value if sides is None else sides[0],
                    "less": value if sides is None else _finite(sides[1]),
                    "family_id": family,
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
