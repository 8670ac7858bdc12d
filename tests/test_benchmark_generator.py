"""The benchmark's synthetic worlds: valid, deterministic for a seed, and worth solving.

Only the generator is tested here; the benchmark's figures come from
``benchmarks/run.py``, never from timed tests.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openpyxl import load_workbook

from planner.io.validate import load_scenario
from planner.model.build import build, setting_for
from planner.model.solve import SolveOptions, Status, solve
from planner.scenario.schema import Mode, Regime

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", BENCHMARKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate", module)
    spec.loader.exec_module(module)
    return module


generate = _generator()


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    finally:
        book.close()


@pytest.mark.parametrize(
    ("countries", "fixed_costs", "members"),
    [(10, False, 5), (50, False, 25), (10, True, 5), (200, False, 50)],
)
def test_generated_workbook_loads_without_problems(
    tmp_path: Path, countries: int, fixed_costs: bool, members: int
) -> None:
    """Every size loads through the planner's own reader and validator, with no warning,
    and has the members the benchmark promises (half the countries, at most 50)."""
    world = generate.World(countries, seed=7, fixed_costs=fixed_costs)
    loaded = load_scenario(generate.write_workbook(world, tmp_path / "world.xlsx"))
    scenario = loaded.scenario
    assert loaded.warnings == ()
    assert len(scenario.countries) == countries
    assert len(scenario.members) == members
    assert {t.country for t in scenario.targets} == set(scenario.members)
    assert scenario.has_build_decisions is fixed_costs
    assert any(not link.allowed for link in scenario.links)
    assert any(link.capacity is not None for link in scenario.links)


def test_same_seed_gives_the_same_cells(tmp_path: Path) -> None:
    """Two generations with one seed write the same value in every cell."""
    world = generate.World(50, seed=11, fixed_costs=True)
    first = _cells(generate.write_workbook(world, tmp_path / "first.xlsx"))
    second = _cells(generate.write_workbook(world, tmp_path / "second.xlsx"))
    assert first == second


def test_another_seed_gives_another_world(tmp_path: Path) -> None:
    """The seed matters: a different one changes the data."""
    one = _cells(generate.write_workbook(generate.World(10, seed=1), tmp_path / "one.xlsx"))
    two = _cells(generate.write_workbook(generate.World(10, seed=2), tmp_path / "two.xlsx"))
    assert one["Countries"][0] == two["Countries"][0]  # same header
    assert one != two


def test_fixed_costs_only_add_fixed_costs() -> None:
    """A world with fixed costs is the same world, plus fixed_cost and min_new on some
    Capacity rows, so the two benchmarks compare like with like."""
    plain = generate.generate(generate.World(50, seed=3))
    fixed = generate.generate(generate.World(50, seed=3, fixed_costs=True))
    for sheet in plain:
        if sheet not in ("Scenario", "Capacity"):
            assert fixed[sheet] == plain[sheet], sheet
    stripped = [
        {k: v for k, v in row.items() if k not in ("fixed_cost", "min_new")}
        for row in fixed["Capacity"]
    ]
    assert stripped == plain["Capacity"]
    assert any(row.get("fixed_cost") for row in fixed["Capacity"])


def test_smallest_world_solves_and_the_coalition_beats_national_stacks(tmp_path: Path) -> None:
    """The 10-country world solves optimal in coalition min_cost, and the coalition
    delivers more of the members' targets than their national stacks (the comparison
    the benchmark worlds are built to make)."""
    world = generate.World(10, seed=2026)
    scenario = load_scenario(generate.write_workbook(world, tmp_path / "small.xlsx")).scenario
    delivered = {}
    for regime in (Regime.COALITION, Regime.NATIONAL):
        model = build(scenario, setting_for(scenario, regime, Mode.MIN_COST))
        solution = solve(model, SolveOptions())
        assert solution.status is Status.OPTIMAL
        delivered[regime] = sum(solution.deliver.values())
    target = sum(t.amount for t in scenario.targets)
    assert delivered[Regime.COALITION] >= 0.8 * target
    assert delivered[Regime.NATIONAL] < delivered[Regime.COALITION]


def test_fixed_cost_world_solves_optimal(tmp_path: Path) -> None:
    """With fixed build costs the coalition model has binaries and still solves optimal."""
    world = generate.World(10, seed=2026, fixed_costs=True)
    scenario = load_scenario(generate.write_workbook(world, tmp_path / "fixed.xlsx")).scenario
    model = build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST))
    assert model.is_mip
    assert solve(model, SolveOptions()).status is Status.OPTIMAL


def test_too_small_a_world_is_refused() -> None:
    """A world needs two countries to trade at all."""
    with pytest.raises(ValueError, match="at least 2 countries"):
        generate.generate(generate.World(1))


def test_a_multi_period_world_is_the_one_period_world_spread_over_its_periods(
    tmp_path: Path,
) -> None:
    """Three two-year periods: the first period's targets are the one-period world's, later
    ones 15% larger a period; every row validates and the coalition's min_cost solves."""
    one = generate.generate(generate.World(10, seed=5))
    path = generate.write_workbook(generate.World(10, seed=5, periods=3), tmp_path / "w.xlsx")
    scenario = load_scenario(path).scenario
    assert [(s.year, s.length) for s in scenario.horizon.periods] == [
        (2026, 2), (2028, 2), (2030, 2)
    ]  # fmt: skip
    first = [t.amount for t in scenario.targets if t.period == "2026"]
    assert first == [t["amount"] for t in one["Targets"]]
    setting = setting_for(scenario, Regime.COALITION, Mode.MIN_COST)
    assert solve(build(scenario, setting), SolveOptions()).status is Status.OPTIMAL
