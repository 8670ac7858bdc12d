"""Loading a scenario workbook: the one entry every command, example and benchmark uses.

Contract: :func:`load` reads a workbook with the guarded reader
(:func:`~planner.io.reader.read_workbook`), validates it
(:func:`~planner.io.validate.validate`) and checks it
(:func:`~planner.analysis.checks.check`), so ``planner run``, ``planner share``,
``planner validate`` and the Python API report the same warnings on the same file.
"""

from __future__ import annotations

from pathlib import Path

from planner.analysis.checks import check
from planner.errors import InputError
from planner.io.annotate import write_annotated
from planner.io.files import check_destination
from planner.io.reader import ZipLimits, read_workbook
from planner.io.validate import LoadedScenario, locate, validate


def load(
    path: str | Path,
    *,
    limits: ZipLimits | None = None,
    annotate: str | Path | None = None,
    checks: bool = True,
) -> LoadedScenario:
    """Read, validate and check a scenario workbook.

    Args:
        path: the .xlsx file.
        limits: bounds on the zip container (see :class:`~planner.io.reader.ZipLimits`).
        annotate: where to write a copy of the workbook with every problem and warning
            marked on its cell and listed on an Errors sheet; written whether or not the
            workbook is valid (not when the file itself is unusable).
        checks: run the domain checks (False: the reader's warnings only).

    Returns:
        The scenario, with the reader's warnings and the domain checks' warnings
        (:func:`planner.analysis.checks.check`).

    Raises:
        InputError: the file is unusable or the scenario is invalid (every problem at once).
    """
    if annotate is not None:
        check_destination(Path(annotate), (Path(path),))
    raw = read_workbook(path, limits=limits)
    try:
        scenario = validate(raw)
    except InputError as error:
        if annotate is not None:
            write_annotated(path, error.problems, annotate, warnings=raw.warnings)
        raise
    warnings = raw.warnings + (check(scenario, locate(raw)) if checks else ())
    if annotate is not None:
        write_annotated(path, (), annotate, warnings=warnings)
    return LoadedScenario(scenario, warnings, raw.path, raw.sha256)
