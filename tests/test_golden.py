"""The bundled scenarios' JSON outputs are the recorded ones (tests/golden_outputs.py).

Moving code must change no number: every run of every bundled scenario and the sharing
rules recorded give the same JSON as when it was recorded, timing keys aside. Numbers are
compared to 1e-12 relative, text and structure exactly.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from golden_outputs import GOLDEN, cases


def differences(expected: Any, got: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ (numbers to 1e-12 relative)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if expected.keys() != got.keys():
            return [f"{where}: keys {sorted(expected)} != {sorted(got)}"]
        return [d for k in expected for d in differences(expected[k], got[k], f"{where}.{k}")]
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: {len(expected)} items != {len(got)}"]
        return [d for i, (e, g) in enumerate(zip(expected, got, strict=True)) for d in
                differences(e, g, f"{where}[{i}]")]  # fmt: skip
    if _number(expected) and _number(got) and math.isclose(expected, got, rel_tol=1e-12):
        return []
    if expected == got:
        return []
    return [f"{where}: {expected!r} != {got!r}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize("file", sorted(cases()))
def test_outputs_are_the_recorded_ones(file: str) -> None:
    expected = json.loads((GOLDEN / file).read_text())
    got = json.loads(json.dumps(cases()[file]()))
    found = differences(expected, got)
    assert not found, "\n".join(found[:20])
