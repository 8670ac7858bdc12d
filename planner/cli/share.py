"""The command ``planner share``: who gains what in the coalition, and whether it holds.

It only chains the stages: load the workbook, :func:`planner.share`, print a compact table,
write the workbook report and (optionally) the JSON summary. The main CLI registers
it with ``main.add_command(share)``; this module imports :mod:`planner.cli.main` only inside the
command, so ``planner.cli.main`` may import this module at its top. Exit codes are the main
CLI's: 2 unusable input, 3 no plan (here also: some coalition's solve failed, listed after
the outputs are written).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from planner.analysis.batch import Progress, ProgressReporter
from planner.analysis.sharing import METHODS, SEARCH_BUDGET, SharingResult
from planner.cli.options import (
    WARNINGS_SHOWN,
    Outputs,
    limit_options,
    output_options,
    print_warnings,
    reports_errors,
    zip_limits,
)
from planner.io.reader import ZipLimits

PROGRESS_THRESHOLD = 32
"""Batches of at least this many coalitions show a progress bar (on standard error)."""

PROGRESS_INTERVAL = 5.0
"""Seconds between progress lines when standard error is not a terminal."""

_SMALL_GAME = 5
"""Up to this many members (31 coalitions) the default is one process: starting a pool
would take longer than the solves."""


class _Progress:
    """A progress callback for standard error, fed by the batch engine.

    A batch of at least ``threshold`` coalitions (the exact methods' one big batch, or a
    batch of sampled permutations) gets :class:`planner.analysis.batch.ProgressReporter`:
    a bar with solved, total and time left on a terminal, and the same as a plain line every
    :data:`PROGRESS_INTERVAL` seconds otherwise (a log, CI). Smaller batches (the steps of
    the stability search beyond the exact limit) add to a running count, shown in place on a
    terminal and as a plain line every few seconds otherwise, so that a long search is not
    silent.
    """

    def __init__(
        self,
        threshold: int = PROGRESS_THRESHOLD,
        *,
        stream: IO[str] | None = None,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self.threshold = threshold
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.solved = 0
        """Coalitions solved so far, over every batch."""
        self._bar: ProgressReporter | None = None
        self._counted = 0
        self._shown = -math.inf
        self._counting = False

    def __call__(self, progress: Progress) -> None:
        if progress.total >= self.threshold:
            self._big(progress)
        else:
            self._small(progress)

    def _big(self, progress: Progress) -> None:
        if self._bar is None:
            self._bar = ProgressReporter(
                "solving coalitions", stream=self.stream, interval=self.interval
            )
            self._counted = 0
        self._bar(progress)
        self.solved += progress.done - self._counted
        self._counted = progress.done
        if progress.done >= progress.total:
            self._bar = None
            self._counted = 0

    def _small(self, progress: Progress) -> None:
        self.solved += progress.done - self._counted
        self._counted = 0 if progress.done >= progress.total else progress.done
        now = time.monotonic()
        if self.terminal:
            self.stream.write(f"\rcoalitions solved: {self.solved:,}")
            self.stream.flush()
            self._counting = True
        elif now - self._shown >= self.interval:
            self._shown = now
            self.stream.write(f"coalitions solved: {self.solved:,} (stability search)\n")
            self.stream.flush()

    def close(self) -> None:
        """Finish the bar or the count in progress, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._counting:
            self.stream.write("\n")
            self.stream.flush()
            self._counting = False


def default_workers(members: int) -> int:
    """Local processes for a game of ``members``: every usable CPU, one for a small game."""
    if members <= _SMALL_GAME:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@click.command("share")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--method",
    "methods",
    type=click.Choice([*METHODS, "all"]),
    multiple=True,
    help="Sharing rule; repeat for several [default: all].",
)
@click.option(
    "--samples",
    type=click.IntRange(min=4),
    help="Permutations for a sampled Shapley value [default: exact up to 12 members, else 200].",
)
@click.option(
    "--precision",
    type=click.FloatRange(min=0, min_open=True),
    help="Sample the Shapley value until every 95% half-width is below this (money).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampling.")
@click.option(
    "--search-budget",
    type=click.IntRange(min=1),
    default=SEARCH_BUDGET,
    show_default=True,
    help="Beyond 12 members: most coalitions the stability search solves per rule.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local processes solving coalitions [default: every CPU; 1 up to 5 members].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Solve on a Dask cluster instead, e.g. tcp://host:8786 (needs `distributed`).",
)
@output_options("sharing")
@limit_options
@reports_errors
def share(**options: Any) -> None:
    """Share the coalition's saving among the members of SCENARIO and test its stability.

    A coalition's cost is its min_cost objective with only its members in the coalition; a
    member alone is its national stack. Owen's allocation comes from the grand coalition's
    shadow prices (one solve); the Shapley value and the nucleolus from every coalition's
    cost (2^n - 1 solves). Each allocation's verdict says whether some group of members
    would save by leaving.

    \b
    What each method costs at 24 members (the default scenario), in coalition solves:
      owen       26 (the grand coalition twice, each member alone), then a
                 stability search of about --search-budget more
      shapley    sampled beyond 12 members: 200 permutations by default, up to
                 about 9,200 coalitions, then the same search
      nucleolus  not computed beyond 12 members (it needs all 16,777,215)
    One coalition of 23 or 24 members took about 0.4 s, one of two 0.01 s
    (docs/sharing.md, "Speed").
    """
    limits = zip_limits(options)
    _share(**options, limits=limits)


def _share(
    scenario: Path,
    methods: tuple[str, ...],
    samples: int | None,
    precision: float | None,
    seed: int,
    search_budget: int,
    workers: int | None,
    scheduler: str | None,
    output: Path | None,
    json_path: Path | None,
    limits: ZipLimits,
) -> None:
    from planner.analysis.games import CoalitionError
    from planner.api import load
    from planner.api import share as share_costs
    from planner.io.sharing_report import write_sharing_json, write_sharing_report

    outputs = Outputs.choose(scenario, output, json_path, "sharing")
    loaded = load(scenario, limits=limits)
    print_warnings(loaded.warnings, limit=WARNINGS_SHOWN, source=scenario)
    members = len(loaded.scenario.members)
    progress = _Progress()
    try:
        result = share_costs(
            loaded,
            METHODS if not methods or "all" in methods else methods,
            samples=samples,
            precision=precision,
            seed=seed,
            search_budget=search_budget,
            workers=workers or default_workers(members),
            scheduler=scheduler,
            progress=progress,
        )
    finally:
        progress.close()
    outputs.write(
        format_sharing(result),
        lambda path: write_sharing_report(result, path, inputs=(scenario,)),
        result.to_json(),
        lambda path: write_sharing_json(result, path, inputs=(scenario,)),
    )
    if result.failures:
        raise CoalitionError(result.failures)


def format_sharing(result: SharingResult) -> str:
    """The compact terminal table: each member's national cost and saving per method,
    then each method's stability verdict."""
    currency = result.currency
    methods = list(result.allocations)
    header = ["member", "national", *(f"{m} saving" for m in methods)]
    rows = [header]
    for member in result.members:
        row = [member, _num(result.national_costs[member])]
        for method in methods:
            allocation = result.allocations[method]
            part = allocation.share(member)
            sampled = "" if allocation.exact else f" ±{_num(part.stderr)}"
            row.append(_num(part.saving) + sampled)
        rows.append(row)
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    table = ["  ".join(_cells(r, widths)) for r in rows]
    lines = [
        f"scenario: {result.scenario} ({len(result.members)} members, "
        f"{len(result.coalition_costs):,} coalitions solved in {result.seconds:,.1f} s)",
        f"coalition cost {_num(result.coalition_cost)} {currency}; national stacks "
        f"{_num(result.national_total)}; saving {_num(result.saving)}",
        "",
        *table,
        "(saving = national cost - cost share; ± a standard error of a sampled value)",
        "",
        *(_verdict(result, m) for m in methods),
        *_recommendation(result),
        *(f"{what}: not computed: {why}" for what, why in result.unavailable.items()),
        *_notes(result),
    ]
    return "\n".join(lines)


def _cells(row: list[str], widths: list[int]) -> list[str]:
    """The first column left-aligned, the figures right-aligned."""
    return [
        row[0].ljust(widths[0]),
        *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
    ]


def _verdict(result: SharingResult, method: str) -> str:
    check = result.stability.get(method)
    if check is None:
        scope = ""
    elif check.exhaustive:
        scope = " (every coalition checked)"
    else:
        scope = f" (search of {check.coalitions_checked:,} coalitions)"
    return f"{method}: {result.verdict(method)}{scope}"


def _recommendation(result: SharingResult) -> list[str]:
    words = result.explanation
    if words.recommended is None:
        return []
    return ["", f"recommended: {words.recommended}: {words.reason}"]


def _notes(result: SharingResult) -> list[str]:
    notes = [f"- {note}" for note in result.notes]
    for method, allocation in result.allocations.items():
        notes += [f"- {method}: {note}" for note in allocation.notes]
    return ["", "notes:", *notes] if notes else []


def _num(value: float) -> str:
    return f"{value:,.2f}"
