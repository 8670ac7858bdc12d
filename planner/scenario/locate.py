"""Where a scenario's records came from: the Excel row of each record, by its key.

Contract: a :class:`Locator` answers "which row of which sheet holds the record with this
key"; rules and checks use it to place a problem at its row, and name the key otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

_CONTEXT_KEY: Final = "locator"

Key = tuple[str, ...]
"""A record's key values, in the order of its sheet's key columns (:attr:`Sheet.key`)."""


@dataclass(frozen=True)
class Locator:
    """The Excel row of each record of a validated scenario, found by its key.

    :func:`planner.io.validate.locate` builds one from the workbook a scenario was read from;
    a scenario built or edited in Python has none, and problems then name the record's key.
    """

    rows: Mapping[tuple[str, Key], int] = field(default_factory=dict)
    """``(sheet, key) -> Excel row``; the Scenario sheet's key is the setting's name."""

    def row(self, sheet: str, key: Key) -> int | None:
        """The Excel row of the record of ``sheet`` with ``key``, or None if unknown."""
        return self.rows.get((sheet, key))

    def context(self) -> dict[str, Any]:
        """Pydantic validation context that makes problems found while validating a
        :class:`~planner.scenario.schema.Scenario` name this locator's rows."""
        return {_CONTEXT_KEY: self}

    @staticmethod
    def of_context(context: object) -> Locator | None:
        """The locator a validation context carries, if any."""
        found = context.get(_CONTEXT_KEY) if isinstance(context, Mapping) else None
        return found if isinstance(found, Locator) else None
