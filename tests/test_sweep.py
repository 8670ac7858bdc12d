"""Sweeps: the draws, the runs through the store, and what they add up to."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from workbooks import MINIMAL_SCENARIO

import planner
from planner.analysis import sweep as sweeps
from planner.analysis.batch import BatchInterrupted, Progress
from planner.analysis.sweep import Finished, RunItem, SweepRun
from planner.errors import InputError
from planner.io.store import StoreError
from planner.scenario.schema import Mode, Regime, Scenario

MIN_COST = ("min_cost",)


@pytest.fixture(scope="module")
def two_ores(make_scenario: Any) -> Scenario:
    """Two members each training 2 units of capability from ore, 1 ore per unit.

    Ore costs 1 in A and 3 in B (10 available each, free to trade). National stacks pay
    2 x 1 + 2 x 3 = 8; the coalition buys all 4 ore in A: 4 x 1 = 4. Saving 4; no
    non-member, so open equals coalition and the price of trust is 0.
    """
    return make_scenario(
        countries=["A", "B"],
        commodities={"ore": {"kind": "resource", "tradable": True}, "cap": "capability"},
        recipe={"train": {"ore": -1, "cap": 1}},
        resources={
            ("A", "ore"): {"available": 10, "cost": 1},
            ("B", "ore"): {"available": 10, "cost": 3},
        },
        capacity={("A", "train"): {"existing": 10}, ("B", "train"): {"existing": 10}},
        targets={("A", "cap"): 2, ("B", "cap"): 2},
    )


def uncertain(scenario: Scenario, *rows: dict[str, Any], **sampling: Any) -> Scenario:
    data = scenario.model_dump()
    data["uncertain"] = list(rows)
    data["sampling"] = sampling
    return Scenario.model_validate(data)


B_COST = {"parameter": "b_cost", "sheet": "Resources", "column": "cost", "country": "B"}
A_COST = {"parameter": "a_cost", "sheet": "Resources", "column": "cost", "country": "A"}


def test_an_exact_tornado(two_ores: Scenario) -> None:
    """Swings derived by hand (two_ores: saving 4 at base).

    - b_cost scales B's ore cost 3 by 0.5 .. 2: at 0.5 (1.5) national = 2 + 3 = 5, the
      coalition still buys A's ore at 1: 4, saving 1; at 2 (6) national = 2 + 12 = 14,
      saving 10. Swing 9.
    - a_cost adds -0.5 .. 1 to A's cost 1: at 0.5 national = 1 + 6 = 7, coalition 4 x 0.5 =
      2, saving 5; at 2 national = 4 + 6 = 10, coalition 8, saving 2. Swing 3.
    """
    scenario = uncertain(
        two_ores,
        {**A_COST, "apply": "add", "low": -0.5, "high": 1},
        {**B_COST, "low": 0.5, "high": 2},
    )
    result = planner.sweep(scenario, modes=MIN_COST)
    assert result.draws.count == 5 and result.complete
    rows = result.tornado.to_dict("records")
    assert [r["parameter"] for r in rows] == ["b_cost", "a_cost"]
    b, a = rows
    assert (b["low"], b["high"], a["low"], a["high"]) == (0.5, 2, -0.5, 1)
    assert (b["saving_low"], b["saving_high"]) == pytest.approx((1, 10))
    assert (a["saving_low"], a["saving_high"]) == pytest.approx((5, 2))
    assert b["saving_base"] == pytest.approx(4)
    document = result.to_json()
    assert document["tornado"][0]["parameter"] == "b_cost"
    assert document["draws"][0]["values"] == {"a_cost": 0.0, "b_cost": 1.0}
    assert document["summary"]["min_cost"]["price_of_trust"]["mean"] == pytest.approx(0)


def test_draw_zero_is_planner_run_exactly() -> None:
    scenario = uncertain(MINIMAL_SCENARIO, {**A_COST, "low": 0.5, "high": 1.5}, design="mc")
    result = planner.sweep(scenario, samples=2)

    def plain(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "solve_time"} for r in runs]

    expected = plain(planner.run(scenario).to_json()["runs"])
    assert plain(result.entries[0]) == expected


def mc_scenario(two_ores: Scenario, **sampling: Any) -> Scenario:
    return uncertain(two_ores, {**B_COST, "low": 0.5, "high": 2}, design="mc", **sampling)


def values(result: sweeps.SweepResult) -> list[tuple[Any, ...]]:
    frame = result.runs.drop(columns=["message"])
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_monte_carlo_moments_match_the_exact_ones(two_ores: Scenario) -> None:
    """With B's cost scaled by d ~ U(0.5, 2), saving = (2 + 6 d) - 4 = 6 d - 2 (A's ore at 1
    stays the cheaper since 3 d >= 1.5): mean 6 x 1.25 - 2 = 5.5, variance 36 x 1.5^2 / 12 =
    6.75. The sample variance's standard error uses the uniform's fourth central moment
    (6 x 1.5)^4 / 80."""
    n = 100
    result = planner.sweep(mc_scenario(two_ores), samples=n, modes=MIN_COST)
    saving = result.paired.query("draw > 0")["saving"].to_numpy(dtype=float)
    mean, variance = 5.5, 6.75
    assert abs(saving.mean() - mean) < 4 * math.sqrt(variance / n)
    fourth = 9.0**4 / 80
    assert abs(saving.var(ddof=1) - variance) < 4 * math.sqrt((fourth - variance**2) / n)
    summary = result.to_json()["summary"]["min_cost"]
    assert summary["saving"]["mean"] == pytest.approx(saving.mean())
    assert summary["p_coalition_better"] == 1.0


def test_the_same_seed_gives_the_same_draws_with_one_or_two_workers(two_ores: Scenario) -> None:
    scenario = mc_scenario(two_ores, seed=3)
    one = planner.sweep(scenario, samples=6, modes=MIN_COST)
    two = planner.sweep(scenario, samples=6, modes=MIN_COST, workers=2)
    assert one.draws == two.draws
    assert values(one) == values(two)
    other = planner.sweep(scenario, samples=6, modes=MIN_COST, seed=4)
    assert other.draws.values[1:] != one.draws.values[1:]


def test_a_dask_local_cluster_gives_the_same_results(two_ores: Scenario, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    scenario = mc_scenario(two_ores, seed=3)
    one = planner.sweep(scenario, samples=4, modes=MIN_COST)
    file = tmp_path / "scheduler.json"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask = planner.sweep(
            scenario, samples=4, modes=MIN_COST, scheduler=cluster.scheduler_address
        )
        file.write_text(json.dumps({"type": "Scheduler", "address": cluster.scheduler_address}))
        by_file = planner.sweep(scenario, samples=4, modes=MIN_COST, scheduler_file=file)
    assert values(dask) == values(one) == values(by_file)
    assert by_file.provenance["workers"] == "dask"


def test_monte_carlo_draws_grow_by_extension(two_ores: Scenario) -> None:
    for design in ("mc", "sobol"):
        scenario = uncertain(
            two_ores, {**B_COST, "low": 0.5, "high": 2}, {**A_COST, "low": 0.5, "high": 1.5}
        )
        short = sweeps.make_draws(scenario, design=design, samples=8)
        long = sweeps.make_draws(scenario, design=design, samples=16)
        assert long.values[: short.count] == short.values, design


def test_extending_a_sweep_solves_only_the_new_draws(two_ores: Scenario, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    scenario = mc_scenario(two_ores)
    first = planner.sweep(scenario, samples=4, modes=MIN_COST, store=store)
    assert first.provenance["solved"] == 15
    second = planner.sweep(scenario, samples=8, modes=MIN_COST, store=store)
    assert (second.provenance["solved"], second.provenance["reused"]) == (12, 15)


def test_resume_after_an_interrupt_solves_exactly_the_missing_runs(
    two_ores: Scenario, tmp_path: Path
) -> None:
    store = tmp_path / "runs.sqlite"
    scenario = mc_scenario(two_ores)
    stopped: list[int] = []

    def stop_after_five(progress: Progress) -> None:
        # the engine reports at most every 50 ms, so the count may have passed 5
        if progress.done >= 5:
            stopped.append(progress.done)
            raise KeyboardInterrupt

    with pytest.raises(BatchInterrupted) as interrupted:
        planner.sweep(scenario, samples=4, modes=MIN_COST, store=store, progress=stop_after_five)
    (kept,) = stopped
    assert kept < 15 and len(interrupted.value.result.outcomes) == kept
    resumed = planner.sweep(scenario, samples=4, modes=MIN_COST, store=store)
    assert (resumed.provenance["solved"], resumed.provenance["reused"]) == (15 - kept, kept)
    assert resumed.complete
    again = planner.sweep(scenario, samples=4, modes=MIN_COST, store=store)
    assert again.provenance["solved"] == 0
    assert values(again) == values(resumed)


def test_a_store_of_another_design_or_seed_is_refused(two_ores: Scenario, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    scenario = mc_scenario(two_ores)
    planner.sweep(scenario, samples=2, modes=MIN_COST, store=store)
    with pytest.raises(StoreError, match="seed 0 \\(this sweep: 5\\)"):
        planner.sweep(scenario, samples=2, modes=MIN_COST, store=store, seed=5)
    with pytest.raises(StoreError, match="design mc \\(this sweep: lhs\\)"):
        planner.sweep(scenario, samples=2, modes=MIN_COST, store=store, design="lhs")


class Flaky:
    """Raises on draw 1's coalition run and kills its worker on draw 2's (with ``die``)."""

    def __init__(self, inner: SweepRun, die: bool) -> None:
        self.inner, self.die = inner, die

    def __call__(self, item: RunItem) -> dict[str, Any]:
        if item.draw == 1 and item.regime is Regime.COALITION:
            raise RuntimeError("boom")
        if self.die and item.draw == 2 and item.regime is Regime.OPEN:
            os._exit(1)
        return self.inner(item)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_raising_run_and_a_dying_worker_are_isolated(two_ores: Scenario, workers: int) -> None:
    scenario = mc_scenario(two_ores)
    draws = sweeps.make_draws(scenario, samples=3)
    items = sweeps.run_items(draws, [Mode.MIN_COST])
    function = Flaky(SweepRun(scenario, draws, planner.SolveOptions(threads=1)), workers > 1)
    outcomes: list[Finished] = []
    sweeps.solve_runs(function, items, workers=workers, on_result=outcomes.append)
    failed = {(f.item.draw, f.item.regime): f.error for f in outcomes if f.error}
    if workers > 1:
        assert str(failed.pop((2, Regime.OPEN), "")).startswith("worker died")
    assert failed == {(1, Regime.COALITION): "RuntimeError: boom"}
    assert sorted((f.item for f in outcomes), key=RunItem.order) == items
    result = sweeps.summarise(scenario, draws, [Mode.MIN_COST], outcomes, requested=len(items))
    assert len(result.failures) == workers
    assert result.paired.query("draw == 1")["saving"].isna().all()


def test_sensitivity_needs_every_run(two_ores: Scenario) -> None:
    pytest.importorskip("SALib")
    scenario = uncertain(
        two_ores, {**B_COST, "low": 0.5, "high": 2}, {**A_COST, "low": 0.5, "high": 1.5}
    )
    result = planner.sweep(scenario, design="sobol", samples=8, modes=MIN_COST)
    assert result.draws.count == 1 + 8 * 4
    indices = result.sensitivity.set_index("parameter")
    assert set(indices.index) == {"a_cost", "b_cost"}
    assert np.isfinite(indices[["S1", "ST"]].to_numpy()).all()
    draws = result.draws
    items = sweeps.run_items(draws, [Mode.MIN_COST])
    runs = SweepRun(scenario, draws, planner.SolveOptions())
    partial = [Finished(i, runs(i)) for i in items[:-1]]
    short = sweeps.summarise(scenario, draws, [Mode.MIN_COST], partial, requested=len(items))
    assert short.sensitivity.empty
    assert any("Sobol' indices not computed" in n for n in short.notes)


def test_a_scenario_without_uncertain_rows_is_refused(two_ores: Scenario) -> None:
    with pytest.raises(InputError, match="no Uncertain sheet"):
        planner.sweep(two_ores)


def test_a_python_scenario_is_checked_at_the_boundary(two_ores: Scenario) -> None:
    scenario = uncertain(two_ores, {**B_COST, "column": "available", "low": -1, "high": 1})
    with pytest.raises(InputError, match="parameter `b_cost`"):
        planner.sweep(scenario)


def test_the_command_writes_the_report_and_the_json(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from openpyxl import load_workbook
    from workbooks import add_row, minimal_scenario_tables, write_workbook

    from planner.cli import main

    tables = minimal_scenario_tables()
    tables["Uncertain"] = [["parameter", "sheet", "column", "low", "high"]]
    add_row(tables, "Uncertain", {"parameter": "ore", "sheet": "Resources", "column": "cost"})
    tables["Uncertain"][1][3:5] = [0.5, 1.5]
    path = write_workbook(tmp_path / "s.xlsx", tables)
    report, summary = tmp_path / "r.xlsx", tmp_path / "r.json"
    args = ["sweep", str(path), "--mode", "min_cost", "-o", str(report), "--json", str(summary)]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    assert "runs: 9 requested, 9 done, 0 failed" in outcome.output
    book = load_workbook(report)
    assert book.sheetnames == [
        "Design",
        "Draws",
        "Runs",
        "Distributions",
        "Tornado",
        "Sensitivity",
        "Failures",
        "About",
    ]
    assert len(book["Tornado"]._charts) == 1 and len(book["Distributions"]._charts) == 1
    document = json.loads(summary.read_text())
    assert list(document)[:4] == ["scenario", "design", "samples", "seed"]
    assert [d["draw"] for d in document["draws"]] == [0, 1, 2]
    assert {"mean", "p05", "p50", "p95"} <= set(document["summary"]["min_cost"]["saving"])
    assert document["tornado"][0]["parameter"] == "ore"
