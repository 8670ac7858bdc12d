"""Properties of the multi-period model (DESIGN.md, "Version 2"), on generated scenarios.

Each generated v1 scenario (tests/test_properties.py's strategy) is spread over periods:
two or three periods of one to three years, a discount rate, lead times on some builds, and
targets given per period (so that a period added later has none).
"""

from __future__ import annotations

from typing import Any

from conftest import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import close, scenarios

import planner
from planner.analysis.compare import Comparison
from planner.scenario.schema import Mode, Regime, Scenario

PROPERTY = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MIN, MAX = Mode.MIN_COST, Mode.MAX_CAPABILITY


def spread(base: Scenario, lengths: list[int], rate: float, lead: list[int]) -> dict[str, Any]:
    """``base`` over periods of ``lengths`` years from 2030, as model fields: targets become
    one row per period, and the i-th Capacity row gets lead time ``lead[i % len(lead)]``."""
    data = base.model_dump()
    year, periods = 2030, []
    for length in lengths:
        periods.append({"period": str(year), "year": year, "length": length})
        year += length
    data["periods"] = periods
    data["discount_rate"] = rate
    data["targets"] = [{**t, "period": p["period"]} for p in periods for t in data["targets"]]
    for n, row in enumerate(data["capacity"]):
        row["lead_time"] = lead[n % len(lead)]
    return data


@st.composite
def horizons(draw: st.DrawFn) -> dict[str, Any]:
    base = make_scenario(**draw(scenarios()))
    lengths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    rate = draw(st.sampled_from([0.0, 0.05, 0.25]))
    lead = draw(st.lists(st.integers(0, 1), min_size=1, max_size=3))
    return spread(base, lengths, rate, lead)


def solved(data: dict[str, Any], **changes: Any) -> Comparison:
    return planner.run(Scenario.model_validate({**data, **changes}))


def objectives(comparison: Comparison) -> dict[tuple[Mode, Regime], float]:
    found = {}
    for key, run in comparison.runs.items():
        assert run.status.value == "optimal", (key, run.message)
        assert run.objective is not None
        found[key] = run.objective
    return found


@PROPERTY
@given(data=horizons())
def test_regimes_are_ordered_on_the_discounted_objective(data: dict[str, Any]) -> None:
    """min_cost: open <= coalition <= national (each adds trading options to the one
    before); max_capability: the reverse, on the discounted weighted capability."""
    got = objectives(solved(data))
    nat, coa, opn = (got[(MIN, r)] for r in Regime)
    assert opn <= coa * (1 + 1e-7) + 1e-7 and coa <= nat * (1 + 1e-7) + 1e-7
    nat, coa, opn = (got[(MAX, r)] for r in Regime)
    assert opn >= coa * (1 - 1e-7) - 1e-7 and coa >= nat * (1 - 1e-7) - 1e-7


@PROPERTY
@given(data=horizons(), more=st.sampled_from([0.01, 0.1, 0.5]))
def test_a_higher_discount_rate_never_raises_the_min_cost_objective(
    data: dict[str, Any], more: float
) -> None:
    """Every cost is >= 0 and no build has a lifetime (so no salvage, whose credit shrinks
    as the rate grows): each term's factor D(y) or w_t falls as the rate rises, so the old
    optimal plan costs no more at the higher rate, and the new optimum no more than that."""
    before = objectives(solved(data))
    after = objectives(solved(data, discount_rate=data["discount_rate"] + more))
    for regime in Regime:
        assert after[(MIN, regime)] <= before[(MIN, regime)] * (1 + 1e-7) + 1e-7, regime


@PROPERTY
@given(data=horizons())
def test_a_later_period_without_targets_or_new_data_changes_no_earlier_figure(
    data: dict[str, Any],
) -> None:
    """A period appended after the horizon, with no target (targets are per period here) and
    no row of its own: nothing needs to be made in it, and nothing lasts long enough to be
    salvaged differently (no lifetimes), so every objective and every earlier period's
    capability is unchanged (min_cost: no spend in the new period; max_capability: the
    second stage spends nothing there)."""
    before = solved(data)
    last = data["periods"][-1]
    year = last["year"] + last["length"]
    later = [*data["periods"], {"period": str(year), "year": year, "length": 1}]
    after = solved(data, periods=later)
    old, new = objectives(before), objectives(after)
    for key, value in old.items():
        assert close(new[key], value), key
    for key, run in after.runs.items():
        added = run.periods.loc[run.periods["period"] == str(year)]
        assert close(float(added["capability"].sum()), 0.0), key
        if key[0] is MIN:
            assert close(float(added["cost"].sum()), 0.0), key
