"""The command ``planner sweep``: every draw of the Uncertain sheet, in all three regimes.

It only chains the stages: load the workbook, :func:`planner.sweep` with a progress bar (with
the time left: :class:`~planner.analysis.batch.ProgressReporter`, as share and stress), print
the summary, write the workbook report and (optionally) the JSON summary. Ctrl-C stops the
sweep; every finished run is already in the store, and the same command resumes. Exit codes
are the main CLI's: 2 unusable input (or a store of another sweep), 3 some run failed
(listed in the report's Failures sheet), 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from planner.analysis.batch import ProgressReporter
from planner.analysis.sweep import SweepResult
from planner.cli.options import (
    Outputs,
    limit_options,
    output_options,
    print_warnings,
    reports_errors,
    zip_limits,
)
from planner.errors import NoPlanError
from planner.scenario.sheets import DESIGNS


@click.command("sweep")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--design", type=click.Choice(DESIGNS), help="[default: the Sampling sheet's, or oat]"
)
@click.option("--samples", type=click.IntRange(min=1), help="Draws after the base draw.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the draws.")
@click.option(
    "--mode",
    "modes",
    type=click.Choice(["min_cost", "max_capability"]),
    multiple=True,
    help="Mode to solve; repeat for both [default: both].",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="A Dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--scheduler-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A Dask scheduler file (dask-scheduler --scheduler-file), as HPC jobs share.",
)
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file of finished runs: resumes an interrupted sweep, extends a finished one.",
)
@click.option("--retry-failed", is_flag=True, help="Solve again the runs the store has as failed.")
@output_options("sweep")
@limit_options
@reports_errors
def sweep(**options: Any) -> None:
    """Solve every draw of SCENARIO's Uncertain sheet in all three regimes.

    The draws are made once from the seed, before any solve; draw 0 is the workbook as it
    is (planner run's numbers). The report gives the saving and the price of trust per draw,
    their spread, a tornado (oat) and Sobol' indices (sobol).
    """
    limits = zip_limits(options)
    from planner.api import load
    from planner.api import sweep as run_sweep
    from planner.io.sweep_report import write_sweep_json, write_sweep_report

    scenario: Path = options["scenario"]
    outputs = Outputs.choose(scenario, options["output"], options["json_path"], "sweep")
    loaded = load(scenario, limits=limits)
    print_warnings(loaded.warnings, limit=3, source=scenario)
    bar = ProgressReporter("runs solved")
    store = options["store"]
    try:
        result = run_sweep(
            loaded,
            design=options["design"],
            samples=options["samples"],
            seed=options["seed"],
            modes=options["modes"] or ("min_cost", "max_capability"),
            workers=options["workers"],
            scheduler=options["scheduler"],
            scheduler_file=options["scheduler_file"],
            store=store,
            retry_failed=options["retry_failed"],
            progress=bar,
        )
    except KeyboardInterrupt:
        bar.close()
        kept = (
            f"every finished run is in {store}; run the same command to resume"
            if store
            else "no run was kept: give --store FILE to be able to resume"
        )
        click.echo(f"interrupted: {kept}", err=True)
        sys.exit(130)
    finally:
        bar.close()
    outputs.write(
        format_sweep(result),
        lambda path: write_sweep_report(result, path, inputs=(scenario,)),
        result.to_json(),
        lambda path: write_sweep_json(result, path, inputs=(scenario,)),
    )
    if not result.failures.empty:
        raise NoPlanError(
            f"{len(result.failures):,} of {result.requested:,} runs failed; the report's "
            "Failures sheet says why (--retry-failed with --store solves them again)"
        )


def format_sweep(result: SweepResult) -> str:
    """The terminal summary: the runs, then per mode the saving's spread and the tornado."""
    currency = result.currency
    lines = [
        f"scenario: {result.scenario}; design {result.design.value}, {result.draws.count:,} "
        f"draws (base included), seed {result.draws.seed}",
        f"runs: {result.requested:,} requested, {result.done:,} done, "
        f"{len(result.failures):,} failed; {result.provenance.get('solved', 0):,} solved now, "
        f"{result.provenance.get('reused', 0):,} from the store",
    ]
    for mode in result.modes:
        rows = result.summary[result.summary["mode"] == mode.value].set_index("figure")
        lines.append("")
        draws = rows["draws"].get("saving", 0)
        lines.append(f"{mode.value} ({draws:,} draws after the base with every run planned):")
        for figure in ("saving", "price_of_trust"):
            r = rows.loc[figure]
            lines.append(
                f"  {figure}: mean {_num(r['mean'])} {currency}, 5% {_num(r['p05'])}, "
                f"median {_num(r['p50'])}, 95% {_num(r['p95'])}"
            )
        better = rows.loc["coalition_better", "mean"]
        lines.append(f"  coalition beats national stacks in {_pct(better)} of draws")
        tornado = result.tornado[result.tornado["mode"] == mode.value].head(5)
        for row in tornado.to_dict("records"):
            lines.append(
                f"  {row['parameter']}: saving {_num(row['saving_low'])} at {row['low']:g}, "
                f"{_num(row['saving_high'])} at {row['high']:g}"
            )
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _num(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{value:,.2f}"


def _pct(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{100 * value:.0f}%"
