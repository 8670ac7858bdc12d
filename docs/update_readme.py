"""Regenerate the README's tool-produced sections; ``--check`` fails when they are stale.

Every figure quoted in README.md between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
comes from this script running the planner, never from a hand:

    .venv/bin/python docs/update_readme.py              # solve everything, rewrite the sections
    .venv/bin/python docs/update_readme.py --only-runs  # everything but the sweep (development)
    .venv/bin/python docs/update_readme.py --render     # solve nothing, rewrite from the cache
    .venv/bin/python docs/update_readme.py --check      # exit 1 if README.md is stale

The default scenario's section is slow to compute (the stress cases and two sweeps take many
minutes), so it is made in two steps. Solving writes every figure it quotes to
:data:`DATA` (``docs/data/default_scenario.json``), one block per stage (``runs``,
``stresses``, ``oat``, ``mc``), each with the SHA-256 of every workbook it read (the SHA-256
of the file's bytes, as the planner's own JSON and report hold it), the planner's version
and the stage's wall time; rendering reads only that file. ``--check`` (and
``tests/test_readme.py``) renders README.md from it and fails when the text differs or when a
workbook's SHA-256 is no longer the one its figures came from. ``tests/test_readme.py`` also
re-solves the default scenario's six runs and compares them with the cached figures, so a
change in the model code cannot leave them stale either. The nutshell section is one quick
run of the first tutorial, made afresh each time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DATA = ROOT / "docs/data/default_scenario.json"
TUTORIAL = "scenarios/tutorial_comparative_advantage.xlsx"
DEFAULT = "scenarios/pax_silica.xlsx"

VARIANTS = (
    ("founders", "scenarios/pax_silica_founders.xlsx", "founding seven (Dec 2025)"),
    ("current", DEFAULT, "current membership"),
    ("trusted", "scenarios/pax_silica_trusted.xlsx", "current + Taiwan, Canada trusted"),
    ("declared", "scenarios/pax_silica_declared.xlsx", "current, `national_scope` declared"),
    (
        "own_learning",
        "scenarios/pax_silica_own_learning.xlsx",
        "current, every country learns alone",
    ),
)
"""(name, workbook, label) of the default scenario and its variants, in table order."""

STAGES = ("runs", "stresses", "oat", "mc")
"""The stages of the default scenario's figures, each one block of :data:`DATA`."""

SAMPLES = 200
"""Monte Carlo draws of the ``mc`` stage (``--samples``)."""

WORKERS = 2
"""Processes of the stress and sweep stages (``--workers``)."""

MODES = ("min_cost", "max_capability")
REGIMES = ("national", "coalition", "open")
TINY = 1e-9
"""Below this a quantity counts as none (capability, shortfall, new capacity)."""

MOSTLY = 0.5
"""A figure "depends mostly" on an assumption when the part of it priced by that assumption
is at least this share of it."""

CLOSE = 0.25
"""National stacks are "close" to the coalition when their min_cost objective is less than
this share above the coalition's."""

ABOUT_ZERO = 0.005
"""The shared learning loop's share of the saving below which it is "about zero"."""


# ----------------------------------------------------------------------------------------
# The nutshell: one quick run, made afresh


def nutshell(_data: Mapping[str, Any] | None = None) -> str:
    """The terminal output of ``planner run`` on the first tutorial."""
    from planner.cli.main import main

    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "report.xlsx")
        result = CliRunner().invoke(main, ["run", str(ROOT / TUTORIAL), "-o", report])
    if result.exit_code != 0:
        raise SystemExit(f"planner run failed:\n{result.output}")
    lines = [line for line in result.stdout.splitlines() if not line.startswith("report:")]
    body = "\n".join(lines).rstrip()
    report = f"report: {Path(TUTORIAL).stem}-report.xlsx"
    return f"```console\n$ planner run {TUTORIAL}\n{body}\n{report}\n```"


# ----------------------------------------------------------------------------------------
# Solving: each stage returns its block of the data file


def sha256_of(path: str) -> str:
    """The SHA-256 of a workbook's bytes: what ``planner.load`` records as ``sha256``."""
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python numbers, NaN as None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def comparison_figures(result: Any) -> dict[str, Any]:
    """The figures of one :class:`~planner.analysis.compare.Comparison` the README quotes."""
    scenario = result.scenario
    lengths = {s.period: s.length for s in scenario.horizon.periods}
    runs = {}
    for (mode, regime), run in result.runs.items():
        outside = run.outside.assign(
            units=run.outside["quantity"] * run.outside["period"].map(lengths)
        )
        by_source = outside.groupby("source")[["units", "cost"]].sum()
        entry = {
            "status": run.status.value,
            "objective": run.objective,
            "cost": run.total_cost,
            "capability": run.total_capability,
            "shortfall": run.total_shortfall,
            "penalty": run.penalty if mode.value == "min_cost" else None,
            "solve_time": run.solve_time,
        }
        for source in ("world", "backstop"):
            found = source in by_source.index
            entry[f"{source}_units"] = float(by_source.loc[source, "units"]) if found else 0.0
            entry[f"{source}_cost"] = float(by_source.loc[source, "cost"]) if found else 0.0
        entry["outside"] = [
            {"source": str(s), "commodity": str(c), "units": float(r.units), "cost": float(r.cost)}
            for (s, c), r in outside.groupby(["source", "commodity"])[["units", "cost"]]
            .sum()
            .iterrows()
        ]
        runs[f"{mode.value}/{regime.value}"] = {k: _plain(v) for k, v in entry.items()}
    headline = {
        str(row["mode"]): {
            k: _plain(v) for k, v in row.items() if k != "mode" and _plain(v) is not None
        }
        for row in result.headline.to_dict("records")
    }
    capability = next(c for c in scenario.commodities if c.kind.value == "capability")
    spans = scenario.horizon.periods
    return {
        "sha256": result.sha256,
        "members": len(scenario.members),
        "currency": scenario.currency,
        "capability_unit": capability.unit,
        "shortfall_penalty": scenario.shortfall_penalty,
        "discount_rate": scenario.discount_rate,
        "national_scope": scenario.national_scope.value,
        "first_year": spans[0].year,
        "last_year": scenario.horizon.end - 1,
        "periods": len(spans),
        "runs": runs,
        "headline": headline,
    }


def _members(result: Any) -> list[dict[str, Any]]:
    """Per member: capability and shortfall alone and in the coalition (min_cost), its gain
    in each mode (:attr:`Comparison.gains`)."""
    gains = result.gains
    rows = []
    for member in result.scenario.members:
        row: dict[str, Any] = {
            "country": member,
            "name": result.scenario.country_by_id[member].name,
        }
        for mode in MODES:
            mine = gains.loc[(gains["mode"] == mode) & (gains["country"] == member)].iloc[0]
            for column in (
                "national_capability",
                "national_shortfall",
                "coalition_capability",
                "gain",
            ):
                row[f"{mode}_{column}"] = _plain(mine[column])
        rows.append(row)
    return rows


def _generations(result: Any) -> list[dict[str, Any]]:
    """Per mode, regime (national and coalition), member and period: the generation lag."""
    frontier = {}
    ranked = sorted(result.scenario.generations, key=lambda g: g.frontier_year)
    for span in result.scenario.horizon.periods:
        reached = [g.generation for g in ranked if g.frontier_year <= span.year]
        frontier[span.period] = reached[-1] if reached else None
    rows = []
    for (mode, regime), run in result.runs.items():
        if regime.value == "open":
            continue
        periods = run.periods.loc[run.periods["member"]]
        for row in periods.to_dict("records"):
            rows.append(
                {
                    "mode": mode.value,
                    "regime": regime.value,
                    "country": str(row["country"]),
                    "period": str(row["period"]),
                    "year": int(row["year"]),
                    "frontier": frontier[str(row["period"])],
                    "generations_behind": _plain(row["generations_behind"]),
                    "node_gap_years": _plain(row["node_gap_years"]),
                }
            )
    return rows


def _lags(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "country": str(r["country"]),
            "period": str(r["period"]),
            "year": int(r["year"]),
            "years": _plain(r["years"]),
            "reached": bool(r["reached"]),
        }
        for r in result.lags.to_dict("records")
    ]


def _builds(result: Any) -> dict[str, Any]:
    """The processes that learn, and per run the new capacity started (over all periods) in
    each process of their layers that builds any."""
    learning = sorted({row.process for row in result.scenario.learning})
    layers = {p.layer for p in result.scenario.processes if p.process in learning}
    runs = {}
    for (mode, regime), run in result.runs.items():
        made = run.production.loc[run.production["layer"].isin(layers)]
        new = made.groupby("process", sort=False)["new"].sum()
        runs[f"{mode.value}/{regime.value}"] = {
            str(process): float(value) for process, value in new.items() if value > TINY
        }
    return {"learning": learning, "layers": sorted(layers), "runs": runs}


def _period_rows(result: Any) -> list[dict[str, Any]]:
    """Per run and period: capability and shortfall per year."""
    columns = ["mode", "regime", "period", "year", "capability", "shortfall"]
    return [{k: _plain(row[k]) for k in columns} for row in result.periods.to_dict("records")]


def _loop(result: Any) -> dict[str, Any]:
    """The shared learning loop (``learning_pool="country"``): its rows per mode."""
    rows = {
        str(row["mode"]): {k: _plain(v) for k, v in row.items() if k != "mode"}
        for row in result.loop.to_dict("records")
    }
    return {"rows": rows, "builds_alone": _builds(result)}


def _stamp(paths: Iterable[str]) -> dict[str, Any]:
    """What every block records: the workbooks' SHA-256, the planner's versions, the load."""
    from planner.api import versions

    return {
        "workbooks": {path: sha256_of(path) for path in paths},
        "versions": versions(),
        "ran_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_before": round(os.getloadavg()[0], 2),
    }


def solve_runs(_options: argparse.Namespace) -> dict[str, Any]:
    """The default scenario, its variants and the learning-loop decomposition."""
    import planner

    block = _stamp(path for _, path, _ in VARIANTS)
    variants = {}
    timings = {}
    for name, path, _ in VARIANTS:
        started = time.perf_counter()
        result = planner.run(ROOT / path, prices=False)
        timings[name] = time.perf_counter() - started
        _check_sha(result.sha256, path)
        variants[name] = comparison_figures(result)
        print(f"  {name}: {timings[name]:.1f} s (six runs and four penalty re-solves)", flush=True)
        if name == "current":
            variants[name] |= {
                "members_table": _members(result),
                "generations": _generations(result),
                "lags": _lags(result),
                "builds": _builds(result),
                "period_table": _period_rows(result),
            }
    started = time.perf_counter()
    alone = planner.run(
        ROOT / DEFAULT, learning_pool="country", sensitivity_runs=False, prices=False
    )
    timings["learning_loop"] = time.perf_counter() - started
    print(f"  learning loop: {timings['learning_loop']:.1f} s (eight runs)", flush=True)
    return block | {"seconds_each": timings, "variants": variants, "loop": _loop(alone)}


def _check_sha(found: str, path: str) -> None:
    if found != sha256_of(path):
        raise SystemExit(f"{path}: the planner's sha256 {found} is not the file's; fix sha256_of")


def solve_stresses(options: argparse.Namespace) -> dict[str, Any]:
    """Every case of the default scenario's Stresses sheet, both modes."""
    import planner
    from planner.model.solve import SolveOptions

    block = _stamp([DEFAULT])
    # the figures quoted are objectives; measuring one-sided shadow prices by re-solving
    # (price_checks) would double the stage's time and change none of them
    result = planner.stress(
        ROOT / DEFAULT, workers=options.workers, options=SolveOptions(price_checks=0)
    )
    _check_sha(result.sha256, DEFAULT)
    cases = [
        {k: _plain(v) for k, v in row.items()}
        for row in result.cases[
            ["case", "mode", "regime", "status", "objective_before", "objective_after", "damage",
             "d_capability", "d_shortfall", "saving_before", "saving_after", "beats_national"]
        ].to_dict("records")
    ]  # fmt: skip
    remaining = result.countries.groupby(["case", "mode", "regime"])[
        ["d_capability", "d_shortfall"]
    ].sum()
    for row in cases:
        key = (row["case"], row["mode"], row["regime"])
        found = key in remaining.index
        for column in ("d_capability", "d_shortfall"):
            row[f"remaining_{column}"] = float(remaining.loc[key, column]) if found else None
    return block | {
        "workers": options.workers,
        "options": "price_checks=0",
        "solves": result.solves,
        "cases": cases,
        "resolved": {case: list(text) for case, text in result.resolved.items()},
        "loss_to_remaining": {k: _plain(v) for k, v in result.loss_to_remaining.items()},
        "failures": [f"{f.what}: {f.reason}" for f in result.failures],
    }


def _sweep(options: argparse.Namespace, design: str) -> tuple[Any, dict[str, Any]]:
    import planner

    block = _stamp([DEFAULT])
    loaded = planner.load(ROOT / DEFAULT)
    samples = options.samples if design == "mc" else None
    result = planner.sweep(
        loaded, design=design, samples=samples, modes=["min_cost"], workers=options.workers
    )
    _check_sha(result.provenance["sha256"], DEFAULT)
    summary = {
        str(row["figure"]): {k: _plain(row[k]) for k in ("mean", "p05", "p50", "p95", "draws")}
        for row in result.summary.to_dict("records")
    }
    block |= {
        "design": design,
        "samples": result.draws.samples,
        "seed": result.draws.seed,
        "draws": result.draws.count,
        "factors": len(result.draws.factors),
        "workers": options.workers,
        "runs_failed": len(result.failures),
        "summary": summary,
    }
    return (loaded.scenario, result), block


def solve_oat(options: argparse.Namespace) -> dict[str, Any]:
    """The one-at-a-time tornado of the min_cost saving over the Uncertain rows."""
    (_, result), block = _sweep(options, "oat")
    how = {p.factor: p.apply.value for p in result.draws.parameters}
    block["tornado"] = [
        {k: _plain(v) for k, v in row.items()} | {"apply": how[row["parameter"]]}
        for row in result.tornado.to_dict("records")
    ]
    return block


def solve_mc(options: argparse.Namespace) -> dict[str, Any]:
    """A Monte Carlo of the min_cost saving over the Uncertain rows, with and without the
    penalty avoided."""
    (scenario, result), block = _sweep(options, "mc")
    without = savings_without_penalty(scenario, result)
    block["base_saving_without_penalty"] = without.pop(0)
    block["saving_without_penalty"] = _percentiles(list(without.values()))
    return block


def savings_without_penalty(scenario: Any, result: Any) -> dict[int, float]:
    """Per draw with both min_cost runs: the saving less the penalty avoided.

    ``saving_without_penalty = (O_nat - P_nat) - (O_coa - P_coa)`` with ``O`` the objective
    and ``P = shortfall_penalty x sum_t w_t x shortfall in t`` the discounted penalty paid
    (the headline's definition), each draw's penalty and flow weights ``w_t`` taken from the
    scenario with that draw applied (both can be uncertain).
    """
    from planner.analysis.sweep import apply_draw, plan_of

    plan = plan_of(scenario)
    savings = {}
    for draw in range(result.draws.count):
        runs = {(e["mode"], e["regime"]): e for e in result.entries.get(draw, [])}
        national, coalition = (
            runs.get(("min_cost", "national")),
            runs.get(("min_cost", "coalition")),
        )
        if (
            national is None
            or coalition is None
            or None in (national["objective"], coalition["objective"])
        ):
            continue
        drawn = apply_draw(scenario, plan, result.draws.values[draw])
        weight = {s.period: s.weight for s in drawn.horizon.periods}

        def cost(entry: Mapping[str, Any], drawn: Any = drawn, weight: Any = weight) -> float:
            paid = float(sum(weight[p["period"]] * p["shortfall"] for p in entry["periods"]))
            return float(entry["objective"]) - float(drawn.shortfall_penalty) * paid

        savings[draw] = cost(national) - cost(coalition)
    return savings


def _percentiles(values: list[float]) -> dict[str, Any]:
    import numpy as np

    if not values:
        return {"draws": 0}
    p05, p50, p95 = np.percentile(values, [5, 50, 95])
    return {
        "mean": float(np.mean(values)),
        "p05": float(p05),
        "p50": float(p50),
        "p95": float(p95),
        "positive": sum(v > 0 for v in values) / len(values),
        "draws": len(values),
    }


SOLVERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "runs": solve_runs,
    "stresses": solve_stresses,
    "oat": solve_oat,
    "mc": solve_mc,
}


def solve(stages: Iterable[str], options: argparse.Namespace) -> dict[str, Any]:
    """Run the stages asked for and merge them into the data file's content (the others
    are kept as the file has them)."""
    data = read_data() if DATA.exists() else {"stages": {}}
    data["about"] = (
        "Figures quoted in README.md's default-scenario section, written by "
        "docs/update_readme.py; do not edit by hand."
    )
    for stage in stages:
        print(f"{stage}: solving", flush=True)
        started = time.perf_counter()
        block = SOLVERS[stage](options)
        block["seconds"] = round(time.perf_counter() - started, 1)
        block["load_after"] = round(os.getloadavg()[0], 2)
        data["stages"][stage] = block
        print(
            f"{stage}: {block['seconds']:.1f} s wall (1-min load {block['load_before']} before, "
            f"{block['load_after']} after)",
            flush=True,
        )
        write_data(data)  # a later stage that fails keeps this one
    missing = [s for s in STAGES if s not in data["stages"]]
    if missing:
        raise SystemExit(f"{DATA} has no stage {', '.join(missing)}: run without --only")
    return data


def read_data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def write_data(data: Mapping[str, Any]) -> None:
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------
# Rendering: text from the data file only


def _money(value: float | None) -> str:
    """Money to 0.1 (a figure that rounds to zero has no sign)."""
    return "n/a" if value is None or value != value else f"{round(value, 1) + 0.0:,.1f}"


def _cap(value: float | None) -> str:
    """Capability to 0.1, as money."""
    return _money(value)


def _pct(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.0%}"


def _names(countries: list[str], most: int = 8) -> str:
    shown = ", ".join(f"`{c}`" for c in countries[:most])
    return shown + (f" and {len(countries) - most} more" if len(countries) > most else "")


def _note(text: str) -> str:
    """An assumption a figure depends on, set apart from the figure."""
    return f"*[{text}]*"


def _run(block: Mapping[str, Any], mode: str, regime: str) -> Mapping[str, Any]:
    run: Mapping[str, Any] = block["runs"][f"{mode}/{regime}"]
    return run


def _outside_spend(run: Mapping[str, Any]) -> float:
    return float(run["world_cost"] or 0.0) + float(run["backstop_cost"] or 0.0)


def _regimes_table(block: Mapping[str, Any]) -> list[str]:
    lines = [
        "| regime | min_cost: objective | of it, penalty | spend | capability | shortfall "
        "| max_capability: capability | spend |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for regime in REGIMES:
        low, high = _run(block, "min_cost", regime), _run(block, "max_capability", regime)
        lines.append(
            f"| {regime} | {_money(low['objective'])} | {_money(low['penalty'])} "
            f"| {_money(low['cost'])} | {_cap(low['capability'])} | {_cap(low['shortfall'])} "
            f"| {_cap(high['capability'])} | {_money(high['cost'])} |"
        )
    return lines


def _outside_words(block: Mapping[str, Any], mode: str, regime: str) -> str:
    run = _run(block, mode, regime)
    parts = []
    for source, words in (("backstop", "backstop supply"), ("world", "the world market")):
        if not run[f"{source}_cost"]:
            continue
        goods = sorted(
            (o for o in run["outside"] if o["source"] == source), key=lambda o: -o["cost"]
        )
        what = ", ".join(f"`{o['commodity']}`" for o in goods[:3])
        more = " and more" if len(goods) > 3 else ""
        parts.append(f"{_money(run[f'{source}_cost'])} on {words} ({what}{more})")
    return " and ".join(parts) if parts else "nothing outside the model's countries"


def _saving_lines(block: Mapping[str, Any]) -> list[str]:
    """Item 1: the savings, each with the assumption it leans on."""
    head = block["headline"]["min_cost"]
    currency = block["currency"]
    penalty = block["shortfall_penalty"]
    saving, avoided = head["saving"], head["penalty_saving"]
    mostly_penalty = avoided >= MOSTLY * saving
    nat, coa = _run(block, "min_cost", "national"), _run(block, "min_cost", "coalition")
    outside = _outside_spend(nat) - _outside_spend(coa)
    without = head["saving_without_penalty"]
    leans = abs(outside) >= MOSTLY * abs(without)
    lines = [
        f"- **Saving against national stacks** (min_cost objective): {_money(saving)} "
        f"({_pct(head['saving_fraction'])} of the national objective), of which "
        f"{_money(avoided)} is shortfall penalty avoided"
        + (
            " "
            + _note(
                f"mostly the assumed `shortfall_penalty`, {penalty:,g} {currency} per unit of "
                "capability not delivered"
            )
            if mostly_penalty
            else ""
        )
        + f". Re-solved at half the penalty the saving is {_money(head['saving_half_penalty'])}, "
        f"at twice it {_money(head['saving_double_penalty'])}.",
        f"- **Saving without the penalty** (`saving_without_penalty`, discounted cost, salvage "
        f"credited): {_money(without)}. National stacks spend "
        f"{_outside_words(block, 'min_cost', 'national')}, the coalition "
        f"{_outside_words(block, 'min_cost', 'coalition')}, both undiscounted "
        + _note(
            ("mostly" if leans else "partly")
            + " the assumed backstop costs and world prices: their difference, "
            f"{_money(outside)}, is {abs(outside) / abs(without):.0%} of this figure"
            if without
            else "no saving without the penalty"
        )
        + ".",
    ]
    return lines


def _trust_lines(block: Mapping[str, Any]) -> list[str]:
    """Item 1: the price of trust and the max_capability comparison."""
    low, high = block["headline"]["min_cost"], block["headline"]["max_capability"]
    coa, opn = _run(block, "min_cost", "coalition"), _run(block, "min_cost", "open")
    penalty_part = coa["penalty"] - opn["penalty"]
    price = low["price_of_trust_cost"]
    nat_cap = _run(block, "max_capability", "national")["capability"]
    coa_cap = _run(block, "max_capability", "coalition")["capability"]
    opn_cap = _run(block, "max_capability", "open")["capability"]
    return [
        f"- **Price of trust** (coalition against the open world): {_money(price)} in min_cost, "
        f"{_money(penalty_part)} of it penalty on capability the coalition misses and the open "
        "world delivers"
        + (" " + _note("mostly the assumed penalty") if penalty_part >= MOSTLY * price else "")
        + f"; {_cap(high['price_of_trust_capability'])} capability in max_capability.",
        f"- **Same capital, more capability** (max_capability, budgets pooled): the coalition "
        f"delivers {_cap(coa_cap)} against {_cap(nat_cap)} for national stacks "
        f"({coa_cap / nat_cap:.1f} times; the open world {_cap(opn_cap)}), "
        f"{high['capability_per_money_coalition']:.3f} capability per {block['currency']} "
        f"spent against {high['capability_per_money_national']:.3f}. No penalty enters this "
        "mode; budgets, build costs and the Uncertain rows do.",
    ]


def _lag_table(block: Mapping[str, Any]) -> list[str]:
    """Item 2: the capability lag per period (max_capability)."""
    lines = [
        "| period | national stack behind: members | median lag (years) | longest | "
        "never catches up by the horizon's end | there first or level |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_period: dict[str, list[Mapping[str, Any]]] = {}
    for lag in block["lags"]:
        by_period.setdefault(lag["period"], []).append(lag)
    for period, lags in by_period.items():
        behind = [lag["years"] for lag in lags if lag["reached"] and lag["years"] > TINY]
        never = sum(not lag["reached"] for lag in lags)
        first = sum(lag["reached"] and lag["years"] <= TINY for lag in lags)
        median = f"{statistics.median(behind):.1f}" if behind else "-"
        longest = f"{max(behind):.1f}" if behind else "-"
        lines.append(f"| {period} | {len(behind)} | {median} | {longest} | {never} | {first} |")
    return lines


def _generation_table(block: Mapping[str, Any]) -> list[str]:
    """Item 2: node generations per mode and period, national against coalition."""
    lines = [
        "| mode | period | frontier | national: at the frontier | behind (median node gap, "
        "years) | no chips used | coalition: at the frontier | behind (median gap) "
        "| no chips used |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for row in block["generations"]:
        groups.setdefault((row["mode"], row["period"]), {}).setdefault(row["regime"], []).append(
            row
        )
    for (mode, period), regimes in groups.items():
        cells = []
        for regime in ("national", "coalition"):
            rows = regimes[regime]
            at = sum(r["generations_behind"] == 0 for r in rows)
            gaps = [r["node_gap_years"] for r in rows if (r["generations_behind"] or 0) > 0]
            none = sum(r["generations_behind"] is None for r in rows)
            median = f" ({statistics.median(gaps):g})" if gaps else ""
            cells += [str(at), f"{len(gaps)}{median}", str(none)]
        frontier = rows[0]["frontier"] or "-"
        lines.append(f"| {mode} | {period} | `{frontier}` | " + " | ".join(cells) + " |")
    return lines


def _frontier_alone(block: Mapping[str, Any]) -> dict[str, str]:
    """Members whose national stack uses the frontier node in some period (either mode),
    with the first such period."""
    found: dict[str, str] = {}
    for row in sorted(block["generations"], key=lambda r: r["year"]):
        if row["regime"] == "national" and row["generations_behind"] == 0:
            found.setdefault(row["country"], row["period"])
    return {
        m["country"]: found[m["country"]] for m in block["members_table"] if m["country"] in found
    }


def _period_table(block: Mapping[str, Any]) -> list[str]:
    """Capability per year by period and regime, both modes, against the target."""
    rows: dict[str, dict[str, Mapping[str, Any]]] = {}
    for row in block["period_table"]:
        rows.setdefault(row["period"], {})[f"{row['mode']}/{row['regime']}"] = row
    lines = [
        "| period | target per year | min_cost: national | coalition | open "
        "| max_capability: national | coalition | open |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for period, runs in rows.items():
        national = runs["min_cost/national"]
        target = national["capability"] + national["shortfall"]
        cells = [_cap(runs[f"{m}/{r}"]["capability"]) for m in MODES for r in REGIMES]
        lines.append(f"| {period} | {_cap(target)} | " + " | ".join(cells) + " |")
    return lines


def _member_lines(block: Mapping[str, Any]) -> list[str]:
    """Members for whom the claim does not hold, or holds only in part."""
    members = block["members_table"]
    frontier = _frontier_alone(block)
    same = [
        m["country"]
        for m in members
        if m["min_cost_coalition_capability"] - m["min_cost_national_capability"] <= 1e-6
    ]
    dearer = [m["country"] for m in members if m["min_cost_gain"] < -TINY]
    less = [m["country"] for m in members if m["max_capability_gain"] < -TINY]
    lines = []
    if frontier:
        where = ", ".join(f"`{c}` (from {p})" for c, p in frontier.items())
        lines.append(f"- The national stack of {where} reaches the frontier node on its own.")
    if same:
        lines.append(
            f"- {_names(same)} deliver{'s' if len(same) == 1 else ''} as much capability alone "
            "as in the coalition (min_cost): joining adds no capability there."
        )
    if dearer:
        lines.append(
            f"- {_names(dearer)} spend more in the coalition than alone, penalty included "
            "(min_cost; a member's spend includes what it makes for other members, so this "
            "is a first reading: `planner share` divides the saving)."
        )
    if less:
        lines.append(
            f"- In max_capability the pooled budget goes where and when capability is "
            f"cheapest: {_names(less)} get less capability in the coalition than alone over "
            "the horizon, and many members get little in some periods, which is what the "
            'lags "there first" above say, not that those national stacks lead.'
        )
    return lines


def _no_chips_line(block: Mapping[str, Any]) -> list[str]:
    """When national stacks (min_cost) start using chips of their own, and how far behind."""
    rows = [
        r for r in block["generations"] if r["mode"] == "min_cost" and r["regime"] == "national"
    ]
    periods = list(dict.fromkeys(r["period"] for r in rows))
    idle = {
        p: sum(r["generations_behind"] is None for r in rows if r["period"] == p) for p in periods
    }
    members = block["members"]
    start = next((p for p in periods if idle[p] * 2 < members), None)
    if start is None or start == periods[0]:
        return []
    gaps = [r["node_gap_years"] for r in rows if r["period"] == start and r["node_gap_years"]]
    how = "with no trade" if block["national_scope"] == "all" else "making chips at home,"
    return [
        f"In national stacks (min_cost) {idle[periods[0]]} of {members} members use no chips "
        f"before {start}: {how} they deliver no capability until their own fabs "
        f"stand; from {start} most use a node a median {statistics.median(gaps):g} years "
        "behind the frontier.",
        "",
    ]


def _lag_lines(block: Mapping[str, Any]) -> list[str]:
    return [
        "",
        "Node generations (`generations_behind`, `node_gap_years`: how many generations, and "
        "years of frontier dates, the newest node a member's own plant uses is behind the "
        "period's frontier; a member that makes no compute at home, importing it or "
        "delivering nothing, uses no chips):",
        "",
        *_generation_table(block),
        "",
        *_no_chips_line(block),
        "Capability per year (the target is min_cost's):",
        "",
        *_period_table(block),
        "",
        "Where the claim does not hold on these data, or holds only in part, member by member:",
        "",
        *_member_lines(block),
    ]


def _loop_lines(runs: Mapping[str, Any]) -> list[str]:
    """Item 3: the shared learning loop's share of the coalition's gain."""
    loop = runs["loop"]["rows"]
    current = runs["variants"]["current"]
    currency = current["currency"]
    low, high = loop["min_cost"], loop["max_capability"]
    share = low["shared_loop"] / low["saving_shared"] if low["saving_shared"] else None
    lines = [
        f"- min_cost: the saving is {_money(low['saving_shared'])} {currency} with the shared "
        f"loop and {_money(low['saving_alone'])} with every country learning alone: the shared "
        f"loop accounts for {_money(low['shared_loop'])} ({_pct(share)} of the saving); "
        f"max_capability: {_cap(high['shared_loop'])} of the coalition's gain of "
        f"{_cap(high['saving_shared'])} in objective (discounted weighted capability).",
    ]
    if share is not None and abs(share) < ABOUT_ZERO:
        lines.append(f"- **The share is about zero on these data**: {_why_no_loop(current)}.")
    return lines


def _ids(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names))


def _coalition_learns(current: Mapping[str, Any]) -> bool:
    """Whether the coalition builds new capacity of a process that learns, in either mode."""
    builds = current["builds"]
    return any(
        p in builds["learning"] for mode in MODES for p in builds["runs"][f"{mode}/coalition"]
    )


def _why_no_loop(current: Mapping[str, Any]) -> str:
    """Why pooling experience is worth nothing: what the coalition builds and buys instead."""
    builds = current["builds"]
    learning = set(builds["learning"])

    def built(regime: str) -> set[str]:
        return {p for mode in MODES for p in builds["runs"][f"{mode}/{regime}"]}

    coalition, national = built("coalition"), built("national")
    if coalition & learning:
        what = f"the coalition builds little new capacity of {_ids(learning)}"
    else:
        other = f" (only {_ids(coalition)})" if coalition else ", nor any other new fab"
        what = (
            f"the coalition builds no new capacity of the processes that learn "
            f"({_ids(learning)}) in either mode{other}"
        )
    alone = (
        f"; only national stacks build {_ids(national & learning)}" if national & learning else ""
    )
    return (
        f"{what}. In min_cost it makes its chips in fabs already standing and spends "
        f"{_outside_words(current, 'min_cost', 'coalition')}, so there is no "
        f"experience to pool{alone}. Learning in this scenario is fab learning on "
        f"{_ids(learning)} alone; the op-ed's learning loop (firms' and institutions' "
        "accumulated knowledge) is wider than that"
    )


def _harm(stresses: Mapping[str, Any], row: Mapping[str, Any]) -> float | None:
    """What a case costs the members that remain (min_cost): for an exit its
    ``loss_to_remaining`` (the leaver's targets leave with it, so the coalition's objective
    itself can fall), otherwise its damage."""
    loss = stresses["loss_to_remaining"].get(row["case"])
    found = row["damage"] if loss is None else loss
    return None if found is None else float(found)


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def _stress_lines(stresses: Mapping[str, Any], currency: str, top: int = 5) -> list[str]:
    """Item 4: the most damaging shocks and whether the coalition still beats national."""
    rows = {(r["case"], r["mode"], r["regime"]): r for r in stresses["cases"]}
    cases = list(dict.fromkeys(r["case"] for r in stresses["cases"]))
    ranked = sorted(
        cases, key=lambda c: -(_harm(stresses, rows[c, "min_cost", "coalition"]) or 0.0)
    )
    lines = [
        f"| case | what happens | harm to the remaining members ({currency}) | their extra "
        "shortfall | saving against national stacks after | max_capability: capability they "
        "lose (negative: gain) | open world's damage | still beats national stacks |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for case in ranked[:top]:
        low, high = rows[case, "min_cost", "coalition"], rows[case, "max_capability", "coalition"]
        opened = rows.get((case, "min_cost", "open"), {})
        lost = high["remaining_d_capability"]
        lines.append(
            f"| `{case}` | {'; '.join(stresses['resolved'][case])} "
            f"| {_money(_harm(stresses, low))} | {_cap(low['remaining_d_shortfall'])} "
            f"| {_money(low['saving_after'])} | {_cap(None if lost is None else -lost)} "
            f"| {_money(opened.get('damage'))} "
            f"| {_yes(low['beats_national'])} / {_yes(high['beats_national'])} |"
        )
    losing = [
        c for c in ranked if False in {rows[c, m, "coalition"]["beats_national"] for m in MODES}
    ]
    small = sum(abs(_harm(stresses, rows[c, "min_cost", "coalition"]) or 0.0) < 1 for c in cases)
    verdict = (
        f"After every one of the {len(cases)} cases the coalition still beats national stacks "
        "in both modes"
        if not losing
        else f"After {len(cases) - len(losing)} of the {len(cases)} cases the coalition still "
        f"beats national stacks in both modes; not after {_names(losing)}"
    )
    return [
        *lines,
        "",
        f"{verdict} (min_cost: a lower objective, max_capability: more capability, each "
        "against the national stacks of the members that remain; the min_cost saving after a "
        "shock still includes the penalty avoided "
        + _note("the assumed `shortfall_penalty`")
        + f"). {small} of the {len(cases)} cases harm the remaining members by less than 1 "
        f"{currency} in min_cost. Harm is the rise in the min_cost objective (penalty on "
        "capability lost included); for an exit, `loss_to_remaining`: the leaver's targets "
        "leave with it, so the coalition's objective itself falls. The open world's damage "
        "is its own min_cost objective's rise, where the case applies to it.",
        *(
            [f"Solves that failed: {'; '.join(stresses['failures'])}."]
            if stresses["failures"]
            else []
        ),
    ]


def _ends(row: Mapping[str, Any]) -> str:
    how = row["apply"]
    low, high = row["low"], row["high"]
    if how == "scale":
        return f"x{low:g} to x{high:g}"
    if how == "add":
        return f"{low:+g} to {high:+g}"
    return f"{low:g} to {high:g}"


def _sweep_lines(oat: Mapping[str, Any], mc: Mapping[str, Any], currency: str) -> list[str]:
    """Item 5: the Monte Carlo range and the tornado's top three."""
    saving = mc["summary"]["saving"]
    better = mc["summary"]["coalition_better"]["mean"]
    without = mc["saving_without_penalty"]
    tornado = [r for r in oat["tornado"] if r["mode"] == "min_cost" and r["swing"] is not None]
    top = tornado[:3]
    tops = "; ".join(
        f"`{r['parameter']}` ({_ends(r)}: saving {_money(r['saving_low'])} to "
        f"{_money(r['saving_high'])})"
        for r in top
    )
    penalty_first = bool(top) and "penalty" in top[0]["parameter"]
    return [
        f"- **Monte Carlo** ({mc['samples']} draws of the {mc['factors']} uncertain groups, "
        f"seed {mc['seed']}, min_cost): the saving against national stacks lies between "
        f"{_money(saving['p05'])} and {_money(saving['p95'])} {currency} in 90% of draws "
        f"(median {_money(saving['p50'])}); the coalition is cheaper in {_pct(better)} of them. "
        f"Without the penalty avoided (each draw's penalty and discounting) the saving lies "
        f"between {_money(without.get('p05'))} and {_money(without.get('p95'))} (median "
        f"{_money(without.get('p50'))}), positive in {_pct(without.get('positive'))} of draws.",
        f"- **What moves it most** (one at a time, {oat['factors']} groups from low to high, "
        f"tornado): {tops}."
        + (
            " " + _note("the penalty, an assumption, leads: the saving is mostly penalty avoided")
            if penalty_first
            else ""
        ),
    ]


def _variant_table(variants: Mapping[str, Any]) -> list[str]:
    lines = [
        "| variant | members | min_cost: national | coalition | open | saving | of it, penalty "
        "| without penalty | max_capability: national | coalition | open |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {name: label for name, _, label in VARIANTS}
    for name, block in variants.items():
        head = block["headline"]["min_cost"]
        cost = [_run(block, "min_cost", r)["objective"] for r in REGIMES]
        cap = [_run(block, "max_capability", r)["capability"] for r in REGIMES]
        lines.append(
            f"| {labels[name]} | {block['members']} | "
            + " | ".join(_money(c) for c in cost)
            + f" | {_money(head['saving'])} ({_pct(head['saving_fraction'])}) "
            f"| {_money(head['penalty_saving'])} | {_money(head['saving_without_penalty'])} | "
            + " | ".join(_cap(c) for c in cap)
            + " |"
        )
    return lines


def _claim_fails(block: Mapping[str, Any]) -> list[str]:
    """Where a variant's figures go against the op-ed's claim, in words."""
    low, high = block["headline"]["min_cost"], block["headline"]["max_capability"]
    found = []
    if low["saving_without_penalty"] <= 0:
        found.append(
            f"without the penalty national stacks cost {_money(-low['saving_without_penalty'])} "
            "less than the coalition"
        )
    if high["capability_per_money_national"] >= high["capability_per_money_coalition"]:
        found.append(
            f"national stacks deliver more capability per {block['currency']} spent "
            f"({high['capability_per_money_national']:.3f} against "
            f"{high['capability_per_money_coalition']:.3f})"
        )
    national = _run(block, "min_cost", "national")["objective"]
    coalition = _run(block, "min_cost", "coalition")["objective"]
    if national < (1 + CLOSE) * coalition:
        found.append(
            f"national stacks cost only {_pct(national / coalition - 1)} more than the "
            "coalition (min_cost objective)"
        )
    return found


def _same_runs(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two variants' six objectives agree to 1e-6 relative."""
    return all(
        math.isclose(run["objective"], other["runs"][key]["objective"], rel_tol=1e-6)
        for key, run in one["runs"].items()
    )


def _variant_lines(variants: Mapping[str, Any]) -> list[str]:
    """Item 6: what each variant changes against the current membership."""
    current = variants["current"]
    base = current["headline"]["min_cost"]
    lines = []
    for name in ("founders", "trusted", "declared", "own_learning"):
        block = variants[name]
        head = block["headline"]["min_cost"]
        cap = block["headline"]["max_capability"]
        text = f"- **{name}**: " + (
            "the same six objectives as the current membership, to 1e-6"
            + (
                "; nothing that learns is built in the coalition, so whether experience is "
                "pooled changes nothing (see the learning loop above)."
                if name == "own_learning" and not _coalition_learns(current)
                else "."
            )
            if _same_runs(block, current)
            else f"saving {_money(head['saving'])} ({_pct(head['saving_fraction'])}; current "
            f"{_money(base['saving'])}), without the penalty "
            f"{_money(head['saving_without_penalty'])} (current "
            f"{_money(base['saving_without_penalty'])}); price of trust "
            f"{_money(head['price_of_trust_cost'])} (current "
            f"{_money(base['price_of_trust_cost'])}); "
            f"extra capability in max_capability {_cap(cap['extra_capability'])} (current "
            f"{_cap(current['headline']['max_capability']['extra_capability'])})."
        )
        if block["national_scope"] == "declared":
            national = _run(block, "min_cost", "national")
            text += (
                " National stacks may buy what is not sovereign on the world market, at a "
                f"premium: they spend {_outside_words(block, 'min_cost', 'national')} "
                f"{_note('the assumed world prices and premiums')} and miss "
                f"{_cap(national['shortfall'])} capability (current "
                f"{_cap(_run(current, 'min_cost', 'national')['shortfall'])})."
            )
        fails = _claim_fails(block)
        if fails:
            text += " **On these data the op-ed's claim fails here**: " + "; ".join(fails) + "."
        lines.append(text)
    return lines


def _count_cases(stresses: Mapping[str, Any]) -> int:
    return len({r["case"] for r in stresses["cases"]})


def default_scenario(data: Mapping[str, Any]) -> str:
    """The default scenario's section, from the data file alone."""
    stages = data["stages"]
    runs = stages["runs"]
    current = runs["variants"]["current"]
    currency = current["currency"]
    version = runs["versions"]["planner"]
    return "\n".join(
        [
            f"Planner {version}; figures cached in "
            "[docs/data/default_scenario.json](docs/data/default_scenario.json) with the "
            "SHA-256 of each workbook they came from. Money in "
            f"{currency}: objectives discounted at {current['discount_rate']:.0%} a year to "
            f"{current['first_year']}, spend undiscounted. Capability is in "
            f"{current['capability_unit']}: totals are per-year figures times the periods' "
            f"lengths, summed over the {current['periods']} periods "
            f"{current['first_year']}-{current['last_year']}. "
            + _note("A note like this")
            + " names the assumption a figure depends on most.",
            "",
            f"**National stacks, the coalition and the open world** (current membership, "
            f"{current['members']} members):",
            "",
            *_regimes_table(current),
            "",
            *_saving_lines(current),
            *_trust_lines(current),
            "",
            "**How far national stacks lag behind the coalition.** Capability (max_capability, "
            "`lags`): for each member and period, how many years later the member's national "
            "stack reaches the capability per year the coalition gives it then:",
            "",
            *_lag_table(current),
            *_lag_lines(current),
            "",
            "**The shared learning loop** (`planner run --learning-pool country`: every country "
            "learns alone, against fab learning pooled in the coalition):",
            "",
            *_loop_lines(runs),
            "",
            f"**Stress tests** (`planner stress`, the {_count_cases(stages['stresses'])} cases "
            "of the Stresses sheet), the most damaging in the coalition's min_cost run:",
            "",
            *_stress_lines(stages["stresses"], currency),
            "",
            "**Uncertainty** (`planner sweep`, the Uncertain sheet):",
            "",
            *_sweep_lines(stages["oat"], stages["mc"], currency),
            "",
            "**Variants** (min_cost objectives and saving; max_capability capability):",
            "",
            *_variant_table(runs["variants"]),
            "",
            *_variant_lines(runs["variants"]),
        ]
    )


SECTIONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "nutshell": nutshell,
    "default-scenario": default_scenario,
}


def render(text: str, data: Mapping[str, Any] | None = None) -> str:
    """README text with every known section regenerated (the default scenario's from
    ``data``, by default :data:`DATA`)."""
    data = read_data() if data is None else data
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", flags=re.DOTALL)
        found = pattern.search(text)
        if found is None:
            raise SystemExit(f"README.md has no section {name!r}")
        text = text[: found.end(1)] + make(data) + "\n" + text[found.start(2) :]
    return text


def stale_workbooks(data: Mapping[str, Any]) -> list[str]:
    """One line per stage whose figures came from a workbook that has changed since."""
    problems = []
    for stage in STAGES:
        block = data["stages"].get(stage)
        if block is None:
            problems.append(f"{DATA.name} has no {stage} stage")
            continue
        for path, digest in block["workbooks"].items():
            if not (ROOT / path).exists() or sha256_of(path) != digest:
                problems.append(
                    f"{path} has changed since the {stage} figures were solved (sha256 "
                    f"{digest[:12]}... in {DATA.name})"
                )
    return problems


def check() -> list[str]:
    """What makes README.md stale: changed workbooks, or text that differs from a render."""
    if not DATA.exists():
        return [f"{DATA} is missing"]
    data = read_data()
    problems = stale_workbooks(data)
    current = README.read_text(encoding="utf-8")
    if render(current, data) != current:
        problems.append("README.md differs from what the cached figures render")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    parser.add_argument(
        "--only-runs",
        action="store_true",
        help="re-solve everything but the sweep (the runs and the stresses); the sweep's "
        "figures stay as the data file has them",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="solve nothing: rewrite README.md from the data file as it is",
    )
    parser.add_argument("--only", help=f"comma-separated stages to re-solve ({', '.join(STAGES)})")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="Monte Carlo draws")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="processes for stresses and sweeps"
    )
    options = parser.parse_args(argv)
    if options.check:
        problems = check()
        for problem in problems:
            print(problem)
        if problems:
            print("README.md is stale: run .venv/bin/python docs/update_readme.py")
        return 1 if problems else 0
    stages = [] if options.render else list(STAGES)
    if options.only_runs:
        stages = ["runs", "stresses"]
    if options.only:
        stages = [s.strip() for s in options.only.split(",")]
        unknown = set(stages) - set(STAGES)
        if unknown:
            parser.error(f"unknown stages {sorted(unknown)}; the stages are {', '.join(STAGES)}")
    started = time.perf_counter()
    data = solve(stages, options)
    README.write_text(render(README.read_text(encoding="utf-8"), data), encoding="utf-8")
    print(f"README.md written; {time.perf_counter() - started:.1f} s in all")
    for problem in stale_workbooks(data):
        print(f"warning: {problem}: re-run without --only")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
