"""The shared learning loop: how much of the coalition's gain is learning together.

Contract of this stage: :func:`with_pool` gives the scenario with every Learning row's
``pool`` replaced (``planner run --learning-pool``); :func:`loop_figures` turns the runs of
a scenario in which every country learns alone, and the coalition runs of the same scenario
with the shared loop (``pool = regime``), into one row per mode:

- min_cost: ``saving_shared = national - coalition(shared)``, ``saving_alone = national -
  coalition(alone)``, ``shared_loop = saving_shared - saving_alone`` (= ``coalition(alone)
  - coalition(shared)``), objectives with the shortfall penalty;
- max_capability: the same with extra capability, ``coalition - national``.

``national`` is the same either way (with ``pool = regime`` a member of national stacks
learns alone), so one national run serves both. The shared loop's value is a difference of
two optima (two MILPs re-solved), never a shadow price.
"""

from __future__ import annotations

import pandas as pd

from planner.model.results import RunResult
from planner.scenario.schema import Mode, Pool, Regime, Scenario

LOOP_COLUMNS = [
    "mode",
    "national",
    "coalition_shared",
    "coalition_alone",
    "saving_shared",
    "saving_alone",
    "shared_loop",
]
"""The columns of :func:`loop_figures`: objectives, then the gains with and without the
shared loop (saving in min_cost, extra capability in max_capability)."""


def with_pool(scenario: Scenario, pool: Pool) -> Scenario:
    """The scenario with every Learning row's pool set to ``pool`` (validated anew)."""
    rows = [row.model_copy(update={"pool": pool}) for row in scenario.learning]
    data = scenario.model_dump()
    data["learning"] = [row.model_dump() for row in rows]
    return Scenario.model_validate(data)


def loop_figures(
    alone: dict[tuple[Mode, Regime], RunResult], shared: dict[Mode, RunResult]
) -> pd.DataFrame:
    """One row per mode with both a national run and both coalition runs (see the module)."""
    rows = []
    for mode, together in shared.items():
        national, apart = alone.get((mode, Regime.NATIONAL)), alone.get((mode, Regime.COALITION))
        if national is None or apart is None:
            continue
        values = [r.objective if r.has_plan else None for r in (national, together, apart)]
        nat, coa_shared, coa_alone = values
        sign = 1.0 if mode is Mode.MIN_COST else -1.0

        with_loop, without = (
            None if nat is None or coalition is None else sign * (nat - coalition)
            for coalition in (coa_shared, coa_alone)
        )
        both = with_loop is not None and without is not None
        rows.append(
            {
                "mode": mode.value,
                "national": nat,
                "coalition_shared": coa_shared,
                "coalition_alone": coa_alone,
                "saving_shared": with_loop,
                "saving_alone": without,
                "shared_loop": with_loop - without if both else None,  # type: ignore[operator]
            }
        )
    return pd.DataFrame(rows, columns=LOOP_COLUMNS)


def multiplier_curves(learning: pd.DataFrame, mode: Mode, process: str) -> pd.DataFrame:
    """The multiplier of ``process`` over time by regime, wide: one row per period (``period``
    and ``year`` columns), one column per regime, or per regime and pool where a regime
    has several pools (``national: A``), in run order.

    Args:
        learning: :meth:`Comparison.tables` ``("learning")``: every run's learning rows.
        mode: the mode whose runs are drawn.
        process: the learning process.
    """
    chosen = learning.loc[(learning["mode"] == mode.value) & (learning["process"] == process)]
    pools = chosen.groupby("regime", sort=False)["pool"].nunique()
    label = [
        f"{regime}: {', '.join(pool)}" if pools[regime] > 1 else str(regime)
        for regime, pool in zip(chosen["regime"], chosen["pool"], strict=True)
    ]
    wide = (
        chosen.assign(series=label)
        .pivot_table(index=["period", "year"], columns="series", values="multiplier", sort=False)
        .sort_index(level="year")
    )
    return wide[list(dict.fromkeys(label))].reset_index()
