"""The solve stage's own mechanics: the bulk hand-over to HiGHS, statuses and options."""

from __future__ import annotations

import highspy
import numpy as np
import pulp
import pytest
from conftest import (
    capped_nonmember,
    disallowed_link,
    fixed_cost_afford,
    multi_layer,
    pooled_budget,
    run,
    shortfall_stack,
)

from planner.model.build import build, setting_for
from planner.model.solve import BulkHiGHS, SolveOptions, Status, solve
from planner.scenario.schema import Mode, Regime, Scenario

SCENARIOS = [
    shortfall_stack,
    fixed_cost_afford,
    capped_nonmember,
    disallowed_link,
    pooled_budget,
    multi_layer,
]


def _handed_over(
    solver_class: type[pulp.HiGHS], scenario: Scenario, mode: Mode, regime: Regime
) -> highspy.HighsLp:
    """The LP that ``solver_class`` gives HiGHS for one run, without solving it."""
    model = build(scenario, setting_for(scenario, regime, mode))
    solver = solver_class(msg=False)
    model.problem.solverModel = highspy.Highs()
    model.problem.solverModel.setOptionValue("output_flag", False)
    solver.buildSolverModel(model.problem)
    return model.problem.solverModel.getLp()


@pytest.mark.parametrize("make", SCENARIOS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("regime", list(Regime))
def test_bulk_hand_over_gives_highs_the_same_model_as_pulp(make, mode, regime) -> None:  # type: ignore[no-untyped-def]
    ours = _handed_over(BulkHiGHS, make(), mode, regime)
    theirs = _handed_over(pulp.HiGHS, make(), mode, regime)
    assert ours.num_col_ == theirs.num_col_ and ours.num_row_ == theirs.num_row_
    for field in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(getattr(ours, field), getattr(theirs, field)), field
    assert ours.sense_ == theirs.sense_ and ours.offset_ == theirs.offset_
    assert list(ours.integrality_) == list(theirs.integrality_)
    ours_matrix, theirs_matrix = ours.a_matrix_, theirs.a_matrix_
    for field in ("start_", "index_", "value_"):
        assert np.array_equal(getattr(ours_matrix, field), getattr(theirs_matrix, field)), field


def test_a_model_with_binaries_is_solved_as_a_mip() -> None:
    solution = run(fixed_cost_afford(), Regime.COALITION, Mode.MAX_CAPABILITY)
    assert solution.status is Status.OPTIMAL
    assert solution.prices.fixed_binaries
    assert set(solution.build.values()) <= {0.0, 1.0}


def test_a_time_limit_too_short_for_any_plan_is_reported_as_no_plan() -> None:
    scenario = fixed_cost_afford()
    model = build(scenario, setting_for(scenario, Regime.OPEN, Mode.MIN_COST))
    solution = solve(model, SolveOptions(time_limit=1e-9))
    assert solution.status is Status.ERROR
    assert "time limit" in solution.message
    assert solution.objective is None


@pytest.mark.parametrize("mode", list(Mode))
def test_a_solve_without_prices_finds_the_same_plan(mode: Mode) -> None:
    scenario = fixed_cost_afford()
    setting = setting_for(scenario, Regime.COALITION, mode)
    with_prices = solve(build(scenario, setting))
    without = solve(build(scenario, setting), prices=False)
    assert without.objective == pytest.approx(with_prices.objective)
    assert without.spend == pytest.approx(with_prices.spend)
    assert with_prices.prices.balance and not without.prices.balance
