"""The one vocabulary: every family a run produces is a member of the enums, with its words.

The variable and price families are named by :class:`planner.model.families.VariableFamily`
and :class:`planner.model.families.PriceFamily`; their index tuples follow the members'
``dims``, and the price table's words come from the members. These tests solve every run of
four small scenarios which, between them, price every family (a capped link to a
non-member, a pooled budget, a new-capacity limit, resources), and check each row and key
against the enums.
"""

from __future__ import annotations

from typing import Any

import pytest

import planner
from planner.model.build import build, setting_for
from planner.model.families import Dim, PriceFamily, VariableFamily
from planner.model.results import RUN_ORDER, tabulate
from planner.model.solve import solve

SCENARIOS = ("capped_nonmember", "pooled_budget", "fixed_cost_justify", "multi_layer")


@pytest.fixture(scope="module", name="runs")
def _runs(request: Any) -> list[Any]:
    """(scenario, built model, solution, run result) of every run of the scenarios."""
    runs = []
    for name in SCENARIOS:
        scenario = request.getfixturevalue(name)
        for mode, regime in RUN_ORDER:
            setting = setting_for(scenario, regime, mode)
            built = build(scenario, setting)
            solution = solve(built)
            runs.append((scenario, built, solution, tabulate(scenario, setting, solution)))
    return runs


def test_every_price_row_is_a_family_member_with_its_label_and_reading(runs: list[Any]) -> None:
    seen: set[PriceFamily] = set()
    for scenario, _, solution, result in runs:
        table = result.prices
        assert list(table["family_id"].drop_duplicates()) == [
            f for f in PriceFamily if solution.prices.of(f)
        ]  # one block per family, in the enum's order
        for family in PriceFamily:
            rows = table.loc[table["family_id"] == family]
            keys = list(solution.prices.of(family))
            assert len(rows) == len(keys), family
            assert set(rows["family"]) <= {family.label}
            for key, reading in zip(keys, rows["reading"], strict=True):
                subject = family.subject(key, scenario.currency)
                assert reading == subject[0].upper() + subject[1:] + reading[len(subject) :]
            if keys:
                seen.add(PriceFamily(rows["family_id"].iloc[0]))
    assert seen == set(PriceFamily)  # the scenarios price every family


def test_labels_name_one_family_each() -> None:
    labels = [family.label for family in PriceFamily]
    assert len(set(labels)) == len(labels)
    assert PriceFamily.limits() == (
        PriceFamily.RESOURCE,
        PriceFamily.CAPACITY,
        PriceFamily.NEW_LIMIT,
        PriceFamily.LINK,
        PriceFamily.BUDGET,
    )


def test_every_key_follows_its_familys_dimensions(runs: list[Any]) -> None:
    for _, built, solution, _ in runs:
        for family in VariableFamily:
            assert set(built.variables(family)) == set(solution.values(family)), family
            for key in solution.values(family):
                assert len(key) == len(family.dims), (family, key)
        for family in PriceFamily:
            for key in solution.prices.of(family):
                named = family.named(key)
                assert list(named) == list(family.dims)
        for family, key in solution.prices.tight:
            assert len(key) == len(PriceFamily(family).dims)


def test_keys_are_built_from_records_by_dimension_name(capped_nonmember: Any) -> None:
    link = next(
        iter(setting_for(capped_nonmember, planner.Regime.OPEN, planner.Mode.MIN_COST).links)
    )
    key = (link.commodity, link.exporter, link.importer, link.period)
    assert VariableFamily.SHIP.key(link) == key
    row = capped_nonmember.capacity[0].model_copy(update={"period": "1"})
    assert PriceFamily.NEW_LIMIT.key(row) == (row.country, row.process, "1")
    assert PriceFamily.BUDGET.named(("pooled", "1")) == {Dim.GROUP: "pooled", Dim.PERIOD: "1"}
    with pytest.raises(ValueError, match="entries"):
        PriceFamily.LINK.named(("chip", "A", "B"))


def test_bottlenecks_are_the_binding_limits_one_more_unit_of_which_helps(request: Any) -> None:
    found = 0
    for name in SCENARIOS:
        comparison = planner.run(request.getfixturevalue(name))
        for mode in comparison.modes:
            limits = comparison.bottlenecks(mode)
            prices = comparison.run(mode, planner.Regime.COALITION).prices
            chosen = prices["family_id"].isin(PriceFamily.limits()) & prices["binding"]
            # only limits whose decrease side is confirmed: one more unit really helps
            expected = prices.loc[chosen & (prices["more"] > 1e-6)]
            assert sorted(limits["reading"]) == sorted(expected["reading"])
            assert set(limits["family"]) <= {f.label for f in PriceFamily.limits()}
            found += len(limits)
    assert found
