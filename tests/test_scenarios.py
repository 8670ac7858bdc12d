"""The bundled scenarios: hand-derived tutorial optima, sanity checks on the Pax Silica
workbooks (every run solves, national stacks deliver, the first period alone solves,
every number traces to a source and every estimate is swept), and the committed
workbooks kept up to date with their CSV data.

Scenarios are built from the CSV files in ``scenarios/data`` by the generator's own loader
(``scenarios/build_scenarios.py``), the same tables the workbooks are written from.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import flat
from openpyxl import load_workbook

from planner.model.build import build, setting_for
from planner.model.solve import Solution, Status, solve
from planner.scenario.edits import without_rows
from planner.scenario.horizon import rows_in
from planner.scenario.schema import RECORD_MODELS, Mode, Regime, Scenario
from planner.scenario.sheets import (
    SAMPLING_KEYS,
    SCENARIO_KEYS,
    SHEETS,
    UNCERTAIN_SHEETS,
    Cell,
)

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_scenarios", SCENARIOS / "build_scenarios.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_scenarios", module)
    spec.loader.exec_module(module)
    return module


generator = _generator()

RUNS = [(mode, regime) for mode in Mode for regime in Regime]
Record = dict[str, str]


@cache
def scenario(workbook: str) -> Scenario:
    """The scenario of a bundled workbook, from its CSV data."""
    result: Scenario = generator.scenario(workbook)
    return result


@cache
def run(workbook: str, mode: Mode, regime: Regime) -> Solution:
    """One solved run of a bundled scenario (each solved once per test session)."""
    s = scenario(workbook)
    return flat(solve(build(s, setting_for(s, regime, mode))))


def total_cost(solution: Solution) -> float:
    """Total spend of a run, excluding the shortfall penalty."""
    return sum(solution.spend.values())


def total_capability(solution: Solution) -> float:
    """Capability delivered in a run, over every member and target."""
    return sum(solution.deliver.values())


# --- Tutorial 1: comparative advantage -------------------------------------------------

TRADE = "tutorial_comparative_advantage.xlsx"


@pytest.mark.parametrize(
    ("mode", "regime", "objective", "cost", "capability"),
    [
        (Mode.MIN_COST, Regime.NATIONAL, 3480.0, 480.0, 40.0),
        (Mode.MIN_COST, Regime.COALITION, 470.0, 470.0, 100.0),
        (Mode.MIN_COST, Regime.OPEN, 470.0, 470.0, 100.0),
        (Mode.MAX_CAPABILITY, Regime.NATIONAL, 30.0, 360.0, 30.0),
        (Mode.MAX_CAPABILITY, Regime.COALITION, 120.0, 690.0, 120.0),
        (Mode.MAX_CAPABILITY, Regime.OPEN, 120.0, 690.0, 120.0),
    ],
)
def test_comparative_advantage_optima(
    mode: Mode, regime: Regime, objective: float, cost: float, capability: float
) -> None:
    """Unit costs per unit of capability (scenarios/README.md, tutorial 1):

    Oreland alone 1 + 1 + 8 + 1 + 1 = 12; Chipland's capability from Oreland's ore
    1 + 1 + 0.5 + 1 + 1 = 4.5; Oreland's from Chipland's fab 4.5 + 0.5 = 5.

    min_cost national: Oreland 40 x 12 = 480, Chipland all 60 short at 50: 480 + 3000.
    min_cost coalition and open: 60 x 4.5 + 40 x 5 = 470.
    max_capability national: Oreland 360 / 12 = 30, Chipland 0.
    max_capability coalition and open: 100 at 4.5 = 450, then (690 - 450) / 12 = 20 more.
    """
    solution = run(TRADE, mode, regime)
    assert solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(objective)
    assert total_cost(solution) == pytest.approx(cost)
    assert total_capability(solution) == pytest.approx(capability)


def test_comparative_advantage_plans() -> None:
    """Alone, Oreland builds its own fab; together, Chipland's fab serves both, and only
    with a pooled budget beyond what Chipland's fab can use does Oreland build one."""
    national = run(TRADE, Mode.MIN_COST, Regime.NATIONAL)
    assert national.new[("ORELAND", "fabrication")] == pytest.approx(40.0)
    assert national.deliver.get(("CHIPLAND", "capability"), 0.0) == pytest.approx(0.0)
    coalition = run(TRADE, Mode.MIN_COST, Regime.COALITION)
    assert coalition.new[("ORELAND", "fabrication")] == pytest.approx(0.0)
    assert coalition.ship[("refined", "ORELAND", "CHIPLAND")] == pytest.approx(100.0)
    assert coalition.ship[("chips", "CHIPLAND", "ORELAND")] == pytest.approx(40.0)
    pooled = run(TRADE, Mode.MAX_CAPABILITY, Regime.COALITION)
    assert pooled.deliver[("CHIPLAND", "capability")] == pytest.approx(100.0)
    assert pooled.deliver[("ORELAND", "capability")] == pytest.approx(20.0)
    assert pooled.new[("ORELAND", "fabrication")] == pytest.approx(20.0)


# --- Tutorial 2: economies of scale ----------------------------------------------------

SCALE = "tutorial_scale.xlsx"


@pytest.mark.parametrize(
    ("mode", "regime", "objective", "cost", "capability"),
    [
        (Mode.MIN_COST, Regime.NATIONAL, 1000.0, 0.0, 0.0),
        (Mode.MIN_COST, Regime.COALITION, 860.0, 860.0, 100.0),
        (Mode.MIN_COST, Regime.OPEN, 860.0, 860.0, 100.0),
        (Mode.MAX_CAPABILITY, Regime.NATIONAL, 0.0, 0.0, 0.0),
        (Mode.MAX_CAPABILITY, Regime.COALITION, 125.0, 900.0, 125.0),
        (Mode.MAX_CAPABILITY, Regime.OPEN, 125.0, 900.0, 125.0),
    ],
)
def test_scale_optima(
    mode: Mode, regime: Regime, objective: float, cost: float, capability: float
) -> None:
    """(scenarios/README.md, tutorial 2)

    min_cost national: North's own fab costs 500 + 100 + 40 + 40 = 680 > 40 x 10 of
    penalty (East and West: 760 > 300): all 100 short, objective 1000.
    min_cost coalition and open: one fab of 100 in North, 500 + 100 + 100 + 100 + 60 = 860.
    max_capability national: no budget of 300 covers a fixed cost of 500: 0.
    max_capability coalition and open: 500 + 3 x 100 = 800, then 100 / 4 = 25 more.
    """
    solution = run(SCALE, mode, regime)
    assert solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(objective)
    assert total_cost(solution) == pytest.approx(cost, abs=1e-6)
    assert total_capability(solution) == pytest.approx(capability, abs=1e-6)


def test_scale_builds_one_fab_in_north() -> None:
    """The coalition builds exactly one fab, North's, at its minimum scale in min_cost and
    at 125 in max_capability, and ships chips to the two others."""
    for mode, size in ((Mode.MIN_COST, 100.0), (Mode.MAX_CAPABILITY, 125.0)):
        solution = run(SCALE, mode, Regime.COALITION)
        assert {k for k, v in solution.build.items() if v} == {("NORTH", "fabrication")}
        assert solution.new[("NORTH", "fabrication")] == pytest.approx(size)
    min_cost = run(SCALE, Mode.MIN_COST, Regime.COALITION)
    assert min_cost.ship[("chips", "NORTH", "EAST")] == pytest.approx(30.0)
    assert min_cost.ship[("chips", "NORTH", "WEST")] == pytest.approx(30.0)
    pooled = run(SCALE, Mode.MAX_CAPABILITY, Regime.COALITION)
    assert pooled.deliver[("NORTH", "capability")] == pytest.approx(100.0)


# --- Pax Silica: every run solves, and the figures survive a sanity read --------------

PAX = ["pax_silica.xlsx", "pax_silica_founders.xlsx", "pax_silica_trusted.xlsx"]
"""The membership variants whose six runs are solved (the other two differ from the
default only in national_scope or in the learning pools; they are solved where that matters)."""
DEFAULT = PAX[0]
PAX_VARIANTS = [v for v in generator.variants() if v.folder.name == "pax_silica"]
MINERALS = ("gallium", "germanium", "rare_earths", "lithium", "cobalt", "copper", "graphite")
NODES = ("n7", "n5", "n3", "n2")
TOLERANCE = 1e-6
GAP = 1e-6
"""Relative slack for comparing the objectives of two MILPs (learning makes them MILPs;
HiGHS stops at a relative gap of 1e-7)."""


@cache
def solved(workbook: str, mode: Mode, regime: Regime) -> Solution:
    """One run of a bundled scenario without shadow prices, keyed by period (solved once
    per test session)."""
    s = scenario(workbook)
    return solve(build(s, setting_for(s, regime, mode)), prices=False)


def objective(workbook: str, mode: Mode, regime: Regime) -> float:
    solution = solved(workbook, mode, regime)
    assert solution.status is Status.OPTIMAL and solution.objective is not None
    return solution.objective


def at_most(smaller: float, larger: float) -> bool:
    """``smaller <= larger`` up to the MIP gap of either."""
    return smaller <= larger + GAP * max(1.0, abs(smaller), abs(larger))


def test_pax_silica_is_sized_as_the_issue_asks() -> None:
    """Roughly 20-30 countries, the main non-members present, the seven minerals, energy
    and talent as resources; five two-year periods from 2026 to 2034; nodes N7 (on DUV),
    N5, N3 and N2, each with its installed fabs, new fabs, wafers and data centres, and
    fab learning on N3 and N2."""
    s = scenario(DEFAULT)
    countries = set(s.country_by_id)
    assert 20 <= len(countries) <= 31
    assert {"CHN", "TWN", "CAN", "BRA", "SAU"} <= countries - set(s.members)
    resources = {k.commodity for k in s.commodities if k.kind == "resource"}
    assert {*MINERALS, "energy", "talent"} <= resources
    assert [(p.year, p.length) for p in s.periods] == [(y, 2) for y in range(2026, 2035, 2)]
    assert [g.generation for g in sorted(s.generations, key=lambda g: g.frontier_year)] == [*NODES]
    processes = {p.process for p in s.processes}
    for node in NODES:
        assert {f"installed_{node}", f"fab_{node}", f"dc_{node}"} <= processes
        assert s.commodity_by_id[f"wafers_{node}"].generation == node
    assert {line.process for line in s.learning} == {"fab_n3", "fab_n2"}


@pytest.mark.parametrize("workbook", PAX)
@pytest.mark.parametrize(("mode", "regime"), RUNS)
def test_pax_runs_are_optimal(workbook: str, mode: Mode, regime: Regime) -> None:
    """Every membership variant solves to optimality in all six runs."""
    assert solved(workbook, mode, regime).status is Status.OPTIMAL


@pytest.mark.parametrize("workbook", [*PAX, TRADE, SCALE])
def test_regimes_are_ordered(workbook: str) -> None:
    """More trade never hurts: in min_cost open <= coalition <= national, in
    max_capability the reverse (objectives: each regime's plans are plans of the next)."""
    cost = {r: objective(workbook, Mode.MIN_COST, r) for r in Regime}
    assert at_most(cost[Regime.OPEN], cost[Regime.COALITION])
    assert at_most(cost[Regime.COALITION], cost[Regime.NATIONAL])
    reach = {r: objective(workbook, Mode.MAX_CAPABILITY, r) for r in Regime}
    assert at_most(reach[Regime.NATIONAL], reach[Regime.COALITION])
    assert at_most(reach[Regime.COALITION], reach[Regime.OPEN])


def test_trusted_partners_never_raise_the_coalitions_cost() -> None:
    """The trusted variant is the current one plus links to Taiwan and Canada (same
    members, same targets), so its coalition can only be cheaper."""
    assert scenario(DEFAULT).targets == scenario("pax_silica_trusted.xlsx").targets
    trusted = objective("pax_silica_trusted.xlsx", Mode.MIN_COST, Regime.COALITION)
    assert at_most(trusted, objective(DEFAULT, Mode.MIN_COST, Regime.COALITION))


def _as_default(workbook: str, **update: Any) -> dict[str, Any]:
    """A variant's scenario with ``update`` applied, as the default's would dump."""
    s = scenario(workbook)
    return s.model_copy(update={"name": "pax_silica", **update}).model_dump(exclude={"description"})


def test_the_variants_differ_from_the_default_only_where_they_say() -> None:
    """Trusted adds Links rows; declared sets national_scope; own_learning pools learning
    by country; founders has seven members, and only their targets and stresses. So each
    variant's comparisons with the default measure what its description says."""
    default = scenario(DEFAULT).model_dump(exclude={"description"})
    assert _as_default("pax_silica_trusted.xlsx", links=()) == default
    assert _as_default("pax_silica_declared.xlsx", national_scope="all") == default
    learning = [r.model_copy(update={"pool": "regime"}) for r in scenario(DEFAULT).learning]
    own = scenario("pax_silica_own_learning.xlsx")
    assert {r.pool for r in own.learning} == {"country"}
    assert _as_default("pax_silica_own_learning.xlsx", learning=tuple(learning)) == default
    founders = scenario("pax_silica_founders.xlsx")
    assert founders.members == ("USA", "JPN", "KOR", "SGP", "GBR", "ISR", "AUS")
    assert {t.country for t in founders.targets} == set(founders.members)
    current = scenario(DEFAULT)
    assert founders.targets == tuple(t for t in current.targets if t.country in founders.members)
    assert [c.country for c in founders.countries] == [c.country for c in current.countries]


def test_declared_sovereignty_only_opens_the_world_market_to_national_stacks() -> None:
    """pax_silica_declared differs only in national_scope: its national stacks may also
        buy what is not sovereign from the world market, so they cost no more and reach no
        less; they must still make compute at home and trade with no one, so they cost no less
    than the coalition, which may also buy from the world."""
    declared = "pax_silica_declared.xlsx"
    cost = objective(declared, Mode.MIN_COST, Regime.NATIONAL)
    assert at_most(cost, objective(DEFAULT, Mode.MIN_COST, Regime.NATIONAL))
    assert at_most(objective(DEFAULT, Mode.MIN_COST, Regime.COALITION), cost)
    reach = objective(declared, Mode.MAX_CAPABILITY, Regime.NATIONAL)
    assert at_most(objective(DEFAULT, Mode.MAX_CAPABILITY, Regime.NATIONAL), reach)
    assert any(
        v > TOLERANCE for v in solved(declared, Mode.MIN_COST, Regime.NATIONAL).wimp.values()
    )
    assert not any(
        v > TOLERANCE for v in solved(DEFAULT, Mode.MIN_COST, Regime.NATIONAL).wimp.values()
    )


def test_a_shared_learning_loop_never_costs_the_coalition_more() -> None:
    """pax_silica_own_learning keeps every country's learning to itself. A pool of the
    whole coalition has at least the experience of each of its members (spillover <= 1),
    so every plan costs it no more: the shared loop's coalition is no dearer."""
    own = objective("pax_silica_own_learning.xlsx", Mode.MIN_COST, Regime.COALITION)
    assert at_most(objective(DEFAULT, Mode.MIN_COST, Regime.COALITION), own)


@pytest.mark.parametrize("mode", list(Mode))
def test_every_members_national_stack_delivers_something(mode: Mode) -> None:
    """National stacks deliver capability in both modes, and each member's own stack
    delivers some in at least one period (El Salvador's builds a fab of about 30 wafers a
    year: new capacity has no minimum efficient scale in this data)."""
    s = scenario(DEFAULT)
    solution = solved(DEFAULT, mode, Regime.NATIONAL)
    delivered: dict[str, float] = dict.fromkeys(s.members, 0.0)
    for (country, _, _), amount in solution.deliver.items():
        delivered[country] = max(delivered[country], amount)
    assert sum(solution.deliver.values()) > 1.0
    assert [m for m, most in delivered.items() if most <= TOLERANCE] == []


def _first_period_only(s: Scenario) -> Scenario:
    """The scenario cut to its first period: the Periods rows of the others go, and with
    them every row that names one of them."""
    later = [p.period for p in s.periods[1:]]
    for sheet, (field, _) in RECORD_MODELS.items():
        if sheet != "Periods" and any(
            getattr(row, "period", None) in later for row in getattr(s, field)
        ):
            s = without_rows(s, sheet, period=later)
    return without_rows(s, "Periods", period=later)


@cache
def first_period() -> Scenario:
    """The default scenario cut to 2026 (built once per test session)."""
    return _first_period_only(scenario(DEFAULT))


@pytest.mark.parametrize(("mode", "regime"), RUNS)
def test_the_first_period_alone_solves(mode: Mode, regime: Regime) -> None:
    """The default scenario collapsed to one period (2026, two years) still solves in all
    six runs, with only what stands in 2026 (no build started in 2026 is ready before
    2028): min_cost delivers in 2026 what the whole horizon does, max_capability no less."""
    s = first_period()
    assert [p.period for p in s.periods] == ["2026"]
    solution = solve(build(s, setting_for(s, regime, mode)), prices=False)
    assert solution.status is Status.OPTIMAL
    assert not any(solution.new.values())
    alone = sum(solution.deliver.values())
    within = sum(v for (*_, t), v in solved(DEFAULT, mode, regime).deliver.items() if t == "2026")
    if mode is Mode.MIN_COST:  # 2026 is a problem of its own: nothing built reaches it
        assert alone == pytest.approx(within, rel=1e-6)
    else:  # the whole horizon's 2026 budget also pays for builds started in 2026
        assert alone >= within - TOLERANCE


def _flows(s: Scenario, solution: Solution) -> dict[tuple[str, str, str], float]:
    """Supply minus demand of every (country, commodity, period) in a plan, recomputed from
    the plan's values alone: resource use + outputs + imports + world imports + backstop -
    inputs - exports - delivery."""
    net: dict[tuple[str, str, str], float] = {}

    def add(key: tuple[str, str, str], amount: float) -> None:
        net[key] = net.get(key, 0.0) + amount

    for family in (solution.use, solution.wimp, solution.back):
        for key, amount in family.items():
            add(key, amount)
    lines = [(line.process, line.commodity, line.role, line.amount) for line in s.recipe]
    for process, commodity, role, amount in lines:
        sign = 1.0 if role == "output" else -1.0
        for (country, run_process, period), activity in solution.act.items():
            if run_process == process:
                add((country, commodity, period), sign * amount * activity)
    for (commodity, exporter, importer, period), amount in solution.ship.items():
        add((importer, commodity, period), amount)
        add((exporter, commodity, period), -amount)
    for key, amount in solution.deliver.items():
        add(key, -amount)
    return net


@pytest.mark.parametrize("workbook", PAX)
@pytest.mark.parametrize(("mode", "regime"), RUNS)
def test_nothing_comes_from_nowhere(workbook: str, mode: Mode, regime: Regime) -> None:
    """No country draws a resource it has no Resources row for in that period, or more
    than is there; every commodity used or delivered somewhere is produced, drawn, bought
    or imported there; capability is delivered only to members, by their own model
    developers."""
    s = scenario(workbook)
    solution = solved(workbook, mode, regime)
    available = {
        (r.country, r.commodity, p.period): r.available
        for p in s.periods
        for r in rows_in(s.resources, lambda r: (r.country, r.commodity), p.period)
    }
    for key, amount in solution.use.items():
        assert key in available, f"{key} is drawn without a Resources row"
        assert amount <= available[key] + TOLERANCE
    for key, amount in _flows(s, solution).items():
        assert amount >= -TOLERANCE, f"{key} is short by {-amount:g} in the plan"
    (made,) = [
        line.amount
        for line in s.recipe
        if line.process == "model_development" and line.role == "output"
    ]
    for (country, _, period), amount in solution.deliver.items():
        if amount > TOLERANCE:
            assert s.country_by_id[country].member
            developed = solution.act[(country, "model_development", period)]
            assert made * developed >= amount - TOLERANCE


@pytest.mark.parametrize("workbook", PAX)
def test_no_member_refines_what_it_has_none_of(workbook: str) -> None:
    """Where a country refines a mineral it has no Resources row for, every tonne of it
    was imported or bought on the world market (in the open regime, where refining moves
    most freely)."""
    s = scenario(workbook)
    solution = solved(workbook, Mode.MIN_COST, Regime.OPEN)
    has = {(r.country, r.commodity) for r in s.resources}
    refined = 0
    for (country, process, period), activity in solution.act.items():
        mineral = process.removeprefix("refine_")
        if process.startswith("refine_") and (country, mineral) not in has and activity:
            imported = solution.wimp.get((country, mineral, period), 0.0) + sum(
                v
                for (k, _, j, t), v in solution.ship.items()
                if (k, j, t) == (mineral, country, period)
            )
            assert imported >= activity - TOLERANCE
            refined += 1
    assert refined  # the plan refines imported ore somewhere, or this checks nothing


@pytest.mark.parametrize("workbook", PAX)
def test_costs_have_the_right_order_of_magnitude(workbook: str) -> None:
    """The coalition's min_cost plan costs between 10 and 10,000 USD bn over the ten
    years, and 2 to 20 USD bn per N5-GW-year delivered (a GW campus with N5-class
    accelerators costs about 43 USD bn and lasts six years, about 7 a year, plus 1 of
    running cost; newer nodes compute more per GW). A new fab of 20k wafers a month (the
    size of TSMC's first Arizona fab, 20 USD bn) costs 5 to 50 USD bn before its
    lithography tools; a new GW of data centre with its accelerators 10 to 100; a wafer
    on the world market 5,000 to 50,000 USD."""
    s = scenario(workbook)
    solution = solved(workbook, Mode.MIN_COST, Regime.COALITION)
    cost = total_cost(solution)
    length = {p.period: p.length for p in s.periods}
    delivered = sum(v * length[period] for (_, _, period), v in solution.deliver.items())
    assert 10 <= cost <= 10_000
    assert 2 <= cost / delivered <= 20
    for row in s.capacity:
        if row.process.startswith("fab_") and row.max_new:
            assert 5 <= 20 * row.new_cost <= 50, row
        if row.process.startswith("dc_") and row.max_new:
            assert 10 <= row.new_cost <= 100, row
    for node in NODES:
        price = s.commodity_by_id[f"wafers_{node}"].world_price
        assert price is not None and 5_000 <= price * 1e6 <= 50_000, node


@pytest.mark.parametrize(("workbook", "source"), [(PAX[0], "current"), (PAX[1], "founders")])
def test_membership_matches_its_source(workbook: str, source: str) -> None:
    """24 national signatories as of September 2026; 7 founders of 12 December 2025."""
    sheets = generator.tables(generator.variant_for(workbook))
    counts = {r["id"]: r["value"] for r in sheets["Sources"].records()}
    assert len(scenario(workbook).members) == counts[f"membership-{source}"]


def test_trusted_partners_are_linked_non_members() -> None:
    """Taiwan and Canada stay non-members (no target, no budget pooled) but trade every
    commodity with every member, both ways, and with each other."""
    s = scenario("pax_silica_trusted.xlsx")
    assert s.members == scenario(DEFAULT).members
    pairs = {(link.exporter, link.importer) for link in s.links if link.allowed}
    assert {link.commodity for link in s.links} == {"*"}
    for partner in ("TWN", "CAN"):
        assert not s.country_by_id[partner].member
        for other in (*s.members, *({"TWN", "CAN"} - {partner})):
            assert {(partner, other), (other, partner)} <= pairs


# --- Pax Silica: every number traces to a source, every estimate is swept --------------

ANALYSIS_SHEETS = ("Stresses", "Uncertain", "Sampling")
"""Sheets that describe analyses of the model, not inputs of it."""

PLAIN_NUMBERS: dict[tuple[str, str], tuple[Callable[[Record, float], bool], str]] = {
    ("Capacity", "existing"): (lambda row, x: x == 0, "no such facility stands in 2026"),
    ("Recipe", "amount"): (
        lambda row, x: (
            x == 1
            and (
                row["process"].startswith("refine_")
                or row["process"] in ("lithography", "duv_lithography", "model_development")
            )
        ),
        "a process's unit is one unit of what it makes: refining takes one unit of ore to "
        "one refined, a lithography process makes one % of world output, model development "
        "puts one N5-GW-year of compute to use as one N5-GW of capability",
    ),
    ("Targets", "weight"): (
        lambda row, x: x == 1,
        "an N5-GW counts the same for every member",
    ),
    ("Periods", "year"): (lambda row, x: x == int(row["period"]), "the calendar"),
    ("Periods", "length"): (lambda row, x: x == 2, "the calendar: two-year periods"),
    ("Stresses", "factor"): (lambda row, x: x == 0, "an outage that takes everything"),
    ("Stresses", "rank"): (lambda row, x: x == 1, "the biggest supplier"),
    ("Uncertain", "peak"): (
        lambda row, x: x == 1 and row["apply"] == "scale",
        "a scale draw peaks at the input as given",
    ),
    ("Uncertain", "low"): (
        lambda row, x: 0 < x < 1 and row["apply"] == "scale" and bool(row["note covers"]),
        "the spread of a scale draw around the sourced inputs its `note covers` names "
        "(checked by test_every_uncertain_row_moves_the_sources_it_covers)",
    ),
    ("Uncertain", "high"): (
        lambda row, x: x > 1 and row["apply"] == "scale" and bool(row["note covers"]),
        "as low",
    ),
    ("Uncertain", "base"): (
        lambda row, x: (
            (x == 1 and row["apply"] == "scale")
            or (row["apply"] == "set" and [x] == [_source_value(k) for k in _covers(row)])
        ),
        "a scale draw is centred on the input as given; a set draw's base restates the "
        "value of the one source it covers (checked equal to it here)",
    ),
    ("Sampling", "samples"): (lambda row, x: True, "how the sweep draws, not a figure"),
    ("Sampling", "seed"): (lambda row, x: True, "how the sweep draws, not a figure"),
}
"""The numbers a pax CSV may give as plain numbers rather than formulas over sources,
with why: structural values (units, the calendar, the shape of a shock or a draw)."""


def _numeric_cells(variant: Any) -> Iterator[tuple[str, str, Record, str]]:
    """(sheet, column, row, text) of every numeric cell the variant's CSVs give."""
    for sheet in SHEETS:
        if sheet.name in ("Scenario", "Sampling"):
            keys = SCENARIO_KEYS if sheet.name == "Scenario" else SAMPLING_KEYS
            for key, text in generator.csv_settings(variant, sheet.name):
                if keys[key].cell is Cell.NUMBER and text:
                    yield sheet.name, key, {"key": key}, text
            continue
        numeric = [c.name for c in sheet.columns if c.cell is Cell.NUMBER]
        for row in generator.csv_rows(variant, sheet.name):
            for column in numeric:
                if row.get(column):
                    yield sheet.name, column, row, row[column]


def _direct_uses(variants: Iterable[Any]) -> dict[str, set[str]]:
    """Source id -> the model inputs (``Sheet.column``) whose cells name it in a formula."""
    uses: dict[str, set[str]] = {}
    for variant in variants:
        for sheet, column, _, text in _numeric_cells(variant):
            if sheet not in ANALYSIS_SHEETS:
                for ref in generator.references(text):
                    uses.setdefault(ref, set()).add(f"{sheet}.{column}")
    return uses


@cache
def _all_sources() -> Any:
    return generator.Sources.read(PAX_VARIANTS[0].folder)


def _sources() -> dict[str, Record]:
    rows: dict[str, Record] = _all_sources().rows
    return rows


def _source_value(key: str) -> float:
    return float(_all_sources().value(key))


def _covers(row: Record) -> list[str]:
    """The source ids an Uncertain row's ``note covers`` names (a remark in parentheses,
    such as the source's own range, aside)."""
    return re.sub(r"\([^)]*\)", " ", row["note covers"]).split()


def _feeds(variants: Iterable[Any]) -> dict[str, set[str]]:
    """Source id -> every model input it feeds, directly or through other sources'
    formulas."""
    rows = _sources()
    feeds: dict[str, set[str]] = {}

    def reach(key: str, places: set[str]) -> None:
        if places <= feeds.setdefault(key, set()):
            return
        feeds[key] |= places
        for ref in generator.references(rows[key]["value"]):
            reach(ref, places)

    for key, places in _direct_uses(variants).items():
        reach(key, places)
    return feeds


@pytest.mark.parametrize("variant", PAX_VARIANTS, ids=lambda v: v.workbook)
def test_every_number_traces_to_a_source(variant: Any) -> None:
    """Every numeric cell of every sheet of every pax workbook is a formula over Sources
    rows that exist, or one of the structural plain numbers of PLAIN_NUMBERS; each row's
    ``note source`` names exactly the sources of its numbers."""
    rows = _sources()
    plain = []
    for sheet, column, row, text in _numeric_cells(variant):
        refs = generator.references(text)
        assert all(ref in rows for ref in refs), (sheet, column, text)
        allowed = PLAIN_NUMBERS.get((sheet, column))
        if not refs and not (allowed and allowed[0](row, float(text))):
            plain.append(f"{sheet}.{column} = {text} in {row}")
    assert not plain, "plain numbers without a source:\n" + "\n".join(plain)
    tables = generator.tables(variant)
    for sheet in SHEETS:
        if sheet.name not in tables or sheet.name in generator.KEY_VALUE_SHEETS:
            continue
        numeric = [c.name for c in sheet.columns if c.cell is Cell.NUMBER]
        records = tables[sheet.name].records()
        for row, record in zip(generator.csv_rows(variant, sheet.name), records, strict=True):
            refs = {ref for c in numeric for ref in generator.references(row.get(c, ""))}
            noted = record.get(generator.SOURCE_NOTE)
            assert set(str(noted).split("; ") if noted else ()) == refs, (sheet.name, row)


@pytest.mark.parametrize("variant", PAX_VARIANTS, ids=lambda v: v.workbook)
def test_every_source_is_used(variant: Any) -> None:
    """Every Sources row feeds a model input of the workbook, directly or through another
    source's formula; only the two membership counts feed none (they document the
    Countries sheet's member columns, test_membership_matches_its_source). Each row's
    status says what its tag means; sourced rows name a publication and a url."""
    feeds = _feeds([variant])
    unused = [key for key in _sources() if key not in feeds]
    assert unused == ["membership-founders", "membership-current"]
    for record in generator.tables(variant)["Sources"].records():
        assert record["status"] == generator.STATUS[str(record["tag"])]
        if record["tag"] in ("S", "S2", "R"):
            assert record["publication"] and record["url"], record["id"]


UNCERTAIN_ROWS = generator.csv_rows(PAX_VARIANTS[0], "Uncertain")

NOT_SWEPT_YET: dict[str, str] = {"n5-until": "Processes.available_until"}
"""Estimates no Uncertain row covers, because the sweep cannot move their sheet
(planner.scenario.sheets.UNCERTAIN_SHEETS): each must be covered once it can. (Whole
numbers, lead times and the learning staircase's max_doublings, are covered by discrete
draws, which keep them whole.)"""


def test_every_estimate_is_uncertain() -> None:
    """Every source tagged E that feeds a model input of a pax workbook, directly or
    through a formula, is named in the ``note covers`` of an Uncertain row, except those
    of NOT_SWEPT_YET; each of those feeds only the input its reason is about, and fails
    here once the sweep can move its sheet."""
    feeds = _feeds(PAX_VARIANTS)
    covered = {key for row in UNCERTAIN_ROWS for key in _covers(row)}
    estimates = {key for key, row in _sources().items() if row["tag"] == "E" and key in feeds}
    assert sorted(estimates - covered) == sorted(NOT_SWEPT_YET)
    for key, place in NOT_SWEPT_YET.items():
        assert feeds[key] == {place}, key
        sheet = place.split(".")[0]
        assert sheet not in UNCERTAIN_SHEETS, f"the sweep can move {sheet}: cover {key}"


def test_every_uncertain_row_moves_the_sources_it_covers() -> None:
    """An Uncertain row's ``note covers`` names Sources rows that feed the very sheet and
    column it moves, so a claim of cover is true."""
    feeds = _feeds(PAX_VARIANTS)
    wrong = []
    for row in UNCERTAIN_ROWS:
        place = f"{row['sheet']}.{row['column']}"
        assert _covers(row), row["parameter"]
        wrong += [
            (row["parameter"], key) for key in _covers(row) if place not in feeds.get(key, ())
        ]
    assert not wrong


# --- Every bundled workbook ------------------------------------------------------------

WORKBOOKS = [v.workbook for v in generator.variants()]


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(path)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


@pytest.mark.parametrize("workbook", WORKBOOKS)
def test_committed_workbook_is_up_to_date(workbook: str, tmp_path: Path) -> None:
    """Rebuilding from the CSV data gives the committed workbook's cells (run
    ``.venv/bin/python scenarios/build_scenarios.py`` when this fails)."""
    committed = SCENARIOS / workbook
    assert committed.is_file(), f"{workbook} is missing: run scenarios/build_scenarios.py"
    fresh = tmp_path / workbook
    fresh.write_bytes(generator.workbook_bytes(generator.tables(generator.variant_for(workbook))))
    assert _cells(fresh) == _cells(committed), f"{workbook} is stale: rebuild it"


@pytest.mark.parametrize("workbook", WORKBOOKS)
def test_planner_reads_the_workbook_as_built(workbook: str) -> None:
    """The planner's own reader gets, from the committed workbook, the scenario that the
    generator built from the CSV data."""
    from planner.io.validate import load_scenario

    assert load_scenario(SCENARIOS / workbook).scenario == scenario(workbook)


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    """Two builds of the same data give the same bytes, so rebuilding makes no diff."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for a, b in zip(generator.build_all(first), generator.build_all(second), strict=True):
        assert a.read_bytes() == b.read_bytes()


# --- The generator's version-2 features, on a tiny data folder ------------------------


def _tiny_folder(tmp_path: Path) -> Path:
    """Two variants of a one-country scenario with two periods: ``base`` and ``declared``,
    whose Scenario key ``national_scope`` comes from a ``value@declared`` column."""
    files = {
        "variants.csv": "variant,workbook,name,description\n"
        "base,tiny.xlsx,tiny,t\ndeclared,tiny_declared.xlsx,tiny_declared,t\n",
        "scenario.csv": "key,value,value@declared\nshortfall_penalty,{penalty},\n"
        "national_scope,all,declared\n",
        "sources.csv": ",".join(generator.SOURCE_COLUMNS) + "\npenalty,9,USD bn,x,own,2026,,E\n",
        "countries.csv": "country,member,budget\nA,yes,1\n",
        "commodities.csv": "commodity,kind\ncap,capability\n",
        "processes.csv": "process\nmake\n",
        "recipe.csv": "process,commodity,role,amount\nmake,cap,output,1\n",
        "capacity.csv": "country,process,period,existing,note why\nA,make,,1,base row\n"
        "A,make,2028,2,a later period\n",
        "periods.csv": "period,year\n2026,2026\n2028,2028\n",
        "targets.csv": "country,commodity,amount\nA,cap,1\n",
        "nosuchsheet.csv": "a\n1\n",
    }
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_generator_writes_variant_keys_periods_and_note_columns(tmp_path: Path) -> None:
    """A ``value@VARIANT`` column of scenario.csv sets that variant's key; period rows and
    the Periods sheet reach the scenario; a ``note ...`` column is written as text beside
    the contract's columns; a CSV naming no sheet of the contract is reported, not read."""
    folder = _tiny_folder(tmp_path)
    base, declared = (
        generator.Variant(folder, v, f"{v}.xlsx", v, "t") for v in ("base", "declared")
    )
    assert generator.scenario_from_tables(generator.tables(base)).national_scope == "all"
    sheets = generator.tables(declared)
    tiny = generator.scenario_from_tables(sheets)
    assert tiny.national_scope == "declared"
    assert tiny.shortfall_penalty == 9
    assert [p.period for p in tiny.periods] == ["2026", "2028"]
    assert [(c.period, c.existing) for c in tiny.capacity] == [(None, 1), ("2028", 2)]
    assert sheets["Capacity"].columns[-1] == "note why"
    assert generator.skipped_csv(folder) == ["nosuchsheet.csv"]
