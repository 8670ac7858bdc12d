"""Small Version 2 scenarios as plain tables, each with an optimum known by hand.

Each function returns :data:`reference_v2.Tables` (sheet -> rows, DESIGN.md's names), so
the same scenarios can be run through the oracle (tests/test_reference_v2.py derives every
optimum in its tests' docstrings) and, once it reads v2, through the planner. Processes
cost nothing, commodities are not tradable and the shortfall penalty is 1000, unless said.
"""

from __future__ import annotations

from collections.abc import Mapping

from reference_v2 import Tables

Recipe = Mapping[str, Mapping[str, float]]


def scenario_rows(name: str, **keys: object) -> list[dict[str, object]]:
    """The Scenario sheet: ``name`` and any other keys."""
    return [{"key": "name", "value": name}] + [{"key": k, "value": v} for k, v in keys.items()]


def recipe_rows(recipe: Recipe) -> list[dict[str, object]]:
    """Recipe rows from ``{process: {commodity: amount}}``, negative amounts inputs."""
    return [
        {
            "process": p,
            "commodity": k,
            "role": "output" if amount > 0 else "input",
            "amount": abs(amount),
        }
        for p, lines in recipe.items()
        for k, amount in lines.items()
    ]


def process_rows(recipe: Recipe, **windows: Mapping[str, object]) -> list[dict[str, object]]:
    """One Processes row per recipe process, with optional window columns."""
    return [{"process": p, **windows.get(p, {})} for p in recipe]


def member_rows(*countries: str, **budgets: float | None) -> list[dict[str, object]]:
    """Countries rows, every one a member, with optional budgets."""
    return [{"country": c, "member": True, "budget": budgets.get(c)} for c in countries]


def period_rows(*years: int, length: int | None = None) -> list[dict[str, object]]:
    """Periods rows named by their years (as numbers), with an optional common length."""
    return [{"period": float(y), "year": y, "length": length} for y in years]


MAKE = {"make": {"cap": 1.0}}
"""The shortest stack: ``make`` delivers capability from nothing."""


def carry_over() -> Tables:
    """Member A, periods 2026 and 2027 (one year each), no discounting.

    ``make`` (activity cost 1) has no existing capacity: up to 10 new at new_cost 10, no
    lifetime. Target 5 per year in both periods.
    """
    return {
        "Scenario": scenario_rows("carry_over"),
        "Countries": member_rows("A"),
        "Commodities": [{"commodity": "cap", "kind": "capability"}],
        "Processes": process_rows(MAKE),
        "Recipe": recipe_rows(MAKE),
        "Capacity": [{"country": "A", "process": "make", "cost": 1, "max_new": 10, "new_cost": 10}],
        "Targets": [{"country": "A", "commodity": "cap", "amount": 5}],
        "Periods": period_rows(2026, 2027),
    }


def lead_lifetime_salvage() -> Tables:
    """Member A, periods 2030 and 2032 (length 2 from the years, then the last one's default),
    discount rate 0.1.

    ``make``: activity cost 1; new capacity up to 10 at new_cost 10, lifetime 3 years, lead
    time 2; the blank-period row has no existing capacity, the 2030 row (cell by cell) gives
    existing 2 there. Target 2 per year in both periods.
    """
    return {
        "Scenario": scenario_rows("lead_lifetime_salvage", discount_rate=0.1),
        "Countries": member_rows("A"),
        "Commodities": [{"commodity": "cap", "kind": "capability"}],
        "Processes": process_rows(MAKE),
        "Recipe": recipe_rows(MAKE),
        "Capacity": [
            {
                "country": "A",
                "process": "make",
                "cost": 1,
                "max_new": 10,
                "new_cost": 10,
                "lifetime": 3,
                "lead_time": 2,
            },
            {"country": "A", "process": "make", "period": 2030, "existing": 2},
        ],
        "Targets": [{"country": "A", "commodity": "cap", "amount": 2}],
        "Periods": period_rows(2030, 2032),
    }


NODES = {
    "fab5": {"chip5": 1.0},
    "fab3": {"chip3": 1.0},
    "train5": {"chip5": -1.0, "cap": 1.0},
    "train3": {"chip3": -1.0, "cap": 1.0},
}


def window_generations() -> Tables:
    """Members A and B; periods 2026 and 2028 (two years each); no discounting.

    Generations: ``g5`` reached volume in 2020, ``g3`` in 2027; ``chip5`` is g5, ``chip3``
    g3. ``fab3`` is available from 2028. Both members: fab5 existing 10 at cost 3, train5
    existing 10. A also: fab3 up to 10 new at new_cost 1, activity cost 1, no lifetime;
    train3 existing 10. Targets 4 per year in every period.
    """
    capacity = [
        {"country": c, "process": p, "existing": 10, "cost": 3 if p == "fab5" else 0}
        for c in ("A", "B")
        for p in ("fab5", "train5")
    ]
    capacity += [
        {"country": "A", "process": "fab3", "cost": 1, "max_new": 10, "new_cost": 1},
        {"country": "A", "process": "train3", "existing": 10},
    ]
    return {
        "Scenario": scenario_rows("window_generations"),
        "Countries": member_rows("A", "B"),
        "Commodities": [
            {"commodity": "chip5", "kind": "product", "generation": "g5"},
            {"commodity": "chip3", "kind": "product", "generation": "g3"},
            {"commodity": "cap", "kind": "capability"},
        ],
        "Processes": process_rows(NODES, fab3={"available_from": 2028}),
        "Recipe": recipe_rows(NODES),
        "Capacity": capacity,
        "Targets": [{"country": c, "commodity": "cap", "amount": 4} for c in ("A", "B")],
        "Periods": period_rows(2026, 2028),
        "Generations": [
            {"generation": "g3", "frontier_year": 2027},
            {"generation": "g5", "frontier_year": 2020},
        ],
    }


STACK = {
    "fab": {"chip": 1.0},
    "etch": {"wafer": 1.0},
    "train": {"chip": -1.0, "wafer": -1.0, "cap": 1.0},
}


def world_market(scope: str) -> Tables:
    """Members A and B under ``national_scope`` = ``scope``; one period.

    ``train``: 1 chip + 1 wafer -> 1 cap. chip: world price 2, premium 0.5 (3 a unit),
    backstop 10, not tradable. wafer: sovereign, world price 1, backstop 20, tradable at 1.
    A: fab existing 10 at cost 5, etch existing 10 at cost 4, train 10. B: train 10 only.
    Targets 1 each.
    """
    return {
        "Scenario": scenario_rows("world_market", national_scope=scope),
        "Countries": member_rows("A", "B"),
        "Commodities": [
            {
                "commodity": "chip",
                "kind": "product",
                "world_price": 2,
                "world_premium": 0.5,
                "backstop_cost": 10,
            },
            {
                "commodity": "wafer",
                "kind": "product",
                "tradable": True,
                "trade_cost": 1,
                "sovereign": True,
                "world_price": 1,
                "backstop_cost": 20,
            },
            {"commodity": "cap", "kind": "capability"},
        ],
        "Processes": process_rows(STACK),
        "Recipe": recipe_rows(STACK),
        "Capacity": [
            {"country": "A", "process": "fab", "existing": 10, "cost": 5},
            {"country": "A", "process": "etch", "existing": 10, "cost": 4},
            {"country": "A", "process": "train", "existing": 10},
            {"country": "B", "process": "train", "existing": 10},
        ],
        "Targets": [{"country": c, "commodity": "cap", "amount": 1} for c in ("A", "B")],
    }


FAB_TRAIN = {"fab": {"chip": 1.0}, "train": {"chip": -1.0, "cap": 1.0}}


def budgets_lag() -> Tables:
    """max_capability with budgets per period. Members A and B; periods 2026, 2028 and 2030
    (two years each); no discounting.

    chip tradable at 0. A: fab existing 100 at cost 1, no targets, Countries budget 0. B: fab
    existing 100 at cost 2, train existing 100; target amount 0, weight 1; Countries budget
    0, Budgets 2, 6 and 10 per year in 2026, 2028 and 2030.
    """
    return {
        "Scenario": scenario_rows("budgets_lag"),
        "Countries": member_rows("A", "B"),
        "Commodities": [
            {"commodity": "chip", "kind": "product", "tradable": True},
            {"commodity": "cap", "kind": "capability"},
        ],
        "Processes": process_rows(FAB_TRAIN),
        "Recipe": recipe_rows(FAB_TRAIN),
        "Capacity": [
            {"country": "A", "process": "fab", "existing": 100, "cost": 1},
            {"country": "B", "process": "fab", "existing": 100, "cost": 2},
            {"country": "B", "process": "train", "existing": 100},
        ],
        "Targets": [{"country": "B", "commodity": "cap", "amount": 0, "weight": 1}],
        "Periods": period_rows(2026, 2028, 2030),
        "Budgets": [
            {"country": "B", "period": 2026, "budget": 2},
            {"country": "B", "period": "2028", "budget": 6},
            {"country": "B", "period": 2030.0, "budget": 10},
        ],
    }


def export_ban() -> Tables:
    """Members A and B; periods 2026, 2027, 2028 (one year each).

    chip tradable at 1. fab: A existing 10 at cost 1, B existing 10 at cost 5; train in B
    10. B's target 1 per year. Links A -> B chip: blank period allowed, cost 0.5; periods
    2027 and 2028 allowed no (an export ban from 2027 on; cost left blank); and A -> B ``*``
    in 2028 allowed, cost 0.1 (a period ``*`` row does not override the chip row).
    """
    return {
        "Scenario": scenario_rows("export_ban"),
        "Countries": member_rows("A", "B"),
        "Commodities": [
            {"commodity": "chip", "kind": "product", "tradable": True, "trade_cost": 1},
            {"commodity": "cap", "kind": "capability"},
        ],
        "Processes": process_rows(FAB_TRAIN),
        "Recipe": recipe_rows(FAB_TRAIN),
        "Capacity": [
            {"country": "A", "process": "fab", "existing": 10, "cost": 1},
            {"country": "B", "process": "fab", "existing": 10, "cost": 5},
            {"country": "B", "process": "train", "existing": 10},
        ],
        "Targets": [{"country": "B", "commodity": "cap", "amount": 1}],
        "Periods": period_rows(2026, 2027, 2028),
        "Links": [
            {"exporter": "A", "importer": "B", "commodity": "chip", "cost": 0.5},
            {
                "exporter": "A",
                "importer": "B",
                "commodity": "chip",
                "period": 2027,
                "allowed": False,
            },
            {
                "exporter": "A",
                "importer": "B",
                "commodity": "chip",
                "period": 2028,
                "allowed": False,
            },
            {"exporter": "A", "importer": "B", "commodity": "*", "period": 2028, "cost": 0.1},
        ],
    }


ORE_STACK = {"make": {"ore": -1.0, "cap": 1.0}, "make2": {"ore": -1.0, "cap": 1.0}}


def period_columns() -> Tables:
    """Member A; periods 2026, 2027 and 2028 (one year each); penalty 100.

    ``make`` and ``make2``: 1 ore -> 1 cap. ore: 10 a year at 1 (blank-period row), cost 3
    in 2027 (its period row leaves ``available`` blank). make has Capacity rows for 2026 (up
    to 10 new at new_cost 2, no lifetime) and 2027 (no new capacity), none for 2028. make2
    (available until 2025): a blank-period row with up to 10 new at new_cost 0, and a 2028
    row with existing 1 at activity cost 5. Targets only by period: 2 in 2026, 3 in 2027, 1
    in 2028.
    """
    return {
        "Scenario": scenario_rows("period_columns", shortfall_penalty=100),
        "Countries": member_rows("A"),
        "Commodities": [
            {"commodity": "ore", "kind": "resource"},
            {"commodity": "cap", "kind": "capability"},
        ],
        "Resources": [
            {"country": "A", "commodity": "ore", "available": 10, "cost": 1},
            {"country": "A", "commodity": "ore", "period": 2027, "cost": 3},
        ],
        "Processes": process_rows(ORE_STACK, make2={"available_until": 2025}),
        "Recipe": recipe_rows(ORE_STACK),
        "Capacity": [
            {"country": "A", "process": "make", "period": 2026, "max_new": 10, "new_cost": 2},
            {"country": "A", "process": "make", "period": 2027},
            {"country": "A", "process": "make2", "max_new": 10},
            {"country": "A", "process": "make2", "period": 2028, "existing": 1, "cost": 5},
        ],
        "Targets": [
            {"country": "A", "commodity": "cap", "period": year, "amount": amount}
            for year, amount in ((2026, 2), (2027, 3), (2028, 1))
        ],
        "Periods": period_rows(2026, 2027, 2028),
    }


OLD_NEW = {
    "fab_old": {"chip_old": 1.0},
    "fab_new": {"chip_new": 1.0},
    "train_old": {"chip_old": -1.0, "cap": 1.0},
    "train_new": {"chip_new": -1.0, "cap": 1.0},
}


def one_percent_use(target: float) -> Tables:
    """Member A, one period in 2030; generations ``old`` (frontier 2020) and ``new`` (2029).

    fab_old makes chip_old (old) at 1, existing 1000; fab_new makes chip_new (new) at 0,
    existing 1; train_old and train_new turn a chip into cap, existing 1000 each. Target
    ``target``.
    """
    capacity = [
        {"country": "A", "process": "fab_old", "existing": 1000, "cost": 1},
        {"country": "A", "process": "fab_new", "existing": 1},
        {"country": "A", "process": "train_old", "existing": 1000},
        {"country": "A", "process": "train_new", "existing": 1000},
    ]
    return {
        "Scenario": scenario_rows("one_percent_use"),
        "Countries": member_rows("A"),
        "Commodities": [
            {"commodity": "chip_old", "kind": "product", "generation": "old"},
            {"commodity": "chip_new", "kind": "product", "generation": "new"},
            {"commodity": "cap", "kind": "capability"},
        ],
        "Processes": process_rows(OLD_NEW),
        "Recipe": recipe_rows(OLD_NEW),
        "Capacity": capacity,
        "Targets": [{"country": "A", "commodity": "cap", "amount": target}],
        "Periods": [{"period": "y2030", "year": 2030}],
        "Generations": [
            {"generation": "old", "frontier_year": 2020},
            {"generation": "new", "frontier_year": 2029},
        ],
    }


# Learning.


def learning_loop(
    *,
    spillover: float = 0.0,
    pool: str = "regime",
    initial: float = 10.0,
    max_doublings: float | None = None,
    budget: float | None = None,
) -> Tables:
    """The shared learning loop. Members A and B; periods 2026 and 2027 (one year each).

    ``make`` in A and B: up to 100 new at new_cost 8, lifetime 1 year, no existing. Learning:
    progress ratio 0.5, reference 20, driver builds on new_cost, ``pool``, ``spillover``,
    ``max_doublings``. Experience ``initial`` each. Targets 10 per year each; ``budget`` per
    year each.
    """
    return {
        "Scenario": scenario_rows("learning_loop"),
        "Countries": member_rows("A", "B", A=budget, B=budget),
        "Commodities": [{"commodity": "cap", "kind": "capability"}],
        "Processes": process_rows(MAKE),
        "Recipe": recipe_rows(MAKE),
        "Capacity": [
            {"country": c, "process": "make", "max_new": 100, "new_cost": 8, "lifetime": 1}
            for c in ("A", "B")
        ],
        "Targets": [{"country": c, "commodity": "cap", "amount": 10} for c in ("A", "B")],
        "Periods": period_rows(2026, 2027),
        "Learning": [
            {
                "process": "make",
                "progress_ratio": 0.5,
                "reference": 20,
                "pool": pool,
                "spillover": spillover,
                "max_doublings": max_doublings,
            }
        ],
        "Experience": [{"country": c, "process": "make", "initial": initial} for c in ("A", "B")],
    }


def learning_by_output() -> Tables:
    """Members A and B; periods 2026 and 2028 (two years each).

    ``make`` in A and B: existing 100, activity cost 8. Learning: progress ratio 0.5,
    reference 20, driver ``output``, applies to ``cost``. Experience 10 each. Targets 10 per
    year each.
    """
    return {
        "Scenario": scenario_rows("learning_by_output"),
        "Countries": member_rows("A", "B"),
        "Commodities": [{"commodity": "cap", "kind": "capability"}],
        "Processes": process_rows(MAKE),
        "Recipe": recipe_rows(MAKE),
        "Capacity": [
            {"country": c, "process": "make", "existing": 100, "cost": 8} for c in ("A", "B")
        ],
        "Targets": [{"country": c, "commodity": "cap", "amount": 10} for c in ("A", "B")],
        "Periods": period_rows(2026, 2028),
        "Learning": [
            {
                "process": "make",
                "progress_ratio": 0.5,
                "reference": 20,
                "driver": "output",
                "applies_to": "cost",
            }
        ],
        "Experience": [{"country": c, "process": "make", "initial": 10} for c in ("A", "B")],
    }


def learning_single_period(*, learning: bool = True, new_cost: float = 8.0) -> Tables:
    """Member A, one period (no Periods sheet), with or without its Learning row.

    ``make``: up to 100 new at ``new_cost``, fixed_cost 4, lifetime 4 (so three quarters of
    it is salvaged at the end of the one-year horizon). Learning: progress ratio 0.5,
    reference 20, two steps per doubling; experience 30. Target 10.
    """
    tables: Tables = {
        "Scenario": scenario_rows("learning_single_period"),
        "Countries": member_rows("A"),
        "Commodities": [{"commodity": "cap", "kind": "capability"}],
        "Processes": process_rows(MAKE),
        "Recipe": recipe_rows(MAKE),
        "Capacity": [
            {
                "country": "A",
                "process": "make",
                "max_new": 100,
                "new_cost": new_cost,
                "fixed_cost": 4,
                "lifetime": 4,
            }
        ],
        "Targets": [{"country": "A", "commodity": "cap", "amount": 10}],
    }
    if learning:
        tables["Learning"] = [
            {"process": "make", "progress_ratio": 0.5, "reference": 20, "steps_per_doubling": 2}
        ]
        tables["Experience"] = [{"country": "A", "process": "make", "initial": 30}]
    return tables
