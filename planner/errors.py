"""The planner's exceptions: one base class, each subclass with its exit code.

The CLI turns exactly these into clean messages and exit codes; anything else is a bug and
keeps its traceback. :class:`Problem` is one located thing wrong with the input, as every
stage that reads the input reports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def quoted(names: Iterable[str]) -> str:
    """Names for a message: ``"`A`, `B`"``."""
    return ", ".join(f"`{name}`" for name in names)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    Attributes:
        sheet: the sheet's name as the contract spells it, or "" for the file itself.
        row: the Excel row number (1 is the header row), or None for a whole sheet.
        column: the column's name as the contract spells it, or "" for a whole row.
        message: what is wrong and how to fix it.
        key: the record's key values (its sheet's key columns, in order), which name the
            record when its row is unknown: a scenario built or edited in Python.
    """

    sheet: str
    row: int | None
    column: str
    message: str
    key: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """``Capacity row 14, column `cost```, ``Targets (XX, ai), column `country```, or as
        much of it as is known."""
        parts = [self.sheet] if self.sheet else ["workbook"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        elif self.key:
            parts.append("(" + ", ".join(self.key) + ")")
        text = " ".join(parts)
        if self.column:
            text += f", column `{self.column}`"
        return text

    def __str__(self) -> str:
        if not self.sheet and self.row is None and not self.column:
            return self.message  # a problem with the file itself: the path says where
        return f"{self.location}: {self.message}"


class PlannerError(Exception):
    """Base class of every error the planner reports to its user."""

    exit_code = 1


class InputError(PlannerError):
    """The input cannot be used: a missing or unreadable file, or an invalid scenario.

    Carries every problem found, not only the first, and the warnings found on the way
    (which the CLI prints before the problems, so that e.g. "row 7 is hidden" is not lost
    when the workbook also has an error).

    Args:
        problems: what is wrong.
        path: the input file, named at the head of the message.
        warnings: things worth saying that did not stop validation.
        total: how many problems there are, when ``problems`` lists only the first.
    """

    exit_code = 2

    def __init__(
        self,
        problems: list[Problem] | Problem | str,
        *,
        path: str = "",
        warnings: tuple[Problem, ...] = (),
        total: int | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = Problem("", None, "", problems)
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.path = path
        self.warnings = warnings
        head = f"{path}: " if path else ""
        if len(self.problems) == 1:
            text = head + str(self.problems[0])
        else:
            lines = [f"{head}{total or len(self.problems)} problems found:"]
            lines += [f"  - {p}" for p in self.problems]
            text = "\n".join(lines)
        super().__init__(text)


class OutputError(PlannerError):
    """An output cannot be written where it was asked for (e.g. onto the input)."""

    exit_code = 2


class NoPlanError(PlannerError):
    """The solver found no plan: infeasible, unbounded or failed."""

    exit_code = 3
