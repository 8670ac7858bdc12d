"""Regenerate the README's tool-produced sections; ``--check`` fails when they are stale.

Every figure quoted in README.md between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
comes from this script running the planner, never from a hand:

    .venv/bin/python docs/update_readme.py          # rewrite the sections
    .venv/bin/python docs/update_readme.py --check  # exit 1 if README.md is stale

``tests/test_readme.py`` runs the check, so a change in the model or the data that moves a
number fails the suite until the README is regenerated.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TUTORIAL = "scenarios/tutorial_comparative_advantage.xlsx"


def nutshell() -> str:
    """The terminal output of ``planner run`` on the first tutorial."""
    from planner.cli import main

    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "report.xlsx")
        result = CliRunner().invoke(main, ["run", str(ROOT / TUTORIAL), "-o", report])
    if result.exit_code != 0:
        raise SystemExit(f"planner run failed:\n{result.output}")
    lines = [line for line in result.output.splitlines() if not line.startswith("report:")]
    body = "\n".join(lines).rstrip()
    report = f"report: {Path(TUTORIAL).stem}-report.xlsx"
    return f"```console\n$ planner run {TUTORIAL}\n{body}\n{report}\n```"


SECTIONS: dict[str, Callable[[], str]] = {"nutshell": nutshell}


def render(text: str) -> str:
    """README text with every known section regenerated."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", flags=re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no section {name!r}")
        content = make()
        text = pattern.sub(lambda m, c=content: m.group(1) + c + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md is stale: run .venv/bin/python docs/update_readme.py")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
