"""The comparison: the six runs of one scenario and every figure derived from them.

Contract of this stage: :class:`Comparison` holds the solved runs of a scenario (from
:func:`planner.model.results.tabulate`) and computes the savings, the extra capability,
the price of trust and who gains what. Reports only format these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from planner.model.families import PriceFamily
from planner.model.results import RUN_ORDER, TABLE_COLUMNS, RunResult, table_frame
from planner.scenario.schema import Mode, Regime, Scenario

TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
"""How every time the planner records is written: UTC, ISO 8601, to the second."""


@dataclass(frozen=True)
class Comparison:
    """The runs of one scenario and the figures derived from them.

    Attributes:
        scenario: the scenario that was run.
        runs: one :class:`RunResult` per (mode, regime) that was asked for.
        sha256: the input workbook's SHA-256, when it came from a file.
        source: the input's path, when it came from a file.
        solver: versions of the planner, PuLP, HiGHS and Python that produced it.
        ran_at: when the runs were solved (UTC, :data:`TIMESTAMP`).
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
            return table_frame("prices", [])
        prices = run.prices
        chosen = prices.loc[_binding_limits(prices)]
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
        columns = ["mode", "regime", *TABLE_COLUMNS["deliveries"], "stopped_by"]
        return pd.DataFrame(rows, columns=columns)

    def tables(self, name: str) -> pd.DataFrame:
        """One of the per-run tables (``production``, ``trade``, ``resources``, ``prices``,
        ``deliveries``, ``countries``) stacked over every run, with ``mode`` and ``regime``
        columns.

        Raises:
            ValueError: ``name`` is not one of the tables; the message lists them.
        """
        if name not in TABLE_COLUMNS:
            raise ValueError(
                f"no table named {name!r}; the tables are {', '.join(sorted(TABLE_COLUMNS))}"
            )
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
            return pd.DataFrame(columns=["mode", "regime", *TABLE_COLUMNS[name]])
        stacked: pd.DataFrame = pd.concat(
            [f for f in frames if not f.empty] or frames[:1], ignore_index=True
        )
        return stacked

    @property
    def failed(self) -> list[RunResult]:
        """Runs that found no plan."""
        return [r for r in self.runs.values() if not r.has_plan]

    def to_json(self) -> dict[str, Any]:
        """The machine-readable summary of docs/model.md (``planner run --json``)."""
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


def _binding_limits(prices: pd.DataFrame) -> pd.Series:
    """Rows of a price table that are binding limits (:meth:`PriceFamily.limits`) with a
    positive value."""
    limit = prices["family_id"].isin(PriceFamily.limits())
    mask: pd.Series = limit & prices["binding"] & (prices["value"] > 0)
    return mask


_MISSED = 1e-6
"""Shortfall below which a target counts as met (solver round-off)."""


def _stopped_by(run: RunResult, country: str, top: int = 3) -> str:
    """The most valuable binding limits that could have served ``country``'s target."""
    prices = run.prices
    limits = prices.loc[_binding_limits(prices)]
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
