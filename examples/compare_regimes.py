"""Run a scenario in both modes and all three trade regimes, and print the comparison.

Shows the summary table (one row per mode x regime) and the headline figures in words: what
the coalition saves against national stacks, the capability it adds, and the price of trust
(what its limits on trade cost against the open world). Run from any folder:

    .venv/bin/python examples/compare_regimes.py [SCENARIO.xlsx]

SCENARIO defaults to the bundled scenarios/pax_silica.xlsx.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import planner

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "pax_silica.xlsx"
COLUMNS = ["mode", "regime", "status", "objective", "cost", "capability", "shortfall"]


def figure(value: float | None, unit: str = "") -> str:
    """A number with thousands separators, or n/a when a run it needs found no plan."""
    return "n/a" if value is None or pd.isna(value) else f"{value:,.2f}{unit}"


def main(path: Path) -> None:
    try:
        result = planner.run(path)
    except planner.PlannerError as error:
        sys.exit(f"error: {error}")
    money = f" {result.scenario.currency}"
    print(f"scenario: {result.scenario.name}\n")
    print(result.summary[COLUMNS].to_string(index=False, float_format="{:,.2f}".format))
    for row in result.headline.itertuples():
        if row.mode == planner.Mode.MIN_COST:
            print("\nmin_cost: the cost of meeting every target (spend plus shortfall penalty)")
            saving = f"{figure(row.saving, money)} ({figure(100 * row.saving_fraction, '%')})"
            print(f"  the coalition saves against national stacks: {saving}")
            print(f"  saving in spend alone (penalty left out): {figure(row.spend_saving, money)}")
            trust = figure(row.price_of_trust_cost, money)
            print(f"  price of trust, the coalition against the open world: {trust}")
        else:
            print("\nmax_capability: the capability the members' budgets buy")
            extra = figure(row.extra_capability)
            print(f"  the coalition adds against national stacks: {extra} capability")
            trust = figure(row.price_of_trust_capability)
            print(f"  price of trust, the open world's extra capability: {trust}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
