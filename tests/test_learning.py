"""Learning through the planner: the oracle's hand-derived cases (tests/v2_cases.py, their
derivations in tests/test_reference_v2.py), the issue's properties, a generated comparison
with tests/reference_v2.py, what a learning run reports and ``--learning-pool``.

Each case's tables are written to a workbook with tests/workbooks.py and read back by the
planner's reader, so the whole chain is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import v2_cases as cases
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_v2 import Tables, reference
from workbooks import records_workbook

from planner.api import run, run_one
from planner.cli.main import main
from planner.io.report import build_workbook
from planner.io.validate import load_scenario
from planner.model.build import build, setting_for
from planner.model.learning import staircase
from planner.model.solve import solve
from planner.scenario.schema import Learning, Mode, Regime, Scenario

REGIMES = tuple(Regime)


def workbook(path: Path, tables: Tables) -> Path:
    """The oracle's tables (rows of dicts) as a workbook, required sheets added empty."""
    return records_workbook(path, tables)


def scenario_of(tmp_path: Path, tables: Tables) -> Scenario:
    return load_scenario(workbook(tmp_path / "case.xlsx", tables)).scenario


def objectives(scenario: Scenario, mode: Mode = Mode.MIN_COST) -> list[float | None]:
    return [run_one(scenario, mode, regime).objective for regime in REGIMES]


def learning_figures(scenario: Scenario, regime: Regime) -> list[tuple[Any, ...]]:
    frame = run_one(scenario, Mode.MIN_COST, regime).learning
    return [
        (r["pool"], r["period"], r["experience"], r["multiplier"]) for r in frame.to_dict("records")
    ]


# --- known optima (derived in tests/test_reference_v2.py) -------------------------------------


def test_the_shared_learning_loop(tmp_path: Path) -> None:
    """National 480 (each pool at 10, x2, then 20, x1), coalition and open 240 (20, x1, then
    40, x0.5)."""
    scenario = scenario_of(tmp_path, cases.learning_loop())
    assert objectives(scenario) == pytest.approx([480, 240, 240])
    assert learning_figures(scenario, Regime.COALITION) == [
        (("A", "B"), "2026", pytest.approx(20), pytest.approx(1)),
        (("A", "B"), "2027", pytest.approx(40), pytest.approx(0.5)),
    ]
    assert learning_figures(scenario, Regime.NATIONAL) == [
        (("A",), "2026", pytest.approx(10), pytest.approx(2)),
        (("A",), "2027", pytest.approx(20), pytest.approx(1)),
        (("B",), "2026", pytest.approx(10), pytest.approx(2)),
        (("B",), "2027", pytest.approx(20), pytest.approx(1)),
    ]


@pytest.mark.parametrize(("spillover", "national"), [(1.0, 320), (0.5, 480)])
def test_spillover_to_national_stacks(tmp_path: Path, spillover: float, national: float) -> None:
    """A national pool starts at 10 + 10 s: s = 1 gives 160 + 160, s = 0.5 gives 240 + 240."""
    scenario = scenario_of(tmp_path, cases.learning_loop(spillover=spillover))
    assert objectives(scenario) == pytest.approx([national, 240, 240])


def test_country_pools_in_the_coalition_learn_as_national_stacks(tmp_path: Path) -> None:
    scenario = scenario_of(tmp_path, cases.learning_loop(pool="country"))
    assert objectives(scenario) == pytest.approx([480, 480, 480])


def test_learning_by_output_on_activity_cost(tmp_path: Path) -> None:
    """National 960, coalition 480; the coalition's pool reaches 60 (x0.5) in 2028."""
    scenario = scenario_of(tmp_path, cases.learning_by_output())
    assert objectives(scenario) == pytest.approx([960, 480, 480])
    assert learning_figures(scenario, Regime.COALITION)[1] == (
        ("A", "B"),
        "2028",
        pytest.approx(60),
        pytest.approx(0.5),
    )


def test_a_pool_above_the_top_breakpoint(tmp_path: Path) -> None:
    """Experience 1000 > B_kmax = 80: the multiplier is 0.25 throughout, 80 everywhere, and
    no binary is needed (only one segment can be reached)."""
    scenario = scenario_of(tmp_path, cases.learning_loop(initial=1000, max_doublings=2))
    assert objectives(scenario) == pytest.approx([80, 80, 80])
    model = build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST))
    assert not model.learning.segment and not model.is_mip


def test_one_period_learning_is_an_lp_equal_to_v1_with_scaled_costs(tmp_path: Path) -> None:
    """Experience 30, two steps per doubling: segment 1, multiplier 0.5^(1/2); salvage of
    3/4 on the multiplied cost: (80 x 0.5^0.5 + 4) / 4."""
    learnt = scenario_of(tmp_path, cases.learning_single_period())
    scaled = scenario_of(
        tmp_path, cases.learning_single_period(learning=False, new_cost=8 * 0.5**0.5)
    )
    assert objectives(learnt) == pytest.approx(objectives(scaled))
    assert objectives(learnt)[1] == pytest.approx((80 * 0.5**0.5 + 4) / 4)
    model = build(learnt, setting_for(learnt, Regime.NATIONAL, Mode.MIN_COST))
    assert not model.learning.segment
    assert learning_figures(learnt, Regime.NATIONAL) == [
        (("A",), "1", pytest.approx(30), pytest.approx(0.5**0.5))
    ]
    assert run_one(learnt, Mode.MIN_COST, Regime.NATIONAL).learning["segment"].tolist() == [1]


def test_learning_under_a_budget(tmp_path: Path) -> None:
    """max_capability, budget 160 a year each: national 60, coalition 120, spend 640."""
    scenario = scenario_of(tmp_path, cases.learning_loop(budget=160))
    runs = [run_one(scenario, Mode.MAX_CAPABILITY, r) for r in REGIMES]
    assert [r.objective for r in runs] == pytest.approx([60, 120, 120])
    assert [r.total_cost for r in runs] == pytest.approx([640, 640, 640])


def test_the_staircase_of_the_contract() -> None:
    """reference 20, PR 0.5, q = 2, 6 doublings, lowest pool 10: k from floor(2 log2 0.5) =
    -2 to 12; B_-2 = 10, m_-2 = 2; B_12 = 1280, m_12 = 1/64."""
    rule = Learning(process="p", progress_ratio=0.5, reference=20, steps_per_doubling=2)
    stairs = staircase(rule, 10)
    assert stairs.ks == tuple(range(-2, 13))
    assert stairs.breakpoints[0] == pytest.approx(10)
    assert stairs.multipliers[0] == pytest.approx(2)
    assert stairs.breakpoints[-1] == pytest.approx(1280)
    assert stairs.multipliers[-1] == pytest.approx(1 / 64)
    assert stairs.ks[stairs.index_of(20 * 2**0.5)] == 1  # on a breakpoint: that segment


def test_shadow_prices_come_from_the_lp_with_every_binary_fixed(tmp_path: Path) -> None:
    """In the shared loop's coalition the 2027 segment is a binary: prices are read with it
    fixed, so the marginal unit of capability in 2027 costs 8 x 0.5 = 4, and are labelled.

    In 2026 the fixed segment (x0.5 in 2027) forces 20 units built in 2026, exactly what
    the targets need: one unit less demand saves nothing, one more costs 8, so any price
    from 0 to 8 is valid and the plan is flagged degenerate."""
    scenario = scenario_of(tmp_path, cases.learning_loop())
    model = build(scenario, setting_for(scenario, Regime.COALITION, Mode.MIN_COST))
    assert model.is_mip and model.learning.segment
    solution = solve(model)
    assert solution.prices.fixed_binaries
    assert solution.prices.balance[("A", "cap", "2027")] == pytest.approx(4)
    assert -1e-9 <= solution.prices.balance[("A", "cap", "2026")] <= 8 + 1e-9
    assert solution.prices.degenerate
    prices = run_one(scenario, Mode.MIN_COST, Regime.COALITION).prices
    assert prices["reading"].str.contains("learning steps held fixed").all()


# --- properties --------------------------------------------------------------------------------


def _without_learning(tables: Tables) -> Tables:
    return {k: v for k, v in tables.items() if k not in ("Learning", "Experience")}


@pytest.mark.parametrize("case", ["loop", "output", "budget"])
def test_a_progress_ratio_of_one_is_no_learning(tmp_path: Path, case: str) -> None:
    tables = {
        "loop": cases.learning_loop(),
        "output": cases.learning_by_output(),
        "budget": cases.learning_loop(budget=160),
    }[case]
    tables["Learning"][0]["progress_ratio"] = 1.0
    mode = Mode.MAX_CAPABILITY if case == "budget" else Mode.MIN_COST
    learnt = run(scenario_of(tmp_path, tables), modes=[mode])
    plain = run(scenario_of(tmp_path, _without_learning(tables)), modes=[mode])
    for key, one in learnt.runs.items():
        other = plain.runs[key]
        assert one.objective == pytest.approx(other.objective)
        assert one.total_cost == pytest.approx(other.total_cost)
        assert one.total_capability == pytest.approx(other.total_capability)
        assert set(one.learning["multiplier"]) == {1.0}


_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(
    initial=st.floats(1, 60),
    more=st.floats(0, 60),
    ratio=st.sampled_from([0.5, 0.8, 0.95]),
    steps=st.integers(1, 3),
)
def test_more_initial_experience_never_raises_the_min_cost_objective(
    tmp_path: Path, initial: float, more: float, ratio: float, steps: int
) -> None:
    def objective(start: float, regime: Regime) -> float:
        tables = cases.learning_loop(initial=start)
        tables["Learning"][0].update(progress_ratio=ratio, steps_per_doubling=steps)
        value = run_one(scenario_of(tmp_path, tables), Mode.MIN_COST, regime).objective
        assert value is not None
        return value

    for regime in (Regime.NATIONAL, Regime.COALITION):
        assert objective(initial + more, regime) <= objective(initial, regime) + 1e-6


@_SETTINGS
@given(
    spillover=st.sampled_from([0.0, 0.3, 1.0]),
    ratio=st.sampled_from([0.5, 0.8]),
    initial=st.floats(2, 40),
    driver=st.sampled_from(["builds", "output"]),
)
def test_the_coalition_learning_alone_never_beats_the_shared_loop(
    tmp_path: Path, spillover: float, ratio: float, initial: float, driver: str
) -> None:
    tables = cases.learning_by_output() if driver == "output" else cases.learning_loop()
    tables["Learning"][0].update(progress_ratio=ratio, spillover=spillover)
    for row in tables["Experience"]:
        row["initial"] = initial

    def coalition(pool: str) -> float:
        tables["Learning"][0]["pool"] = pool
        value = run_one(scenario_of(tmp_path, tables), Mode.MIN_COST, Regime.COALITION).objective
        assert value is not None
        return value

    assert coalition("regime") <= coalition("country") + 1e-6


# --- the oracle on generated scenarios --------------------------------------------------------


def _generated(
    ratio: float, reference_: float, initial: tuple[float, float], spillover: float, pool: str
) -> Tables:
    """The shared loop with a fixed cost, a third period, a trade link's worth of spread
    between A and B (different targets) and the Learning knobs drawn."""
    tables = cases.learning_loop(spillover=spillover, pool=pool)
    tables["Periods"] = cases.period_rows(2026, 2027, 2028)
    tables["Capacity"][0].update(fixed_cost=5, new_cost=8)
    tables["Capacity"][1].update(new_cost=6, lifetime=2)
    tables["Targets"][1]["amount"] = 25
    tables["Learning"][0].update(progress_ratio=ratio, reference=reference_, max_doublings=4)
    for row, value in zip(tables["Experience"], initial, strict=True):
        row["initial"] = value
    return tables


@settings(max_examples=10, deadline=None)
@given(
    ratio=st.sampled_from([0.6, 0.8, 0.9]),
    reference_=st.sampled_from([5.0, 20.0, 50.0]),
    initial=st.tuples(st.floats(1, 40), st.floats(1, 40)),
    spillover=st.sampled_from([0.0, 0.5]),
    pool=st.sampled_from(["regime", "country"]),
)
def test_the_planner_agrees_with_the_oracle_on_generated_learning(
    ratio: float,
    reference_: float,
    initial: tuple[float, float],
    spillover: float,
    pool: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tables = _generated(ratio, reference_, initial, spillover, pool)
    scenario = scenario_of(tmp_path_factory.mktemp("gen"), tables)
    for mode in ("min_cost", "max_capability"):
        for regime in REGIMES:
            want = reference(tables, mode, regime.value)
            got = run_one(scenario, Mode(mode), regime)
            assert got.status.value == want.status
            assert got.objective == pytest.approx(want.objective, rel=1e-6, abs=1e-6)
            if mode == "min_cost":
                assert got.total_cost == pytest.approx(want.total_cost, rel=1e-6, abs=1e-6)
                mine = [
                    (tuple(r["pool"]), r["period"], r["multiplier"])
                    for r in got.learning.to_dict("records")
                ]
                theirs = [(e.pool, e.period, pytest.approx(e.multiplier)) for e in want.learning]
                assert mine == theirs


# --- what a learning run reports -------------------------------------------------------------


def test_json_and_report_of_a_learning_run(tmp_path: Path) -> None:
    path = workbook(tmp_path / "loop.xlsx", cases.learning_loop())
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        main, ["run", str(path), "-o", str(out), "--json", str(tmp_path / "s.json")]
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "s.json").read_text())
    coalition = next(
        r for r in document["runs"] if (r["mode"], r["regime"]) == ("min_cost", "coalition")
    )
    assert coalition["learning"] == [
        {
            "process": "make",
            "pool": ["A", "B"],
            "period": "2026",
            "experience": pytest.approx(20),
            "segment": 0,
            "multiplier": pytest.approx(1),
        },
        {
            "process": "make",
            "pool": ["A", "B"],
            "period": "2027",
            "experience": pytest.approx(40),
            "segment": 1,
            "multiplier": pytest.approx(0.5),
        },
    ]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames.index("Learning") == book.sheetnames.index("Prices") - 1
    sheet = book["Learning"]
    header = [c.value for c in sheet[1]][:9]
    assert header == [
        "mode",
        "regime",
        "process",
        "pool",
        "period",
        "year",
        "experience",
        "segment",
        "multiplier",
    ]
    rows = [[c.value for c in row][:9] for row in sheet.iter_rows(min_row=2) if row[0].value]
    assert rows[5][:6] == ["min_cost", "coalition", "make", "A, B", "2027", 2027]
    (chart,) = sheet._charts
    assert len(chart.series) == 4  # national: A, national: B, coalition, open


def test_a_scenario_without_learning_has_no_learning_sheet_or_key(tmp_path: Path) -> None:
    scenario = scenario_of(tmp_path, _without_learning(cases.learning_loop()))
    comparison = run(scenario, modes=[Mode.MIN_COST])
    assert "Learning" not in build_workbook(comparison).sheetnames
    assert all("learning" not in r for r in comparison.to_json()["runs"])


def test_learning_pool_country_shows_the_saving_with_and_without_the_shared_loop(
    tmp_path: Path,
) -> None:
    """Every country alone: national 480 = coalition 480, saving 0; the shared loop's
    coalition costs 240, saving 240: the shared loop is worth 240, re-solved both ways."""
    path = workbook(tmp_path / "loop.xlsx", cases.learning_loop())
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(path),
            "--learning-pool",
            "country",
            "--mode",
            "min_cost",
            "-o",
            str(out),
            "--json",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "min_cost: the coalition's saving is 240.00 USD bn with the shared learning loop and "
        "0.00 with every country learning alone; the shared loop accounts for 240.00"
    ) in result.output
    document = json.loads((tmp_path / "s.json").read_text())
    (loop,) = document["learning_loop"]
    assert loop == {
        "mode": "min_cost",
        "national": pytest.approx(480),
        "coalition_shared": pytest.approx(240),
        "coalition_alone": pytest.approx(480),
        "saving_shared": pytest.approx(240),
        "saving_alone": pytest.approx(0),
        "shared_loop": pytest.approx(240),
    }
    runs = {(r["mode"], r["regime"]): r["objective"] for r in document["runs"]}
    assert runs[("min_cost", "coalition")] == pytest.approx(480)  # solved learning alone
    scenario = scenario_of(tmp_path, cases.learning_loop())
    assert run_one(scenario, Mode.MIN_COST, Regime.COALITION).objective == pytest.approx(
        loop["coalition_shared"]
    )
    values = [c.value for row in openpyxl.load_workbook(out)["Learning"].iter_rows() for c in row]
    assert "shared_loop" in values
