"""The JSON outputs of the bundled scenarios, recorded so that refactoring changes no number.

``python tests/golden_outputs.py`` writes them to tests/golden/ (do that only when a
change of output is intended, and say why in the commit); tests/test_golden.py checks that
``planner run`` and ``planner share`` still give them. Keys that record when or how long
something ran are left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SCENARIOS = ROOT / "scenarios"

TIMING_KEYS = frozenset({"ran_at", "solve_time", "seconds"})
"""Keys whose values are clocks, not results."""

RUN_SCENARIOS = (
    "pax_silica",
    "pax_silica_founders",
    "pax_silica_trusted",
    "tutorial_comparative_advantage",
    "tutorial_scale",
)
SHARE_CASES = {
    "tutorial_comparative_advantage": ("owen", "shapley", "nucleolus"),
    "tutorial_scale": ("owen", "shapley", "nucleolus"),
}
"""Scenario -> sharing rules recorded (every rule where the game is small). The default
scenario's Owen allocation is left out: its grand solve checks every price on both sides
(about 100 s); Owen stays recorded here on both tutorials, and tests/test_sharing.py checks
it on generated linear production games (efficient and in the core)."""


def without_timing(value: Any) -> Any:
    """``value`` with every timing key removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def run_json(name: str) -> dict[str, Any]:
    """``planner run``'s JSON summary of a bundled scenario, without timing keys.

    The default scenario's runs are recorded without shadow prices (``prices=False``: the
    JSON holds none, but the Answer sentences and the caveats read bottlenecks from them, so
    those are recorded as a run without prices words them); the tutorials' with them. The
    price re-solves of the default scenario's six runs took most of a minute each time.
    """
    import planner

    comparison = planner.run(SCENARIOS / f"{name}.xlsx", prices=not name.startswith("pax"))
    document: dict[str, Any] = without_timing(comparison.to_json())
    return document


def share_json(name: str) -> dict[str, Any]:
    """``planner share``'s JSON summary of a bundled scenario, without timing keys."""
    import planner

    result = planner.share(SCENARIOS / f"{name}.xlsx", SHARE_CASES[name])
    document: dict[str, Any] = without_timing(result.to_json())
    document["source"] = Path(document["source"]).name
    return document


def cases() -> dict[str, Callable[[], dict[str, Any]]]:
    """File name under tests/golden/ -> how to compute it."""
    found: dict[str, Callable[[], dict[str, Any]]] = {}
    for name in RUN_SCENARIOS:
        found[f"run-{name}.json"] = lambda name=name: run_json(name)  # type: ignore[misc]
    for name in SHARE_CASES:
        found[f"share-{name}.json"] = lambda name=name: share_json(name)  # type: ignore[misc]
    return found


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for file, compute in cases().items():
        (GOLDEN / file).write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
        print(f"wrote tests/golden/{file}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
