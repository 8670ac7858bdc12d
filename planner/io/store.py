"""The sweep's result store: one SQLite file of finished runs, keyed by what determines them.

Contract: :class:`ResultStore` is written only by the process that coordinates a sweep
(workers return outcomes; they never touch the file). Each run is a row keyed by
:func:`planner.analysis.sweep.run_key` (a hash of the scenario's content, the draw, the mode,
the regime, the solve options and the versions), holding its JSON entry or why it failed.
Each row is committed as it arrives, so Ctrl-C or a crash keeps every finished run and a
repeated sweep solves only what is missing. The store remembers the design and seed it was
made with and refuses another (its draws would be other draws).

Only the standard library's :mod:`sqlite3` is used.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from planner.errors import InputError

SCHEMA: Final = 1
"""The store's layout version."""

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    draw INTEGER NOT NULL,
    mode TEXT NOT NULL,
    regime TEXT NOT NULL,
    entry TEXT,
    error TEXT,
    finished_at TEXT NOT NULL
);
"""


class StoreError(InputError):
    """The store cannot be used for this sweep."""


class ResultStore:
    """Finished runs of a sweep in SQLite (``":memory:"`` for a sweep without a store).

    Args:
        path: the file (created if absent) or ``":memory:"``.
        design, seed: the sweep's; a store made with others is refused.
        scenario: the scenario's name, recorded for whoever opens the file.

    Raises:
        StoreError: the file is not a store, or was made with another design or seed.
    """

    def __init__(self, path: str | Path, *, design: str, seed: int, scenario: str) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.executescript(_TABLES)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a sweep store ({exc}); choose another --store"
            ) from exc
        wanted = {"schema": str(SCHEMA), "design": design, "seed": str(seed)}
        clashes = [
            f"{k} {meta[k]} (this sweep: {v})" for k, v in wanted.items() if meta.get(k, v) != v
        ]
        if clashes:
            self._db.close()
            raise StoreError(
                f"{self.path} holds runs of another sweep: {', '.join(clashes)}; its draws "
                "would be other draws. Use another --store, delete this one, or sweep with "
                "its design and seed"
            )
        rows = {**wanted, "scenario": scenario}
        rows.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", rows.items()
            )

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (every row is already committed)."""
        self._db.close()

    def finished(self, keys: Iterable[str]) -> dict[str, tuple[dict[str, Any] | None, str | None]]:
        """``{key: (entry, error)}`` of the runs among ``keys`` the store holds."""
        wanted = list(keys)
        found: dict[str, tuple[dict[str, Any] | None, str | None]] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT key, entry, error FROM runs WHERE key IN ({marks})"
            for key, entry, error in self._db.execute(query, part):
                found[key] = (None if entry is None else json.loads(entry), error)
        return found

    def put(
        self,
        key: str,
        item: Mapping[str, Any],
        entry: Mapping[str, Any] | None,
        error: str | None,
    ) -> None:
        """Record one finished run (replacing an earlier failure), committed at once."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (key, draw, mode, regime, entry, error, "
                "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    int(item["draw"]),
                    str(item["mode"]),
                    str(item["regime"]),
                    None if entry is None else json.dumps(entry),
                    error,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )

    def count(self) -> int:
        """Runs the store holds (of this sweep or earlier ones with the same design and seed)."""
        (total,) = self._db.execute("SELECT COUNT(*) FROM runs").fetchone()
        return int(total)
