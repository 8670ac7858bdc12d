"""Shared test helpers: a terse Scenario builder, row edits, one-call solves, and the small
scenarios whose optima tests/test_known_optima.py derives by hand.

The helpers are plain functions, each also offered as a session-scoped fixture of the same
name (so hypothesis tests may use them too). Conventions of :func:`make_scenario`:

- ``countries``: ids (all members, budget 0) or ``{id: {"member": ..., "budget": ...}}``;
  ``member`` defaults to yes.
- ``commodities``: ``{id: kind}`` or ``{id: {"kind": ..., "tradable": ..., ...}}``.
- ``recipe``: ``{process: {commodity: amount}}``, a negative amount an input, a positive
  one an output; the processes are the recipe's keys, each its own layer.
- ``resources`` ``{(country, commodity): available or {fields}}``, ``capacity``
  ``{(country, process): {fields}}``, ``targets`` ``{(country, commodity): amount or
  {fields}}``, ``links`` ``{(exporter, importer, commodity): {fields}}``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from hypothesis import settings

from planner.model.build import build, setting_for
from planner.model.solve import Solution, SolveOptions, Status, solve
from planner.scenario.schema import (
    Capacity,
    Commodity,
    Country,
    Link,
    Mode,
    Process,
    RecipeLine,
    Regime,
    Resource,
    Role,
    Scenario,
    Target,
)

# CI must not fail on a counterexample drawn for the first time on that run: there the
# property tests replay a fixed sequence of examples (locally they keep exploring).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

Fields = Mapping[str, Any]

SHEET_KEYS: dict[str, tuple[str, ...]] = {
    "countries": ("country",),
    "commodities": ("commodity",),
    "resources": ("country", "commodity"),
    "processes": ("process",),
    "recipe": ("process", "commodity", "role"),
    "capacity": ("country", "process"),
    "targets": ("country", "commodity"),
    "links": ("exporter", "importer", "commodity"),
}
"""The key columns of each sheet, in index-tuple order."""

MONEY: dict[str, tuple[str, ...]] = {
    "countries": ("budget",),
    "commodities": ("trade_cost",),
    "resources": ("cost",),
    "capacity": ("cost", "new_cost", "fixed_cost"),
    "links": ("cost",),
}
"""Every money column of every sheet (the Scenario's shortfall_penalty is money too)."""

RUNS = [(mode, regime) for mode in Mode for regime in Regime]
"""The six runs of a scenario."""


def _fields(value: float | Fields, first: str) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {first: value}


def make_scenario(
    *,
    countries: Iterable[str] | Mapping[str, Fields],
    commodities: Mapping[str, str | Fields],
    recipe: Mapping[str, Mapping[str, float]],
    resources: Mapping[tuple[str, str], float | Fields] | None = None,
    capacity: Mapping[tuple[str, str], Fields] | None = None,
    targets: Mapping[tuple[str, str], float | Fields] | None = None,
    links: Mapping[tuple[str, str, str], Fields] | None = None,
    penalty: float = 1000.0,
    name: str = "small",
) -> Scenario:
    """A Scenario from terse tables (see the module docstring for the conventions)."""
    if not isinstance(countries, Mapping):
        countries = {c: {} for c in countries}
    return Scenario(
        name=name,
        shortfall_penalty=penalty,
        countries=tuple(
            Country(country=c, name=c, **{"member": True, **f}) for c, f in countries.items()
        ),
        commodities=tuple(
            Commodity(commodity=k, **_fields(f, "kind")) for k, f in commodities.items()
        ),
        processes=tuple(Process(process=p, layer=p) for p in recipe),
        recipe=tuple(
            RecipeLine(
                process=p,
                commodity=k,
                role=Role.OUTPUT if amount > 0 else Role.INPUT,
                amount=abs(amount),
            )
            for p, lines in recipe.items()
            for k, amount in lines.items()
        ),
        resources=tuple(
            Resource(country=c, commodity=k, **_fields(f, "available"))
            for (c, k), f in (resources or {}).items()
        ),
        capacity=tuple(
            Capacity(country=c, process=p, **f) for (c, p), f in (capacity or {}).items()
        ),
        targets=tuple(
            Target(country=c, commodity=k, **_fields(f, "amount"))
            for (c, k), f in (targets or {}).items()
        ),
        links=tuple(
            Link(exporter=i, importer=j, commodity=k, **f) for (i, j, k), f in (links or {}).items()
        ),
    )


def _rebuild(scenario: Scenario, **sheets: list[dict[str, Any]] | float) -> Scenario:
    """A new validated Scenario from a dump with some sheets (or fields) replaced.

    Going through ``model_dump`` (never ``model_copy``) leaves no stale cached property.
    """
    data = scenario.model_dump()
    data.update(sheets)
    return Scenario.model_validate(data)


def _key(sheet: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in SHEET_KEYS[sheet])


def edit(scenario: Scenario, sheet: str, key: tuple[str, ...], **values: Any) -> Scenario:
    """The scenario with one row's columns set to ``values``; the row must exist."""
    rows = [dict(row) for row in scenario.model_dump()[sheet]]
    hits = [row for row in rows if _key(sheet, row) == key]
    assert len(hits) == 1, f"no single {sheet} row {key}"
    hits[0].update(values)
    return _rebuild(scenario, **{sheet: rows})


def bump(
    scenario: Scenario, sheet: str, key: tuple[str, ...], column: str, delta: float = 1.0
) -> Scenario:
    """The scenario with ``delta`` added to one row's numeric column."""
    (row,) = [r for r in scenario.model_dump()[sheet] if _key(sheet, r) == key]
    return edit(scenario, sheet, key, **{column: row[column] + delta})


def add_rows(scenario: Scenario, sheet: str, *rows: Fields) -> Scenario:
    """The scenario with rows appended to one sheet."""
    return _rebuild(scenario, **{sheet: [*scenario.model_dump()[sheet], *map(dict, rows)]})


def scale_money(scenario: Scenario, k: float) -> Scenario:
    """The scenario with every money column (and the shortfall penalty) multiplied by k."""
    data = scenario.model_dump()
    for sheet, columns in MONEY.items():
        for row in data[sheet]:
            for column in columns:
                if row[column] is not None:
                    row[column] *= k
    data["shortfall_penalty"] *= k
    return Scenario.model_validate(data)


def run(
    scenario: Scenario,
    regime: Regime,
    mode: Mode,
    members: Iterable[str] | None = None,
    options: SolveOptions | None = None,
) -> Solution:
    """Build and solve one run; tests of a plan expect an optimal one.

    The solution is keyed as version 1 keyed it (:func:`flat`): these fixtures serve the
    tests of one-period scenarios.
    """
    setting = setting_for(scenario, regime, mode, None if members is None else list(members))
    solution = solve(build(scenario, setting), options or SolveOptions())
    assert solution.status is Status.OPTIMAL, solution.message
    return flat(solution)


def flat(solution: Solution) -> Solution:
    """A one-period solution keyed as version 1 keyed it: without the period.

    Version 2 puts the period last in every index tuple; the version-1 tests read a
    one-period model, whose only period is ``1``.
    """

    def strip(values: Mapping[Any, Any]) -> dict[Any, Any]:
        out = {}
        for key, value in values.items():
            assert key[-1] == "1", key
            out[key[:-1] if len(key) > 2 else key[0]] = value
        return out

    prices = solution.prices
    flat_prices = dataclasses.replace(
        prices,
        **{
            name: strip(getattr(prices, name))
            for name in ("balance", "resource", "capacity", "budget", "new_limit", "link", "target")
        },
        tight=frozenset(
            (family, key[:-1] if len(key) > 2 or family == "budget" else key)
            for family, key in prices.tight
        ),
    )
    return dataclasses.replace(
        solution,
        **{
            name: strip(getattr(solution, name))
            for name in ("use", "act", "new", "build", "ship", "wimp", "back", "deliver", "spend")
        },
        prices=flat_prices,
    )


def run_all(scenario: Scenario) -> dict[tuple[Mode, Regime], Solution]:
    """All six runs of a scenario, keyed by (mode, regime)."""
    return {(mode, regime): run(scenario, regime, mode) for mode, regime in RUNS}


# Fixtures: each helper and each scenario below, offered to tests without importing this module.


@pytest.fixture(scope="session", name="make_scenario")
def _make_scenario_fixture() -> Any:
    return make_scenario


@pytest.fixture(scope="session", name="edit")
def _edit_fixture() -> Any:
    return edit


@pytest.fixture(scope="session", name="bump")
def _bump_fixture() -> Any:
    return bump


@pytest.fixture(scope="session", name="add_rows")
def _add_rows_fixture() -> Any:
    return add_rows


@pytest.fixture(scope="session", name="scale_money")
def _scale_money_fixture() -> Any:
    return scale_money


@pytest.fixture(scope="session", name="solve_run")
def _solve_run_fixture() -> Any:
    return run


@pytest.fixture(scope="session", name="solve_all")
def _solve_all_fixture() -> Any:
    return run_all


# The small scenarios of tests/test_known_optima.py (which derives their optima by hand) and
# tests/test_prices.py. Processes cost nothing, and resources are absent, unless stated.

FAB_TRAIN = {"fab": {"chip": 1}, "train": {"chip": -1, "cap": 1}}
"""The shortest stack: ``fab`` makes a chip from nothing, ``train`` turns it into capability."""


def shortfall_stack() -> Scenario:
    """Members A and B, non-member X; two layers; penalty 100.

    ``fab``: 2 ore -> 1 chip. ``train``: 1 chip + 1 power -> 1 cap. chip is tradable at 1.
    A: ore 20 at 1, power 10 at 0, fab 10 at 3, train 10 at 1. B: power 10 at 2, train 10
    at 1, no fab. X: ore 100 at 0.5, fab 100 at 1. Targets: A 4, B 5.
    """
    return make_scenario(
        countries={"A": {}, "B": {}, "X": {"member": False}},
        commodities={
            "ore": "resource",
            "power": "resource",
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": "capability",
        },
        recipe={"fab": {"ore": -2, "chip": 1}, "train": {"chip": -1, "power": -1, "cap": 1}},
        resources={
            ("A", "ore"): {"available": 20, "cost": 1},
            ("A", "power"): {"available": 10, "cost": 0},
            ("B", "power"): {"available": 10, "cost": 2},
            ("X", "ore"): {"available": 100, "cost": 0.5},
        },
        capacity={
            ("A", "fab"): {"existing": 10, "cost": 3},
            ("A", "train"): {"existing": 10, "cost": 1},
            ("B", "train"): {"existing": 10, "cost": 1},
            ("X", "fab"): {"existing": 100, "cost": 1},
        },
        targets={("A", "cap"): 4, ("B", "cap"): 5},
        penalty=100,
    )


def fixed_cost_afford() -> Scenario:
    """Members A and B, budget 6 each; chip tradable at 0.5.

    A's fab has no existing capacity: up to 100 new at new_cost 0.25, activity cost 0.25,
    fixed_cost 10. train 100 in A and B. Targets amount 1 each, weight A 1, B 3.
    """
    return make_scenario(
        countries={"A": {"budget": 6}, "B": {"budget": 6}},
        commodities={
            "chip": {"kind": "product", "tradable": True, "trade_cost": 0.5},
            "cap": "capability",
        },
        recipe=FAB_TRAIN,
        capacity={
            ("A", "fab"): {"cost": 0.25, "max_new": 100, "new_cost": 0.25, "fixed_cost": 10},
            ("A", "train"): {"existing": 100},
            ("B", "train"): {"existing": 100},
        },
        targets={
            ("A", "cap"): {"amount": 1, "weight": 1},
            ("B", "cap"): {"amount": 1, "weight": 3},
        },
    )


def fixed_cost_justify() -> Scenario:
    """Members A and B; chip tradable at 1; penalty 10.

    A's fab: no existing, max_new 20, min_new 5, new_cost 2, activity cost 1, fixed_cost 12.
    train 20 in A and B. Targets: A 2, B 4.
    """
    return make_scenario(
        countries=["A", "B"],
        commodities={
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": "capability",
        },
        recipe=FAB_TRAIN,
        capacity={
            ("A", "fab"): {
                "cost": 1,
                "max_new": 20,
                "min_new": 5,
                "new_cost": 2,
                "fixed_cost": 12,
            },
            ("A", "train"): {"existing": 20},
            ("B", "train"): {"existing": 20},
        },
        targets={("A", "cap"): 2, ("B", "cap"): 4},
        penalty=10,
    )


def capped_nonmember() -> Scenario:
    """Members A and B, non-member X; chip tradable at 1; penalty 100.

    fab: A 100 at 5, X 100 at 1. train 100 in A and B. Targets: A 4, B 4. Links: X -> A
    chip allowed, cost 1.5, capacity 3.
    """
    return make_scenario(
        countries={"A": {}, "B": {}, "X": {"member": False}},
        commodities={
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": "capability",
        },
        recipe=FAB_TRAIN,
        capacity={
            ("A", "fab"): {"existing": 100, "cost": 5},
            ("X", "fab"): {"existing": 100, "cost": 1},
            ("A", "train"): {"existing": 100},
            ("B", "train"): {"existing": 100},
        },
        targets={("A", "cap"): 4, ("B", "cap"): 4},
        links={("X", "A", "chip"): {"allowed": True, "cost": 1.5, "capacity": 3}},
        penalty=100,
    )


def disallowed_link() -> Scenario:
    """Members A, B, C; power (a resource) and chip tradable at 1; penalty 100.

    ``train``: 1 chip + 1 power -> 1 cap. A: power 100 at 0, fab 100 at 1. B: power 10 at 5,
    train 100. C: train 100. Targets: B 2, C 3. Links: A -> B ``*`` banned but A -> B chip
    allowed (the specific row overrides the ``*`` row); C -> B ``*`` banned.
    """
    return make_scenario(
        countries=["A", "B", "C"],
        commodities={
            "power": {"kind": "resource", "tradable": True, "trade_cost": 1},
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": "capability",
        },
        recipe={"fab": {"chip": 1}, "train": {"chip": -1, "power": -1, "cap": 1}},
        resources={
            ("A", "power"): {"available": 100, "cost": 0},
            ("B", "power"): {"available": 10, "cost": 5},
        },
        capacity={
            ("A", "fab"): {"existing": 100, "cost": 1},
            ("B", "train"): {"existing": 100},
            ("C", "train"): {"existing": 100},
        },
        targets={("B", "cap"): 2, ("C", "cap"): 3},
        links={
            ("A", "B", "*"): {"allowed": False},
            ("A", "B", "chip"): {"allowed": True},
            ("C", "B", "*"): {"allowed": False},
        },
        penalty=100,
    )


def pooled_budget() -> Scenario:
    """Members A (budget 10) and B (budget 2); chip tradable at 1.

    fab: A 100 at 1. train: A 100, B 4. Targets amount 0, weight A 1, B 3.
    """
    return make_scenario(
        countries={"A": {"budget": 10}, "B": {"budget": 2}},
        commodities={
            "chip": {"kind": "product", "tradable": True, "trade_cost": 1},
            "cap": "capability",
        },
        recipe=FAB_TRAIN,
        capacity={
            ("A", "fab"): {"existing": 100, "cost": 1},
            ("A", "train"): {"existing": 100},
            ("B", "train"): {"existing": 4},
        },
        targets={
            ("A", "cap"): {"amount": 0, "weight": 1},
            ("B", "cap"): {"amount": 0, "weight": 3},
        },
    )


def multi_layer() -> Scenario:
    """One member A (budget 39): three layers with several inputs and outputs.

    ``refine``: 2 ore + 1 power -> 1 wafer + 1 gas (cost 1). ``fab``: 1 wafer + 0.5 gas +
    2 power -> 2 chip (cost 2). ``train``: 4 chip + 3 power -> 1 cap (cost 5). Each has
    existing capacity 100. ore 10 at 1, power 100 at 0.5. Target 3.
    """
    return make_scenario(
        countries={"A": {"budget": 39}},
        commodities={
            "ore": "resource",
            "power": "resource",
            "wafer": "product",
            "gas": "product",
            "chip": "product",
            "cap": "capability",
        },
        recipe={
            "refine": {"ore": -2, "power": -1, "wafer": 1, "gas": 1},
            "fab": {"wafer": -1, "gas": -0.5, "power": -2, "chip": 2},
            "train": {"chip": -4, "power": -3, "cap": 1},
        },
        resources={
            ("A", "ore"): {"available": 10, "cost": 1},
            ("A", "power"): {"available": 100, "cost": 0.5},
        },
        capacity={
            ("A", "refine"): {"existing": 100, "cost": 1},
            ("A", "fab"): {"existing": 100, "cost": 2},
            ("A", "train"): {"existing": 100, "cost": 5},
        },
        targets={("A", "cap"): 3},
    )


@pytest.fixture(scope="session", name="shortfall_stack")
def _shortfall_stack_fixture() -> Scenario:
    return shortfall_stack()


@pytest.fixture(scope="session", name="fixed_cost_afford")
def _fixed_cost_afford_fixture() -> Scenario:
    return fixed_cost_afford()


@pytest.fixture(scope="session", name="fixed_cost_justify")
def _fixed_cost_justify_fixture() -> Scenario:
    return fixed_cost_justify()


@pytest.fixture(scope="session", name="capped_nonmember")
def _capped_nonmember_fixture() -> Scenario:
    return capped_nonmember()


@pytest.fixture(scope="session", name="disallowed_link")
def _disallowed_link_fixture() -> Scenario:
    return disallowed_link()


@pytest.fixture(scope="session", name="pooled_budget")
def _pooled_budget_fixture() -> Scenario:
    return pooled_budget()


@pytest.fixture(scope="session", name="multi_layer")
def _multi_layer_fixture() -> Scenario:
    return multi_layer()
