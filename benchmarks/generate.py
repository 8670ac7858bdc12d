"""Seeded synthetic scenario workbooks of growing size, for the benchmarks.

Run ``.venv/bin/python benchmarks/generate.py --countries 10,50,100,200 --out DIR`` to
write one workbook per size; :mod:`benchmarks.run` calls :func:`write_workbook` itself.

Contract: :func:`generate` turns a :class:`World` (countries, members, seed, whether new
builds carry fixed costs) into the rows of every contract sheet, and :func:`write_workbook`
writes them as a scenario workbook in the format of ``/work/shared/DESIGN.md`` (one sheet
per contract sheet, a header row, one record per row). The same world gives the same cell
values on every machine: all randomness comes from one :class:`random.Random` seeded with
``World.seed`` and every number is rounded before it is written.

The world is a ten-commodity, eight-process AI stack (minerals, energy, talent and capital
-> refined inputs -> wafers -> chips -> compute -> models -> capability) built so that the
comparison is meaningful and the solver has real work:

- countries differ in size (log-normal) and in what they hold: minerals in about a third
  of them, fabs and wafer plants in few, data centres and labs in many;
- the members' capacity, summed along the stack, is sized against their summed targets
  (about 0.9 to 1.3 times the need at each layer), so the coalition meets most targets
  while a member alone usually lacks some layer and falls short or builds dear;
- some members may build a missing layer from scratch at a high cost (with ``fixed_costs``
  such greenfield builds and large fab expansions carry a fixed cost and a minimum scale,
  so the model has binaries);
- the Links sheet bans a few member pairs (some for every commodity, some for one) and
  opens capped, dearer links from non-members that mine, refine or fabricate to a few
  members, so the coalition model also holds those non-members.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from planner.io.write import Table
from planner.io.write import write_tables as write_sheets

Row = dict[str, str | float | int | None]
"""One record of a sheet: contract column -> cell value (None leaves the cell blank)."""

Tables = dict[str, list[Row]]
"""Contract sheet name -> its records, in sheet order."""

SIZES: Final = (10, 50, 100, 200)
"""The numbers of countries the benchmark worlds have."""

MAX_MEMBERS: Final = 50

# (id, unit, kind, tradable, trade cost per unit shipped)
COMMODITIES: Final = (
    ("minerals", "kt", "resource", "yes", 0.3),
    ("energy", "TWh", "resource", "no", None),
    ("talent", "k engineers", "resource", "no", None),
    ("capital", "USD bn", "resource", "no", None),
    ("refined", "kt", "product", "yes", 0.3),
    ("wafers", "k wafers", "product", "yes", 0.2),
    ("chips", "M chips", "product", "yes", 0.2),
    ("compute", "EFLOP-years", "product", "yes", 0.5),
    ("models", "model units", "product", "yes", 0.1),
    ("capability", "capability units", "capability", "no", None),
)

# process -> (layer, description, activity cost, {commodity: amount}, negative = input)
PROCESSES: Final[dict[str, tuple[str, str, float, dict[str, float]]]] = {
    "refining": (
        "materials",
        "Refines mined minerals into high-purity inputs.",
        1.0,
        {"minerals": -1.2, "energy": -0.5, "refined": 1.0},
    ),
    "recycling": (
        "materials",
        "Recovers refined inputs from scrap: no minerals, much energy.",
        2.0,
        {"energy": -1.5, "capital": -0.3, "refined": 0.6},
    ),
    "wafering": (
        "wafers",
        "Grows and slices silicon wafers.",
        2.0,
        {"refined": -1.0, "energy": -0.5, "wafers": 1.0},
    ),
    "fabrication": (
        "chips",
        "Front-end fab and packaging of AI accelerators.",
        5.0,
        {"wafers": -1.0, "energy": -1.0, "talent": -0.2, "capital": -0.5, "chips": 1.0},
    ),
    "data_centre": (
        "compute",
        "Runs accelerators as compute.",
        1.0,
        {"chips": -0.5, "energy": -2.0, "capital": -0.2, "compute": 1.0},
    ),
    "training": (
        "models",
        "Trains frontier models.",
        2.0,
        {"compute": -2.0, "talent": -0.3, "models": 1.0},
    ),
    "deployment": (
        "capability",
        "Serves models as usable capability.",
        1.0,
        {"models": -0.5, "compute": -1.0, "energy": -0.5, "capability": 1.0},
    ),
    "research": (
        "capability",
        "Capability from research labs: talent-heavy, no trained models needed.",
        3.0,
        {"talent": -1.0, "compute": -1.0, "capability": 0.4},
    ),
}

NEED_PER_CAPABILITY: Final = {
    "refining": 1.0,
    "recycling": 0.15,
    "wafering": 1.0,
    "fabrication": 1.0,
    "data_centre": 2.0,
    "training": 0.5,
    "deployment": 1.0,
    "research": 0.3,
}
"""Activity per unit of capability delivered through deployment (research is an extra
route, recycling a minor one): what the members' summed capacity is sized against."""

PRESENCE: Final = {
    "refining": 0.30,
    "recycling": 0.15,
    "wafering": 0.15,
    "fabrication": 0.10,
    "data_centre": 0.60,
    "training": 0.35,
    "deployment": 0.60,
    "research": 0.40,
}
"""Share of countries that have each process (a Capacity row); every member deploys."""

RESOURCE_PRESENCE: Final = {"minerals": 0.35, "energy": 1.0, "talent": 1.0, "capital": 1.0}

RESOURCE_SCALE: Final = {
    # commodity -> (units per unit of country size, cost range)
    "minerals": (240.0, (0.5, 2.0)),
    "energy": (600.0, (0.2, 1.0)),
    "talent": (80.0, (1.0, 3.0)),
    "capital": (250.0, (0.05, 0.2)),
}

TARGET_PER_SIZE: Final = 40.0
"""A member's capability target per unit of country size."""

SHORTFALL_PENALTY: Final = 200.0

LINK_MARKUP: Final = 1.5
"""Links from non-members cost this many times the commodity's trade_cost."""


@dataclass(frozen=True)
class World:
    """What to generate.

    Attributes:
        countries: how many countries.
        members: how many of them are coalition members; None for
            ``min(50, max(2, countries // 2))``.
        seed: the seed of every random draw.
        fixed_costs: whether greenfield builds and large expansions of wafer plants and
            fabs carry a fixed cost and a minimum scale (binary build decisions).
    """

    countries: int
    members: int | None = None
    seed: int = 2026
    fixed_costs: bool = False
    periods: int = 1
    """With more than 1: a Periods sheet of two-year periods from 2026, a discount rate of
    5%, targets growing 15% a period (one Targets row per member and period), new builds
    with a lead time of one year and a lifetime of eight (Version 2)."""

    @property
    def member_count(self) -> int:
        """The number of members the world has."""
        if self.members is not None:
            return min(self.members, self.countries)
        return min(MAX_MEMBERS, max(2, self.countries // 2))

    @property
    def name(self) -> str:
        """The scenario's name, e.g. ``synthetic-200c-50m-s2026``."""
        fixed = "-fixed" if self.fixed_costs else ""
        periods = f"-{self.periods}p" if self.periods > 1 else ""
        return f"synthetic-{self.countries}c-{self.member_count}m-s{self.seed}{fixed}{periods}"


@dataclass(frozen=True)
class _Country:
    id: str
    size: float
    member: bool


def _round(value: float, digits: int = 2) -> float:
    return float(round(value, digits))


def _countries(world: World, rng: random.Random) -> list[_Country]:
    ids = [f"C{n:03d}" for n in range(1, world.countries + 1)]
    sizes = [min(5.0, max(0.2, rng.lognormvariate(0.0, 0.8))) for _ in ids]
    members = set(rng.sample(ids, world.member_count))
    return [_Country(c, _round(s), c in members) for c, s in zip(ids, sizes, strict=True)]


def _resources(countries: Sequence[_Country], rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for country in countries:
        for commodity, share in RESOURCE_PRESENCE.items():
            if rng.random() >= share:
                continue
            scale, (low, high) = RESOURCE_SCALE[commodity]
            rows.append(
                {
                    "country": country.id,
                    "commodity": commodity,
                    "available": _round(scale * country.size * rng.uniform(0.5, 1.5), 1),
                    "cost": _round(rng.uniform(low, high)),
                }
            )
    return rows


def _hosts(
    countries: Sequence[_Country], rng: random.Random, resources: Sequence[Row]
) -> dict[str, list[_Country]]:
    """Which countries have each process; every process has at least two members.

    Refining goes mostly where minerals are; the other processes are spread at random.
    """
    miners = {r["country"] for r in resources if r["commodity"] == "minerals"}
    members = [c for c in countries if c.member]
    hosts: dict[str, list[_Country]] = {}
    for process, share in PRESENCE.items():
        chosen = [
            c
            for c in countries
            if (process == "deployment" and c.member)
            or rng.random() < (0.8 if process == "refining" and c.id in miners else share)
        ]
        for extra in rng.sample(members, min(2, len(members))):
            if extra not in chosen:
                chosen.append(extra)
        hosts[process] = sorted(chosen, key=lambda c: c.id)
    return hosts


def _capacity_rows(
    hosts: Mapping[str, Sequence[_Country]],
    targets: Mapping[str, float],
    fixed: random.Random | None,
    rng: random.Random,
) -> list[Row]:
    """Capacity rows sized so the members' total capacity per process is 0.9-1.3 x need.

    Capability is not tradable, so the processes that make it are sized against each
    host's own target (a non-member's: what its size would give); every other host's
    share of the members' total follows its size. Of each row's capacity, 10-50% is room
    to build new (``max_new``), the rest exists. Non-member hosts get capacity on the same
    scale, for the open world and the capped links.
    """
    demand = sum(targets.values())
    rows: list[Row] = []
    for process, chosen in hosts.items():
        cost = PROCESSES[process][2]
        member_size = sum(c.size for c in chosen if c.member) or 1.0
        total = NEED_PER_CAPABILITY[process] * demand * rng.uniform(0.9, 1.3)
        local = PROCESSES[process][0] == "capability"
        for country in chosen:
            if local:
                own = targets.get(country.id, TARGET_PER_SIZE * country.size)
                capacity = NEED_PER_CAPABILITY[process] * own * rng.uniform(0.9, 1.3)
            else:
                capacity = total * country.size / member_size
            growth = rng.uniform(0.1, 0.5)
            row: Row = {
                "country": country.id,
                "process": process,
                "existing": _round(capacity * (1 - growth), 1),
                "cost": _round(cost * rng.uniform(0.8, 1.25)),
                "max_new": _round(capacity * growth, 1),
                "new_cost": _round(cost * rng.uniform(2.0, 4.0)),
            }
            if fixed is not None and process in ("wafering", "fabrication"):
                _add_fixed_cost(row, fixed)
            rows.append(row)
    return rows


def _add_fixed_cost(row: Row, rng: random.Random) -> None:
    max_new = float(row["max_new"] or 0.0)
    row["fixed_cost"] = _round(max_new * rng.uniform(1.0, 3.0))
    row["min_new"] = _round(max_new * rng.uniform(0.2, 0.5), 1)


def _greenfield_rows(
    countries: Sequence[_Country],
    hosts: Mapping[str, Sequence[_Country]],
    fixed: random.Random | None,
    rng: random.Random,
) -> list[Row]:
    """Some members may build a layer they lack, from scratch and dear: a national stack's
    way out, which the coalition rarely needs."""
    rows: list[Row] = []
    for process, chosen in hosts.items():
        present = {c.id for c in chosen}
        for country in countries:
            if not country.member or country.id in present or rng.random() >= 0.75:
                continue
            row: Row = {
                "country": country.id,
                "process": process,
                "existing": 0.0,
                "cost": _round(PROCESSES[process][2] * rng.uniform(1.0, 1.5)),
                "max_new": _round(TARGET_PER_SIZE * country.size * rng.uniform(0.3, 0.8), 1),
                "new_cost": _round(PROCESSES[process][2] * rng.uniform(5.0, 10.0)),
            }
            if fixed is not None:
                _add_fixed_cost(row, fixed)
            rows.append(row)
    return rows


def _targets(countries: Sequence[_Country], rng: random.Random) -> list[Row]:
    return [
        {
            "country": c.id,
            "commodity": "capability",
            "amount": _round(TARGET_PER_SIZE * c.size * rng.uniform(0.7, 1.3), 1),
            "weight": _round(rng.uniform(0.8, 1.2)),
        }
        for c in countries
        if c.member
    ]


def _bans(members: Sequence[_Country], rng: random.Random) -> list[Row]:
    """About 3% of ordered member pairs (at least one) ban one commodity; a quarter of
    them ban every commodity."""
    tradable = [c[0] for c in COMMODITIES if c[3] == "yes"]
    pairs = [(i, j) for i in members for j in members if i is not j]
    banned = [pair for pair in pairs if rng.random() < 0.03]
    if not banned and pairs:
        banned = [rng.choice(pairs)]
    rows: list[Row] = []
    for exporter, importer in banned:
        commodity = "*" if rng.random() < 0.25 else rng.choice(tradable)
        rows.append(
            {
                "exporter": exporter.id,
                "importer": importer.id,
                "commodity": commodity,
                "allowed": "no",
            }
        )
    return rows


_EXPORTS: Final = {
    "refining": "refined",
    "wafering": "wafers",
    "fabrication": "chips",
    "data_centre": "compute",
}


def _partner_links(
    countries: Sequence[_Country],
    hosts: Mapping[str, Sequence[_Country]],
    resources: Sequence[Row],
    rng: random.Random,
) -> list[Row]:
    """Capped, dearer links from about half of the non-members that mine or produce (at
    least one, if any does) to one to three members."""
    trade_cost = {c[0]: c[4] for c in COMMODITIES}
    offers: dict[str, list[str]] = {}
    for row in resources:
        if row["commodity"] == "minerals":
            offers.setdefault(str(row["country"]), []).append("minerals")
    for process, commodity in _EXPORTS.items():
        for country in hosts[process]:
            offers.setdefault(country.id, []).append(commodity)
    members = [c for c in countries if c.member]
    size = {c.id: c.size for c in countries}
    sellers = [c for c in countries if not c.member and c.id in offers]
    linked = [c for c in sellers if rng.random() < 0.5] or sellers[:1]
    rows: list[Row] = []
    for country in linked:
        commodity = rng.choice(offers[country.id])
        for importer in rng.sample(members, min(len(members), rng.randint(1, 3))):
            rows.append(
                {
                    "exporter": country.id,
                    "importer": importer.id,
                    "commodity": commodity,
                    "allowed": "yes",
                    "cost": _round(float(trade_cost[commodity] or 0.0) * LINK_MARKUP),
                    "capacity": _round(rng.uniform(5.0, 25.0) * size[country.id], 1),
                }
            )
    return rows


def generate(world: World) -> Tables:
    """The rows of every contract sheet of a synthetic world.

    Args:
        world: the size, the seed and whether builds have fixed costs.

    Returns:
        Contract sheet name -> records, each a mapping of contract column -> value.
    """
    if world.countries < 2:
        raise ValueError(f"a world needs at least 2 countries, not {world.countries}")
    rng = random.Random(world.seed)
    countries = _countries(world, rng)
    resources = _resources(countries, rng)
    targets = _targets(countries, rng)
    amounts = {str(t["country"]): float(t["amount"] or 0.0) for t in targets}
    hosts = _hosts(countries, rng, resources)
    # fixed costs come from a stream of their own, so that a world with fixed costs is
    # the same world as without them, plus its fixed_cost and min_new
    fixed = random.Random(f"{world.seed}-fixed-costs") if world.fixed_costs else None
    capacity = _capacity_rows(hosts, amounts, fixed, rng)
    capacity += _greenfield_rows(countries, hosts, fixed, rng)
    capacity.sort(key=lambda r: (str(r["country"]), list(PROCESSES).index(str(r["process"]))))
    members = [c for c in countries if c.member]
    links = _bans(members, rng) + _partner_links(countries, hosts, resources, rng)
    tables = {
        "Scenario": _scenario_rows(world),
        "Countries": [
            {
                "country": c.id,
                "member": "yes" if c.member else "no",
                "budget": _round(TARGET_PER_SIZE * c.size * rng.uniform(20.0, 35.0), 1)
                if c.member
                else None,
            }
            for c in countries
        ],
        "Commodities": [
            {"commodity": k, "unit": unit, "kind": kind, "tradable": tradable, "trade_cost": cost}
            for k, unit, kind, tradable, cost in COMMODITIES
        ],
        "Resources": resources,
        "Processes": [
            {"process": p, "layer": layer, "description": text}
            for p, (layer, text, _, _) in PROCESSES.items()
        ],
        "Recipe": _recipe_rows(),
        "Capacity": capacity,
        "Targets": targets,
        "Links": links,
    }
    if world.periods > 1:
        _spread_over_periods(tables, world.periods)
    return tables


PERIOD_YEARS: Final = 2
"""The length of each period of a multi-period world."""


def _spread_over_periods(tables: Tables, periods: int) -> None:
    """Make a world multi-period (see :attr:`World.periods`); no new random draw, so the
    first period is the one-period world's."""
    years = [2026 + PERIOD_YEARS * t for t in range(periods)]
    tables["Periods"] = [{"period": y, "year": y, "length": PERIOD_YEARS} for y in years]
    tables["Scenario"].append({"key": "discount_rate", "value": 0.05})
    tables["Targets"] = [
        {**row, "amount": _round(float(row["amount"] or 0.0) * 1.15**t, 2), "period": y}
        for t, y in enumerate(years)
        for row in tables["Targets"]
    ]
    for row in tables["Capacity"]:
        if row.get("max_new"):
            row["lead_time"] = 1
            row["lifetime"] = 8


def _scenario_rows(world: World) -> list[Row]:
    description = (
        f"Synthetic benchmark world: {world.countries} countries, {world.member_count} "
        f"members, seed {world.seed}" + (", fixed build costs." if world.fixed_costs else ".")
    )
    return [
        {"key": "name", "value": world.name},
        {"key": "description", "value": description},
        {"key": "currency", "value": "USD bn"},
        {"key": "shortfall_penalty", "value": SHORTFALL_PENALTY},
    ]


def _recipe_rows() -> list[Row]:
    return [
        {
            "process": process,
            "commodity": commodity,
            "role": "output" if amount > 0 else "input",
            "amount": abs(amount),
        }
        for process, (_, _, _, lines) in PROCESSES.items()
        for commodity, amount in lines.items()
    ]


def _columns(rows: Sequence[Row]) -> list[str]:
    """The columns used by any row, in first-seen order."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def write_tables(tables: Tables, path: Path | str) -> Path:
    """Write contract tables as a workbook through :func:`planner.io.write.write_tables`
    (one sheet each, header in row 1, text guarded against formulas, written atomically).

    Args:
        tables: contract sheet name -> records.
        path: the ``.xlsx`` file to write (its folder must exist).

    Returns:
        The path written.
    """
    sheets = {}
    for name, rows in tables.items():
        columns = tuple(_columns(rows) or ["key", "value"])
        sheets[name] = Table(columns, tuple(tuple(row.get(c) for c in columns) for row in rows))
    return write_sheets(sheets, path)


def write_workbook(world: World, path: Path | str) -> Path:
    """Generate a world and write it as a scenario workbook.

    Args:
        world: the size, the seed and whether builds have fixed costs.
        path: the ``.xlsx`` file to write.

    Returns:
        The path written.
    """
    return write_tables(generate(world), path)


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Write one synthetic workbook per size into a folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--countries", type=_sizes, default=list(SIZES), help="e.g. 10,50,200")
    parser.add_argument("--members", type=int, default=None, help="default: min(50, n/2)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fixed-costs", action="store_true", help="binary build decisions")
    parser.add_argument("--periods", type=int, default=1, help="periods of two years")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/workbooks"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for countries in args.countries:
        world = World(countries, args.members, args.seed, args.fixed_costs, args.periods)
        path = write_workbook(world, args.out / f"{world.name}.xlsx")
        rows = sum(len(rows) for rows in generate(world).values())
        print(f"{path}: {rows} rows, {math.ceil(path.stat().st_size / 1024)} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
