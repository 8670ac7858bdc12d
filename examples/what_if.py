"""What if a member left, or budgets doubled? Edit the scenario in Python and re-run it.

The edits API (``planner.without_members``, ``planner.scaled`` and the others in the
README's "Editing a scenario in Python") returns a new scenario, checked like a workbook, so
an analyst asks "the coalition without Korea" or "budgets doubled" in one line each. The
table gives, per variant, the members, the coalition's min_cost objective (spend plus
shortfall penalty), its saving against national stacks and the capability its pooled
budgets buy (max_capability). Run from any folder:

    .venv/bin/python examples/what_if.py [SCENARIO.xlsx] [COUNTRY]

With no argument it uses the bundled default scenario and Korea (``KOR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import planner
from planner import Mode, Regime, Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def figures(label: str, scenario: Scenario) -> dict[str, object]:
    """One row of the table: the min_cost runs and the coalition's max_capability run."""
    cost = planner.run(scenario, modes=[Mode.MIN_COST], regimes=[Regime.NATIONAL, Regime.COALITION])
    reach = planner.run(scenario, modes=[Mode.MAX_CAPABILITY], regimes=[Regime.COALITION])
    coalition = cost.run(Mode.MIN_COST, Regime.COALITION).objective
    national = cost.run(Mode.MIN_COST, Regime.NATIONAL).objective
    return {
        "variant": label,
        "members": len(scenario.members),
        "coalition min_cost": coalition,
        "saving vs national": None if None in (coalition, national) else national - coalition,
        "coalition capability": reach.run(Mode.MAX_CAPABILITY, Regime.COALITION).total_capability,
    }


def main(path: Path, country: str) -> None:
    try:
        scenario = planner.load(path).scenario
        rows = [
            figures("as given", scenario),
            figures(f"without {country}", planner.without_members(scenario, [country])),
            figures("budgets doubled", planner.scaled(scenario, "Countries", "budget", 2)),
        ]
    except planner.PlannerError as error:
        sys.exit(f"error: {error}")
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:,.2f}".format))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else SCENARIOS / "pax_silica.xlsx",
        args[1] if len(args) > 1 else "KOR",
    )
