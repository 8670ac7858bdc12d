"""The comparison: the six runs of one scenario and every figure derived from them.

Contract of this stage: :class:`Comparison` holds the solved runs of a scenario (from
:func:`planner.model.results.tabulate`) and computes the savings, the extra capability,
the price of trust and who gains what. Reports only format these tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from planner.model.families import PriceFamily
from planner.model.results import RUN_ORDER, TABLE_COLUMNS, RunResult, table_frame
from planner.scenario.horizon import rows_in
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
        sensitivity: the min_cost saving re-solved at other shortfall penalties
            (:func:`penalty_sensitivity`); None when it was not computed.
        loop: with ``--learning-pool country``, the coalition's gain with and without the
            shared learning loop (:func:`planner.analysis.learning.loop_figures`).
    """

    scenario: Scenario
    runs: dict[tuple[Mode, Regime], RunResult]
    sha256: str = ""
    source: str = ""
    solver: dict[str, str] = field(default_factory=dict)
    ran_at: str = ""
    sensitivity: pd.DataFrame | None = None
    loop: pd.DataFrame | None = None

    def run(self, mode: Mode, regime: Regime) -> RunResult:
        """The run for ``mode`` and ``regime``."""
        return self.runs[(mode, regime)]

    @property
    def modes(self) -> tuple[Mode, ...]:
        """The modes that were run, in contract order."""
        return tuple(m for m in Mode if any(k[0] is m for k in self.runs))

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per run: status, objective, cost, capability, shortfall, solve time.

        ``penalty`` = shortfall_penalty x shortfall, the part of the min_cost objective that
        is not spend (objective = cost + penalty); None in max_capability, which has no
        penalty. ``capability_per_money`` = capability / cost, what each unit of money
        spent delivers (None when nothing was spent).
        """
        penalty = self.scenario.shortfall_penalty
        rows = [
            {
                "mode": r.mode.value,
                "regime": r.regime.value,
                "status": r.status.value,
                "objective": r.objective,
                "cost": r.total_cost if r.has_plan else None,
                "capability": r.total_capability if r.has_plan else None,
                "shortfall": r.total_shortfall if r.has_plan else None,
                "penalty": (
                    penalty * r.total_shortfall
                    if r.has_plan and r.total_shortfall is not None and r.mode is Mode.MIN_COST
                    else None
                ),
                "capability_per_money": _per_money(r),
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

        min_cost (the costs compared are objectives: spend plus shortfall penalty):

        - ``saving`` = national - coalition objective; ``saving_fraction`` = saving /
          national objective (a fraction: 0.64 is 64 %; None when national is 0);
        - ``spend_saving`` = national - coalition spend, and ``penalty_saving`` = national -
          coalition penalty paid (discounted: ``sum_t w_t x penalty x shortfall in t``), so
          with one period ``saving = spend_saving + penalty_saving``: a coalition that meets
          targets national stacks miss shows the penalty it avoids;
        - ``saving_without_penalty`` = saving - penalty_saving: the saving in discounted cost
          alone (salvage included), what is left once the penalty, an assumption, is out;
        - ``price_of_trust_cost`` = coalition - open objective;
        - ``saving_half_penalty``, ``saving_double_penalty``: the saving with the
          shortfall penalty halved and doubled, re-solved (:attr:`sensitivity`; None when
          not computed).

        max_capability (spending more is the point of pooling, so no "saving"):

        - ``capability_per_money_<regime>`` = capability / spend of each regime.

        Both: ``extra_capability`` = coalition - national capability;
        ``price_of_trust_capability`` = open - coalition capability. A figure is None when a
        run it needs has no plan, or the mode does not have it.
        """
        rows = []
        for mode in self.modes:
            nat, coa, opn = (self.runs.get((mode, r)) for r in Regime)
            row: dict[str, Any] = {"mode": mode.value}
            if mode is Mode.MIN_COST:
                spend_saving = _diff(nat, coa, "cost")
                saving = _diff(nat, coa, "objective")
                penalty_saving = _diff(nat, coa, "penalty", self.scenario.shortfall_penalty)
                row |= {
                    "saving": saving,
                    "saving_fraction": _fraction(nat, coa),
                    "spend_saving": spend_saving,
                    "penalty_saving": penalty_saving,
                    "saving_without_penalty": (
                        None
                        if saving is None or penalty_saving is None
                        else saving - penalty_saving
                    ),
                    "price_of_trust_cost": _diff(coa, opn, "objective"),
                    "saving_half_penalty": self._sensitive_saving(0.5),
                    "saving_double_penalty": self._sensitive_saving(2.0),
                }
            else:
                row |= {
                    f"capability_per_money_{r.value}": _per_money(run)
                    for r, run in zip(Regime, (nat, coa, opn), strict=True)
                }
            row |= {
                "extra_capability": _diff(coa, nat, "capability"),
                "price_of_trust_capability": _diff(opn, coa, "capability"),
            }
            rows.append(row)
        return pd.DataFrame(rows, columns=_HEADLINE_COLUMNS)

    @property
    def spend_is_cost(self) -> bool:
        """Whether the objective's money part is the spend itself: one period of length 1, no
        discounting and no salvage. Otherwise the saving splits into the penalty avoided and
        ``saving_without_penalty`` (discounted cost, salvage credited), not the spend."""
        horizon = self.scenario.horizon
        one_year = len(horizon.periods) == 1 and horizon.periods[0].length == 1
        return (
            one_year
            and horizon.rate == 0
            and all(row.lifetime is None for row in self.scenario.capacity)
        )

    def _sensitive_saving(self, factor: float) -> float | None:
        table = self.sensitivity
        if table is None or table.empty:
            return None
        found = table.loc[table["factor"] == factor, "saving"]
        return None if found.empty or pd.isna(found.iloc[0]) else float(found.iloc[0])

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

    @cached_property
    def member_gains(self) -> pd.DataFrame:
        """Per member, what it gains in the coalition in each mode, and where it loses.

        ``money_gain`` = min_cost :attr:`gains` ``gain`` (the fall in its spend plus
        penalty); ``capability_gain`` = max_capability ``capability_change``;
        ``loses_in`` names the modes where the gain is below zero (beyond round-off), ""
        where it loses in neither. A figure is None when its mode was not run or a run it
        needs has no plan.
        """
        gains = self.gains
        rows = []
        for member in self.scenario.members:
            row: dict[str, Any] = {
                "country": member,
                "name": self.scenario.country_by_id[member].name,
            }
            for mode, column, source in _MEMBER_GAINS:
                value = None
                if not gains.empty:
                    found = gains.loc[(gains["mode"] == mode.value) & (gains["country"] == member)]
                    if not found.empty and pd.notna(found[source].iloc[0]):
                        value = float(found[source].iloc[0])
                row[column] = value
            row["loses_in"] = ", ".join(
                mode.value
                for mode, column, _ in _MEMBER_GAINS
                if row[column] is not None and row[column] < -_MISSED
            )
            rows.append(row)
        return pd.DataFrame(
            rows, columns=["country", "name", "money_gain", "capability_gain", "loses_in"]
        )

    @cached_property
    def answer(self) -> tuple[str, ...]:
        """The first sheet's paragraph: should the members join, and who gains?

        Sentences made from :attr:`summary`, :attr:`headline` and :attr:`member_gains`
        (each figure in them is one those tables hold, rounded to two decimals): what
        each regime delivers and costs, who can produce alone, the saving and how much of
        it is avoided penalty, the price of trust, the max_capability comparison and how
        many members gain or lose. The caveats are :attr:`caveats`.
        """
        return tuple(_Words(self).answer())

    @cached_property
    def caveats(self) -> tuple[str, ...]:
        """Warnings a reader needs next to the answer: national stacks that deliver no
        capability, a saving that is mostly avoided penalty, and a penalty too low for any
        regime to deliver anything (with why, and how to fix it)."""
        return tuple(_Words(self).caveats())

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
        ranked: pd.DataFrame = chosen.sort_values("more", ascending=False, kind="stable")
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

    @cached_property
    def periods(self) -> pd.DataFrame:
        """Per run and period: spend in the period, capability and shortfall per year,
        world imports and backstop supply per year (sums over the run's countries)."""
        rows = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None:
                continue
            for span in self.scenario.horizon.periods:
                own = run.periods.loc[run.periods["period"] == span.period]
                planned = run.has_plan
                rows.append(
                    {
                        "mode": key[0].value,
                        "regime": key[1].value,
                        "period": span.period,
                        "year": span.year,
                        **{
                            measure: float(own[measure].sum()) if planned else None
                            for measure in (
                                "cost",
                                "capability",
                                "shortfall",
                                "world_imports",
                                "backstop",
                            )
                        },
                    }
                )
        columns = ["mode", "regime", "period", "year", "cost", "capability", "shortfall"]
        return pd.DataFrame(rows, columns=[*columns, "world_imports", "backstop"])

    @cached_property
    def outside_supply(self) -> tuple[str, ...]:
        """One sentence per run whose plan leans on the world market or on a backstop:
        units over the horizon (per year times length). A backstop is a last resort priced
        by an assumption (its cost), so a result that uses one says so."""
        lines = []
        for key in RUN_ORDER:
            run = self.runs.get(key)
            if run is None or not run.has_plan:
                continue
            where = f"{key[0].value}/{key[1].value}"
            if run.backstop and run.backstop > _MISSED:
                lines.append(
                    f"{where} uses {run.backstop:,.4g} units of backstop supply over the "
                    "horizon: its result leans on the assumed backstop costs"
                )
            if run.world_imports and run.world_imports > _MISSED:
                lines.append(
                    f"{where} buys {run.world_imports:,.4g} units from the world market over "
                    "the horizon, at the assumed world prices"
                )
        return tuple(lines)

    @cached_property
    def lags(self) -> pd.DataFrame:
        """The capability lag of national stacks behind the coalition (max_capability).

        Per member c and period t, with ``K(t)`` the capability c delivers per year in t and
        national stacks' ``K_nat`` interpolated linearly between period start years:
        ``years = min{tau in [y_1, y_T] : K_nat(tau) >= K_coal(t)} - y_t`` (negative where
        national stacks got there first); None with ``reached`` False where they never get
        there within the horizon. ``K_nat(tau) >= K`` is tested with a tolerance of
        ``1e-7 x (1 + K)``. Empty when either run has no plan.
        """
        columns = ["country", "period", "year", "years", "reached"]
        nat = self.runs.get((Mode.MAX_CAPABILITY, Regime.NATIONAL))
        coa = self.runs.get((Mode.MAX_CAPABILITY, Regime.COALITION))
        if nat is None or coa is None or not nat.has_plan or not coa.has_plan:
            return pd.DataFrame([], columns=columns)
        spans = self.scenario.horizon.periods
        years = [float(s.year) for s in spans]
        rows = []
        for member in self.scenario.members:
            national = _per_year(nat, member, spans)
            coalition = _per_year(coa, member, spans)
            for span, goal in zip(spans, coalition, strict=True):
                tau = first_reach(years, national, goal)
                rows.append(
                    {
                        "country": member,
                        "period": span.period,
                        "year": span.year,
                        "years": None if tau is None else tau - span.year,
                        "reached": tau is not None,
                    }
                )
        return pd.DataFrame(rows, columns=columns)

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
            one = run_entry(run)
            if self.scenario.learning:  # the key appears only for a learning scenario
                countries = one.pop("countries")
                one["learning"] = _learning_entries(run)
                one["countries"] = countries
            runs.append(one)
        headline = []
        for row in self.headline.to_dict(orient="records"):
            entry = {k: _plain(v) for k, v in row.items()}
            if row["mode"] == Mode.MAX_CAPABILITY.value:
                entry["lags"] = [
                    {
                        "country": str(lag["country"]),
                        "period": str(lag["period"]),
                        "years": _plain(lag["years"]),
                        "reached": bool(lag["reached"]),
                    }
                    for lag in self.lags.to_dict("records")
                ]
            headline.append(entry)
        document = {
            "scenario": self.scenario.name,
            "currency": self.scenario.currency,
            "sha256": self.sha256,
            "ran_at": self.ran_at,
            "runs": runs,
            "headline": headline,
            "answer": list(self.answer),
            "caveats": list(self.caveats),
            "sensitivity": (
                []
                if self.sensitivity is None
                else [
                    {k: _plain(v) for k, v in row.items()}
                    for row in self.sensitivity.to_dict("records")
                ]
            ),
        }
        if self.loop is not None:
            document["learning_loop"] = [
                {k: _plain(v) for k, v in row.items()} for row in self.loop.to_dict("records")
            ]
        return document


PENALTY_FACTORS = (0.5, 2.0)
"""Multiples of the shortfall penalty at which :func:`penalty_sensitivity` re-solves."""

RunSolver = Callable[[Scenario, Mode, Regime], RunResult]
"""Builds, solves and tabulates one run (:func:`planner.api.run_one`)."""


def penalty_sensitivity(
    scenario: Scenario, solve_run: RunSolver, factors: tuple[float, ...] = PENALTY_FACTORS
) -> pd.DataFrame:
    """The min_cost saving at other shortfall penalties, national and coalition re-solved.

    Per factor: ``factor``, ``penalty`` = factor x shortfall_penalty, the ``national`` and
    ``coalition`` min_cost objectives at that penalty, ``saving`` = national - coalition and
    ``spend_saving`` = national - coalition spend. A run without a plan leaves the figures
    that need it None.
    """
    rows = []
    for factor in factors:
        penalty = factor * scenario.shortfall_penalty
        edited = scenario.model_copy(update={"shortfall_penalty": penalty})
        nat = solve_run(edited, Mode.MIN_COST, Regime.NATIONAL)
        coa = solve_run(edited, Mode.MIN_COST, Regime.COALITION)
        rows.append(
            {
                "factor": factor,
                "penalty": penalty,
                "national": _value(nat, "objective"),
                "coalition": _value(coa, "objective"),
                "saving": _diff(nat, coa, "objective"),
                "spend_saving": _diff(nat, coa, "cost"),
            }
        )
    columns = ["factor", "penalty", "national", "coalition", "saving", "spend_saving"]
    return pd.DataFrame(rows, columns=columns)


_HEADLINE_COLUMNS = [
    "mode",
    "saving",
    "saving_fraction",
    "spend_saving",
    "penalty_saving",
    "saving_without_penalty",
    "price_of_trust_cost",
    "saving_half_penalty",
    "saving_double_penalty",
    *(f"capability_per_money_{r.value}" for r in Regime),
    "extra_capability",
    "price_of_trust_capability",
]

_MEMBER_GAINS = (
    (Mode.MIN_COST, "money_gain", "gain"),
    (Mode.MAX_CAPABILITY, "capability_gain", "capability_change"),
)


def _binding_limits(prices: pd.DataFrame) -> pd.Series:
    """Rows of a price table that are binding limits (:meth:`PriceFamily.limits`) whose
    decrease side is confirmed: one more unit really improves the objective (``more`` >
    0, measured by re-solving where the price is not unique; a price left unchecked by
    the run's price-check budget is never listed)."""
    limit = prices["family_id"].isin(PriceFamily.limits())
    confirmed = prices["more"] > _CONFIRMED
    mask: pd.Series = limit & prices["binding"] & prices["checked"].astype(bool) & confirmed
    return mask


_MISSED = 1e-6
"""Shortfall below which a target counts as met (solver round-off)."""

_CONFIRMED = 1e-6
"""A one-sided price at or below this is no improvement (round-off of the re-solves)."""


def _learning_entries(run: RunResult) -> list[dict[str, Any]]:
    """The run's ``learning`` entries: process, pool (its countries), period, experience,
    segment and multiplier (DESIGN.md, "Learning")."""
    return [
        {
            "process": str(row["process"]),
            "pool": list(row["pool"]),
            "period": str(row["period"]),
            "experience": float(row["experience"]),
            "segment": int(row["segment"]),
            "multiplier": float(row["multiplier"]),
        }
        for row in run.learning.to_dict("records")
    ]


def _per_year(run: RunResult, country: str, spans: Any) -> list[float]:
    """The capability ``country`` delivers per year in each period of a run."""
    own = run.periods.loc[run.periods["country"] == country].set_index("period")
    return [float(own["capability"].get(s.period, 0.0)) for s in spans]


def first_reach(years: list[float], values: list[float], goal: float) -> float | None:
    """The first year at which the piecewise-linear curve through (years, values) reaches
    ``goal`` (within ``1e-7 x (1 + goal)``), or None if it never does."""
    slack = 1e-7 * (1 + abs(goal))
    if values[0] >= goal - slack:
        return years[0]
    for n in range(1, len(years)):
        before, after = values[n - 1], values[n]
        if after >= goal - slack:
            rise = after - before
            share = 1.0 if rise <= 0 else min(1.0, max(0.0, (goal - before) / rise))
            return years[n - 1] + share * (years[n] - years[n - 1])
    return None


def _period_entries(frame: pd.DataFrame, *, lags: bool = False) -> list[dict[str, Any]]:
    """The JSON ``periods`` list: per period, spend in it and capability and shortfall per
    year (summed over the frame's countries), and for one country its lag figures."""
    entries = []
    for period, rows in frame.groupby("period", sort=False):
        entry: dict[str, Any] = {
            "period": str(period),
            "year": int(rows["year"].iloc[0]),
            "cost": _plain(float(rows["cost"].sum(min_count=1))),
            "capability": _plain(float(rows["capability"].sum(min_count=1))),
            "shortfall": _plain(float(rows["shortfall"].sum(min_count=1))),
        }
        if lags:
            entry["generations_behind"] = _whole(rows["generations_behind"].iloc[0])
            entry["node_gap_years"] = _plain(_number(rows["node_gap_years"].iloc[0]))
        entries.append(entry)
    return entries


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


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
    best = limits.sort_values("more", ascending=False, kind="stable").head(top)
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


def _value(run: RunResult | None, measure: str, penalty: float = 0.0) -> float | None:
    if run is None or not run.has_plan:
        return None
    if measure == "objective":
        return run.objective
    if measure == "cost":
        return run.total_cost
    if measure == "penalty":
        if run.penalty is not None:
            return run.penalty
        return None if run.total_shortfall is None else penalty * run.total_shortfall
    return run.total_capability


def _diff(
    a: RunResult | None, b: RunResult | None, measure: str, penalty: float = 0.0
) -> float | None:
    x, y = _value(a, measure, penalty), _value(b, measure, penalty)
    return None if x is None or y is None else x - y


def _fraction(nat: RunResult | None, coa: RunResult | None) -> float | None:
    """The min_cost saving as a fraction of the national objective."""
    base = _value(nat, "objective")
    saving = _diff(nat, coa, "objective")
    if base is None or saving is None or base == 0:
        return None
    return saving / base


def _per_money(run: RunResult | None) -> float | None:
    """Capability delivered per unit of money spent; None when nothing was spent."""
    if run is None or not run.has_plan or run.total_cost is None or run.total_cost <= 0:
        return None
    return None if run.total_capability is None else run.total_capability / run.total_cost


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


def _clean(record: dict[Any, Any]) -> dict[str, Any]:
    """A table row with NaN (a blank figure) as None."""
    return {
        str(k): None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()
    }


def _num(value: float) -> str:
    return f"{value:,.2f}"


def _names(countries: list[str], most: int = 6) -> str:
    shown = ", ".join(countries[:most])
    return shown + (f" and {len(countries) - most} more" if len(countries) > most else "")


def _horizon_target(scenario: Scenario) -> float:
    """The members' targets as ``total_capability`` counts capability: ``sum_t L_t x`` the
    amounts that hold in period t (a blank-period row holds in every period)."""
    return math.fsum(
        span.length * target.amount
        for span in scenario.horizon.periods
        for target in rows_in(scenario.targets, lambda t: (t.country, t.commodity), span.period)
    )


class _Words:
    """The sentences of :attr:`Comparison.answer` and :attr:`Comparison.caveats`."""

    def __init__(self, comparison: Comparison) -> None:
        self.c = comparison
        self.money = comparison.scenario.currency or "money"
        self.penalty = comparison.scenario.shortfall_penalty
        summary = comparison.summary
        records = [_clean(r) for r in summary.to_dict("records")]
        self.rows = {(str(r["mode"]), str(r["regime"])): r for r in records}
        self.head = {str(r["mode"]): _clean(r) for r in comparison.headline.to_dict("records")}
        self.target = _horizon_target(comparison.scenario)

    def row(self, mode: Mode, regime: Regime) -> dict[str, Any] | None:
        """The summary row of a run that has a plan."""
        found = self.rows.get((mode.value, regime.value))
        return found if found is not None and found["cost"] is not None else None

    def answer(self) -> list[str]:
        words: list[str] = []
        if Mode.MIN_COST in self.c.modes:
            words += self._min_cost()
        if Mode.MAX_CAPABILITY in self.c.modes:
            words += self._max_capability()
        words += self._gainers()
        return words

    def _min_cost(self) -> list[str]:
        parts = []
        for regime, label in _LABELS:
            row = self.row(Mode.MIN_COST, regime)
            if row is None:
                continue
            parts.append(
                f"{label} deliver{'s' if regime is not Regime.NATIONAL else ''} "
                f"{_num(row['capability'])} at {_num(row['objective'])} {self.money} "
                f"(spend {_num(row['cost'])} plus {_num(row['penalty'])} shortfall penalty)"
            )
        if not parts:
            return []
        words = [
            f"To meet the members' targets of {_num(self.target)} units of capability "
            f"(min_cost): {'; '.join(parts)}."
        ]
        alone = self._alone()
        if alone is not None:
            members = self.c.scenario.members
            if alone:
                words.append(
                    f"{len(alone)} of {len(members)} members deliver capability on their own "
                    f"({_names(alone)})."
                )
            else:
                words.append("No member delivers any capability on its own.")
        head = self.head.get(Mode.MIN_COST.value, {})
        saving = head.get("saving")
        if saving is not None and not pd.isna(saving):
            words.append(self._saving(head))
        trust = head.get("price_of_trust_cost")
        if trust is not None and not pd.isna(trust):
            words.append(
                f"Trading only within the coalition (and over its allowed links) costs "
                f"{_num(trust)} {self.money} more than the open world."
            )
        return words

    def _alone(self) -> list[str] | None:
        run = self.c.runs.get((Mode.MIN_COST, Regime.NATIONAL))
        if run is None or not run.has_plan:
            return None
        table = run.countries
        made = table.loc[table["member"] & (table["capability"] > _MISSED), "country"]
        return [str(c) for c in made]

    def _saving(self, head: dict[str, Any]) -> str:
        saving, avoided = head["saving"], head["penalty_saving"]
        spend = head["saving_without_penalty"]
        spent = "spent" if self.c.spend_is_cost else "spent (discounted cost, salvage credited)"
        fraction = head["saving_fraction"]
        share = "" if fraction is None or pd.isna(fraction) else f" ({fraction:.0%})"
        if saving < 0:
            text = (
                f"The coalition costs {_num(-saving)} {self.money} more than national stacks{share}"
            )
        else:
            text = f"The coalition saves {_num(saving)} {self.money}{share} against national stacks"
        if spend < 0:
            text += (
                f": {_num(avoided)} of shortfall penalty avoided, less {_num(-spend)} more {spent}"
            )
        else:
            text += f": {_num(avoided)} of shortfall penalty avoided and {_num(spend)} less {spent}"
        half, double = head["saving_half_penalty"], head["saving_double_penalty"]
        if half is not None and not pd.isna(half) and double is not None and not pd.isna(double):
            text += (
                f". The figure depends on the shortfall penalty ({_num(self.penalty)} per "
                f"unit, an assumption): re-solved at half the penalty the saving is "
                f"{_num(half)}, at twice it {_num(double)}"
            )
        return text + "."

    def _max_capability(self) -> list[str]:
        parts = []
        for regime, label in _LABELS:
            row = self.row(Mode.MAX_CAPABILITY, regime)
            if row is None:
                continue
            per = row["capability_per_money"]
            rate = (
                "spending nothing"
                if per is None or pd.isna(per)
                else f"{per:,.4g} per {self.money} spent"
            )
            parts.append(f"{label} {_num(row['capability'])} ({rate})")
        if not parts:
            return []
        return [
            f"With the members' budgets (max_capability) capability bought: {'; '.join(parts)}."
        ]

    def _gainers(self) -> list[str]:
        table = self.c.member_gains
        words = []
        for column, what, mode in (
            (
                "money_gain",
                "pay less (spend plus penalty) in the coalition than alone",
                Mode.MIN_COST,
            ),
            (
                "capability_gain",
                "get more capability in the coalition than alone",
                Mode.MAX_CAPABILITY,
            ),
        ):
            known = table.loc[table[column].notna()]
            if known.empty:
                continue
            gain = known.loc[known[column] > _MISSED, "country"].tolist()
            lose = known.loc[known[column] < -_MISSED, "country"].tolist()
            text = f"In {mode.value}, {len(gain)} of {len(known)} members {what}"
            verb = "loses" if len(lose) == 1 else "lose"
            text += f"; {len(lose)} {verb} ({_names(lose)})." if lose else "; none loses."
            words.append(text)
        return words

    def caveats(self) -> list[str]:
        words = []
        if self._national_delivers_nothing(Mode.MIN_COST):
            nat = self.row(Mode.MIN_COST, Regime.NATIONAL) or {}
            words.append(
                "National stacks deliver no capability at all in min_cost: no member can make "
                "any alone, so their cost is the shortfall penalty in full "
                f"({_num(nat['penalty'])} {self.money}) and the saving compares the coalition "
                "with paying that penalty; it moves with `shortfall_penalty`."
            )
        if self._national_delivers_nothing(Mode.MAX_CAPABILITY):
            words.append(
                "National stacks buy no capability at all with their own budgets in "
                "max_capability: the coalition's extra capability is all it delivers."
            )
        head = self.head.get(Mode.MIN_COST.value, {})
        saving, avoided = head.get("saving"), head.get("penalty_saving")
        if saving is not None and avoided is not None and saving > 0 and avoided > 0.5 * saving:
            part = (
                "All of the saving"
                if avoided >= saving
                else f"Most of the saving ({_num(avoided)} of {_num(saving)} {self.money})"
            )
            words.append(
                f"{part} is shortfall penalty avoided rather than money not spent: it is as "
                "large as the assumed penalty makes it (see the sensitivity rows)."
            )
        words += self._nothing_delivered()
        return words

    def _national_delivers_nothing(self, mode: Mode) -> bool:
        """National stacks deliver nothing where the coalition delivers something."""
        nat, coa = self.row(mode, Regime.NATIONAL), self.row(mode, Regime.COALITION)
        return (
            self.target > 0
            and nat is not None
            and coa is not None
            and nat["capability"] <= _MISSED < coa["capability"]
        )

    def _nothing_delivered(self) -> list[str]:
        """Every min_cost run delivers nothing although targets ask for capability."""
        rows = [self.row(Mode.MIN_COST, r) for r in Regime]
        ran = [r for r in rows if r is not None]
        if self.target <= 0 or not ran or any(r["capability"] > _MISSED for r in ran):
            return []
        made = [
            r
            for r in (self.row(Mode.MAX_CAPABILITY, g) for g in (Regime.OPEN, Regime.COALITION))
            if r is not None and r["capability"] > _MISSED and r["cost"] > 0
        ]
        penalty = f"{_num(self.penalty)} {self.money} per unit"
        if made:
            unit = made[0]["cost"] / made[0]["capability"]
            where = made[0]["regime"]
            builds = (
                " (with build decisions, meeting a small target may cost more per unit than "
                "this average)"
                if self.c.scenario.has_build_decisions
                else ""
            )
            return [
                "Every regime delivers nothing in min_cost: no unit of capability costs less "
                f"than the shortfall penalty ({penalty}), so leaving every target unmet is the "
                f"cheapest plan. The {where} max_capability plan makes capability at "
                f"{_num(unit)} {self.money} per unit on average; set `shortfall_penalty` on "
                f"the Scenario sheet above that (and check the costs' units) for min_cost "
                f"to meet targets{builds}."
            ]
        return [
            f"Every regime delivers nothing in min_cost although the targets ask for "
            f"{_num(self.target)} units: either no capability can be made from the data "
            f"(`planner validate` lists unreachable targets) or every unit costs more than "
            f"the shortfall penalty ({penalty}); re-run with a higher `shortfall_penalty` "
            "to tell which."
        ]


_LABELS = (
    (Regime.NATIONAL, "national stacks"),
    (Regime.COALITION, "the coalition"),
    (Regime.OPEN, "the open world"),
)


def run_entry(run: RunResult) -> dict[str, Any]:
    """One run's entry of the JSON summary (``runs`` of ``planner run --json``)."""
    return {
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
        "world_imports": run.world_imports,
        "backstop": run.backstop,
        "periods": _period_entries(run.periods),
        "countries": [
            {
                "country": str(row["country"]),
                "member": bool(row["member"]),
                "cost": _plain(float(row["cost"])),
                "capability": _plain(float(row["capability"])),
                "shortfall": _plain(float(row["shortfall"])),
                "periods": _period_entries(
                    run.periods.loc[run.periods["country"] == row["country"]], lags=True
                ),
            }
            for row in run.countries.to_dict("records")
        ],
    }
