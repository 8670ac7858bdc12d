"""The command ``planner stress``: what the coalition loses when trust breaks.

It only chains the stages: load the workbook, :func:`planner.stress`, print a compact
summary, write the workbook report and (optionally) the JSON summary. Exit codes are the
main CLI's, as ``planner share``: 2 unusable input, 3 some stress solve found no plan
(listed after the outputs are written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planner.analysis.batch import ProgressReporter
from planner.analysis.stress import DEFAULT_BUDGET, DEFAULT_K, StressError, StressResult
from planner.cli.options import (
    Outputs,
    limit_options,
    output_options,
    print_warnings,
    reports_errors,
    zip_limits,
)
from planner.io.reader import ZipLimits
from planner.scenario.schema import Mode


@click.command("stress")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--case",
    "cases",
    multiple=True,
    help="A case of the Stresses sheet; repeat for several [default: every case].",
)
@click.option(
    "--screen",
    is_flag=True,
    help=f"Also run the single-loss screen, and the worst-{DEFAULT_K} search unless --k says "
    "otherwise.",
)
@click.option(
    "--k",
    type=click.IntRange(min=0),
    help=f"Search the worst sets of up to K supply losses (0: no search) [default: "
    f"{DEFAULT_K} with --screen].",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Most sets the exact worst-k search solves before it continues as a beam search.",
)
@click.option(
    "--mode",
    type=click.Choice(["min_cost", "max_capability", "both"]),
    default="both",
    show_default=True,
    help="The modes of the cases (the screen and the search are min_cost).",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local processes solving in parallel.")  # fmt: skip
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Solve on a Dask cluster instead, e.g. tcp://host:8786 (needs `distributed`).",
)
@output_options("stress")
@limit_options
@reports_errors
def stress(**options: Any) -> None:
    """Stress-test the coalition of SCENARIO: exits, bans, outages, cuts and chokepoints.

    Each case of the Stresses sheet is solved before and after, in each regime its actions
    apply to; the screen takes away each member and each supply element the base plan uses,
    one at a time; the worst-k search finds the most damaging sets of up to K losses.
    """
    limits = zip_limits(options)
    _stress(**options, limits=limits)


def _stress(
    scenario: Path,
    cases: tuple[str, ...],
    screen: bool,
    k: int | None,
    budget: int,
    mode: str,
    workers: int,
    scheduler: str | None,
    output: Path | None,
    json_path: Path | None,
    limits: ZipLimits,
) -> None:
    from planner.api import load
    from planner.api import stress as stress_test
    from planner.io.stress_report import write_stress_json, write_stress_report

    outputs = Outputs.choose(scenario, output, json_path, "stress")
    loaded = load(scenario, limits=limits)
    print_warnings(loaded.warnings, limit=3, source=scenario)
    nothing_asked = not loaded.scenario.stresses and not screen and k is None
    screen = screen or nothing_asked
    depth = k if k is not None else (DEFAULT_K if screen else 0)
    progress = ProgressReporter("models solved")
    try:
        result = stress_test(
            loaded,
            cases=cases or None,
            screen=screen,
            k=depth,
            budget=budget,
            modes=tuple(Mode) if mode == "both" else (Mode(mode),),
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    finally:
        progress.close()
    outputs.write(
        format_stress(result),
        lambda path: write_stress_report(result, path, inputs=(scenario,)),
        result.to_json(),
        lambda path: write_stress_json(result, path, inputs=(scenario,)),
    )
    if result.failures:
        raise StressError(result.failures)


def format_stress(result: StressResult) -> str:
    """The compact terminal summary: each case's damage, the screen's top, the worst k."""
    money = result.currency
    lines = [
        f"scenario: {result.scenario} ({result.solves:,} models solved in {result.seconds:,.1f} s)"
    ]
    for record in result.cases.to_dict("records"):
        damage = record["damage"]
        shown = "no plan" if damage is None or damage != damage else f"{damage:,.2f}"
        lines.append(
            f"case {record['case']}, {record['mode']} {record['regime']}: damage {shown}"
            + (f" {money}" if record["mode"] == "min_cost" and shown != "no plan" else "")
        )
    for case, loss in result.loss_to_remaining.items():
        if loss is not None:
            lines.append(f"case {case}: loss to the remaining members {loss:,.2f} {money}")
    if len(result.screen):
        top = result.screen.head(5).to_dict("records")
        lines += ["", "single-loss screen (coalition, min_cost), most damaging first:"]
        lines += [
            f"  {r['element']}: {r['damage']:,.2f}"
            + (" (single point of failure)" if r["single_point_of_failure"] else "")
            for r in top
        ]
        lines.append(
            f"  ({result.screen_skipped:,} of {len(result.screen):,} elements unused in the "
            "base plan: no effect, not solved)"
        )
    if len(result.worst):
        lines += ["", "worst losses (coalition, min_cost):"]
        for r in result.worst.to_dict("records"):
            proof = "proven worst" if r["exact"] else "best found, not proven"
            lines.append(
                f"  up to {r['k']}: {', '.join(r['elements']) or '(none)'}: "
                f"{r['damage']:,.2f} {money} ({proof})"
            )
    return "\n".join(lines)
