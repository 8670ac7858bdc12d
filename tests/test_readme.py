"""The README's figures come from the tool: regenerating them must change nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _updater():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "docs/update_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_sections_are_current() -> None:
    updater = _updater()
    current = (ROOT / "README.md").read_text(encoding="utf-8")
    assert updater.render(current) == current, (
        "README.md is stale: run .venv/bin/python docs/update_readme.py"
    )
