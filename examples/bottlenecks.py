"""Read the shadow prices of the coalition's min_cost plan: where the coalition is limited.

Prints the binding limits worth most (what one more unit of a resource, capacity, link or
budget would save), the marginal cost of each capability in each member, and how many prices
may not be unique (a degenerate LP has other, equally valid, prices). From any folder:

    .venv/bin/python examples/bottlenecks.py [SCENARIO.xlsx]  # default scenarios/pax_silica.xlsx
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import planner
from planner import Mode, PriceFamily, Regime

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "pax_silica.xlsx"


def places(countries: pd.Series) -> str:
    """The first five places (the most valuable: limits come sorted) and how many more."""
    names = list(countries)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def main(path: Path) -> None:
    try:
        result = planner.run(path, modes=[Mode.MIN_COST], regimes=[Regime.COALITION])
    except planner.PlannerError as error:
        sys.exit(f"error: {error}")
    scenario, money = result.scenario, result.scenario.currency
    limits = result.bottlenecks(Mode.MIN_COST, Regime.COALITION)
    top = limits.groupby(["family", "item"], sort=False).agg(
        top_value=("value", "max"), where=("country", places)
    )
    print(f"scenario: {scenario.name}\n\ntop binding limits ({money} saved per extra unit):")
    print(top.head(8).to_string(float_format="{:,.4g}".format))

    prices = result.run(Mode.MIN_COST, Regime.COALITION).prices
    capabilities = [k.commodity for k in scenario.commodities if k.kind == "capability"]
    marginal = prices.loc[
        (prices["family_id"] == PriceFamily.BALANCE)
        & prices["item"].isin(capabilities)
        & prices["country"].isin(scenario.members)
    ]
    print(f"\nmarginal cost of one more unit of capability ({money}):")
    table = marginal.pivot(index="country", columns="item", values="value")
    rows = [m for m in scenario.members if m in table.index]
    print(table.loc[rows].to_string(float_format="{:,.2f}".format))

    flagged = prices.loc[prices["may_not_be_unique"]]
    print(f"\n{len(flagged)} of {int(prices['binding'].sum())} binding prices may not be unique")
    if not flagged.empty:
        print("(the LP is degenerate: other prices are equally valid); by family:")
        print(flagged["family"].value_counts().to_string(header=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
