"""Every script in examples/ runs in-process and prints the figures it promises.

The tutorials' figures are derived by hand in scenarios/README.md; the membership variants
are checked against what must hold whatever the data (open <= coalition <= national, and
trusting more partners never raises the coalition's cost).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ADVANTAGE = ROOT / "scenarios" / "tutorial_comparative_advantage.xlsx"
SCALE = ROOT / "scenarios" / "tutorial_scale.xlsx"
SCRIPTS = ("compare_regimes", "membership_variants", "bottlenecks", "who_gains", "what_if")


def run_script(name: str, args: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run examples/NAME.py as ``__main__`` with ``args`` as its command line."""
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *map(str, args)])
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")


def fields(output: str, *start: str) -> list[str]:
    """The whitespace-separated fields of the one output line that begins with ``start``."""
    lines = [line.split() for line in output.splitlines()]
    found = [f for f in lines if tuple(f[: len(start)]) == start]
    assert len(found) == 1, f"expected one line starting {start!r} in:\n{output}"
    return found[0][len(start) :]


def numbers(values: list[str]) -> list[float]:
    return [float(value.replace(",", "").rstrip("%")) for value in values]


def test_every_script_is_tested_documented_and_finds_its_default_scenario() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(SCRIPTS)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in SCRIPTS:
        module = runpy.run_path(str(EXAMPLES / f"{name}.py"))  # not __main__: solves nothing
        assert module["__doc__"] and f"examples/{name}.py" in module["__doc__"]
        assert f"`{name}.py" in readme
        defaults = module.get("DEFAULT") or module["SCENARIOS"]
        assert defaults.exists()


@pytest.mark.parametrize(
    ("scenario", "national", "coalition", "capability", "saving"),
    [(ADVANTAGE, 3480.0, 470.0, 120.0, "3,010.00"), (SCALE, 1000.0, 860.0, 125.0, "140.00")],
    ids=["comparative_advantage", "scale"],
)
def test_compare_regimes_prints_the_hand_derived_optima(
    scenario: Path,
    national: float,
    coalition: float,
    capability: float,
    saving: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_script("compare_regimes", [scenario], monkeypatch)
    out = capsys.readouterr().out
    assert numbers(fields(out, "min_cost", "national", "optimal"))[0] == national
    assert numbers(fields(out, "min_cost", "coalition", "optimal"))[0] == coalition
    assert numbers(fields(out, "max_capability", "coalition", "optimal"))[2] == capability
    assert f"the coalition saves against national stacks: {saving} USD bn" in out


def test_compare_regimes_reports_a_missing_file_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit, match="no such file"):
        run_script("compare_regimes", [tmp_path / "missing.xlsx"], monkeypatch)


def test_bottlenecks_reads_the_tutorial_prices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chipland's capability costs 4.5 at the margin (ore 1, refining 1, shipping 0.5, fab 1,
    compute 1), Oreland's 5 (its chips shipped back, 0.5 more); a unit of existing fab in
    Oreland would save the new fab's 8 per unit."""
    run_script("bottlenecks", [ADVANTAGE], monkeypatch)
    out = capsys.readouterr().out
    assert fields(out, "capacity", "fabrication") == ["8", "ORELAND"]
    assert numbers(fields(out, "ORELAND")) == [5.0]
    assert numbers(fields(out, "CHIPLAND")) == [4.5]
    assert "binding prices may not be unique" in out


def test_who_gains_sorts_the_members_by_gain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """min_cost: Chipland avoids 60 x 50 of penalty for 210 of spend (2,790), Oreland spends
    260 instead of 480 (220). max_capability: Chipland 0 -> 100, Oreland 30 -> 20."""
    run_script("who_gains", [ADVANTAGE], monkeypatch)
    min_cost, max_capability = capsys.readouterr().out.split("max_capability:")
    assert min_cost.index("CHIPLAND") < min_cost.index("ORELAND")
    assert numbers(fields(min_cost, "CHIPLAND")) == [0.0, 210.0, -60.0, 2790.0]
    assert numbers(fields(min_cost, "ORELAND")) == [480.0, 260.0, 0.0, 220.0]
    assert numbers(fields(max_capability, "ORELAND")) == [30.0, 20.0, -10.0]


def test_membership_variants_on_the_tutorials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_script("membership_variants", [ADVANTAGE, SCALE], monkeypatch)
    out = capsys.readouterr().out
    advantage = numbers(fields(out, ADVANTAGE.stem))
    assert advantage == [2, 3480.0, 470.0, 470.0, 3010.0, 86.49, 0.0, 120.0]
    assert numbers(fields(out, SCALE.stem)) == [3, 1000.0, 860.0, 860.0, 140.0, 14.0, 0.0, 125.0]


def test_membership_variants_on_the_bundled_variants(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_script("membership_variants", [], monkeypatch)
    out = capsys.readouterr().out
    rows = {
        name: numbers(fields(out, name))
        for name in ("pax_silica_founders", "pax_silica", "pax_silica_trusted")
    }
    assert [row[0] for row in rows.values()] == [7, 24, 24]
    for _, national, coalition, open_world, saving, _, trust, _ in rows.values():
        assert open_world <= coalition <= national
        assert saving == pytest.approx(national - coalition, abs=0.01)
        assert trust == pytest.approx(coalition - open_world, abs=0.01)
    assert rows["pax_silica_trusted"][2] <= rows["pax_silica"][2]


def test_what_if_edits_the_tutorial(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As given (scenarios/README.md): coalition 470, saving 3,480 - 470 = 3,010, capability
    120. Without Chipland, Oreland is the coalition alone: 40 units at 12 = 480, the same as
    its national stack (saving 0), and its own budget buys 30. Doubled budgets leave
    min_cost as it was and can only buy more capability."""
    run_script("what_if", [ADVANTAGE, "CHIPLAND"], monkeypatch)  # type: ignore[list-item]
    out = capsys.readouterr().out
    assert numbers(fields(out, "as", "given")) == [2, 470.0, 3010.0, 120.0]
    assert numbers(fields(out, "without", "CHIPLAND")) == [1, 480.0, 0.0, 30.0]
    doubled = numbers(fields(out, "budgets", "doubled"))
    assert doubled[:3] == [2, 470.0, 3010.0]
    assert doubled[3] >= 120.0
