"""Result tables: a solved run in, tidy pandas tables out; six runs in, the comparison out.

Contract of this stage: :func:`tabulate` turns one run's :class:`~planner.solve.Solution`
into a frozen :class:`RunResult` of long-format DataFrames; :class:`Comparison` holds the
runs of a scenario and computes every derived figure (savings, extra capability, the price
of trust, who gains what). Reports only format these tables; they do no arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from planner.model import Setting
from planner.schema import Mode, Regime, Scenario
from planner.solve import Prices, Solution, Status

RUN_ORDER: tuple[tuple[Mode, Regime], ...] = tuple(
    (mode, regime) for mode in Mode for regime in Regime
)
"""The six runs, in the order every table and the JSON summary list them."""

_EMPTY: dict[str, list[str]] = {
    "countries": ["country", "name", "member", "cost", "capability", "shortfall"],
    "deliveries": ["country", "commodity", "target", "delivered", "shortfall", "weight"],
    "production": ["country", "process", "layer", "activity", "existing", "new", "built"],
    "trade": ["commodity", "exporter", "importer", "quantity", "unit_cost", "cost", "capacity"],
    "resources": ["country", "commodity", "used", "available", "unit_cost", "cost"],
    "prices": ["family", "country", "item", "value", "binding", "may_not_be_unique", "reading"],
}


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_EMPTY[name])


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
        prices: shadow prices with a plain-language reading.
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
        empty = [_frame(name, []) for name in ("production", "trade", "resources", "prices")]
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
        delivered = solution.deliver.get((target.country, target.commodity), 0.0)
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
    return _frame("deliveries", rows)


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
    return _frame("countries", rows)


def _production(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = []
    for row in scenario.capacity:
        if row.country not in in_model:
            continue
        key = (row.country, row.process)
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
    return _frame("production", rows)


def _trade(setting: Setting, solution: Solution) -> pd.DataFrame:
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
                "cost": quantity * link.cost,
                "capacity": link.capacity,
            }
        )
    return _frame("trade", rows)


def _resources(scenario: Scenario, setting: Setting, solution: Solution) -> pd.DataFrame:
    in_model = set(setting.countries)
    rows = [
        {
            "country": row.country,
            "commodity": row.commodity,
            "used": solution.use.get((row.country, row.commodity), 0.0),
            "available": row.available,
            "unit_cost": row.cost,
            "cost": row.cost * solution.use.get((row.country, row.commodity), 0.0),
        }
        for row in scenario.resources
        if row.country in in_model
    ]
    return _frame("resources", rows)


_FAMILIES = {
    "balance": ("commodity", "one more unit of `{item}` in `{country}`"),
    "resource": ("resource", "one more unit of `{item}` available in `{country}`"),
    "capacity": ("capacity", "one more unit of existing `{item}` capacity in `{country}`"),
    "new_limit": ("new capacity limit", "room for one more unit of new `{item}` in `{country}`"),
    "link": ("link capacity", "one more unit of `{item}` capacity on the link `{country}`"),
    "budget": ("budget", "one more {currency} of budget for `{country}`"),
    "target": ("target", "one more unit of the `{item}` target of `{country}`"),
}


def _locate(family: str, key: Any) -> tuple[str, str]:
    """(country, item) of a price key: links read ``exporter->importer``."""
    if family == "budget":
        return str(key), "budget"
    if family == "link":
        commodity, exporter, importer = key
        return f"{exporter}->{importer}", commodity
    return key[0], key[1]


def _prices(scenario: Scenario, setting: Setting, prices: Prices) -> pd.DataFrame:
    """Shadow prices with a plain-language reading.

    ``value`` is the objective's improvement per extra unit (money saved in min_cost,
    capability gained in max_capability), except for targets, where it is what one more
    unit of target costs. A price flagged ``may_not_be_unique`` belongs to a binding
    constraint of a degenerate LP: another, equally valid, dual solution may give it
    another value.
    """
    if setting.regime is Regime.NATIONAL:
        whose = "national stacks'"
    else:
        whose = f"{setting.regime.value} regime's"
    if setting.mode is Mode.MIN_COST:
        effect = "lower the {whose} cost by {value:.4g} {currency}"
    else:
        effect = "raise the {whose} capability by {value:.4g}"
    tables: dict[str, dict[Any, float]] = {
        "balance": prices.balance,
        "resource": prices.resource,
        "capacity": prices.capacity,
        "new_limit": prices.new_limit,
        "link": prices.link,
        "budget": prices.budget,
        "target": prices.target,
    }
    rows = []
    for family, values in tables.items():
        label, subject = _FAMILIES[family]
        for key, value in values.items():
            country, item = _locate(family, key)
            binding = (family, key if isinstance(key, tuple) else (key,)) in prices.tight
            text = subject.format(item=item, country=country, currency=scenario.currency)
            if family == "target":
                verb = f"cost {value:.4g} {scenario.currency}"
            elif value:
                verb = effect.format(whose=whose, value=value, currency=scenario.currency)
            else:
                verb = "change nothing"
            reading = f"{text} would {verb}"
            rows.append(
                {
                    "family": label,
                    "country": country,
                    "item": item,
                    "value": value,
                    "binding": binding or family == "target",
                    "may_not_be_unique": binding and prices.degenerate,
                    "reading": reading[0].upper() + reading[1:],
                }
            )
    return _frame("prices", rows)


@dataclass(frozen=True)
class Comparison:
    """The runs of one scenario and the figures derived from them.

    Attributes:
        scenario: the scenario that was run.
        runs: one :class:`RunResult` per (mode, regime) that was asked for.
        sha256: the input workbook's SHA-256, when it came from a file.
        source: the input's path, when it came from a file.
        solver: versions of the planner, PuLP, HiGHS and Python that produced it.
        ran_at: when the runs were solved (UTC, ISO 8601).
    """

    scenario: Scenario
    runs: dict[tuple[Mode, Regime], RunResult]
    sha256: str = ""
    source: str = ""
    solver: dict[str, str] = field(default_factory=dict)
    ran_at: str = ""

    def run(self, mode: Mode, regime: Regime) -> RunResult:
        """The run for ``mode`` and ``regime``."""
        return self.runs[(mode, regime)]

    @property
    def modes(self) -> tuple[Mode, ...]:
        """The modes that were run, in contract order."""
        return tuple(m for m in Mode if any(k[0] is m for k in self.runs))

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per run: status, objective, cost, capability, shortfall, solve time."""
        rows = [
            {
                "mode": r.mode.value,
                "regime": r.regime.value,
                "status": r.status.value,
                "objective": r.objective,
                "cost": r.total_cost if r.has_plan else None,
                "capability": r.total_capability if r.has_plan else None,
                "shortfall": r.total_shortfall if r.has_plan else None,
                "solve_time": r.solve_time,
                "gap": r.gap,
            }
            for key in RUN_ORDER
            if (r := self.runs.get(key)) is not None
        ]
        return pd.DataFrame(rows)

    @cached_property
    def headline(self) -> pd.DataFrame:
        """Per mode, the comparison's answers.

        - ``saving`` = national cost - coalition cost; ``saving_pct`` = saving / national
          cost x 100 (None when national cost is 0).
        - ``extra_capability`` = coalition capability - national capability.
        - ``price_of_trust_cost`` = coalition cost - open cost; ``price_of_trust_capability``
          = open capability - coalition capability.

        In min_cost the costs compared are the objectives (spend plus shortfall penalty), so
        a coalition that meets targets national stacks miss shows the penalty it avoids; the
        ``spend_saving`` column compares spend alone. A figure is None when a run it needs
        has no plan.
        """
        rows = []
        for mode in self.modes:
            nat, coa, opn = (self.runs.get((mode, r)) for r in Regime)
            rows.append(
                {
                    "mode": mode.value,
                    "saving": _diff(nat, coa, "objective" if mode is Mode.MIN_COST else "cost"),
                    "saving_pct": _pct(nat, coa, mode),
                    "spend_saving": _diff(nat, coa, "cost"),
                    "extra_capability": _diff(coa, nat, "capability"),
                    "price_of_trust_cost": _diff(
                        coa, opn, "objective" if mode is Mode.MIN_COST else "cost"
                    ),
                    "price_of_trust_capability": _diff(opn, coa, "capability"),
                }
            )
        return pd.DataFrame(rows)

    @cached_property
    def countries(self) -> pd.DataFrame:
        """Per member, mode and regime: spend, capability and shortfall (long format)."""
        frames = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None:
                continue
            frame = run.countries.loc[run.countries["member"]].copy()
            frame.insert(0, "regime", key[1].value)
            frame.insert(0, "mode", key[0].value)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @cached_property
    def gains(self) -> pd.DataFrame:
        """Per member and mode: national vs coalition, and the change.

        ``cost_change`` = coalition spend - national spend (negative: the member pays less);
        ``capability_change`` = coalition capability - national capability;
        ``shortfall_change`` = coalition shortfall - national shortfall;
        ``gain`` = what the member gains in the coalition, in the mode's own terms: in
        min_cost, -(cost_change + shortfall_penalty x shortfall_change), the fall in its
        spend plus penalty; in max_capability, capability_change. A member's spend in the
        coalition includes what it pays for imports but not what others spend producing
        them, so gains are a first reading of who benefits; ``planner share`` divides the
        coalition's cost by cooperative-game rules.
        """
        table = self.countries
        if table.empty:
            return pd.DataFrame()
        wide = table.pivot_table(
            index=["mode", "country"],
            columns="regime",
            values=["cost", "capability", "shortfall"],
            aggfunc="first",  # one row each; "sum" would turn a failed run's blanks into 0
        )
        rows = []
        for mode, country in wide.index:
            entry: dict[str, Any] = {"mode": mode, "country": country}
            for measure in ("cost", "capability", "shortfall"):
                national = _cell(wide, (mode, country), measure, Regime.NATIONAL)
                coalition = _cell(wide, (mode, country), measure, Regime.COALITION)
                entry[f"national_{measure}"] = national
                entry[f"coalition_{measure}"] = coalition
                change = None if national is None or coalition is None else coalition - national
                entry[f"{measure}_change"] = change
            entry["gain"] = _gain(entry, mode, self.scenario.shortfall_penalty)
            rows.append(entry)
        order = {m.value: n for n, m in enumerate(Mode)}
        order |= {c.country: n for n, c in enumerate(self.scenario.countries)}
        frame = pd.DataFrame(rows)
        ranks = frame[["mode", "country"]].apply(lambda column: column.map(order))
        ordered: pd.DataFrame = frame.loc[ranks.sort_values(["mode", "country"]).index]
        return ordered.reset_index(drop=True)

    def bottlenecks(self, mode: Mode, regime: Regime = Regime.COALITION) -> pd.DataFrame:
        """The binding limits of one run, most valuable first.

        Shadow prices of exhausted resources, full capacities, new-capacity limits, capped
        links and budgets, with ``value`` > 0: what one more unit of each would be worth.
        Commodity prices and targets are left out: they are marginal costs, not limits.
        """
        run = self.runs.get((mode, regime))
        if run is None or run.prices.empty:
            return _frame("prices", [])
        prices = run.prices
        limits = prices["family"].isin(_LIMIT_FAMILIES) & prices["binding"]
        chosen = prices.loc[limits & (prices["value"] > 0)]
        ranked: pd.DataFrame = chosen.sort_values("value", ascending=False, kind="stable")
        return ranked.reset_index(drop=True)

    @cached_property
    def shortfalls(self) -> pd.DataFrame:
        """Every missed target, with what stopped it.

        ``stopped_by`` names the binding limits (exhausted resources, full capacities,
        new-capacity limits, capped links, budgets) with the highest shadow prices among the
        countries that could have supplied the target: the member itself under national
        stacks, every country of the run otherwise. Where no limit has a price, nothing in
        the model can make more (no process, resource or link reaches it), or more would
        cost above the shortfall penalty.
        """
        rows = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None or not run.has_plan:
                continue
            missed = run.deliveries.loc[run.deliveries["shortfall"] > _MISSED]
            for target in missed.to_dict("records"):
                rows.append(
                    {
                        "mode": key[0].value,
                        "regime": key[1].value,
                        **target,
                        "stopped_by": _stopped_by(run, str(target["country"])),
                    }
                )
        columns = ["mode", "regime", *_EMPTY["deliveries"], "stopped_by"]
        return pd.DataFrame(rows, columns=columns)

    def tables(self, name: str) -> pd.DataFrame:
        """One of the per-run tables (``production``, ``trade``, ``resources``, ``prices``,
        ``deliveries``) stacked over every run, with ``mode`` and ``regime`` columns."""
        frames = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None:
                continue
            frame = getattr(run, name).copy()
            frame.insert(0, "regime", key[1].value)
            frame.insert(0, "mode", key[0].value)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["mode", "regime", *_EMPTY[name]])
        stacked: pd.DataFrame = pd.concat(
            [f for f in frames if not f.empty] or frames[:1], ignore_index=True
        )
        return stacked

    @property
    def failed(self) -> list[RunResult]:
        """Runs that found no plan."""
        return [r for r in self.runs.values() if not r.has_plan]

    def to_json(self) -> dict[str, Any]:
        """The machine-readable summary of DESIGN.md (``planner run --json``)."""
        runs = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None:
                continue
            runs.append(
                {
                    "mode": run.mode.value,
                    "regime": run.regime.value,
                    "status": run.status.value,
                    "objective": run.objective,
                    "total_cost": run.total_cost,
                    "total_capability": run.total_capability,
                    "total_shortfall": run.total_shortfall,
                    "solve_time": run.solve_time,
                    "gap": run.gap,
                    "message": run.message,
                    "countries": [
                        {
                            "country": str(row["country"]),
                            "member": bool(row["member"]),
                            "cost": _plain(float(row["cost"])),
                            "capability": _plain(float(row["capability"])),
                            "shortfall": _plain(float(row["shortfall"])),
                        }
                        for row in run.countries.to_dict("records")
                    ],
                }
            )
        headline = self.headline.to_dict(orient="records")
        return {
            "scenario": self.scenario.name,
            "currency": self.scenario.currency,
            "sha256": self.sha256,
            "ran_at": self.ran_at,
            "runs": runs,
            "headline": [{k: _plain(v) for k, v in row.items()} for row in headline],
        }


_LIMIT_FAMILIES = ("resource", "capacity", "new capacity limit", "link capacity", "budget")

_MISSED = 1e-6
"""Shortfall below which a target counts as met (solver round-off)."""


def _stopped_by(run: RunResult, country: str, top: int = 3) -> str:
    """The most valuable binding limits that could have served ``country``'s target."""
    prices = run.prices
    limits = prices.loc[
        prices["family"].isin(_LIMIT_FAMILIES) & prices["binding"] & (prices["value"] > 0)
    ]
    if run.regime is Regime.NATIONAL:
        limits = limits.loc[limits["country"] == country]
    if limits.empty:
        return (
            "no binding limit: nothing within reach can make more (a missing resource, "
            "process or link; see `planner validate`), or more would cost above the penalty"
        )
    best = limits.sort_values("value", ascending=False, kind="stable").head(top)
    return "; ".join(best["reading"])


def _gain(entry: dict[str, Any], mode: str, penalty: float) -> float | None:
    cost, capability, shortfall = (
        entry["cost_change"],
        entry["capability_change"],
        entry["shortfall_change"],
    )
    if mode == Mode.MAX_CAPABILITY.value:
        return capability  # type: ignore[no-any-return]
    if cost is None or shortfall is None:
        return None
    return -(cost + penalty * shortfall)  # type: ignore[no-any-return]


def _value(run: RunResult | None, measure: str) -> float | None:
    if run is None or not run.has_plan:
        return None
    if measure == "objective":
        return run.objective
    if measure == "cost":
        return run.total_cost
    return run.total_capability


def _diff(a: RunResult | None, b: RunResult | None, measure: str) -> float | None:
    x, y = _value(a, measure), _value(b, measure)
    return None if x is None or y is None else x - y


def _pct(nat: RunResult | None, coa: RunResult | None, mode: Mode) -> float | None:
    measure = "objective" if mode is Mode.MIN_COST else "cost"
    base = _value(nat, measure)
    saving = _diff(nat, coa, measure)
    if base is None or saving is None or base == 0:
        return None
    return 100.0 * saving / base


def _cell(wide: pd.DataFrame, index: tuple[str, str], measure: str, regime: Regime) -> float | None:
    column = (measure, regime.value)
    if column not in wide.columns:
        return None
    value: Any = wide.loc[index, column]
    return None if pd.isna(value) else float(value)


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: NaN becomes None."""
    if isinstance(value, float) and value != value:
        return None
    return value
