"""Small dense LPs handed to HiGHS directly, for the analyses that need one (games).

Contract: :func:`solve_lp` takes a dense LP and returns its optimum and row duals, or
raises; it knows nothing of scenarios.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


_banner_silenced = False


def _highs() -> Any:
    """A silent HiGHS instance (the banner it prints once per process goes to /dev/null)."""
    global _banner_silenced
    import highspy

    make: Callable[[], Any] = highspy.Highs  # highspy is untyped
    if _banner_silenced:
        highs = make()
    else:
        highs = _with_stdout_silenced(make)
        _banner_silenced = True
    highs.setOptionValue("output_flag", False)
    return highs


def _with_stdout_silenced(make: Callable[[], Any]) -> Any:
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to protect
        return make()
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return make()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve_lp(
    objective: Floats, col_upper: Floats, matrix: Floats, row_lower: Floats, row_upper: Floats
) -> tuple[Floats, Floats]:
    """``min objective @ v`` s.t. ``row_lower <= matrix @ v <= row_upper``, ``v <= col_upper``.

    Columns are otherwise free. Returns the primal solution and the row duals.

    Raises:
        RuntimeError: HiGHS did not prove optimality (a bug: these LPs always have optima).
    """
    import highspy

    highs = _highs()
    n = len(objective)
    none = np.array([], dtype=np.int32)
    highs.addCols(n, objective, np.full(n, -np.inf), col_upper, 0, none, none, np.array([]))
    rows, cols = np.nonzero(matrix)
    starts = np.searchsorted(rows, np.arange(matrix.shape[0])).astype(np.int32)
    highs.addRows(
        matrix.shape[0], row_lower, row_upper, len(rows), starts,
        cols.astype(np.int32), matrix[rows, cols],
    )  # fmt: skip
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"excess LP not solved: {highs.modelStatusToString(status)}")
    solution = highs.getSolution()
    return np.array(solution.col_value), np.array(solution.row_dual)
