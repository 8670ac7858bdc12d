"""Compare Pax Silica's membership variants side by side, one row per variant.

Each variant is the same data with a different membership: the seven founders, the current
24 members, and the current members with Taiwan and Canada as trusted partners. The table
gives, per variant, the number of members, the min_cost objective (spend plus shortfall
penalty) in each trade regime, the coalition's saving against national stacks, the price
of trust (coalition against the open world) and the capability the coalition's pooled
budgets buy (max_capability). Run from any folder:

    .venv/bin/python examples/membership_variants.py [WORKBOOK.xlsx ...]

With no argument it compares the three bundled variants; otherwise the workbooks given,
each labelled by its file name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import planner
from planner import Mode, Regime

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
VARIANTS = ["pax_silica_founders.xlsx", "pax_silica.xlsx", "pax_silica_trusted.xlsx"]


def variant(path: Path) -> dict[str, object]:
    """One row of the table: only the runs it needs are solved, without shadow prices
    (the table reads none) and without the penalty sensitivity."""
    loaded = planner.load(path)
    cost = planner.run(loaded, modes=[Mode.MIN_COST], prices=False, sensitivity_runs=False)
    reach = planner.run(
        loaded, modes=[Mode.MAX_CAPABILITY], regimes=[Regime.COALITION], prices=False
    )
    capability = reach.run(Mode.MAX_CAPABILITY, Regime.COALITION).total_capability
    head = cost.headline.set_index("mode").loc[Mode.MIN_COST.value]
    objective = {r.value: cost.run(Mode.MIN_COST, r).objective for r in Regime}
    return {
        "variant": path.stem,
        "members": len(loaded.scenario.members),
        **{f"min_cost {regime}": value for regime, value in objective.items()},
        "saving": head["saving"],
        "saving %": 100 * head["saving_fraction"],
        "price of trust": head["price_of_trust_cost"],
        "max_capability coalition": capability,
    }


def main(paths: list[Path]) -> None:
    try:
        table = pd.DataFrame([variant(path) for path in paths])
    except planner.PlannerError as error:
        sys.exit(f"error: {error}")
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format="{:,.2f}".format))


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or [SCENARIOS / name for name in VARIANTS])
