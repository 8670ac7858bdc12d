"""Which members gain from the coalition, and by how much, against their national stacks.

For each mode, one row per member, sorted by gain: in min_cost the gain is the fall in the
member's spend plus shortfall penalty; in max_capability, the capability it gains. A member's
spend counts what it pays for imports, not what others spend producing them, so this is a
first reading of who benefits (``planner share`` divides the cost by cooperative-game rules).
Run from any folder:

    .venv/bin/python examples/who_gains.py [SCENARIO.xlsx]  # default scenarios/pax_silica.xlsx
"""

from __future__ import annotations

import sys
from pathlib import Path

import planner
from planner import Mode, Regime

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "pax_silica.xlsx"
COLUMNS = {
    Mode.MIN_COST: ["national_cost", "coalition_cost", "shortfall_change", "gain"],
    Mode.MAX_CAPABILITY: ["national_capability", "coalition_capability", "gain"],
}


def main(path: Path) -> None:
    try:
        result = planner.run(path, regimes=[Regime.NATIONAL, Regime.COALITION])
    except planner.PlannerError as error:
        sys.exit(f"error: {error}")
    gains = result.gains
    print(f"scenario: {result.scenario.name} (money in {result.scenario.currency})")
    for mode, columns in COLUMNS.items():
        table = gains.loc[gains["mode"] == mode.value].set_index("country")
        table = table.sort_values("gain", ascending=False, kind="stable")
        print(f"\n{mode.value}: gain of each member, national -> coalition")
        print(table[columns].to_string(float_format="{:,.2f}".format))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
