"""The command line: ``planner template``, ``planner validate``, ``planner run``.

The CLI only chains the stages (read, validate, build, solve, tabulate, report). Planner
errors become one-line messages and exit codes (2 unusable input, 3 no plan found); any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from planner.analysis.compare import Comparison
from planner.api import load
from planner.api import run as run_scenario
from planner.cli.options import (
    WARNINGS_SHOWN,
    Outputs,
    limit_options,
    output_options,
    print_warnings,
    reports_errors,
    zip_limits,
)
from planner.cli.share import share as share_command
from planner.cli.stress import stress as stress_command
from planner.cli.sweep import sweep as sweep_command
from planner.errors import InputError, NoPlanError
from planner.model.solve import SolveOptions
from planner.scenario.schema import Mode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coalition-planner", prog_name="planner")
def main() -> None:
    """Compare a braided coalition with self-sufficient national AI stacks.

    Fill a scenario workbook (start from `planner template`), check it with
    `planner validate`, then solve it with `planner run`.
    """
    _unwind_on_terminate()


def _unwind_on_terminate() -> None:
    """Let a termination signal unwind the stack like Ctrl-C does, so that an output being
    written is removed rather than left half-written (see planner.io.files.atomic_write)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    with contextlib.suppress(ValueError):  # not the main thread: nothing to install
        signal.signal(signal.SIGTERM, stop)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a file already at PATH.")
@reports_errors
def template(path: Path, force: bool) -> None:
    """Write an empty scenario workbook to PATH, with notes and drop-down lists.

    A file already at PATH is left alone (exit code 2) unless --force is given.
    """
    from planner.io.template import write_template

    write_template(path, force=force)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--annotate",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a copy of the workbook with each problem marked on its cell and an "
    "Errors sheet listing them all.",
)
@limit_options
@reports_errors
def validate(scenario: Path, annotate: Path | None, **limits: Any) -> None:
    """Check SCENARIO and list every problem, or say it is valid."""
    try:
        loaded = load(scenario, limits=zip_limits(limits), annotate=annotate)
    except InputError:
        if annotate is not None and annotate.exists():
            click.echo(f"annotated copy, each problem marked on its cell: {annotate}", err=True)
        raise
    print_warnings(loaded.warnings, source=scenario)
    if annotate is not None:
        click.echo(f"annotated copy: {annotate}")
    counts = ", ".join(f"{n} {what}" for what, n in loaded.scenario.counts().items())
    click.echo(f"valid: {loaded.scenario.name}: {counts}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@output_options("report")
@click.option(
    "--mode",
    type=click.Choice(["min_cost", "max_capability", "both"]),
    default="both",
    show_default=True,
    help="Which question to answer.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds HiGHS may spend on each solve; a plan found by then is reported as time_limit.",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0),
    default=SolveOptions.gap,
    show_default=True,
    help="Relative MIP gap at which HiGHS may stop (only models with build decisions).",
)
@click.option(
    "--price-checks",
    type=click.IntRange(min=0),
    default=SolveOptions.price_checks,
    show_default=True,
    help="Most re-solves per run that check whether a binding shadow price is unique "
    "(the binding limits first, then the other prices, each largest first); the prices "
    "left unchecked are flagged as maybe not unique.",
)
@click.option(
    "--all-price-checks",
    is_flag=True,
    help="Check every binding shadow price, however many re-solves it takes.",
)
@click.option(
    "--periods",
    "show_periods",
    is_flag=True,
    help="Also print each run's figures per period (multi-period scenarios).",
)
@click.option(
    "--learning-pool",
    type=click.Choice(["regime", "country"]),
    default=None,
    help="Solve as if every Learning row had this pool. With `country` every country "
    "learns alone, and the coalition is also solved with the shared loop, to show its "
    "saving with and without it.",
)
@limit_options
@reports_errors
def run(
    scenario: Path,
    output: Path | None,
    json_path: Path | None,
    mode: str,
    time_limit: float | None,
    gap: float,
    price_checks: int,
    all_price_checks: bool,
    show_periods: bool,
    learning_pool: str | None,
    **limits: Any,
) -> None:
    """Solve SCENARIO as national stacks, a coalition and an open world; write the report."""
    from planner.io.report import write_json, write_report

    outputs = Outputs.choose(scenario, output, json_path, "report")
    loaded = load(scenario, limits=zip_limits(limits))
    print_warnings(loaded.warnings, limit=WARNINGS_SHOWN, source=scenario)
    modes = tuple(Mode) if mode == "both" else (Mode(mode),)
    comparison = run_scenario(
        loaded,
        modes=modes,
        options=SolveOptions(
            time_limit=time_limit,
            gap=gap,
            price_checks=None if all_price_checks else price_checks,
        ),
        learning_pool=learning_pool,
    )
    outputs.write(
        format_comparison(comparison, periods=show_periods),
        lambda path: write_report(comparison, path, inputs=(scenario,)),
        comparison.to_json(),
        lambda path: write_json(comparison, path, inputs=(scenario,)),
    )
    if comparison.failed:
        names = ", ".join(
            f"{r.mode.value}/{r.regime.value} ({r.status.value})" for r in comparison.failed
        )
        raise NoPlanError(f"no plan found for {names}; the report shows what is known")


main.add_command(share_command)
main.add_command(stress_command)
main.add_command(sweep_command)


def format_comparison(comparison: Comparison, *, periods: bool = False) -> str:
    """The compact terminal table: one line per run (horizon totals), then the headline per
    mode; with ``periods``, each run's figures per period too."""
    currency = comparison.scenario.currency
    columns = ["mode", "regime", "status", "objective", "cost", "capability", "shortfall"]
    table = comparison.summary[columns].rename(columns={"cost": f"spend ({currency})"})
    lines = [f"scenario: {comparison.scenario.name}", "", _table(table), ""]
    spans = comparison.scenario.horizon.periods
    if periods:
        per = comparison.periods[
            ["mode", "regime", "period", "year", "cost", "capability", "shortfall"]
        ].rename(columns={"cost": f"spend ({currency})", "capability": "capability/yr"})
        lines += [_table(per.rename(columns={"shortfall": "shortfall/yr"})), ""]
    elif len(spans) > 1:
        lines += [
            f"(totals over {len(spans)} periods, {spans[0].year} to "
            f"{comparison.scenario.horizon.end - 1}; --periods shows each period)",
            "",
        ]
    money_part = "spend" if comparison.spend_is_cost else "discounted cost"
    for row in comparison.headline.to_dict("records"):
        if row["mode"] == Mode.MIN_COST.value:
            lines.append(
                f"min_cost: the coalition costs {_num(row['saving'])} {currency} less than "
                f"national stacks ({_pct(row['saving_fraction'])}; {money_part} "
                f"{_num(row['saving_without_penalty'])}, penalty avoided "
                f"{_num(row['penalty_saving'])}); "
                f"price of trust {_num(row['price_of_trust_cost'])} {currency}"
            )
            if _known(row["saving_half_penalty"]) and _known(row["saving_double_penalty"]):
                lines.append(
                    f"  re-solved at half the shortfall penalty the saving is "
                    f"{_num(row['saving_half_penalty'])}, at twice it "
                    f"{_num(row['saving_double_penalty'])}"
                )
        else:
            lines.append(
                f"max_capability: the coalition delivers {_num(row['extra_capability'])} more "
                "capability than national stacks; per "
                f"{currency} spent {_rate(row['capability_per_money_coalition'])} against "
                f"{_rate(row['capability_per_money_national'])}; price of trust "
                f"{_num(row['price_of_trust_capability'])} capability"
            )
    lines += [f"warning: {caveat}" for caveat in comparison.caveats]
    lines += [f"note: {line}" for line in comparison.outside_supply]
    lines += _loop_lines(comparison)
    lines.append(
        "(objective: spend plus shortfall penalty in min_cost, weighted capability "
        "in max_capability)"
    )
    return "\n".join(lines)


def _loop_lines(comparison: Comparison) -> list[str]:
    """The coalition's gain with and without the shared learning loop (--learning-pool)."""
    if comparison.loop is None:
        return []
    currency = comparison.scenario.currency
    lines = []
    for row in comparison.loop.to_dict("records"):
        unit = currency if row["mode"] == Mode.MIN_COST.value else "capability"
        what = "saving" if row["mode"] == Mode.MIN_COST.value else "extra capability"
        lines.append(
            f"{row['mode']}: the coalition's {what} is {_num(row['saving_shared'])} {unit} "
            f"with the shared learning loop and {_num(row['saving_alone'])} with every "
            f"country learning alone; the shared loop accounts for "
            f"{_num(row['shared_loop'])} (two re-solves, not a price)"
        )
    return lines


def _num(value: object) -> str:
    """A figure for the terminal; n/a when a run it needs found no plan."""
    if not isinstance(value, int | float) or value != value:
        return "n/a"
    return f"{value:,.2f}"


def _known(value: object) -> bool:
    return isinstance(value, int | float) and value == value


def _pct(value: object) -> str:
    """A fraction as a percentage; n/a when unknown."""
    return f"{value:.2%}" if isinstance(value, int | float) and value == value else "n/a"


def _rate(value: object) -> str:
    """Capability per unit of money; n/a when nothing was spent."""
    return f"{value:,.4g}" if isinstance(value, int | float) and value == value else "n/a"


def _table(frame: pd.DataFrame) -> str:
    shown = frame.map(lambda v: v if isinstance(v, str) else _num(v))
    return str(shown.to_string(index=False))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
