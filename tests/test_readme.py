"""The README's figures come from the tool: regenerating them must change nothing.

The default scenario's figures are cached in docs/data/default_scenario.json (the stresses
and sweeps behind them take many minutes); the check fails when a workbook they came from
has changed, and a fresh solve of the six default runs must give the cached numbers, so a
change in the model code cannot leave them stale either.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

import planner

ROOT = Path(__file__).resolve().parent.parent

RUN_FIGURES = ("objective", "cost", "capability", "shortfall", "penalty")
HEADLINE_FIGURES = {
    "min_cost": (
        "saving",
        "spend_saving",
        "penalty_saving",
        "saving_without_penalty",
        "price_of_trust_cost",
        "extra_capability",
    ),
    "max_capability": ("extra_capability", "price_of_trust_capability"),
}


def _updater() -> Any:
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "docs/update_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_sections_are_current() -> None:
    problems = _updater().check()
    assert not problems, "\n".join(
        [*problems, "README.md is stale: run .venv/bin/python docs/update_readme.py"]
    )


def test_cached_figures_match_a_fresh_solve() -> None:
    """The six runs of the default scenario, re-solved without prices (the figures the README
    quotes do not need them), give the cached numbers to 1e-6 relative."""
    updater = _updater()
    cached = updater.read_data()["stages"]["runs"]["variants"]["current"]
    fresh = updater.comparison_figures(
        planner.run(ROOT / updater.DEFAULT, sensitivity_runs=False, prices=False)
    )
    assert fresh["sha256"] == cached["sha256"], "run .venv/bin/python docs/update_readme.py"
    pairs = [
        (f"{key} {figure}", fresh["runs"][key][figure], run[figure])
        for key, run in cached["runs"].items()
        for figure in RUN_FIGURES
    ] + [
        (f"{mode} {figure}", fresh["headline"][mode][figure], cached["headline"][mode][figure])
        for mode, figures in HEADLINE_FIGURES.items()
        for figure in figures
    ]
    assert len(pairs) == 6 * len(RUN_FIGURES) + 8
    moved = [
        f"{what}: {now!r}, cached {then!r}"
        for what, now, then in pairs
        if (now is None) != (then is None)
        or (then is not None and now != pytest.approx(then, rel=1e-6, abs=1e-9))
    ]
    assert not moved, "\n".join(
        [*moved, "the model moved cached figures: run .venv/bin/python docs/update_readme.py"]
    )


def test_sweep_saving_without_penalty_is_the_headline_at_the_base_draw() -> None:
    """The Monte Carlo's saving without the penalty is rebuilt per draw from the runs'
    shortfalls; at the base draw (every input at its base value) it must be the headline's."""
    stages = _updater().read_data()["stages"]
    headline = stages["runs"]["variants"]["current"]["headline"]["min_cost"]
    assert stages["mc"]["base_saving_without_penalty"] == pytest.approx(
        headline["saving_without_penalty"], rel=1e-6
    )
