"""Sharing in plain words: the answers the API, the JSON, the terminal and the report give
agree; the result's tables are DataFrames; the first sheet says who gains what, which rule
to use here and why."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pytest import approx
from test_sharing import compute_stack
from workbooks import MINIMAL_SCENARIO

from planner.analysis.sharing import SharingResult
from planner.analysis.sharing_words import recommend
from planner.api import share
from planner.cli.share import format_sharing
from planner.io.sharing_report import SHEETS, write_sharing_json, write_sharing_report


@pytest.fixture(scope="module")
def stack() -> SharingResult:
    return share(compute_stack())


@pytest.fixture(scope="module")
def inefficient_owen() -> SharingResult:
    """MINIMAL_SCENARIO: a fixed cost no member owns; Owen's shares fall 20 short of c(N),
    so no coalition blocks it and yet it is not in the core."""
    return share(MINIMAL_SCENARIO, methods=("owen", "shapley"))


def verdicts_everywhere(result: SharingResult, method: str, tmp_path: Path) -> list[bool]:
    """The stability answer as the API, the table, the JSON and the report give it."""
    document = json.loads(write_sharing_json(result, tmp_path / "s.json").read_text())
    book = load_workbook(write_sharing_report(result, tmp_path / "s.xlsx"))
    rows = {row[0].value: row for row in book["Stability"].iter_rows(min_row=2)}
    table = result.verdicts.set_index("method")
    return [
        result.stability[method].stable,
        result.stable(method),
        bool(table.loc[method, "stable"]),
        document["stability"][method]["stable"],
        rows[method][2].value == "yes",
    ]


def test_owen_is_not_stable_in_every_answer_when_its_shares_miss_the_cost(
    inefficient_owen: SharingResult, tmp_path: Path
) -> None:
    assert inefficient_owen.efficiency_gap("owen") == approx(20, abs=1e-6)
    assert verdicts_everywhere(inefficient_owen, "owen", tmp_path) == [False] * 5
    assert inefficient_owen.verdict("owen").startswith("not stable")


def test_a_stable_allocation_is_stable_in_every_answer(
    stack: SharingResult, tmp_path: Path
) -> None:
    for method in ("owen", "shapley", "nucleolus"):
        assert verdicts_everywhere(stack, method, tmp_path) == [True] * 5, method


def test_shares_verdicts_and_coalitions_are_dataframes(stack: SharingResult) -> None:
    shares = stack.shares
    assert list(shares.columns) == [
        "method", "country", "name", "national_cost", "cost", "saving", "stderr", "exact"
    ]  # fmt: skip
    assert len(shares) == 3 * 3
    owen = shares.loc[shares["method"] == "owen"].set_index("country")
    assert owen["cost"].tolist() == approx([0, 8, 4])  # compute_stack's hand derivation
    assert (shares["saving"] == shares["national_cost"] - shares["cost"]).all()
    assert shares.groupby("method")["cost"].sum().tolist() == approx([12] * 3)
    verdicts = stack.verdicts.set_index("method")
    assert verdicts.loc["owen", "worst_coalition"] == "A, B"
    assert verdicts.loc["owen", "excess"] == approx(0, abs=1e-7)
    coalitions = stack.coalitions
    assert len(coalitions) == 7
    assert coalitions.set_index("members").loc["A, B", "cost"] == approx(8)


def test_the_first_sheet_says_it_in_words_with_a_chart(
    stack: SharingResult, tmp_path: Path
) -> None:
    path = write_sharing_report(stack, tmp_path / "sharing.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == list(SHEETS) and SHEETS[0] == "Answer"
    texts = [c.value for row in book["Answer"].iter_rows(max_col=1) for c in row if c.value]
    words = stack.explanation
    for sentence in (words.headline, words.differences, *words.members):
        assert sentence in texts
    assert f"Recommended rule: {words.recommended}. {words.reason}" in texts
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    with zipfile.ZipFile(path) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        xml = package.read(charts[0]).decode()
    assert len(charts) == 1 and "<barChart>" in xml
    # The chart draws the table below the words: a column of savings per rule.
    answer = book["Answer"]
    top = next(c.row for row in answer.iter_rows(max_col=1) for c in row if c.value == "member")
    last = top + len(stack.members)
    for column, method in enumerate(stack.allocations, start=2):
        letter = "ABCDE"[column - 1]
        assert answer.cell(top, column).value == f"{method}: saving (USD bn)"
        assert f"'Answer'!${letter}${top + 1}:${letter}${last}" in xml
        savings = [answer.cell(top + k, column).value for k in range(1, len(stack.members) + 1)]
        assert savings == approx(list(stack.allocations[method].savings))
    assert f"<strRef><f>'Answer'!$A${top + 1}:$A${last}</f>" in xml


def test_each_member_sentence_states_its_figures(stack: SharingResult) -> None:
    words = stack.explanation
    assert words.recommended == "shapley"  # every rule is stable: the simplest one
    assert "every coalition checked" in words.reason
    shares = stack.shares.set_index(["method", "country"])
    for member, sentence in zip(stack.members, words.members, strict=True):
        row = shares.loc[("shapley", member)]
        assert f"{abs(row['cost']):,.2f}" in sentence
        assert f"{row['national_cost']:,.2f} alone" in sentence
        assert f"{abs(row['saving']):,.2f}" in sentence
        for other in ("owen", "nucleolus"):
            assert f"{other}: {shares.loc[(other, member), 'saving']:,.2f}" in sentence
    # B's Shapley share is negative (-23/6): it is paid, and the sentence says so.
    assert words.members[1].startswith("B is paid 3.83 USD bn (a negative cost share)")
    assert "differ most for" in words.differences
    assert f"recommended: shapley: {words.reason}" in format_sharing(stack)


def test_the_recommendation_passes_over_an_unstable_rule(stack: SharingResult) -> None:
    """Shapley made unstable (a search found a blocking group): the nucleolus, stable, is
    recommended, and the reason says why Shapley was passed over. With no rule stable, the
    nucleolus is recommended as the one that keeps the gain from leaving smallest."""
    blocked = dataclasses.replace(stack.stability["shapley"], stable=False, excess=3.0)
    edited = dataclasses.replace(stack, stability={**stack.stability, "shapley": blocked})
    method, reason = recommend(edited)
    assert method == "nucleolus"
    assert "shapley (not stable:" in reason
    none = {m: dataclasses.replace(c, stable=False, excess=1.0) for m, c in stack.stability.items()}
    method, reason = recommend(dataclasses.replace(stack, stability=none))
    assert method == "nucleolus" and reason.startswith("no rule computed here is stable")


def test_owen_costs_the_grand_coalition_twice_and_each_member_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `planner share --help` says Owen costs: n + 2 solves before the stability
    search (26 at 24 members): the grand coalition twice (its cost, then its prices) and
    each member alone; every other solve is a coalition of the search."""
    import planner.analysis.sharing as sharing

    calls: list[object] = []
    real = sharing.solve

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sharing, "solve", counted)
    result = share(compute_stack(), methods=("owen",), exact_limit=2, search_budget=1)
    singles_and_grand = {frozenset(m) for m in ("A", "B", "C")} | {frozenset("ABC")}
    assert singles_and_grand <= set(result.coalition_costs)
    searched = len(result.coalition_costs) - len(singles_and_grand)
    assert len(calls) == 3 + 2 + searched
