"""An independent reference implementation of the whole model contract, as a test oracle.

Written from DESIGN.md (version 1, then Version 2: Periods, Budgets, builds with lead time
and lifetime, process windows, discounting, salvage, the ``period`` column, Generations and
the lag figures, ``national_scope``, sovereign commodities, the world market, backstops, and
Learning) and the readings of docs/model.md only. It imports nothing from ``planner``: it
reads plain tables, writes the LP/MILP itself and hands it to HiGHS through highspy.

Input: :data:`Tables`, sheet name (as DESIGN.md spells it) -> rows, each row column name (as
DESIGN.md spells it) -> value, already typed (``str`` ids, ``float`` numbers, ``bool``
yes/no, ``None`` or a missing key for a blank cell). The Scenario sheet is rows of ``key``
and ``value``. Input is assumed valid; what the contract forbids is asserted.

Model, per period ``t`` (each variable only where its row exists in that period):
``use[c,k,t]``, ``act[c,p,t]``, ``new[c,p,v]`` and ``build[c,p,v]`` per start period ``v``,
``ship[k,i,j,t]``, ``wimp[c,k,t]`` (world imports), ``back[c,k,t]`` (backstop supply),
``deliver[c,k,t]``; per learning process, pool and period one binary per segment of the
staircase, and each learning cost variable split into one copy per segment (the copy of
segment k is at most its bound times that segment's binary), so that the multiplied cost is
linear. Rows: capacity, build logic, balance, and in max_capability the budgets per group
and period; learning adds the segment choice (one per pool and period) and the experience
bounds ``B_k <= E <= B_{k+1}`` of the chosen segment.

Readings (where DESIGN.md or docs/model.md leaves room, the most literal one):

- A period id is compared as text after one canonical form: a number, or text that reads as
  a finite number, is written without a decimal point when whole (``2026``, ``2026.0`` and
  ``"2026.0"`` are one id) and in Python's shortest form otherwise; any other text is
  stripped of surrounding spaces.
- A default ``length`` is resolved down the sheet, so the last period's default is the
  previous period's resolved length. An explicit length may leave years between periods
  that no period covers; they carry no flow and are not discounted into any weight.
- The cell-by-cell override takes, per column, the period row's value, else the
  blank-period row's value, else the column's default; a required column blank in both is
  an input error (asserted). A Links row's key includes its commodity, so a period ``*``
  row overrides only the blank-period ``*`` row of that pair.
- A Links row for one commodity replaces the ``*`` row of the pair as a whole, in each
  period (docs/model.md): a blank ``cost`` there is the commodity's ``trade_cost``.
- Countries of a model: ``national``, the member alone; ``coalition``, the members plus
  every country that some link of the coalition connects in some period; ``open``, every
  country (docs/model.md). These are also the countries of the ``regime`` learning pool.
- Non-members' spend counts in total cost and, in max_capability, is paid from the pooled
  budget of the members in the model; a non-member's own budget is never used. In
  ``national`` each member's own budget per period binds its own spend (docs/model.md).
- Budgets rows need a ``period``; a country without a Budgets row for a period has its
  Countries ``budget`` per year in that period.
- A build variable exists only for a Capacity row present in its start period; it adds to
  capacity in an active period only where (c, p) has a Capacity row in that period (without
  a row the process cannot run, not even on earlier builds).
- World imports are open to every country of the model (non-members of a coalition model
  too) where the regime allows them; the price is ``world_price x (1 + world_premium)``,
  the same in every period. Backstops likewise in every country of the model.
- Shortfall in max_capability is reported as ``max(0, amount - deliver)`` per target and
  period (docs/model.md); ``total_capability`` is unweighted; the max_capability
  ``objective`` is the first stage's ``sum_t w_t x sum(weight x deliver)``, the min_cost
  one the discounted cost with the penalty, less salvage.
- The second stage of max_capability holds the first stage's value exactly, relaxed by a
  relative 1e-9, then 1e-6, only where HiGHS finds the exact hold infeasible through
  round-off (docs/model.md's rule); an optimum below 1e-9 is not held.
- Status: ``optimal``, ``infeasible``, ``unbounded`` (HiGHS is asked again without presolve
  when it can only say "infeasible or unbounded") or ``error``; no time limit is set, so
  never ``time_limit``. National stacks take the first status of a member that is not
  optimal, and then have no figures.
- Lag figures: a member uses no generation in a period where its processes consume
  nothing that has a generation; ``generations_behind`` and ``node_gap_years`` may be
  negative where a member uses a generation newer than the period's frontier. Ranks count
  from 1 for the earliest ``frontier_year``.
- Capability lag: ``K`` is the unweighted capability a member delivers per year;
  ``K_nat(tau) >= K_coal(t)`` is tested with a tolerance of 1e-7 (1 + ``K_coal``), and tau
  is the first crossing on the piecewise-linear interpolation (exactly ``y_1`` when it
  already holds there).
- Learning: the pools of a process in a model are those pools that hold a Capacity row of
  that process (in any period) among their countries in the model; ``kmin`` is taken over
  them (national: over the one member solved). Which pools enter that minimum does not
  change any result: ``kmin`` only adds segments below every pool's experience. ``kmax``
  is ``floor(q x max_doublings)`` (the integers up to ``q x max_doublings``). A learning
  entry is reported per process, such pool and period; its multiplier is that of the
  segment holding the solved experience (within a relative 1e-7, rounding up to the higher
  breakpoint). A segment's upper end is enforced as ``E <= B_{k+1}`` (closed): at a
  breakpoint the lower segment is also allowed, never cheaper, so no optimum changes.
- Experience and the costs it multiplies use the same learning row for every country; a
  learning cost of 0 needs no split (its multiple is 0), but its experience still counts.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

Tables = dict[str, list[dict[str, object]]]
"""Sheet name -> rows; a row is column name -> typed value (None: blank)."""

Row = dict[str, Any]
Terms = dict[int, float]
INF = math.inf
TOLERANCE = 1e-9
MODES = ("min_cost", "max_capability")
REGIMES = ("national", "coalition", "open")

# Defaults of every column that has one; a column not listed here is required.
DEFAULTS: dict[str, dict[str, object]] = {
    "Countries": {"name": None, "budget": 0.0},
    "Commodities": {
        "unit": "",
        "tradable": False,
        "trade_cost": 0.0,
        "generation": None,
        "world_price": None,
        "world_premium": 0.0,
        "sovereign": False,
        "backstop_cost": None,
    },
    "Resources": {"cost": 0.0},
    "Processes": {
        "layer": None,
        "description": "",
        "available_from": None,
        "available_until": None,
    },
    "Recipe": {},
    "Capacity": {
        "existing": 0.0,
        "cost": 0.0,
        "max_new": 0.0,
        "new_cost": 0.0,
        "fixed_cost": 0.0,
        "min_new": 0.0,
        "lifetime": None,
        "lead_time": 0.0,
    },
    "Targets": {"weight": 1.0},
    "Links": {"allowed": True, "cost": None, "capacity": None},
    "Budgets": {},
    "Generations": {},
    "Learning": {
        "driver": "builds",
        "applies_to": "new_cost",
        "pool": "regime",
        "spillover": 0.0,
        "steps_per_doubling": 1,
        "max_doublings": 6.0,
    },
    "Experience": {"initial": 0.0},
}
KEYS: dict[str, tuple[str, ...]] = {
    "Resources": ("country", "commodity"),
    "Capacity": ("country", "process"),
    "Targets": ("country", "commodity"),
    "Links": ("exporter", "importer", "commodity"),
}
"""The key columns of the sheets that take a ``period`` column."""


def blank(value: object) -> bool:
    """Whether a cell is blank: None or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def period_id(value: object) -> str:
    """The canonical text of a period id (see "Readings")."""
    assert not isinstance(value, bool), f"period id {value!r} is a yes/no"
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            return text
        if not math.isfinite(number):
            return text
    return str(int(number)) if number.is_integer() else repr(number)


def resolve(sheet: str, rows: Sequence[Mapping[str, object] | None]) -> Row:
    """One row's values: per column the first non-blank cell of ``rows``, else the default."""
    present = [row for row in rows if row is not None]
    columns = {c for row in present for c in row} | set(DEFAULTS[sheet])
    out: Row = {}
    if sheet in KEYS:  # the period column chose the rows; it is not a value
        columns.discard("period")
    for column in columns:
        cells = [row.get(column) for row in present if not blank(row.get(column))]
        if cells:
            out[column] = cells[0]
        else:
            assert column in DEFAULTS[sheet], f"{sheet}: required column {column!r} is blank"
            out[column] = DEFAULTS[sheet][column]
    return out


def records(tables: Tables, sheet: str) -> list[Row]:
    """The non-blank rows of a sheet, with defaults applied."""
    rows = [r for r in tables.get(sheet) or [] if not all(blank(v) for v in r.values())]
    return [resolve(sheet, [row]) for row in rows]


# Periods, discounting and the per-period reading of the sheets that take a period column.


@dataclass(frozen=True)
class Period:
    """One period: id, start year, length in years, ``D(y_t)`` and the flow weight ``w_t``."""

    id: str
    year: int
    length: int
    discount: float
    weight: float


def whole(value: object, what: str) -> int:
    """A whole number, asserted."""
    number = float(value)  # type: ignore[arg-type]
    assert number.is_integer(), f"{what} {value!r} is not a whole number"
    return int(number)


def read_periods(tables: Tables, rate: float) -> list[Period]:
    """The Periods sheet with its length defaults, or the one default period."""
    rows = [r for r in tables.get("Periods") or [] if not all(blank(v) for v in r.values())]
    if not rows:
        rows = [{"period": "1", "year": 0, "length": 1}]
    ids = [period_id(r["period"]) for r in rows]
    years = [whole(r["year"], "year") for r in rows]
    assert len(set(ids)) == len(ids), f"Periods: repeated id in {ids}"
    assert all(a < b for a, b in itertools.pairwise(years)), "years must increase"
    lengths: list[int] = []
    for i, row in enumerate(rows):
        if not blank(row.get("length")):
            lengths.append(whole(row["length"], "length"))
        elif i + 1 < len(rows):
            lengths.append(years[i + 1] - years[i])
        else:
            lengths.append(lengths[-1] if lengths else 1)
        assert lengths[-1] >= 1, f"period {ids[i]}: length {lengths[-1]} < 1"

    def discount(year: float) -> float:
        return float((1.0 + rate) ** -(year - years[0]))

    return [
        Period(i, y, n, discount(y), sum(discount(y + k) for k in range(n)))
        for i, y, n in zip(ids, years, lengths, strict=True)
    ]


def by_period(
    tables: Tables, sheet: str, periods: Sequence[Period]
) -> dict[str, dict[tuple[str, ...], Row]]:
    """Period id -> key -> the row that applies there, overridden cell by cell."""
    known = {p.id for p in periods}
    base: dict[tuple[str, ...], Mapping[str, object]] = {}
    named: dict[tuple[tuple[str, ...], str], Mapping[str, object]] = {}
    for row in tables.get(sheet) or []:
        if all(blank(v) for v in row.values()):
            continue
        key = tuple(str(row[column]) for column in KEYS[sheet])
        if blank(row.get("period")):
            assert key not in base, f"{sheet}: two rows for {key}"
            base[key] = row
        else:
            pid = period_id(row["period"])
            assert pid in known, f"{sheet}: period {pid!r} names no Periods row"
            assert (key, pid) not in named, f"{sheet}: two rows for {key} in period {pid}"
            named[(key, pid)] = row
    out: dict[str, dict[tuple[str, ...], Row]] = {}
    for period in periods:
        out[period.id] = {key: resolve(sheet, [row]) for key, row in base.items()}
    for (key, pid), row in named.items():
        out[pid][key] = resolve(sheet, [row, base.get(key)])
    return out


# The scenario, read once from the tables.


@dataclass(frozen=True)
class BuildSpec:
    """A possible build: (country, process) started in ``start``, active in ``active``."""

    country: str
    process: str
    start: Period
    row: Row
    active: tuple[str, ...]
    salvage: float
    """``sigma``: the share of its cost credited at the horizon end."""


@dataclass
class World:
    """The scenario's tables, read with their defaults and period overrides."""

    settings: dict[str, Any]
    countries: list[str]
    members: list[str]
    budget: dict[tuple[str, str], float]
    commodities: dict[str, Row]
    recipe: dict[str, list[tuple[str, float]]]
    periods: list[Period]
    end_discount: float
    resources: dict[str, dict[tuple[str, ...], Row]]
    capacity: dict[str, dict[tuple[str, ...], Row]]
    targets: dict[str, dict[tuple[str, ...], Row]]
    links: dict[str, dict[tuple[str, ...], Row]]
    builds: list[BuildSpec]
    frontier: dict[str, float]
    learning: dict[str, Row]
    initial: dict[tuple[str, str], float]

    @property
    def penalty(self) -> float:
        return float(self.settings["shortfall_penalty"])


def read_settings(tables: Tables) -> dict[str, Any]:
    """The Scenario keys with their defaults."""
    settings: dict[str, Any] = {
        "shortfall_penalty": 1000.0,
        "discount_rate": 0.0,
        "national_scope": "all",
        "currency": "USD bn",
    }
    for row in tables.get("Scenario") or []:
        if not blank(row.get("key")) and not blank(row.get("value")):
            settings[str(row["key"]).strip()] = row["value"]
    settings["shortfall_penalty"] = float(settings["shortfall_penalty"])
    settings["discount_rate"] = float(settings["discount_rate"])
    assert settings["national_scope"] in ("all", "declared"), settings["national_scope"]
    return settings


def read_budgets(
    tables: Tables, countries: Sequence[Row], periods: Sequence[Period]
) -> dict[tuple[str, str], float]:
    """(country, period) -> budget per year."""
    budget = {(c["country"], p.id): float(c["budget"]) for c in countries for p in periods}
    known = {p.id for p in periods}
    seen = set()
    for row in records(tables, "Budgets"):
        key = (str(row["country"]), period_id(row["period"]))
        assert key[1] in known, f"Budgets: period {key[1]!r} names no Periods row"
        assert key not in seen, f"Budgets: two rows for {key}"
        seen.add(key)
        budget[key] = float(row["budget"])
    return budget


def read_commodities(tables: Tables) -> dict[str, Row]:
    """Commodity id -> its row; world prices and backstops are not for capability."""
    out = {str(r["commodity"]): r for r in records(tables, "Commodities")}
    for k, row in out.items():
        if row["kind"] == "capability":
            assert row["world_price"] is None, f"{k}: a capability has no world price"
            assert row["backstop_cost"] is None, f"{k}: a capability has no backstop"
    return out


def read_recipe(tables: Tables) -> dict[str, list[tuple[str, float]]]:
    """Process -> (commodity, amount): positive an output, negative an input."""
    recipe: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in records(tables, "Recipe"):
        sign = 1.0 if row["role"] == "output" else -1.0
        assert row["role"] in ("input", "output"), row["role"]
        recipe[str(row["process"])].append((str(row["commodity"]), sign * float(row["amount"])))
    return dict(recipe)


def active_periods(row: Row, start: Period, periods: Sequence[Period]) -> tuple[str, ...]:
    """The periods t with ``y_v + lead_time <= y_t < y_v + lead_time + lifetime``."""
    lead = whole(row["lead_time"], "lead_time")
    first = start.year + lead
    last = INF if row["lifetime"] is None else first + float(row["lifetime"])
    return tuple(p.id for p in periods if first <= p.year < last)


def salvage_share(row: Row, start: Period, horizon_end: int) -> float:
    """``sigma = min(1, max(0, (y_v + lead_time + lifetime - Y) / lifetime))``; 0 without one."""
    if row["lifetime"] is None:
        return 0.0
    lifetime = float(row["lifetime"])
    assert lifetime > 0, "lifetime must be > 0"
    end = start.year + whole(row["lead_time"], "lead_time") + lifetime
    return min(1.0, max(0.0, (end - horizon_end) / lifetime))


def read_builds(
    capacity: dict[str, dict[tuple[str, ...], Row]],
    windows: dict[str, Row],
    periods: Sequence[Period],
    horizon_end: int,
) -> list[BuildSpec]:
    """Every possible build: max_new > 0, in the process window, active somewhere."""
    builds = []
    for start in periods:
        for (c, p), row in capacity[start.id].items():
            assert float(row["min_new"]) <= float(row["max_new"]), f"{c},{p}: min_new > max_new"
            low, high = windows[p]["available_from"], windows[p]["available_until"]
            inside = (low is None or start.year >= float(low)) and (
                high is None or start.year <= float(high)
            )
            active = active_periods(row, start, periods)
            if float(row["max_new"]) > 0 and inside and active:
                share = salvage_share(row, start, horizon_end)
                builds.append(BuildSpec(c, p, start, row, active, share))
    return builds


def read_generations(tables: Tables) -> dict[str, float]:
    """Generation -> frontier_year (unique, so the ranking is strict)."""
    rows = records(tables, "Generations")
    frontier = {str(g["generation"]): float(g["frontier_year"]) for g in rows}
    assert len(set(frontier.values())) == len(frontier), "Generations: frontier_year repeats"
    return frontier


def read_world(tables: Tables) -> World:
    """The whole scenario, read from plain tables."""
    settings = read_settings(tables)
    periods = read_periods(tables, settings["discount_rate"])
    horizon_end = periods[-1].year + periods[-1].length
    end_discount = float((1 + settings["discount_rate"]) ** -(horizon_end - periods[0].year))
    countries = records(tables, "Countries")
    capacity = by_period(tables, "Capacity", periods)
    windows = {str(r["process"]): r for r in records(tables, "Processes")}
    links = by_period(tables, "Links", periods)
    for rows in links.values():
        assert all(i != j for i, j, _ in rows), "Links: exporter equals importer"
    return World(
        settings=settings,
        countries=[str(c["country"]) for c in countries],
        members=[str(c["country"]) for c in countries if c["member"]],
        budget=read_budgets(tables, countries, periods),
        commodities=read_commodities(tables),
        recipe=read_recipe(tables),
        periods=periods,
        end_discount=end_discount,
        resources=by_period(tables, "Resources", periods),
        capacity=capacity,
        targets=by_period(tables, "Targets", periods),
        links=links,
        builds=read_builds(capacity, windows, periods, horizon_end),
        frontier=read_generations(tables),
        learning={str(r["process"]): r for r in records(tables, "Learning")},
        initial={
            (str(r["country"]), str(r["process"])): float(r["initial"])
            for r in records(tables, "Experience")
        },
    )


# The links of each regime, per period.

LinkKey = tuple[str, str, str]
"""(commodity, exporter, importer)."""


def regime_links(world: World, regime: str, pid: str) -> dict[LinkKey, tuple[float, float]]:
    """(commodity, exporter, importer) -> (cost per unit, capacity or inf) in one period."""
    if regime == "national":
        return {}
    tradable = {k: float(r["trade_cost"]) for k, r in world.commodities.items() if r["tradable"]}
    pairs = world.members if regime == "coalition" else world.countries
    links = {(k, i, j): (cost, INF) for k, cost in tradable.items() for i in pairs for j in pairs}
    links = {key: v for key, v in links.items() if key[1] != key[2]}
    rows: dict[LinkKey, Row] = {}
    applying = world.links[pid]
    for (i, j, k), row in applying.items():  # ``*`` rows first: a commodity's own row wins
        if k == "*":
            rows.update({(kk, i, j): row for kk in tradable})
    for (i, j, k), row in applying.items():
        if k != "*":
            assert k in tradable, f"Links: {k} is not tradable"
            rows[(k, i, j)] = row
    for key, row in rows.items():
        if regime == "open" or row["allowed"]:
            cost = tradable[key[0]] if row["cost"] is None else float(row["cost"])
            links[key] = (cost, INF if row["capacity"] is None else float(row["capacity"]))
        else:
            links.pop(key, None)
    return links


# The LP, written column by column and row by row, then handed to HiGHS in one piece.


@dataclass
class Lp:
    """Columns with bounds and integrality; rows ``lo <= sum(coef * x) <= hi``."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    rows: list[tuple[float, float, Terms]] = field(default_factory=list)

    def column(self, lower: float = 0.0, upper: float = INF, integer: bool = False) -> int:
        """A new column; its index."""
        self.lower.append(lower)
        self.upper.append(upper)
        if integer:
            self.integer.append(len(self.lower) - 1)
        return len(self.lower) - 1

    def row(self, terms: Mapping[int, float], lo: float = -INF, hi: float = INF) -> None:
        """A new row ``lo <= terms <= hi``."""
        self.rows.append((lo, hi, dict(terms)))

    def solve(
        self, cost: Terms, extra: Sequence[tuple[float, float, Terms]] = ()
    ) -> tuple[str, list[float]]:
        """Minimise ``cost``: the contract's status and, if optimal, the solution."""
        n = len(self.lower)
        if n == 0:
            return "optimal", []
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        for option in ("mip_rel_gap", "mip_abs_gap"):
            highs.setOptionValue(option, 1e-9)
        for option in ("primal_feasibility_tolerance", "mip_feasibility_tolerance"):
            highs.setOptionValue(option, TOLERANCE)
        inf = highs.getInfinity()
        lower = np.clip(np.array(self.lower, dtype=float), -inf, inf)
        upper = np.clip(np.array(self.upper, dtype=float), -inf, inf)
        highs.addVars(n, lower, upper)
        dense = np.zeros(n)
        for col, coef in cost.items():
            dense[col] += coef
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), dense)
        add_rows(highs, [*self.rows, *extra], inf)
        if self.integer:
            ints = np.array(self.integer, dtype=np.int32)
            kinds = np.full(len(ints), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            highs.changeColsIntegrality(len(ints), ints, kinds)
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            highs.setOptionValue("presolve", "off")  # then HiGHS says which of the two
            highs.run()
            status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", list(highs.getSolution().col_value)
        if status == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", []
        if status == highspy.HighsModelStatus.kUnbounded:
            return "unbounded", []
        return "error", []


def add_rows(highs: Any, rows: Sequence[tuple[float, float, Terms]], inf: float) -> None:
    """All rows at once, in compressed row form."""
    if not rows:
        return
    starts: list[int] = []
    index: list[int] = []
    coefs: list[float] = []
    for _, _, terms in rows:
        starts.append(len(index))
        index.extend(terms)
        coefs.extend(terms.values())
    highs.addRows(
        len(rows),
        np.clip(np.array([lo for lo, _, _ in rows], dtype=float), -inf, inf),
        np.clip(np.array([hi for _, hi, _ in rows], dtype=float), -inf, inf),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(coefs, dtype=np.float64),
    )


def value(terms: Mapping[int, float], x: Sequence[float]) -> float:
    """The value of a linear expression at x."""
    return sum(coef * x[col] for col, coef in terms.items())


def plus(into: Terms, terms: Mapping[int, float], factor: float = 1.0) -> None:
    """``into += factor * terms``."""
    for col, coef in terms.items():
        into[col] = into.get(col, 0.0) + factor * coef


# One model: some countries, the targets of some members, the links of a regime.


@dataclass
class Staircase:
    """The learning segments of one process: breakpoints ``B_k`` and multipliers ``m_k``."""

    ks: list[int]
    breakpoints: list[float]
    multipliers: list[float]

    def segment_of(self, experience: float) -> int:
        """The index (into ``ks``) of the segment holding ``experience``."""
        held = [i for i, b in enumerate(self.breakpoints) if b <= experience * (1 + 1e-7) + 1e-7]
        return held[-1] if held else 0


def staircase(rule: Row, lowest: float) -> Staircase:
    """Segments ``k`` from kmin to kmax, ``B_k = reference 2^(k/q)``, ``m_k = PR^(k/q)``."""
    q = whole(rule["steps_per_doubling"], "steps_per_doubling")
    reference = float(rule["reference"])
    ratio = float(rule["progress_ratio"])
    assert 0 < ratio <= 1 and reference > 0 and q >= 1, rule
    kmax = math.floor(q * float(rule["max_doublings"]) + 1e-12)
    kmin = min(math.floor(q * math.log2(lowest / reference)), kmax)
    while reference * 2 ** (kmin / q) > lowest:
        kmin -= 1  # round-off in log2 must not leave the lowest pool below B_kmin
    ks = list(range(kmin, kmax + 1))
    return Staircase(ks, [reference * 2 ** (k / q) for k in ks], [ratio ** (k / q) for k in ks])


@dataclass
class LearningPool:
    """One pool of one learning process in one period: its experience and its binaries."""

    process: str
    pool: tuple[str, ...]
    period: str
    experience: Terms
    initial: float
    stairs: Staircase
    choice: list[int]


@dataclass
class Model:
    """The LP of one model and the typed handles needed to read its plan."""

    world: World
    mode: str
    regime: str
    countries: list[str]
    members: list[str]
    lp: Lp = field(default_factory=Lp)
    flow: dict[tuple[str, str], Terms] = field(default_factory=dict)
    invest: dict[tuple[str, str], Terms] = field(default_factory=dict)
    salvage: Terms = field(default_factory=dict)
    balance: dict[tuple[str, str, str], Terms] = field(default_factory=dict)
    act: dict[tuple[str, str, str], int] = field(default_factory=dict)
    new: dict[tuple[str, str, str], int] = field(default_factory=dict)
    deliver: dict[tuple[str, str, str], int] = field(default_factory=dict)
    world_imports: dict[tuple[str, str, str], int] = field(default_factory=dict)
    backstop: dict[tuple[str, str, str], int] = field(default_factory=dict)
    pools: list[LearningPool] = field(default_factory=list)

    def __post_init__(self) -> None:
        for c in self.countries:
            for p in self.world.periods:
                self.flow[(c, p.id)] = {}
                self.invest[(c, p.id)] = {}

    def supply(self, c: str, k: str, pid: str, col: int, amount: float) -> None:
        """``amount`` units of k per unit of ``col`` into (or, negative, out of) c's balance."""
        self.balance.setdefault((c, k, pid), {})
        plus(self.balance[(c, k, pid)], {col: amount})

    def learns(self, process: str, cost: str) -> bool:
        """Whether ``cost`` (``new_cost`` or ``cost``) of ``process`` is multiplied."""
        rule = self.world.learning.get(process)
        return rule is not None and rule["applies_to"] == cost


def add_resources(m: Model) -> None:
    """``use[c,k,t]`` in [0, available], at its cost per unit per year."""
    for pid, rows in m.world.resources.items():
        for (c, k), row in rows.items():
            if c in m.countries:
                col = m.lp.column(0.0, float(row["available"]))
                plus(m.flow[(c, pid)], {col: float(row["cost"])})
                m.supply(c, k, pid, col, 1.0)


def add_builds(m: Model) -> None:
    """``new[c,p,v]`` in [0, max_new]; ``build`` binary with v1's logic; costs and salvage.

    ``I += new_cost new + fixed_cost build`` in v; salvage ``sigma x (that) x D(Y)``.
    """
    for spec in m.world.builds:
        if spec.country not in m.countries:
            continue
        row, pid = spec.row, spec.start.id
        new = m.lp.column(0.0, float(row["max_new"]))
        m.new[(spec.country, spec.process, pid)] = new
        money: Terms = {}
        if not m.learns(spec.process, "new_cost"):
            money[new] = float(row["new_cost"])
        if float(row["fixed_cost"]) > 0 or float(row["min_new"]) > 0:
            build = m.lp.column(0.0, 1.0, integer=True)
            money[build] = float(row["fixed_cost"])
            m.lp.row({new: 1.0, build: -float(row["max_new"])}, hi=0.0)
            m.lp.row({new: 1.0, build: -float(row["min_new"])}, lo=0.0)
        plus(m.invest[(spec.country, pid)], money)
        plus(m.salvage, money, spec.salvage * m.world.end_discount)


def add_activity(m: Model) -> None:
    """``act[c,p,t] <= existing[c,p,t] + sum of new[c,p,v] active in t``; recipe flows."""
    active: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for spec in m.world.builds:
        key = (spec.country, spec.process, spec.start.id)
        if key in m.new:
            for pid in spec.active:
                active[(spec.country, spec.process, pid)].append(m.new[key])
    for pid, rows in m.world.capacity.items():
        for (c, p), row in rows.items():
            if c not in m.countries:
                continue
            act = m.lp.column()
            m.act[(c, p, pid)] = act
            if not m.learns(p, "cost"):
                plus(m.flow[(c, pid)], {act: float(row["cost"])})
            terms = {act: 1.0} | {new: -1.0 for new in active[(c, p, pid)]}
            m.lp.row(terms, hi=float(row["existing"]))
            for k, amount in m.world.recipe[p]:
                m.supply(c, k, pid, act, amount)


def add_links(m: Model) -> None:
    """``ship[k,i,j,t]`` in [0, capacity]; the importer pays the link cost."""
    for period in m.world.periods:
        for (k, i, j), (cost, capacity) in regime_links(m.world, m.regime, period.id).items():
            col = m.lp.column(0.0, capacity)
            plus(m.flow[(j, period.id)], {col: cost})
            m.supply(j, k, period.id, col, 1.0)
            m.supply(i, k, period.id, col, -1.0)


def world_market_open(m: Model, row: Row) -> bool:
    """Whether the regime lets a country of the model buy this commodity from the world."""
    if row["world_price"] is None:
        return False
    if m.regime == "open":
        return True
    if m.regime == "coalition":
        return not row["sovereign"]
    return not row["sovereign"] and m.world.settings["national_scope"] == "declared"


def add_outside_supply(m: Model) -> None:
    """``wimp[c,k,t]`` at ``world_price (1 + world_premium)``, ``back[c,k,t]`` at its cost."""
    for k, row in m.world.commodities.items():
        world = world_market_open(m, row)
        price = float(row["world_price"] or 0.0) * (1.0 + float(row["world_premium"]))
        for c in m.countries:
            for period in m.world.periods:
                key = (c, k, period.id)
                if world:
                    m.world_imports[key] = col = m.lp.column()
                    plus(m.flow[(c, period.id)], {col: price})
                    m.supply(c, k, period.id, col, 1.0)
                if row["backstop_cost"] is not None:
                    m.backstop[key] = col = m.lp.column()
                    plus(m.flow[(c, period.id)], {col: float(row["backstop_cost"])})
                    m.supply(c, k, period.id, col, 1.0)


def add_deliveries(m: Model) -> None:
    """``deliver[c,k,t]``: in [0, amount] (min_cost) or >= 0 (max_capability)."""
    for pid, rows in m.world.targets.items():
        for (c, k), row in rows.items():
            if c in m.members:
                assert m.world.commodities[k]["kind"] == "capability", f"target {k}"
                upper = float(row["amount"]) if m.mode == "min_cost" else INF
                m.deliver[(c, k, pid)] = col = m.lp.column(0.0, upper)
                m.supply(c, k, pid, col, -1.0)


def add_balances(m: Model) -> None:
    """Supply - demand >= 0 per (country, commodity, period)."""
    for terms in m.balance.values():
        m.lp.row(terms, lo=0.0)


def spend(m: Model, c: str, period: Period) -> Terms:
    """``S[c,t] = L_t F[c,t] + I[c,t]``."""
    terms: Terms = {}
    plus(terms, m.flow[(c, period.id)], period.length)
    plus(terms, m.invest[(c, period.id)])
    return terms


def add_budgets(m: Model) -> None:
    """Per period: spend of the model's countries <= ``L_t x`` the members' budgets."""
    for period in m.world.periods:
        total: Terms = {}
        for c in m.countries:
            plus(total, spend(m, c, period))
        budget = sum(m.world.budget[(c, period.id)] for c in m.members)
        m.lp.row(total, hi=period.length * budget)


def discounted_cost(m: Model) -> Terms:
    """``sum_t w_t sum_c F[c,t] + sum_t D(y_t) sum_c I[c,t] - salvage``."""
    terms: Terms = {}
    for period in m.world.periods:
        for c in m.countries:
            plus(terms, m.flow[(c, period.id)], period.weight)
            plus(terms, m.invest[(c, period.id)], period.discount)
    plus(terms, m.salvage, -1.0)
    return terms


# Learning: pools, experience, the staircase and the multiplied costs.


def learning_pools(m: Model, process: str, rule: Row) -> list[tuple[str, ...]]:
    """The pools of a process in this model that hold a Capacity row of it."""
    holders = {c for rows in m.world.capacity.values() for (c, p) in rows if p == process}
    if rule["pool"] == "regime":
        pools = [tuple(m.countries)]
    else:
        assert rule["pool"] == "country", rule["pool"]
        pools = [(c,) for c in m.countries]
    return [pool for pool in pools if holders.intersection(pool)]


def initial_experience(m: Model, process: str, rule: Row, pool: tuple[str, ...]) -> float:
    """``E0 = sum_{c in P} initial + spillover x sum_{c not in P} initial``."""
    inside = sum(m.world.initial.get((c, process), 0.0) for c in pool)
    outside = sum(m.world.initial.get((c, process), 0.0) for c in m.world.countries)
    e0 = inside + float(rule["spillover"]) * (outside - inside)
    assert e0 > 0, f"Learning: pool {pool} of {process} starts with no experience"
    return e0


def driver_terms(m: Model, process: str, rule: Row, c: str, period: Period) -> Terms:
    """``e[c,t]``: new capacity started (builds) or ``L_t x act`` (output)."""
    if rule["driver"] == "builds":
        col = m.new.get((c, process, period.id))
        return {} if col is None else {col: 1.0}
    assert rule["driver"] == "output", rule["driver"]
    col = m.act.get((c, process, period.id))
    return {} if col is None else {col: float(period.length)}


def activity_bound(m: Model, c: str, process: str, period: Period) -> float:
    """The most ``act[c,p,t]`` can be: existing plus every active build's max_new."""
    row = m.world.capacity[period.id][(c, process)]
    built = sum(
        float(s.row["max_new"])
        for s in m.world.builds
        if (s.country, s.process, s.start.id) in m.new and period.id in s.active
        if s.country == c and s.process == process
    )
    return float(row["existing"]) + built


def add_pool(m: Model, process: str, rule: Row, pool: tuple[str, ...], stairs: Staircase) -> None:
    """Per period: one binary per segment, ``sum z = 1``, ``B_k z_k <= E <= B_{k+1} z_k``."""
    e0 = initial_experience(m, process, rule, pool)
    top = e0 + sum(bound_of(m, process, rule, c, s) for c in pool for s in m.world.periods)
    uppers = [*stairs.breakpoints[1:], 2 * max(top, stairs.breakpoints[-1]) + 1]
    experience: Terms = {}
    for period in m.world.periods:
        choice = [m.lp.column(0.0, 1.0, integer=True) for _ in stairs.ks]
        m.lp.row(dict.fromkeys(choice, 1.0), lo=1.0, hi=1.0)
        low = dict(experience) | {z: -b for z, b in zip(choice, stairs.breakpoints, strict=True)}
        high = dict(experience) | {z: -b for z, b in zip(choice, uppers, strict=True)}
        m.lp.row(low, lo=-e0)
        m.lp.row(high, hi=-e0)
        m.pools.append(LearningPool(process, pool, period.id, dict(experience), e0, stairs, choice))
        for c in pool:
            multiply_cost(m, process, rule, c, period, stairs, choice)
        for c in pool:
            plus(experience, driver_terms(m, process, rule, c, period))


def bound_of(m: Model, process: str, rule: Row, c: str, period: Period) -> float:
    """The most ``e[c,t]`` can be."""
    if rule["driver"] == "builds":
        col = m.new.get((c, process, period.id))
        return 0.0 if col is None else m.lp.upper[col]
    if (c, process, period.id) not in m.act:
        return 0.0
    return period.length * activity_bound(m, c, process, period)


def multiply_cost(
    m: Model,
    process: str,
    rule: Row,
    c: str,
    period: Period,
    stairs: Staircase,
    choice: list[int],
) -> None:
    """The learning cost variable x split as ``x = sum_k x_k``, ``x_k <= U z_k``, costing
    ``sum_k m_k cost x_k`` (and, for builds, salvage of the multiplied ``new_cost``)."""
    if rule["applies_to"] == "new_cost":
        col = m.new.get((c, process, period.id))
        if col is None:
            return
        spec = next(
            s
            for s in m.world.builds
            if (s.country, s.process, s.start.id) == (c, process, period.id)
        )
        base, bound, into = float(spec.row["new_cost"]), m.lp.upper[col], m.invest
        credit = spec.salvage * m.world.end_discount
    else:
        assert rule["applies_to"] == "cost", rule["applies_to"]
        col = m.act.get((c, process, period.id))
        if col is None:
            return
        base = float(m.world.capacity[period.id][(c, process)]["cost"])
        bound, into, credit = activity_bound(m, c, process, period), m.flow, 0.0
    if base == 0 or bound == 0:
        return
    parts = [m.lp.column(0.0, bound) for _ in choice]
    m.lp.row({col: 1.0} | dict.fromkeys(parts, -1.0), lo=0.0, hi=0.0)
    for part, z, multiplier in zip(parts, choice, stairs.multipliers, strict=True):
        m.lp.row({part: 1.0, z: -bound}, hi=0.0)
        plus(into[(c, period.id)], {part: multiplier * base})
        plus(m.salvage, {part: multiplier * base * credit})


def add_learning(m: Model) -> None:
    """Every learning process: its pools, staircase and multiplied costs."""
    for process, rule in m.world.learning.items():
        pools = learning_pools(m, process, rule)
        if not pools:
            continue
        lowest = min(initial_experience(m, process, rule, pool) for pool in pools)
        stairs = staircase(rule, lowest)
        for pool in pools:
            add_pool(m, process, rule, pool, stairs)


def build_model(world: World, mode: str, regime: str, countries: list[str]) -> Model:
    """The whole LP/MILP of one model, family by family."""
    members = [c for c in world.members if c in countries]
    m = Model(world, mode, regime, countries, members)
    add_resources(m)
    add_builds(m)
    add_activity(m)
    add_links(m)
    add_outside_supply(m)
    add_deliveries(m)
    add_balances(m)
    add_learning(m)
    if mode == "max_capability":
        add_budgets(m)
    return m


# Solving and reading the plan.


@dataclass(frozen=True)
class PeriodFigures:
    """One period's figures: spend in the period, capability and shortfall per year."""

    period: str
    year: int
    cost: float
    capability: float
    shortfall: float


@dataclass(frozen=True)
class CountryFigures:
    """One country's totals (over the horizon) and its per-period figures."""

    country: str
    member: bool
    cost: float
    capability: float
    shortfall: float
    periods: list[PeriodFigures]


@dataclass(frozen=True)
class LearningEntry:
    """One process, pool and period: experience at the period's start and its multiplier."""

    process: str
    pool: tuple[str, ...]
    period: str
    experience: float
    multiplier: float


@dataclass(frozen=True)
class LagEntry:
    """One member and period: generations behind the frontier and the node gap in years."""

    country: str
    period: str
    generations_behind: int | None
    node_gap_years: float | None


@dataclass(frozen=True)
class CapabilityLag:
    """How many years national stacks take to reach the coalition's capability."""

    country: str
    period: str
    years: float | None
    reached: bool


@dataclass
class Outcome:
    """One run of the contract (mode x regime); figures are None without a plan."""

    status: str
    objective: float | None = None
    total_cost: float | None = None
    total_capability: float | None = None
    total_shortfall: float | None = None
    discounted_cost: float | None = None
    """The discounted cost without penalty, after salvage."""
    salvage: float | None = None
    periods: list[PeriodFigures] = field(default_factory=list)
    countries: dict[str, CountryFigures] = field(default_factory=dict)
    world_imports: float | None = None
    backstop: float | None = None
    world_imports_by: dict[tuple[str, str], float] = field(default_factory=dict)
    """(country, commodity) -> units over the horizon."""
    backstop_by: dict[tuple[str, str], float] = field(default_factory=dict)
    learning: list[LearningEntry] = field(default_factory=list)
    lags: list[LagEntry] = field(default_factory=list)
    activity: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """(country, process, period) -> activity per year."""
    new_capacity: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """(country, process, start period) -> new capacity started."""


def second_stage(m: Model, capability: Terms, best: float) -> tuple[str, list[float]]:
    """The cheapest plan holding the weighted capability at its optimum (see "Readings")."""
    cost = discounted_cost(m)
    if best <= 1e-9:
        return m.lp.solve(cost)
    hold = {col: w / best for col, w in capability.items()}
    for slack in (0.0, 1e-9, 1e-6):
        status, x = m.lp.solve(cost, [(1.0 - slack, INF, hold)])
        if status == "optimal":
            return status, x
    return "error", []


def solve_model(world: World, mode: str, regime: str, countries: list[str]) -> Outcome:
    """Build, solve (two stages in max_capability) and read one model."""
    m = build_model(world, mode, regime, countries)
    target = {(c, k, pid): float(world.targets[pid][(c, k)]["amount"]) for c, k, pid in m.deliver}
    weight = {p.id: p.weight for p in world.periods}
    if mode == "min_cost":
        cost = discounted_cost(m)
        for (_, _, pid), col in m.deliver.items():
            plus(cost, {col: -world.penalty * weight[pid]})
        status, x = m.lp.solve(cost)
        offset = world.penalty * sum(weight[key[2]] * a for key, a in target.items())
        objective = value(cost, x) + offset if status == "optimal" else None
    else:
        capability = {
            col: weight[pid] * float(world.targets[pid][(c, k)]["weight"])
            for (c, k, pid), col in m.deliver.items()
        }
        status, x = m.lp.solve({col: -w for col, w in capability.items()})
        objective = value(capability, x) if status == "optimal" else None
        if status == "optimal" and objective is not None:
            status, x = second_stage(m, capability, objective)
    if status != "optimal":
        return Outcome(status)
    return read_outcome(m, x, objective, target)


def per_period(m: Model, x: Sequence[float], target: dict[tuple[str, str, str], float]) -> dict:
    """(country, period) -> (spend, capability per year, shortfall per year)."""
    figures = {}
    for c in m.countries:
        for period in m.world.periods:
            delivered = {
                k: x[col] for k, col in m.deliver.items() if k[0] == c and k[2] == period.id
            }
            short = sum(max(0.0, target[key] - v) for key, v in delivered.items())
            figures[(c, period.id)] = (
                value(spend(m, c, period), x),
                sum(delivered.values()),
                short,
            )
    return figures


def read_outcome(m: Model, x: Sequence[float], objective: float | None, target: dict) -> Outcome:
    """Every figure of the contract from one solved plan."""
    figures = per_period(m, x, target)
    periods = [
        PeriodFigures(
            p.id,
            p.year,
            sum(figures[(c, p.id)][0] for c in m.countries),
            sum(figures[(c, p.id)][1] for c in m.countries),
            sum(figures[(c, p.id)][2] for c in m.countries),
        )
        for p in m.world.periods
    ]
    countries = {c: country_figures(m, c, figures) for c in m.countries}
    length = {p.id: p.length for p in m.world.periods}
    imports = horizon_units(m.world_imports, x, length)
    backstop = horizon_units(m.backstop, x, length)
    return Outcome(
        status="optimal",
        objective=objective,
        total_cost=sum(p.cost for p in periods),
        total_capability=sum(p.capability * length[p.period] for p in periods),
        total_shortfall=sum(p.shortfall * length[p.period] for p in periods),
        discounted_cost=value(discounted_cost(m), x),
        salvage=value(m.salvage, x),
        periods=periods,
        countries=countries,
        world_imports=sum(imports.values()),
        backstop=sum(backstop.values()),
        world_imports_by=imports,
        backstop_by=backstop,
        learning=[learning_entry(pool, x) for pool in m.pools],
        lags=[lag_entry(m, c, p, x) for c in m.members for p in m.world.periods],
        activity={key: x[col] for key, col in m.act.items()},
        new_capacity={key: x[col] for key, col in m.new.items()},
    )


def country_figures(m: Model, c: str, figures: dict) -> CountryFigures:
    """One country's totals over the horizon: spend, and per year figures times length."""
    periods = [PeriodFigures(p.id, p.year, *figures[(c, p.id)]) for p in m.world.periods]
    length = {p.id: p.length for p in m.world.periods}
    return CountryFigures(
        c,
        c in m.world.members,
        sum(p.cost for p in periods),
        sum(p.capability * length[p.period] for p in periods),
        sum(p.shortfall * length[p.period] for p in periods),
        periods,
    )


def horizon_units(
    columns: dict[tuple[str, str, str], int], x: Sequence[float], length: dict[str, int]
) -> dict[tuple[str, str], float]:
    """(country, commodity) -> units over the horizon (per year times length)."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for (c, k, pid), col in columns.items():
        out[(c, k)] += x[col] * length[pid]
    return dict(out)


def learning_entry(pool: LearningPool, x: Sequence[float]) -> LearningEntry:
    """The experience of one pool at a period's start and its segment's multiplier."""
    experience = pool.initial + value(pool.experience, x)
    segment = pool.stairs.segment_of(experience)
    return LearningEntry(
        pool.process, pool.pool, pool.period, experience, pool.stairs.multipliers[segment]
    )


def generation_use(m: Model, c: str, pid: str, x: Sequence[float]) -> dict[str, float]:
    """Generation -> ``sum in[p,k] act[c,p,t]`` over the commodities of that generation."""
    use: dict[str, float] = defaultdict(float)
    for (country, p, period), col in m.act.items():
        if country == c and period == pid:
            for k, amount in m.world.recipe[p]:
                generation = m.world.commodities[k]["generation"]
                if amount < 0 and generation is not None:
                    use[str(generation)] += -amount * x[col]
    return use


def lag_entry(m: Model, c: str, period: Period, x: Sequence[float]) -> LagEntry:
    """Generations behind the frontier, and the node gap in years, of one member."""
    frontier_year = m.world.frontier
    ranked = sorted(frontier_year, key=lambda g: frontier_year[g])
    rank = {g: i + 1 for i, g in enumerate(ranked)}
    reached = [g for g in ranked if frontier_year[g] <= period.year]
    use = generation_use(m, c, period.id, x)
    total = sum(use.values())
    used = [g for g, u in use.items() if total > 1e-9 and u >= 0.01 * total]
    if not reached or not used:
        return LagEntry(c, period.id, None, None)
    frontier = reached[-1]
    newest = max(used, key=lambda g: rank[g])
    return LagEntry(
        c,
        period.id,
        rank[frontier] - rank[newest],
        frontier_year[frontier] - frontier_year[newest],
    )


def combine(outcomes: Sequence[Outcome]) -> Outcome:
    """National stacks: the sum of every member solved alone."""
    for outcome in outcomes:
        if outcome.status != "optimal":
            return Outcome(outcome.status)
    if not outcomes:
        return Outcome("optimal", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, world_imports=0.0, backstop=0.0)

    def total(name: str) -> float:
        return sum(getattr(o, name) for o in outcomes)

    first = outcomes[0]
    periods = [
        PeriodFigures(
            p.period,
            p.year,
            sum(o.periods[i].cost for o in outcomes),
            sum(o.periods[i].capability for o in outcomes),
            sum(o.periods[i].shortfall for o in outcomes),
        )
        for i, p in enumerate(first.periods)
    ]
    return Outcome(
        status="optimal",
        objective=total("objective"),
        total_cost=total("total_cost"),
        total_capability=total("total_capability"),
        total_shortfall=total("total_shortfall"),
        discounted_cost=total("discounted_cost"),
        salvage=total("salvage"),
        periods=periods,
        countries={c: f for o in outcomes for c, f in o.countries.items()},
        world_imports=total("world_imports"),
        backstop=total("backstop"),
        world_imports_by={k: v for o in outcomes for k, v in o.world_imports_by.items()},
        backstop_by={k: v for o in outcomes for k, v in o.backstop_by.items()},
        learning=[e for o in outcomes for e in o.learning],
        lags=[e for o in outcomes for e in o.lags],
        activity={k: v for o in outcomes for k, v in o.activity.items()},
        new_capacity={k: v for o in outcomes for k, v in o.new_capacity.items()},
    )


def model_countries(world: World, regime: str) -> list[str]:
    """The countries of a coalition or open model, in Countries order (see "Readings")."""
    if regime == "open":
        return list(world.countries)
    linked = {
        c
        for period in world.periods
        for _, i, j in regime_links(world, regime, period.id)
        for c in (i, j)
    }
    return [c for c in world.countries if c in world.members or c in linked]


def reference(tables: Tables, mode: str, regime: str) -> Outcome:
    """One run of the contract.

    Args:
        tables: the scenario as plain tables (see the module docstring).
        mode: ``min_cost`` or ``max_capability``.
        regime: ``national``, ``coalition`` or ``open``; national is the sum of every
            member solved alone.

    Returns:
        The run's :class:`Outcome`.
    """
    assert mode in MODES and regime in REGIMES, (mode, regime)
    world = read_world(tables)
    if regime == "national":
        return combine([solve_model(world, mode, regime, [c]) for c in world.members])
    return solve_model(world, mode, regime, model_countries(world, regime))


def capability_lags(
    national_outcome: Outcome, coalition_outcome: Outcome, tables: Tables
) -> list[CapabilityLag]:
    """The max_capability lag of national stacks behind the coalition, per member and period.

    ``lag = min{tau in [y_1, y_T] : K_nat(tau) >= K_coal(t)} - y_t``, with ``K_nat``
    interpolated linearly between period start years; None and ``reached`` False where
    national stacks never get there within the horizon.

    Args:
        national_outcome: the national max_capability run.
        coalition_outcome: the coalition max_capability run.
        tables: the scenario both were solved from.

    Returns:
        One entry per member and period, members in Countries order.
    """
    world = read_world(tables)
    years = [float(p.year) for p in world.periods]
    lags = []
    for c in world.members:
        national = [f.capability for f in national_outcome.countries[c].periods]
        for i, figure in enumerate(coalition_outcome.countries[c].periods):
            tau = first_reach(years, national, figure.capability)
            reached = tau is not None
            lags.append(
                CapabilityLag(c, figure.period, tau - years[i] if reached else None, reached)
            )
    return lags


def first_reach(years: Sequence[float], values: Sequence[float], goal: float) -> float | None:
    """The first year at which the piecewise-linear curve through the points reaches goal."""
    slack = 1e-7 * (1 + abs(goal))
    if values[0] >= goal - slack:
        return years[0]
    for (y0, v0), (y1, v1) in itertools.pairwise(zip(years, values, strict=True)):
        if v1 >= goal - slack:
            share = 1.0 if v1 - v0 <= 0 else min(1.0, max(0.0, (goal - v0) / (v1 - v0)))
            return y0 + share * (y1 - y0)
    return None


def runs(tables: Tables) -> dict[tuple[str, str], Outcome]:
    """All six runs, keyed by (mode, regime)."""
    return {(mode, regime): reference(tables, mode, regime) for mode in MODES for regime in REGIMES}


__all__ = [
    "CapabilityLag",
    "CountryFigures",
    "LagEntry",
    "LearningEntry",
    "Outcome",
    "PeriodFigures",
    "Tables",
    "capability_lags",
    "reference",
    "runs",
]
