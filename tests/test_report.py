"""The Excel report and the JSON summary: content, safety and atomic writing.

The scenario here is small (two members, one process) but every text that comes from the
input is hostile: ids, names, the layer, the scenario's name and description start with
``=``, ``+``, ``-``, ``@`` or are an error code, and must come back as plain text cells.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from workbooks import minimal_scenario_tables, write_workbook

from planner.analysis.compare import Comparison
from planner.api import run
from planner.errors import OutputError
from planner.io.report import SHEETS, build_workbook, write_json, write_report
from planner.scenario.schema import (
    Capacity,
    Commodity,
    Country,
    Mode,
    Process,
    RecipeLine,
    Regime,
    Resource,
    Scenario,
    Target,
)

# Comparison.gains sorts with ``s.map(order).fillna(s)``, which pandas 3 warns about for the
# country column (reported to the owner of planner/results.py); only that warning is let
# through, so every other warning still fails the tests.
LINK = '=HYPERLINK("http://x","y")'
"""A country id that a naive writer would turn into a live link."""

HOSTILE = {
    "country": LINK,
    "name": "=1+1",
    "ore": "+ore",
    "process": "@SUM(1,1)",
    "layer": "-layer",
    "scenario": "=cmd|' /C calc'!A0",
    "description": "#N/A",
}
"""Input texts that openpyxl would otherwise store as formulas or error cells."""


def hostile_scenario() -> Scenario:
    """Members ``=HYPERLINK(...)`` (A) and B; A has ore, B can only build.

    A: ore 10 at 2, process 5 existing at 1. B: no ore; up to 10 new at 3 plus a fixed 5.
    Targets 3 (A) and 4 (B). Alone, B meets nothing; in the coalition it imports ore.
    """
    a, ore, process = HOSTILE["country"], HOSTILE["ore"], HOSTILE["process"]
    return Scenario(
        name=HOSTILE["scenario"],
        description=HOSTILE["description"],
        countries=(
            Country(country=a, name=HOSTILE["name"], member=True, budget=100),
            Country(country="B", name="B", member=True, budget=10),
        ),
        commodities=(
            Commodity(commodity=ore, kind="resource", tradable=True, trade_cost=1),
            Commodity(commodity="cap", kind="capability"),
        ),
        resources=(Resource(country=a, commodity=ore, available=10, cost=2),),
        processes=(Process(process=process, layer=HOSTILE["layer"]),),
        recipe=(
            RecipeLine(process=process, commodity=ore, role="input", amount=1),
            RecipeLine(process=process, commodity="cap", role="output", amount=1),
        ),
        capacity=(
            Capacity(country=a, process=process, existing=5, cost=1),
            Capacity(country="B", process=process, max_new=10, new_cost=3, fixed_cost=5),
        ),
        targets=(
            Target(country=a, commodity="cap", amount=3),
            Target(country="B", commodity="cap", amount=4),
        ),
    )


def unbounded_scenario() -> Scenario:
    """One member with a free capability process of capacity 1e25.

    HiGHS reads any bound beyond 1e20 as infinite, so max_capability is unbounded; min_cost
    (target 3, no cost) is optimal at 0.
    """
    return Scenario(
        name="unbounded",
        countries=(Country(country="A", name="A", member=True, budget=10),),
        commodities=(Commodity(commodity="cap", kind="capability"),),
        processes=(Process(process="free", layer="free"),),
        recipe=(RecipeLine(process="free", commodity="cap", role="output", amount=1),),
        capacity=(Capacity(country="A", process="free", existing=1e25),),
        targets=(Target(country="A", commodity="cap", amount=3),),
    )


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return run(hostile_scenario())


@pytest.fixture(scope="module")
def report(comparison: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(comparison, tmp_path_factory.mktemp("report") / "report.xlsx")


@pytest.fixture(scope="module")
def book(report: Path) -> Iterator[Any]:
    workbook = openpyxl.load_workbook(report)
    yield workbook
    workbook.close()


def header(sheet: Worksheet, row: int = 1) -> list[Any]:
    return [cell.value for cell in sheet[row] if cell.value is not None]


def find_row(sheet: Worksheet, label: str, after: int = 0) -> int:
    """The first row below ``after`` whose column A holds ``label``."""
    for (cell,) in sheet.iter_rows(min_row=after + 1, max_col=1):
        if cell.value == label:
            return int(cell.row)
    raise AssertionError(f"{label!r} not found in column A of {sheet.title}")


def table(sheet: Worksheet, top: int = 1) -> list[dict[str, Any]]:
    """The records of the table whose header is in row ``top``, up to the first blank row."""
    names = header(sheet, top)
    records = []
    for values in sheet.iter_rows(min_row=top + 1, max_col=len(names), values_only=True):
        if all(v is None for v in values):
            break
        records.append(dict(zip(names, values, strict=True)))
    return records


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_every_sheet_is_present_with_its_header(book: Any) -> None:
    assert book.sheetnames == list(SHEETS)
    assert header(book["Production"]) == [
        "mode", "regime", "country", "process", "layer", "activity", "existing", "new", "built"
    ]  # fmt: skip
    assert header(book["Trade"])[:5] == ["mode", "regime", "commodity", "exporter", "importer"]
    assert header(book["Resources"])[:6] == [
        "mode", "regime", "country", "commodity", "used", "available"
    ]  # fmt: skip
    prices = header(book["Prices"])
    assert prices[:12] == [
        "mode", "regime", "family", "country", "item", "value", "binding",
        "may_not_be_unique", "checked", "reading", "more", "less",
    ]  # fmt: skip
    assert prices[12] == "How to read this sheet"
    assert header(book["Countries"])[:4] == ["mode", "country", "name", "spend: national"]
    assert header(book["Provenance"]) == ["item", "value"]


def test_tables_have_frozen_headers_filters_and_number_formats(book: Any) -> None:
    for title in ("Production", "Trade", "Resources", "Prices"):
        sheet = book[title]
        assert sheet.freeze_panes == "A2", title
        assert sheet.auto_filter.ref.startswith("A1:"), title
        assert sheet.column_dimensions["A"].width >= 8, title
    assert book["Countries"].freeze_panes == "D2"
    assert book["Countries"].auto_filter.ref == "A1:O5"  # 2 modes x 2 members
    assert book["Resources"]["E2"].number_format == "#,##0.00"  # used
    assert book["Trade"]["H2"].number_format == "#,##0.00"  # cost


def test_summary_shows_the_comparisons_figures(book: Any, comparison: Comparison) -> None:
    sheet = book["Summary"]
    assert sheet["B2"].value == comparison.scenario.name
    assert sheet["B3"].value == comparison.scenario.description
    summary = comparison.summary.set_index(["mode", "regime"])
    headline = comparison.headline.set_index("mode")
    after = 0
    measures = {
        "status": "Status",
        "objective": "Objective",
        "cost": "Spend (USD bn)",
        "capability": "Capability delivered",
        "shortfall": "Shortfall",
    }
    extra = {
        Mode.MIN_COST: {"penalty": "Shortfall penalty (USD bn)"},
        Mode.MAX_CAPABILITY: {"capability_per_money": "Capability per USD bn spent"},
    }
    penalty = comparison.scenario.shortfall_penalty
    labels = {
        Mode.MIN_COST: {
            "saving": "Coalition saving against national stacks (USD bn)",
            "saving_fraction": "Coalition saving against national stacks (%)",
            "saving_without_penalty": "  of which spend (USD bn)",
            "penalty_saving": "  of which shortfall penalty avoided (USD bn)",
            "saving_half_penalty": f"Saving at half the penalty, {penalty / 2:,.4g} per unit "
            "(USD bn)",
            "saving_double_penalty": f"Saving at twice the penalty, {penalty * 2:,.4g} per unit "
            "(USD bn)",
            "extra_capability": "Coalition's extra capability",
            "price_of_trust_cost": "Price of trust, cost (USD bn)",
            "price_of_trust_capability": "Price of trust, capability",
        },
        Mode.MAX_CAPABILITY: {
            "extra_capability": "Coalition's extra capability",
            "price_of_trust_capability": "Price of trust, capability",
        },
    }
    for mode in (Mode.MIN_COST, Mode.MAX_CAPABILITY):
        after = find_row(sheet, "Figure", after)
        assert [sheet.cell(after, c).value for c in (2, 3, 4)] == [r.value for r in Regime]
        rows = {m: find_row(sheet, label, after) for m, label in (measures | extra[mode]).items()}
        for column, regime in enumerate(Regime, start=2):
            for measure, row in rows.items():
                expected = summary.loc[(mode.value, regime.value), measure]
                value = sheet.cell(row, column).value
                if missing(expected):
                    assert value is None, (mode, measure)
                else:
                    assert value == pytest.approx(expected), (mode, measure)
        for column, label in labels[mode].items():
            value = sheet.cell(find_row(sheet, label, after), 2).value
            assert value == pytest.approx(headline.loc[mode.value, column]), (mode, column)
    assert (
        sheet.cell(find_row(sheet, labels[Mode.MIN_COST]["saving_fraction"]), 2).number_format
        == "0.0%"
    )
    # max_capability has no "saving": spending more is the point of pooling budgets.
    block = find_row(sheet, "Figure", find_row(sheet, "Figure"))
    with pytest.raises(AssertionError):
        find_row(sheet, labels[Mode.MIN_COST]["saving"], block)
    # The scenario's figures differ from one regime to the next, so the test can tell.
    assert headline.loc["min_cost", "saving"] > 0
    assert headline.loc["max_capability", "extra_capability"] > 0


def test_summary_charts_stack_spend_and_penalty_and_rate_capability_per_money(
    report: Path,
) -> None:
    with zipfile.ZipFile(report) as package:
        charts = sorted(
            (n for n in package.namelist() if n.startswith("xl/charts/chart")),
            key=lambda n: int(n.removeprefix("xl/charts/chart").removesuffix(".xml")),
        )
        xml = [package.read(name).decode() for name in charts]
    assert len(charts) == 6  # two per mode, two per-member gains
    assert all("<barChart>" in text for text in xml)
    sheet = openpyxl.load_workbook(report)["Summary"]
    first = find_row(sheet, "Figure")
    cost, penalty = find_row(sheet, "Spend (USD bn)"), find_row(sheet, "Shortfall penalty (USD bn)")
    capability = find_row(sheet, "Capability delivered")
    stacked = xml[0]
    assert '<grouping val="stacked" />' in stacked and '<overlap val="100" />' in stacked
    assert f"'Summary'!$B${cost}:$D${cost}" in stacked
    assert f"'Summary'!$B${penalty}:$D${penalty}" in stacked
    assert f"<strRef><f>'Summary'!$B${first}:$D${first}</f>" in stacked  # the regimes
    assert f"'Summary'!$B${capability}:$D${capability}" in xml[1]
    rate = find_row(sheet, "Capability per USD bn spent")
    assert f"'Summary'!$B${rate}:$D${rate}" in xml[2]


def test_summary_marks_the_members_who_lose(report: Path, comparison: Comparison) -> None:
    sheet = openpyxl.load_workbook(report)["Summary"]
    top = find_row(sheet, "Member")
    gains = comparison.member_gains
    for offset, record in enumerate(gains.to_dict("records"), start=1):
        assert sheet.cell(top + offset, 1).value == record["country"]
        assert sheet.cell(top + offset, 2).value == pytest.approx(record["money_gain"])
        assert sheet.cell(top + offset, 3).value == pytest.approx(record["capability_gain"])
        assert sheet.cell(top + offset, 4).value == (record["loses_in"] or "neither")
    with zipfile.ZipFile(report) as package:
        money = package.read("xl/charts/chart5.xml").decode()
        capability = package.read("xl/charts/chart6.xml").decode()
    losers = [k for k, v in enumerate(gains["money_gain"]) if v < 0]
    assert money.count("<dPt>") == len(losers)
    for index in losers:
        assert f'<dPt><idx val="{index}" />' in money
    assert capability.count("<dPt>") == sum(v < 0 for v in gains["capability_gain"])


def test_the_answer_and_the_warnings_open_the_summary(book: Any, comparison: Comparison) -> None:
    sheet = book["Summary"]
    heading = find_row(sheet, "Should the members join, and who gains?")
    sentences = [sheet.cell(heading + k, 1).value for k in range(1, len(comparison.answer) + 1)]
    assert sentences == list(comparison.answer)
    assert heading < find_row(sheet, "Figure")
    if comparison.caveats:
        warnings = find_row(sheet, "Warnings")
        found = [sheet.cell(warnings + k, 1).value for k in range(1, len(comparison.caveats) + 1)]
        assert found == list(comparison.caveats)


def test_text_from_the_input_stays_text(book: Any) -> None:
    seen: dict[str, int] = dict.fromkeys(HOSTILE.values(), 0)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value in seen:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    seen[cell.value] += 1
    assert all(seen.values()), seen
    link = next(c for r in book["Countries"].iter_rows() for c in r if c.value == LINK)
    assert link.quotePrefix


def test_countries_show_each_regime_and_the_change(book: Any, comparison: Comparison) -> None:
    records = table(book["Countries"])
    assert [(r["mode"], r["country"]) for r in records] == [
        (m.value, c) for m in Mode for c in (LINK, "B")
    ]
    countries = comparison.countries.set_index(["mode", "regime", "country"])
    gains = comparison.gains.set_index(["mode", "country"])
    for record in records:
        key = (record["mode"], record["country"])
        for regime in Regime:
            spend = countries.loc[(key[0], regime.value, key[1]), "cost"]
            assert record[f"spend: {regime.value}"] == pytest.approx(spend)
        change = gains.loc[key, "capability_change"]
        assert record["capability change, national to coalition"] == pytest.approx(change)
    assert any(r["capability change, national to coalition"] for r in records)


def test_prices_list_binding_prices_first_with_their_reading(book: Any) -> None:
    records = table(book["Prices"])
    assert records, "the scenario has prices"
    runs: dict[tuple[str, str], list[str]] = {}
    for record in records:
        runs.setdefault((record["mode"], record["regime"]), []).append(record["binding"])
        assert record["may_not_be_unique"] in ("yes", "no")
        assert record["checked"] in ("yes", "no")
        assert record["checked"] == "yes" or record["may_not_be_unique"] == "yes"
        assert " would " in record["reading"]
    assert len(runs) == 6
    for flags in runs.values():
        assert flags == sorted(flags, reverse=True)  # every "yes" before every "no"
    notes = " ".join(str(c.value) for (c,) in book["Prices"].iter_rows(min_col=14, max_col=14))
    assert "may_not_be_unique = yes" in notes


def test_provenance_records_versions_input_and_runs(book: Any, comparison: Comparison) -> None:
    sheet = book["Provenance"]
    items = {r["item"]: r["value"] for r in table(sheet)}
    assert items["scenario"] == comparison.scenario.name
    assert items["Python version"] == comparison.solver["python"]
    assert items["HiGHS version"] == comparison.solver["highs"]
    assert items["PuLP version"] == comparison.solver["pulp"]
    assert items["planner version"] == comparison.solver["planner"]
    written = datetime.strptime(items["report written (UTC)"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(written.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=10)
    runs = table(sheet, find_row(sheet, "mode"))
    assert [(r["mode"], r["regime"], r["status"]) for r in runs] == [
        (m.value, g.value, "optimal") for m in Mode for g in Regime
    ]
    for record in runs:
        run_result = comparison.run(Mode(record["mode"]), Regime(record["regime"]))
        assert record["objective"] == pytest.approx(run_result.objective)
        assert record["solve_time"] == pytest.approx(run_result.solve_time)


def test_provenance_says_when_the_runs_were_solved(comparison: Comparison) -> None:
    """A comparison may be written long after it was solved: both times are shown."""
    later = datetime.now(UTC) + timedelta(days=1)
    sheet = build_workbook(comparison, written_at=later)["Provenance"]
    items = {r["item"]: r["value"] for r in table(sheet)}
    assert comparison.ran_at
    assert items["runs solved (UTC)"] == comparison.ran_at
    assert items["report written (UTC)"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    # One format for every time recorded: UTC, to the second, ending in Z.
    solved = datetime.strptime(comparison.ran_at, "%Y-%m-%dT%H:%M:%SZ")
    assert abs(solved.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(hours=1)


def test_provenance_names_the_input_file_and_its_hash(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "scenario.xlsx", minimal_scenario_tables())
    comparison = run(source, modes=[Mode.MIN_COST])
    out = write_report(comparison, tmp_path / "report.xlsx")
    items = {r["item"]: r["value"] for r in table(openpyxl.load_workbook(out)["Provenance"])}
    assert items["input file"] == str(source)
    assert items["input SHA-256"] == comparison.sha256
    assert len(comparison.sha256) == 64


def test_a_failed_write_leaves_the_previous_report_whole(
    comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = write_report(comparison, tmp_path / "report.xlsx")
    before = out.read_bytes()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full halfway through a sheet")

    monkeypatch.setattr("openpyxl.writer.excel.ExcelWriter.write_worksheet", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(dataclasses.replace(comparison, sha256="changed"), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_writing_over_the_input_is_refused(comparison: Comparison, tmp_path: Path) -> None:
    source = tmp_path / "scenario.xlsx"
    source.write_bytes(b"the user's workbook")
    with pytest.raises(OutputError, match="input workbook"):
        write_report(comparison, source, inputs=[source])
    from_file = dataclasses.replace(comparison, source=str(source))
    with pytest.raises(OutputError, match="input workbook"):
        write_report(from_file, source)  # the comparison's own input is always guarded
    with pytest.raises(OutputError, match="input workbook"):
        write_json(from_file, source)
    assert source.read_bytes() == b"the user's workbook"


def test_a_report_must_be_an_xlsx_file(comparison: Comparison, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"\.xlsx"):
        write_report(comparison, tmp_path / "report.xls")
    assert not list(tmp_path.iterdir())


def test_a_run_without_a_plan_still_gets_a_report(tmp_path: Path) -> None:
    comparison = run(unbounded_scenario())
    assert {r.status.value for r in comparison.failed} == {"unbounded"}
    book = openpyxl.load_workbook(write_report(comparison, tmp_path / "report.xlsx"))
    summary = book["Summary"]
    block = find_row(summary, "Figure", find_row(summary, "Figure"))  # max_capability
    status, cost = find_row(summary, "Status", block), find_row(summary, "Spend (USD bn)", block)
    assert [summary.cell(status, c).value for c in (2, 3, 4)] == ["unbounded"] * 3
    assert [summary.cell(cost, c).value for c in (2, 3, 4)] == [None] * 3
    extra = find_row(summary, "Coalition's extra capability", block)
    assert summary.cell(extra, 2).value == "n/a"
    provenance = book["Provenance"]
    runs = table(provenance, find_row(provenance, "mode"))
    failed = [r for r in runs if r["mode"] == "max_capability"]
    assert [r["status"] for r in failed] == ["unbounded"] * 3
    assert all("Unbounded" in r["message"] for r in failed)
    assert all(r["cost"] is None for r in failed)
    countries = [r for r in table(book["Countries"]) if r["mode"] == "max_capability"]
    assert countries and all(r["spend: coalition"] is None for r in countries)


def test_json_summary_is_the_comparisons_to_json(comparison: Comparison, tmp_path: Path) -> None:
    out = write_json(comparison, tmp_path / "summary.json")
    assert json.loads(out.read_text(encoding="utf-8")) == comparison.to_json()
    assert len(json.loads(out.read_text(encoding="utf-8"))["runs"]) == 6


def test_json_summary_refuses_nan_and_writes_nothing(
    comparison: Comparison, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Comparison, "to_json", lambda self: {"objective": math.nan})
    with pytest.raises(ValueError, match="JSON compliant"):
        write_json(comparison, tmp_path / "summary.json")
    assert not list(tmp_path.iterdir())


def _soffice(source: Path, target: str, out: Path) -> subprocess.CompletedProcess[str]:
    profile = (out / "profile").as_uri()  # a private profile: parallel runs do not collide
    command = ["soffice", f"-env:UserInstallation={profile}", "--headless"]
    command += ["--convert-to", target, "--outdir", str(out), str(source)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def test_libreoffice_opens_the_report(report: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("soffice not installed (apt-get install libreoffice-calc-nogui)")
    pdf = _soffice(report, "pdf", tmp_path)
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "report.pdf").stat().st_size > 0
    # CSV export holds the first sheet's values as LibreOffice computed them: the scenario's
    # name must be the literal text, not the result of evaluating it.
    csv = _soffice(report, "csv", tmp_path)
    assert csv.returncode == 0, csv.stderr
    text = (tmp_path / "report.csv").read_text(encoding="utf-8", errors="replace")
    assert HOSTILE["scenario"].split("|")[0] in text
    assert HOSTILE["description"] in text


def test_a_missed_target_says_what_stopped_it(tmp_path: Path) -> None:
    """A member whose only fab is full misses its target under national stacks: the
    Shortfalls sheet names the full capacity and its price (penalty 100 - cost 1 = 99)."""
    from conftest import make_scenario

    import planner

    scenario = make_scenario(
        countries=["A"],
        commodities={"cap": "capability"},
        recipe={"make": {"cap": 1}},
        capacity={("A", "make"): {"existing": 2, "cost": 1}},
        targets={("A", "cap"): 5},
        penalty=100,
    )
    result = planner.run(scenario, modes=["min_cost"], regimes=["national"])
    missed = result.shortfalls
    assert list(missed["shortfall"]) == [pytest.approx(3)]
    assert "existing `make` capacity in `A`" in missed["stopped_by"][0]
    assert "99" in missed["stopped_by"][0]
    path = planner.write_report(result, tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(path)["Shortfalls"]
    headers = [c.value for c in sheet[1]]
    assert "stopped_by" in headers
    assert "capacity" in str(sheet.cell(row=2, column=headers.index("stopped_by") + 1).value)
