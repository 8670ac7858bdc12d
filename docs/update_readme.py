"""Regenerate the README's tool-produced sections; ``--check`` fails when they are stale.

Every figure quoted in README.md between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
comes from this script running the planner, never from a hand:

    .venv/bin/python docs/update_readme.py          # rewrite the sections
    .venv/bin/python docs/update_readme.py --check  # exit 1 if README.md is stale

``tests/test_readme.py`` runs the check, so a change in the model or the data that moves a
number fails the suite until the README is regenerated.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TUTORIAL = "scenarios/tutorial_comparative_advantage.xlsx"


def nutshell() -> str:
    """The terminal output of ``planner run`` on the first tutorial."""
    from planner.cli.main import main

    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "report.xlsx")
        result = CliRunner().invoke(main, ["run", str(ROOT / TUTORIAL), "-o", report])
    if result.exit_code != 0:
        raise SystemExit(f"planner run failed:\n{result.output}")
    lines = [line for line in result.stdout.splitlines() if not line.startswith("report:")]
    body = "\n".join(lines).rstrip()
    report = f"report: {Path(TUTORIAL).stem}-report.xlsx"
    return f"```console\n$ planner run {TUTORIAL}\n{body}\n{report}\n```"


VARIANTS = (
    ("scenarios/pax_silica_founders.xlsx", "founding seven (Dec 2025)"),
    ("scenarios/pax_silica.xlsx", "current membership"),
    ("scenarios/pax_silica_trusted.xlsx", "current + Taiwan, Canada trusted"),
)


def _money(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:,.1f}"


def default_scenario() -> str:
    """Headline figures of the default scenario and its membership variants."""
    import planner
    from planner.scenario.schema import Mode, Regime

    results = {path: planner.run(ROOT / path) for path, _ in VARIANTS}
    current = results["scenarios/pax_silica.xlsx"]
    currency = current.scenario.currency
    lines = [
        "| variant | members | min_cost: national | coalition | open | saving | price of trust "
        "| max_capability: national | coalition | open |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, label in VARIANTS:
        result = results[path]
        cost = {r: result.run(Mode.MIN_COST, r).objective for r in Regime}
        cap = {r: result.run(Mode.MAX_CAPABILITY, r).total_capability for r in Regime}
        head = result.headline.set_index("mode").loc[Mode.MIN_COST.value]
        lines.append(
            f"| {label} | {len(result.scenario.members)} | {_money(cost[Regime.NATIONAL])} "
            f"| {_money(cost[Regime.COALITION])} | {_money(cost[Regime.OPEN])} "
            f"| {_money(head['saving'])} ({head['saving_fraction']:.0%}) "
            f"| {_money(head['price_of_trust_cost'])} "
            f"| {cap[Regime.NATIONAL]:.2f} | {cap[Regime.COALITION]:.2f} | {cap[Regime.OPEN]:.2f} |"
        )
    head = current.headline.set_index("mode")
    national = current.run(Mode.MIN_COST, Regime.NATIONAL)
    meeting = int((national.deliveries.groupby("country")["delivered"].sum() > 1e-9).sum())
    gains = current.gains
    top = gains.loc[gains["mode"] == Mode.MIN_COST.value].nlargest(5, "gain")
    winners = ", ".join(f"`{r.country}` ({_money(r.gain)})" for r in top.itertuples())
    necks = "\n".join(_bottlenecks(current.bottlenecks(Mode.MIN_COST), currency))
    unit = currency or "money"
    return "\n".join(
        [
            *lines,
            "",
            f"Money in {unit}; capability in the scenario's capability unit. Current membership:",
            "",
            f"- **Saving against national stacks** (min_cost objective, spend plus shortfall "
            f"penalty): {_money(head.loc['min_cost', 'saving'])} "
            f"({head.loc['min_cost', 'saving_fraction']:.0%}). In national stacks {meeting} of "
            f"{len(current.scenario.members)} members deliver any capability at all, so most "
            "of that figure is the shortfall penalty they avoid; it moves with "
            "`shortfall_penalty`.",
            f"- **Extra capability for the same capital** (max_capability): "
            f"{head.loc['max_capability', 'extra_capability']:.2f}.",
            f"- **Price of trust** (coalition against the open world, min_cost): "
            f"{_money(head.loc['min_cost', 'price_of_trust_cost'])}; in max_capability "
            f"{head.loc['max_capability', 'price_of_trust_capability']:.2f} capability.",
            f"- **Members that gain most** (fall in spend plus penalty): {winners}.",
            "- **Top bottlenecks** of the coalition (min_cost shadow prices):",
            necks,
        ]
    )


def _bottlenecks(table: pd.DataFrame, currency: str, top: int = 5) -> list[str]:
    """One line per kind of limit (family and item), at its highest price, with where."""
    lines = []
    for (family, item), group in table.groupby(["family", "item"], sort=False):
        where = ", ".join(f"`{c}`" for c in group["country"].head(6))
        more = f" and {len(group) - 6} more" if len(group) > 6 else ""
        lines.append(
            f"  - {family} `{item}`: up to {group['more'].max():,.2f} {currency} per unit "
            f"({where}{more})"
        )
    return lines[:top]


SECTIONS: dict[str, Callable[[], str]] = {
    "nutshell": nutshell,
    "default-scenario": default_scenario,
}


def render(text: str) -> str:
    """README text with every known section regenerated."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", flags=re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no section {name!r}")
        content = make()
        text = pattern.sub(lambda m, c=content: m.group(1) + c + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md is stale: run .venv/bin/python docs/update_readme.py")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
