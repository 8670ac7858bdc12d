"""Options and error handling shared by the planner's commands.

Every command turns :class:`~planner.errors.PlannerError` into a one-line message and its
exit code through :func:`reports_errors`; commands that read a workbook take
:func:`limit_options`, and commands that write a report take :func:`output_options`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import click

from planner.errors import InputError, OutputError, PlannerError, Problem
from planner.io.files import check_destination
from planner.io.reader import ZipLimits
from planner.io.report import json_text


class PlannerExit(click.ClickException):
    """A planner error on its way out of the CLI, carrying its exit code."""

    def __init__(self, error: PlannerError) -> None:
        super().__init__(str(error))
        self.warnings = error.warnings if isinstance(error, InputError) else ()
        self.exit_code = error.exit_code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        for warning in self.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"error: {self.format_message()}", err=True)


def reports_errors[**P, R](command: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`PlannerError` into a clean message and its exit code."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PlannerError as error:
            raise PlannerExit(error) from error

    return wrapper


def limit_options[**P, R](command: Callable[P, R]) -> Callable[P, R]:
    """The options that raise the guards against oversized or crafted workbooks."""
    defaults = ZipLimits()
    options = (
        ("--max-file-mb", float, defaults.max_file_mb, "Largest workbook read, in MiB."),
        (
            "--max-unpacked-mb",
            float,
            defaults.max_unpacked_mb,
            "Largest total unpacked size of the workbook's parts, in MiB.",
        ),
        ("--max-parts", int, defaults.max_parts, "Most parts (files) inside the workbook."),
        (
            "--max-ratio",
            float,
            defaults.max_ratio,
            "Highest compression ratio of a large part (a zip bomb's tell).",
        ),
    )
    for name, kind, default, text in reversed(options):
        command = click.option(name, type=kind, default=default, show_default=True, help=text)(
            command
        )
    return command


def zip_limits(values: dict[str, Any]) -> ZipLimits:
    """The :class:`ZipLimits` of :func:`limit_options`' values (taken out of ``values``)."""
    return ZipLimits(
        max_file_mb=values.pop("max_file_mb"),
        max_unpacked_mb=values.pop("max_unpacked_mb"),
        max_parts=values.pop("max_parts"),
        max_ratio=values.pop("max_ratio"),
    )


def output_options[**P, R](kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``-o/--output`` (a workbook, by default ``<scenario stem>-<kind>.xlsx`` here) and
    ``--json`` (the JSON summary; ``-`` for standard output)."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        command = click.option(
            "--json",
            "json_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Also write the JSON summary here ('-' for standard output).",
        )(command)
        return click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Workbook to write [default: <scenario stem>-{kind}.xlsx here].",
        )(command)

    return decorate


def print_warnings(
    problems: tuple[Problem, ...], *, limit: int | None = None, source: Path
) -> None:
    """Print warnings to stderr; with ``limit``, only the first few (each in full), then how
    many more there are, on which sheets, and the command that lists them all."""
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        click.echo(f"warning: {problem}", err=True)
    rest = problems[len(shown) :]
    if rest:
        sheets = Counter(p.sheet or "workbook" for p in rest)
        where = ", ".join(f"{n} on {sheet}" for sheet, n in sheets.items())
        click.echo(
            f"warning: … and {len(rest)} more ({where}); `planner validate {source}` "
            "lists them all",
            err=True,
        )


WARNINGS_SHOWN = 2
"""Warnings ``run`` and ``share`` print in full before they solve; ``validate`` prints all."""


@dataclass(frozen=True)
class Outputs:
    """Where a command writes: its workbook, and its JSON summary (a path, ``-`` for
    standard output, or none). Chosen, and checked against the input, before any work."""

    report: Path
    json_path: Path | None
    scenario: Path

    @classmethod
    def choose(
        cls, scenario: Path, output: Path | None, json_path: Path | None, kind: str
    ) -> Outputs:
        """The outputs of a command run on ``scenario``; the workbook defaults to
        ``<scenario stem>-<kind>.xlsx`` in the current folder.

        Every output is checked here, before the command reads or solves anything, with
        the checks the final write makes (:func:`~planner.io.files.check_destination`).

        Raises:
            OutputError: the workbook's path does not end in ``.xlsx``; an output is the
                input workbook, is in a folder that does not exist, or is open in a
                spreadsheet program.
        """
        outputs = cls(output or Path.cwd() / f"{scenario.stem}-{kind}.xlsx", json_path, scenario)
        if outputs.report.suffix.lower() != ".xlsx":
            raise OutputError(
                f"{outputs.report}: the report is an Excel workbook; give a path ending in .xlsx"
            )
        for path in (outputs.report, None if outputs.to_stdout else json_path):
            if path is not None:
                check_destination(path, (scenario,))
        return outputs

    @property
    def to_stdout(self) -> bool:
        """True when the JSON summary goes to standard output (so nothing else may)."""
        return self.json_path is not None and str(self.json_path) == "-"

    def say(self, text: str) -> None:
        """Print for the user: to standard output, or to stderr when the JSON goes there."""
        click.echo(text, err=self.to_stdout)

    def write(
        self,
        summary: str,
        workbook: Callable[[Path], object],
        document: Mapping[str, Any],
        json_file: Callable[[Path], object],
    ) -> None:
        """Print ``summary``, write the workbook, then the JSON summary if one was asked."""
        self.say(summary)
        workbook(self.report)
        self.say(f"report: {self.report}")
        if self.to_stdout:
            click.echo(json_text(document), nl=False)
        elif self.json_path is not None:
            json_file(self.json_path)
            self.say(f"summary: {self.json_path}")
