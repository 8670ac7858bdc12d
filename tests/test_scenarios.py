"""The bundled scenarios: hand-derived tutorial optima, sanity checks on the Pax Silica
workbooks, and the committed workbooks kept up to date with their CSV data.

Scenarios are built from the CSV files in ``scenarios/data`` by the generator's own loader
(``scenarios/build_scenarios.py``), the same tables the workbooks are written from.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from conftest import flat
from openpyxl import load_workbook

from planner.model.build import build, setting_for
from planner.model.solve import Solution, Status, solve
from planner.scenario.schema import Mode, Regime, Scenario

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
MINERALS = ("gallium", "germanium", "rare_earths", "lithium", "cobalt", "copper", "graphite")
TOLERANCE = 1e-6


def test_pax_silica_is_sized_as_the_issue_asks() -> None:
    """Roughly 20-30 countries, the main non-members present, and the seven minerals,
    energy and talent as resources."""
    s = scenario("pax_silica.xlsx")
    countries = set(s.country_by_id)
    assert 20 <= len(countries) <= 31
    assert {"CHN", "TWN", "CAN", "BRA", "SAU"} <= countries - set(s.members)
    resources = {k.commodity for k in s.commodities if k.kind == "resource"}
    assert {*MINERALS, "energy", "talent"} <= resources


@pytest.mark.parametrize("workbook", PAX)
@pytest.mark.parametrize(("mode", "regime"), RUNS)
def test_pax_runs_are_optimal(workbook: str, mode: Mode, regime: Regime) -> None:
    """Every variant solves to optimality in all six runs."""
    assert run(workbook, mode, regime).status is Status.OPTIMAL


@pytest.mark.parametrize("workbook", [*PAX, TRADE, SCALE])
def test_regimes_are_ordered(workbook: str) -> None:
    """More trade never hurts: in min_cost open <= coalition <= national (objective); in
    max_capability the reverse, on capability delivered."""
    cost = {r: run(workbook, Mode.MIN_COST, r).objective for r in Regime}
    assert cost[Regime.OPEN] <= cost[Regime.COALITION] + TOLERANCE
    assert cost[Regime.COALITION] <= cost[Regime.NATIONAL] + TOLERANCE
    capability = {r: total_capability(run(workbook, Mode.MAX_CAPABILITY, r)) for r in Regime}
    assert capability[Regime.NATIONAL] <= capability[Regime.COALITION] + TOLERANCE
    assert capability[Regime.COALITION] <= capability[Regime.OPEN] + TOLERANCE


def test_trusted_partners_never_raise_the_coalitions_cost() -> None:
    """The trusted variant is the current one plus links to Taiwan and Canada (same
    members, same targets), so its coalition can only be cheaper."""
    current = run("pax_silica.xlsx", Mode.MIN_COST, Regime.COALITION)
    trusted = run("pax_silica_trusted.xlsx", Mode.MIN_COST, Regime.COALITION)
    assert scenario("pax_silica.xlsx").targets == scenario("pax_silica_trusted.xlsx").targets
    assert trusted.objective is not None and current.objective is not None
    assert trusted.objective <= current.objective + TOLERANCE


def _flows(s: Scenario, solution: Solution) -> dict[tuple[str, str], float]:
    """Supply minus demand of every (country, commodity) in a plan, recomputed from the
    plan's values alone: resource use + outputs + imports - inputs - exports - delivery."""
    net: dict[tuple[str, str], float] = {}

    def add(key: tuple[str, str], amount: float) -> None:
        net[key] = net.get(key, 0.0) + amount

    for key, amount in solution.use.items():
        add(key, amount)
    for line in s.recipe:
        sign = 1.0 if line.role == "output" else -1.0
        for (country, process), activity in solution.act.items():
            if process == line.process:
                add((country, line.commodity), sign * line.amount * activity)
    for (commodity, exporter, importer), amount in solution.ship.items():
        add((importer, commodity), amount)
        add((exporter, commodity), -amount)
    for key, amount in solution.deliver.items():
        add(key, -amount)
    return net


@pytest.mark.parametrize("workbook", PAX)
@pytest.mark.parametrize(("mode", "regime"), RUNS)
def test_nothing_comes_from_nowhere(workbook: str, mode: Mode, regime: Regime) -> None:
    """No country draws a resource it has no Resources row for, or more than is there;
    every commodity used or delivered somewhere is produced, drawn or imported there;
    capability is delivered only to members, by their own model developers."""
    s = scenario(workbook)
    solution = run(workbook, mode, regime)
    available = {(r.country, r.commodity): r.available for r in s.resources}
    for key, amount in solution.use.items():
        assert key in available, f"{key} is drawn without a Resources row"
        assert amount <= available[key] + TOLERANCE
    for key, amount in _flows(s, solution).items():
        assert amount >= -TOLERANCE, f"{key} is short by {-amount:g} in the plan"
    for (country, _), amount in solution.deliver.items():
        if amount > TOLERANCE:
            assert s.country_by_id[country].member
            assert solution.act[(country, "model_development")] >= amount - TOLERANCE


@pytest.mark.parametrize("workbook", PAX)
def test_no_member_mines_what_it_has_none_of(workbook: str) -> None:
    """Where a country refines a mineral it has no Resources row for, every tonne of it
    was imported (in the open regime, where refining moves most freely)."""
    s = scenario(workbook)
    solution = run(workbook, Mode.MIN_COST, Regime.OPEN)
    has = {(r.country, r.commodity) for r in s.resources}
    for (country, process), activity in solution.act.items():
        mineral = process.removeprefix("refine_")
        if process.startswith("refine_") and (country, mineral) not in has and activity:
            imported = sum(
                v for (k, _, j), v in solution.ship.items() if k == mineral and j == country
            )
            assert imported >= activity - TOLERANCE


@pytest.mark.parametrize("workbook", PAX)
def test_costs_have_the_right_order_of_magnitude(workbook: str) -> None:
    """The coalition's min_cost plan costs between 10 and 10,000 USD bn, and 20 to 60 USD
    bn per GW delivered (a fully built AI campus with its chips costs about 45 per GW); a
    new leading-edge fab at its minimum scale costs at least 10 USD bn before lithography;
    a new AI data-centre campus at least 1."""
    solution = run(workbook, Mode.MIN_COST, Regime.COALITION)
    cost = total_cost(solution)
    assert 10 <= cost <= 10_000
    assert 20 <= cost / total_capability(solution) <= 60
    for row in scenario(workbook).capacity:
        smallest = row.fixed_cost + row.min_new * row.new_cost
        if row.process == "wafer_fab_new":
            assert smallest >= 10, row
        if row.process == "ai_datacentre" and row.max_new:
            assert smallest >= 1, row


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
    assert s.members == scenario("pax_silica.xlsx").members
    pairs = {(link.exporter, link.importer) for link in s.links if link.allowed}
    assert {link.commodity for link in s.links} == {"*"}
    for partner in ("TWN", "CAN"):
        assert not s.country_by_id[partner].member
        for other in (*s.members, *({"TWN", "CAN"} - {partner})):
            assert {(partner, other), (other, partner)} <= pairs


@pytest.mark.parametrize("workbook", PAX)
def test_every_figure_traces_to_a_source(workbook: str) -> None:
    """Each Resources, Capacity and Targets row names its sources; every source row is
    used (membership rows document the Countries sheet); estimates say so."""
    sheets = generator.tables(generator.variant_for(workbook))
    for name in ("Resources", "Capacity", "Targets"):
        for record in sheets[name].records():
            assert record[generator.SOURCE_NOTE], f"{name} {record} has no source"
    for record in sheets["Sources"].records():
        assert record["status"] == generator.STATUS[str(record["tag"])]
        assert record["used in"] or str(record["id"]).startswith("membership-"), record["id"]
        if record["tag"] == "E":
            assert record["status"] == "estimate"
        if record["tag"] in ("S", "S2", "R"):
            assert record["publication"] and record["url"], record["id"]


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
