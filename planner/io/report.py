"""Report writing: a comparison in, one Excel workbook (and a JSON summary) out.

Contract of this stage: :func:`write_report` formats a :class:`~planner.analysis.compare.Comparison`
into the workbook policy staff open (sheets Summary, Countries, Production, Trade,
Resources, Prices, Provenance) and :func:`write_json` writes the machine-readable summary of
docs/model.md. Both only format: every figure shown is one the comparison already holds (shape
rule 9); a run without a plan shows its status and leaves its figures blank. Every string
goes through :func:`planner.io.xlsx.write_text`, so text from the input (ids, names, the
scenario's description) stays inert text, never a formula. Both files are written through
:func:`planner.io.files.atomic_write`: whole or not at all, and never over the input.

The writing helpers (:func:`save_workbook`, :func:`save_json`, :func:`json_text`,
:func:`write_table`, :func:`wrap_column`, :func:`print_setup`) also serve
:mod:`planner.io.sharing_report`, so every file the planner writes looks and behaves the same.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.compare import TIMESTAMP, Comparison
from planner.analysis.learning import multiplier_curves
from planner.errors import OutputError
from planner.io.files import atomic_write
from planner.io.xlsx import (
    HEADER_FILL,
    HEADER_FONT,
    MONEY,
    NUMBER,
    add_note,
    fit_columns,
    write_header,
    write_text,
    write_value,
)
from planner.model.families import PriceFamily
from planner.model.results import RUN_ORDER
from planner.scenario.schema import Mode, Regime

SHEETS = (
    "Summary",
    "Countries",
    "Shortfalls",
    "Production",
    "Trade",
    "Resources",
    "Prices",
    "Provenance",
)
"""The report's sheets, in workbook order; a scenario with a Learning sheet also gets the
report's Learning sheet, before Prices."""

PERIOD_SHEETS = ("Periods", "Lags", "Outside supply")
"""Sheets added after Prices when the scenario has several periods (Version 2): figures
per run and period with a line chart of capability over time by regime, the lag figures,
and what came from the world market and from backstops."""

PERCENT = "0.0%"
"""A fraction shown as a percentage (0.641 reads 64.1%)."""

_RATE = "0.0000"
"""Capability per unit of money: small numbers, shown with four decimals."""

_SECONDS = "0.000"

_TITLE_FONT = Font(name="Calibri", size=16, bold=True)
_HEADING_FONT = Font(name="Calibri", size=12, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

_QUESTIONS = {
    Mode.MIN_COST: "Minimise cost (min_cost): what does it cost to meet every member's "
    "capability target?",
    Mode.MAX_CAPABILITY: "Maximise capability (max_capability): how much capability can the "
    "members' capital budget buy?",
}

_NEUTRAL = (
    "This report sets out what each arrangement costs and delivers on the scenario's data; "
    "it does not recommend one. Every figure follows from the input workbook and changes "
    "with it."
)


@dataclass(frozen=True)
class _Figure:
    """A row of the Summary: where its value comes from, its label, format and meaning."""

    column: str
    label: str
    number_format: str
    meaning: str


def write_report(
    comparison: Comparison, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write the comparison's Excel report to ``path``, atomically.

    Args:
        comparison: the solved runs and their derived figures.
        path: the report's destination; it must end in ``.xlsx``.
        inputs: files that must never be overwritten. The comparison's own input file,
            when it has one, is always among them.

    Returns:
        The path written.

    Raises:
        OutputError: ``path`` is not an ``.xlsx`` file, is an input, is open in a
            spreadsheet program, or its folder cannot be written.
    """
    return save_workbook(
        lambda: build_workbook(comparison), path, source=comparison.source, inputs=inputs
    )


def write_json(
    comparison: Comparison, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write the JSON summary of docs/model.md to ``path``, atomically.

    Args:
        comparison: the solved runs and their derived figures.
        path: the summary's destination.
        inputs: files that must never be overwritten (the comparison's input always is).

    Returns:
        The path written.

    Raises:
        OutputError: ``path`` is an input or cannot be written.
        ValueError: the summary holds NaN or an infinite number (JSON cannot).
    """
    return save_json(comparison.to_json(), path, source=comparison.source, inputs=inputs)


def save_workbook(
    build: Callable[[], Workbook],
    path: Path | str,
    *,
    source: str = "",
    inputs: Iterable[Path | str] = (),
) -> Path:
    """Build a workbook and save it to ``path``, atomically.

    The workbook is built only once the destination has passed its checks, so a refused
    path costs no work.

    Args:
        build: returns the workbook to save.
        path: the destination; it must end in ``.xlsx``.
        source: the input file the figures came from ("" if none); never overwritten.
        inputs: other files that must never be overwritten.

    Returns:
        The path written.

    Raises:
        OutputError: ``path`` is not an ``.xlsx`` file, is an input, is open in a
            spreadsheet program, or its folder cannot be written.
    """
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{out}: the report is an Excel workbook; give a path ending in .xlsx")
    return atomic_write(out, lambda tmp: build().save(tmp), inputs=_guarded(source, inputs))


def json_text(document: Mapping[str, Any]) -> str:
    """The text of a JSON output: indented, non-ASCII text as typed, one final newline.

    Raises:
        ValueError: the document holds NaN or an infinite number (JSON has neither).
    """
    return json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def save_json(
    document: Mapping[str, Any],
    path: Path | str,
    *,
    source: str = "",
    inputs: Iterable[Path | str] = (),
) -> Path:
    """Write :func:`json_text` of ``document`` to ``path``, atomically.

    Args:
        document: the JSON document.
        path: the destination.
        source: the input file the figures came from ("" if none); never overwritten.
        inputs: other files that must never be overwritten.

    Returns:
        The path written.

    Raises:
        OutputError: ``path`` is an input or cannot be written.
        ValueError: the document holds NaN or an infinite number; nothing is written.
    """
    text = json_text(document)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write, inputs=_guarded(source, inputs))


def build_workbook(comparison: Comparison, *, written_at: datetime | None = None) -> Workbook:
    """The report as an openpyxl workbook, not yet saved.

    Args:
        comparison: the solved runs and their derived figures.
        written_at: the time shown as when the report was written (default: now, UTC).

    Returns:
        A workbook with the sheets of :data:`SHEETS`.
    """
    when = (written_at or datetime.now(UTC)).astimezone(UTC)
    workbook = Workbook()
    _summary_sheet(workbook.active, comparison)
    _countries_sheet(workbook.create_sheet("Countries"), comparison)
    currency = comparison.scenario.currency
    _table_sheet(
        workbook.create_sheet("Shortfalls"),
        _periodic(comparison, comparison.shortfalls),
        _column_notes("Shortfalls", currency),
        widest=100,
    )
    for title in ("Production", "Trade", "Resources"):
        frame = _periodic(comparison, comparison.tables(title.lower()))
        _table_sheet(workbook.create_sheet(title), frame, _column_notes(title, currency))
    if comparison.scenario.learning:
        _learning_sheet(workbook.create_sheet("Learning"), comparison)
    _prices_sheet(workbook.create_sheet("Prices"), comparison)
    if len(comparison.scenario.horizon.periods) > 1:
        _periods_sheet(workbook.create_sheet("Periods"), comparison)
        _lags_sheet(workbook.create_sheet("Lags"), comparison)
        outside = comparison.tables("outside")
        _table_sheet(
            workbook.create_sheet("Outside supply"), outside, _column_notes("Outside", currency)
        )
    _provenance_sheet(workbook.create_sheet("Provenance"), comparison, when)
    for sheet in workbook.worksheets:
        print_setup(sheet)
    return workbook


def wrap_column(sheet: Worksheet, column: int, width: float) -> None:
    """Wrap a column's text and give each row the height its longest text needs.

    Spreadsheet programs do not grow a row for wrapped text written by openpyxl, so the
    height is estimated: one line per ``width`` characters, 15 points a line.

    Args:
        sheet: the worksheet.
        column: the column's number (1 is column A).
        width: the column's width, in characters.
    """
    sheet.column_dimensions[get_column_letter(column)].width = width
    for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
        if isinstance(cell.value, str):
            cell.alignment = _WRAP
            lines = max(1, math.ceil(len(cell.value) / (width - 8)))
            current = sheet.row_dimensions[cell.row].height or 15
            sheet.row_dimensions[cell.row].height = max(current, 15 * lines)
            if lines > 1:
                for neighbour in sheet[cell.row][: column - 1]:
                    neighbour.alignment = Alignment(vertical="top")


def print_setup(sheet: Worksheet) -> None:
    """Print landscape, every column on one page's width."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _guarded(source: str, inputs: Iterable[Path | str]) -> list[Path]:
    """The files an output may not overwrite: ``inputs`` and the figures' own source."""
    return [Path(p) for p in inputs] + ([Path(source)] if source else [])


# --- Summary -----------------------------------------------------------------------------


def _run_figures(mode: Mode, currency: str) -> tuple[_Figure, ...]:
    objective = (
        f"Spend plus the shortfall penalty on unmet targets, in {currency}: what the run minimises."
        if mode is Mode.MIN_COST
        else "Weighted capability delivered: what the run maximises (each target's weight "
        "times the units delivered)."
    )
    figures = [
        _Figure(
            "status",
            "Status",
            "@",
            "optimal: a proven best plan. time_limit: the best plan found before the time "
            "limit, not proven best. infeasible, unbounded or error: no plan; its figures "
            "are left blank (see Provenance).",
        ),
        _Figure("objective", "Objective", NUMBER, objective),
        _Figure(
            "cost",
            f"Spend ({currency})",
            MONEY,
            "Money spent by every country in the run on resources, activity, new capacity, "
            "fixed build costs and imports; no penalty included.",
        ),
    ]
    if mode is Mode.MIN_COST:
        figures.append(
            _Figure(
                "penalty",
                f"Shortfall penalty ({currency})",
                MONEY,
                "The shortfall penalty times the units of target missed: spend plus this is "
                "the objective (the chart stacks the two, so a regime that delivers nothing "
                "does not look cheap).",
            )
        )
    figures += [
        _Figure(
            "capability",
            "Capability delivered",
            NUMBER,
            "Units of capability delivered to the members, summed over their targets.",
        ),
        _Figure(
            "shortfall",
            "Shortfall",
            NUMBER,
            "Units by which the members' capability targets are not met.",
        ),
    ]
    if mode is Mode.MAX_CAPABILITY:
        figures.append(
            _Figure(
                "capability_per_money",
                f"Capability per {currency} spent",
                _RATE,
                "Capability delivered divided by spend: what each unit of money buys "
                "(blank where nothing is spent). Pooling budgets is meant to spend more, "
                "so this, not a saving, compares the regimes.",
            )
        )
    return tuple(figures)


def _headline_figures(mode: Mode, comparison: Comparison) -> tuple[_Figure, ...]:
    currency = comparison.scenario.currency
    capability = (
        _Figure(
            "extra_capability",
            "Coalition's extra capability",
            NUMBER,
            "Capability delivered by the coalition minus that of national stacks.",
        ),
        _Figure(
            "price_of_trust_capability",
            "Price of trust, capability",
            NUMBER,
            "The open world's capability minus the coalition's.",
        ),
    )
    if mode is Mode.MAX_CAPABILITY:
        return capability
    penalty = comparison.scenario.shortfall_penalty
    return (
        _Figure(
            "saving",
            f"Coalition saving against national stacks ({currency})",
            MONEY,
            "National stacks' objective (spend plus penalty) minus the coalition's. "
            "Positive: the coalition costs less; negative: it costs more.",
        ),
        _Figure(
            "saving_fraction",
            "Coalition saving against national stacks (%)",
            PERCENT,
            "The saving as a share of the national stacks' objective.",
        ),
        _Figure(
            "saving_without_penalty",
            f"  of which spend ({currency})",
            MONEY,
            "National stacks' spend minus the coalition's spend (negative: the coalition "
            "spends more, to deliver more).",
        )
        if comparison.spend_is_cost
        else _Figure(
            "saving_without_penalty",
            f"  of which discounted cost ({currency})",
            MONEY,
            "The saving less the penalty avoided: national stacks' discounted cost (salvage "
            "credited) minus the coalition's. Undiscounted spend is on the Periods sheet.",
        ),
        _Figure(
            "penalty_saving",
            f"  of which shortfall penalty avoided ({currency})",
            MONEY,
            "National stacks' shortfall penalty minus the coalition's: this part of the "
            "saving is as large as the assumed penalty makes it.",
        ),
        _Figure(
            "saving_half_penalty",
            f"Saving at half the penalty, {penalty / 2:,.4g} per unit ({currency})",
            MONEY,
            "Sensitivity: national stacks and the coalition re-solved with the shortfall "
            "penalty halved (n/a: not computed).",
        ),
        _Figure(
            "saving_double_penalty",
            f"Saving at twice the penalty, {penalty * 2:,.4g} per unit ({currency})",
            MONEY,
            "Sensitivity: national stacks and the coalition re-solved with the shortfall "
            "penalty doubled (n/a: not computed).",
        ),
        _Figure(
            "price_of_trust_cost",
            f"Price of trust, cost ({currency})",
            MONEY,
            "The coalition's objective minus the open world's: what trading only within "
            "the coalition (and its allowed links) adds.",
        ),
        *capability,
    )


def _summary_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    sheet.title = "Summary"
    scenario = comparison.scenario
    title = sheet.cell(row=1, column=1)
    write_text(title, "Coalition capability planner: report")
    title.font = _TITLE_FONT
    details = (
        ("Scenario", scenario.name),
        ("Description", scenario.description),
        ("Currency", scenario.currency),
        ("About this report", _NEUTRAL),
    )
    for row, (label, value) in enumerate(details, start=2):
        write_text(sheet.cell(row=row, column=1), label)
        sheet.cell(row=row, column=1).font = Font(name="Calibri", bold=True)
        write_text(sheet.cell(row=row, column=2), value)
    row = _paragraph(sheet, _ANSWER_HEADING, comparison.answer, 2 + len(details) + 1)
    if comparison.caveats:
        row = _paragraph(sheet, "Warnings", comparison.caveats, row + 1, font=_WARNING_FONT)
    if comparison.outside_supply:
        row = _paragraph(
            sheet,
            "World market and backstops",
            comparison.outside_supply,
            row + 1,
            font=_WARNING_FONT,
        )
    row += 1
    for mode in comparison.modes:
        row = _mode_block(sheet, comparison, mode, row) + 2
    _gains_block(sheet, comparison, row)
    # Fixed widths: long texts in column B (the description) overflow into the empty
    # cells beside them instead of widening the regime columns.
    for letter, width in zip("ABCDE", _SUMMARY_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    wrap_column(sheet, 5, _SUMMARY_WIDTHS[-1])


_SUMMARY_WIDTHS = (50, 14, 14, 14, 70)
_ANSWER_HEADING = "Should the members join, and who gains?"
_WARNING_FONT = Font(name="Calibri", bold=True, color="9C0006")
_LOSS_COLOUR = "C00000"
_GAIN_COLOUR = "4472C4"


def _paragraph(
    sheet: Worksheet, heading: str, sentences: Sequence[str], top: int, *, font: Font | None = None
) -> int:
    """A heading, then one sentence per row across columns A to E; the next free row."""
    cell = sheet.cell(row=top, column=1)
    write_text(cell, heading)
    cell.font = _HEADING_FONT
    width = sum(_SUMMARY_WIDTHS)
    for row, sentence in enumerate(sentences, start=top + 1):
        cell = sheet.cell(row=row, column=1)
        write_text(cell, sentence)
        cell.alignment = _WRAP
        if font is not None:
            cell.font = font
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        sheet.row_dimensions[row].height = 15 * max(1, math.ceil(len(sentence) / (width - 20)))
    return top + len(sentences) + 1


def _mode_block(sheet: Worksheet, comparison: Comparison, mode: Mode, top: int) -> int:
    """Write one mode's table, headline and charts from row ``top``; return the last row."""
    currency = comparison.scenario.currency
    heading = sheet.cell(row=top, column=1)
    write_text(heading, _QUESTIONS[mode])
    heading.font = _HEADING_FONT
    header = top + 1
    _header_cells(sheet, header, ["Figure", *(r.value for r in Regime), "What it means"])
    summary = comparison.summary
    rows = {
        str(r["regime"]): r for r in summary.loc[summary["mode"] == mode.value].to_dict("records")
    }
    figures = _run_figures(mode, currency)
    where: dict[str, int] = {}
    for offset, figure in enumerate(figures, start=1):
        row = header + offset
        where[figure.column] = row
        write_text(sheet.cell(row=row, column=1), figure.label)
        for column, regime in enumerate(Regime, start=2):
            record = rows.get(regime.value)
            value = "not run" if record is None and figure.column == "status" else None
            if record is not None:
                value = _plain(record[figure.column])
            write_value(sheet.cell(row=row, column=column), value, figure.number_format)
        write_text(sheet.cell(row=row, column=5), figure.meaning)
    _mode_charts(sheet, mode, header, where, currency)
    return _headline_block(sheet, comparison, mode, header + len(figures) + 2)


def _headline_block(sheet: Worksheet, comparison: Comparison, mode: Mode, top: int) -> int:
    meaning = "What it means (n/a: a run it compares found no plan)"
    _header_cells(sheet, top, ["Headline", "Value", "", "", meaning])
    headline = comparison.headline
    records = headline.loc[headline["mode"] == mode.value].to_dict("records")
    record = records[0] if records else {}
    figures = _headline_figures(mode, comparison)
    for offset, figure in enumerate(figures, start=1):
        row = top + offset
        value = _plain(record.get(figure.column))
        write_text(sheet.cell(row=row, column=1), figure.label)
        write_value(
            sheet.cell(row=row, column=2), "n/a" if value is None else value, figure.number_format
        )
        write_text(sheet.cell(row=row, column=5), figure.meaning)
    return top + len(figures)


def _bar_chart(title: str, unit: str, axis: str) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = unit
    chart.x_axis.title = axis
    # openpyxl 3.1 marks axes deleted by default; Excel then hides them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = 12, 7
    return chart


def _mode_charts(
    sheet: Worksheet, mode: Mode, header: int, where: Mapping[str, int], currency: str
) -> None:
    """Two native bar charts beside the mode's table. min_cost: the objective as spend
    plus penalty, stacked, then capability. max_capability: capability per unit of money,
    then capability."""
    # The regimes are text: a string reference, where openpyxl's set_categories would write
    # a numeric one.
    categories = str(Reference(sheet, min_col=2, max_col=4, min_row=header, max_row=header))
    if mode is Mode.MIN_COST:
        first = _bar_chart(
            f"Objective by regime: spend plus penalty, {mode.value}", currency, "regime"
        )
        first.grouping = "stacked"
        first.overlap = 100
        series_rows = [where["cost"], where["penalty"]]
    else:
        first = _bar_chart(
            f"Capability per {currency} spent, {mode.value}", "units per money", "regime"
        )
        first.legend = None
        series_rows = [where["capability_per_money"]]
    second = _bar_chart(f"Capability by regime, {mode.value}", "units", "regime")
    second.legend = None
    for chart, rows, anchor in ((first, series_rows, "G"), (second, [where["capability"]], "N")):
        for row in rows:
            data = Reference(sheet, min_col=1, max_col=4, min_row=row, max_row=row)
            chart.add_data(data, from_rows=True, titles_from_data=True)
        for series in chart.series:
            series.cat = AxDataSource(strRef=StrRef(f=categories))
        sheet.add_chart(chart, f"{anchor}{header - 1}")


def _gains_block(sheet: Worksheet, comparison: Comparison, top: int) -> int:
    """Per member: the gain in money (min_cost) and in capability (max_capability), the
    modes it loses in, and a chart of each gain with the losers in red."""
    gains = comparison.member_gains
    heading = sheet.cell(row=top, column=1)
    write_text(heading, "Who gains: each member in the coalition against its national stack")
    heading.font = _HEADING_FONT
    header = top + 1
    currency = comparison.scenario.currency
    _header_cells(
        sheet,
        header,
        [
            "Member",
            f"Gain, min_cost ({currency})",
            "Gain, max_capability (capability)",
            "Loses in",
            "What it means",
        ],
    )
    meaning = (
        "min_cost gain: the fall in the member's spend plus shortfall penalty; max_capability "
        "gain: the rise in the capability it receives. Negative (red in the charts): the "
        "member loses in that mode. Spend counts what a member pays for imports, not what "
        "others spend producing them: `planner share` divides the coalition's cost by "
        "cooperative-game rules."
    )
    records = gains.to_dict("records")
    for offset, record in enumerate(records, start=1):
        row = header + offset
        write_text(sheet.cell(row=row, column=1), str(record["country"]))
        write_value(sheet.cell(row=row, column=2), _plain(record["money_gain"]), MONEY)
        write_value(sheet.cell(row=row, column=3), _plain(record["capability_gain"]), NUMBER)
        write_text(sheet.cell(row=row, column=4), str(record["loses_in"]) or "neither")
    write_text(sheet.cell(row=header + 1, column=5), meaning)
    if records:
        last = header + len(records)
        categories = str(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
        specs = (
            (2, "money_gain", f"Gain per member, min_cost ({currency}; red: loses)", currency, "G"),
            (3, "capability_gain", "Gain per member, max_capability (red: loses)", "units", "N"),
        )
        for column, key, title, unit, anchor in specs:
            chart = _bar_chart(title, unit, "member")
            chart.legend = None
            data = Reference(sheet, min_col=column, min_row=header, max_row=last)
            chart.add_data(data, titles_from_data=True)
            series = chart.series[0]
            series.cat = AxDataSource(strRef=StrRef(f=categories))
            series.graphicalProperties.solidFill = _GAIN_COLOUR
            for index, record in enumerate(records):
                value = _plain(record[key])
                if value is not None and value < 0:
                    point = DataPoint(idx=index)
                    point.graphicalProperties.solidFill = _LOSS_COLOUR
                    series.dPt.append(point)
            chart.width = max(12, 0.8 * len(records))
            sheet.add_chart(chart, f"{anchor}{header}")
    return header + len(records)


# --- Countries ---------------------------------------------------------------------------

_MEASURES = (("cost", "spend"), ("capability", "capability"), ("shortfall", "shortfall"))


def _countries_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    """One row per mode and member: each regime's figures, then the change from
    national stacks to the coalition (``comparison.gains``)."""
    headers = ["mode", "country", "name"]
    headers += [f"{label}: {regime.value}" for _, label in _MEASURES for regime in Regime]
    headers += [f"{label} change, national to coalition" for _, label in _MEASURES]
    records: list[list[Any]] = []
    by_key = _index(comparison.countries, ("mode", "regime", "country"))
    gains = _index(comparison.gains, ("mode", "country"))
    for mode in comparison.modes:
        planned = {r: _has_plan(comparison, mode, r) for r in Regime}
        for country in comparison.scenario.members:
            if not any((mode.value, r.value, country) in by_key for r in Regime):
                continue
            name = comparison.scenario.country_by_id[country].name
            record: list[Any] = [mode.value, country, name]
            for column, _ in _MEASURES:
                for regime in Regime:
                    row = by_key.get((mode.value, regime.value, country))
                    record.append(row[column] if row and planned[regime] else None)
            change = gains.get((mode.value, country), {})
            both = planned[Regime.NATIONAL] and planned[Regime.COALITION]
            record += [change.get(f"{c}_change") if both else None for c, _ in _MEASURES]
            records.append(record)
    formats = {
        index: MONEY if "spend" in h else NUMBER for index, h in enumerate(headers) if index > 2
    }
    write_table(sheet, headers, records, formats, _column_notes("Countries", ""))
    sheet.freeze_panes = "D2"


def _has_plan(comparison: Comparison, mode: Mode, regime: Regime) -> bool:
    run = comparison.runs.get((mode, regime))
    return run is not None and run.has_plan


def _index(frame: pd.DataFrame, keys: Sequence[str]) -> dict[Any, dict[Any, Any]]:
    if frame.empty:
        return {}
    return {tuple(record[k] for k in keys): record for record in frame.to_dict("records")}


# --- Tables ------------------------------------------------------------------------------


def _table_sheet(
    sheet: Worksheet, frame: pd.DataFrame, notes: dict[str, str], *, widest: float = 60
) -> None:
    headers = [str(c) for c in frame.columns]
    formats = {
        index: MONEY if "cost" in header else NUMBER
        for index, header in enumerate(headers)
        if pd.api.types.is_numeric_dtype(frame[header]) or header == "capacity"
    }
    records = [list(row) for row in frame.itertuples(index=False)]
    write_table(sheet, headers, records, formats, notes, widest=widest)


def write_table(
    sheet: Worksheet,
    headers: Sequence[str],
    records: Iterable[Sequence[Any]],
    formats: Mapping[int, str],
    notes: Mapping[str, str],
    *,
    widest: float = 60,
) -> None:
    """A header row (frozen, filtered, with notes) and one row per record from row 2.

    Args:
        sheet: the worksheet, empty.
        headers: the column headers.
        records: the rows, each aligned with ``headers``.
        formats: number format by column index (0 is column A).
        notes: a note per header, for the headers that have one.
        widest: the widest a column may be set, in characters.
    """
    write_header(sheet, headers)
    _add_notes(sheet, 1, headers, notes)
    last = 1
    for last, record in enumerate(records, start=2):
        for index, value in enumerate(record):
            write_value(sheet.cell(row=last, column=index + 1), _plain(value), formats.get(index))
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"
    fit_columns(sheet, maximum=widest)


def _header_cells(sheet: Worksheet, row: int, headers: Sequence[str]) -> None:
    """A styled header row anywhere in a sheet (``write_header`` would also freeze it)."""
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column)
        write_text(cell, header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def _add_notes(
    sheet: Worksheet, row: int, headers: Sequence[str], notes: Mapping[str, str]
) -> None:
    for column, header in enumerate(headers, start=1):
        if header in notes:
            add_note(sheet.cell(row=row, column=column), notes[header])


# --- Prices ------------------------------------------------------------------------------

_PRICE_NOTES = (
    "How to read this sheet",
    "Each row is a shadow price: how much the run's objective improves with one more unit "
    "of the item, everything else unchanged. In min_cost it is money saved ({currency}); in "
    "max_capability it is weighted capability gained.",
    "Binding rows come first in each run: a constraint that binds limits the plan; one that "
    "does not has a price of zero.",
    "may_not_be_unique = yes: one more unit is worth a different amount from one less "
    "(both measured by re-solving: columns more and less); any value between them is a "
    "valid price, and the reading gives that range. Only prices whose more is above zero "
    "count as bottlenecks.",
    "Where the scenario has build decisions (fixed costs or a minimum new build) or learning "
    "(the steps of an experience curve), prices come from the LP with every such yes/no "
    "decision, builds and the curve's step of each pool and period, held at its optimum. "
    "The value of learning itself is not a price: `planner run --learning-pool country` "
    "reports it as the difference of two re-solves (Learning sheet).",
    "A price holds only for a small change; larger changes may move the plan elsewhere.",
)


def _periods_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    """Per run and period: spend, capability and shortfall per year, outside supply; then a
    native line chart of capability per year over the periods, one line per regime, for each
    mode that was run."""
    frame = comparison.periods
    _table_sheet(sheet, frame, _column_notes("Periods", comparison.scenario.currency))
    spans = comparison.scenario.horizon.periods
    column = len(frame.columns) + 2
    anchor_row = 1
    for mode in comparison.modes:
        wide = frame.loc[frame["mode"] == mode.value].pivot_table(
            index="year", columns="regime", values="capability", aggfunc="first"
        )
        regimes = [r.value for r in Regime if r.value in wide.columns]
        top = anchor_row
        write_text(sheet.cell(row=top, column=column), "year")
        for n, regime in enumerate(regimes, start=1):
            write_text(sheet.cell(row=top, column=column + n), regime)
        for m, span in enumerate(spans, start=1):
            sheet.cell(row=top + m, column=column, value=span.year)
            for n, regime in enumerate(regimes, start=1):
                value = wide[regime].get(span.year)
                if value is not None and value == value:
                    sheet.cell(row=top + m, column=column + n, value=float(value))
        chart = LineChart()
        chart.title = f"Capability per year, {mode.value}"
        chart.y_axis.title = "capability per year"
        chart.x_axis.title = "period start year"
        data = Reference(
            sheet,
            min_col=column + 1,
            max_col=column + len(regimes),
            min_row=top,
            max_row=top + len(spans),
        )
        chart.add_data(data, titles_from_data=True)
        years = Reference(sheet, min_col=column, min_row=top + 1, max_row=top + len(spans))
        chart.set_categories(years)
        sheet.add_chart(chart, f"{get_column_letter(column + len(regimes) + 2)}{top}")
        anchor_row = top + max(len(spans) + 2, 18)


def _lags_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    """Per member and period: generations behind and node gap (every run), and the
    capability lag of national stacks behind the coalition (max_capability)."""
    periods = comparison.tables("periods")
    members = periods.loc[periods["member"]]
    generations = members[
        ["mode", "regime", "country", "period", "year", "generations_behind", "node_gap_years"]
    ]
    lags = comparison.lags.rename(columns={"years": "capability_lag_years"})
    table = generations.merge(
        lags.assign(mode=Mode.MAX_CAPABILITY.value, regime=Regime.COALITION.value),
        on=["mode", "regime", "country", "period", "year"],
        how="left",
    )
    reached = table["reached"]
    table["capability_lag"] = [
        "" if pd.isna(flag) else ("reached" if flag else "not within the horizon")
        for flag in reached
    ]
    table = table.drop(columns="reached")
    _table_sheet(sheet, table, _column_notes("Lags", comparison.scenario.currency))


def _periodic(comparison: Comparison, frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its ``period`` column only when the scenario has several periods."""
    if len(comparison.scenario.horizon.periods) > 1 or "period" not in frame.columns:
        return frame
    return frame.drop(columns="period")


def _prices_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    # family_id is the key code filters on; the sheet shows the family's label
    frame = _periodic(comparison, comparison.tables("prices").drop(columns="family_id"))
    if not frame.empty:
        parts = [
            part.sort_values("binding", ascending=False, kind="stable")
            for _, part in frame.groupby(["mode", "regime"], sort=False)
        ]
        frame = pd.concat(parts, ignore_index=True)
    currency = comparison.scenario.currency
    _table_sheet(sheet, frame, _column_notes("Prices", currency), widest=100)
    column = len(frame.columns) + 2
    # Short unwrapped lines, so that the table's rows beside them keep their height.
    lines: list[str] = []
    for paragraph in _PRICE_NOTES:
        lines += [*textwrap.wrap(paragraph.format(currency=currency), 90), ""]
    for row, text in enumerate(lines, start=1):
        write_text(sheet.cell(row=row, column=column), text)
    sheet.cell(row=1, column=column).font = _HEADING_FONT
    sheet.column_dimensions[get_column_letter(column)].width = 95
    sheet.column_dimensions[get_column_letter(column - 1)].width = 3


# --- Provenance --------------------------------------------------------------------------

_VERSION_LABELS = {
    "planner": "planner version",
    "pulp": "PuLP version",
    "highs": "HiGHS version",
    "highspy": "highspy version",
    "python": "Python version",
}


def _provenance_sheet(sheet: Worksheet, comparison: Comparison, when: datetime) -> None:
    details: list[tuple[str, str]] = [
        ("scenario", comparison.scenario.name),
        ("input file", comparison.source or "(none: the scenario was built in Python)"),
        ("input SHA-256", comparison.sha256 or "(none)"),
        ("runs solved (UTC)", comparison.ran_at or "(unknown)"),
        ("report written (UTC)", when.strftime(TIMESTAMP)),
    ]
    details += [(_VERSION_LABELS.get(k, f"{k} version"), v) for k, v in comparison.solver.items()]
    write_table(sheet, ["item", "value"], details, {}, {})
    sheet.auto_filter.ref = None
    top = len(details) + 3
    headers = [
        "mode",
        "regime",
        "status",
        "objective",
        "cost",
        "capability",
        "shortfall",
        "solve_time",
        "gap",
        "message",
    ]
    formats = {3: NUMBER, 4: MONEY, 5: NUMBER, 6: NUMBER, 7: _SECONDS, 8: NUMBER}
    _header_cells(sheet, top, headers)
    _add_notes(sheet, top, headers, _column_notes("Provenance", comparison.scenario.currency))
    summary = _index(comparison.summary, ("mode", "regime"))
    row = top
    for mode, regime in RUN_ORDER:
        record = summary.get((mode.value, regime.value))
        if record is None:
            continue
        row += 1
        values = [record[h] for h in headers[:-1]]
        values.append(comparison.run(mode, regime).message)
        for index, value in enumerate(values):
            write_value(sheet.cell(row=row, column=index + 1), _plain(value), formats.get(index))
    sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{row}"
    fit_columns(sheet, maximum=70)


# --- Shared ------------------------------------------------------------------------------


# --- Learning ----------------------------------------------------------------------------


def _learning_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    """Per run, learning process, pool and period: experience, segment and multiplier; a
    line chart per process of the min_cost multiplier over time by regime; and, after
    ``--learning-pool country``, the coalition's gain with and without the shared loop."""
    frame = comparison.tables("learning")
    shown = frame.assign(pool=[", ".join(pool) for pool in frame["pool"]])
    _table_sheet(sheet, shown, _column_notes("Learning", comparison.scenario.currency))
    column = len(shown.columns) + 2
    mode = Mode.MIN_COST if Mode.MIN_COST in comparison.modes else Mode.MAX_CAPABILITY
    top = 1
    for process in dict.fromkeys(frame["process"]):
        curves = multiplier_curves(frame, mode, str(process))
        top = _curve_chart(
            sheet, curves, f"Cost multiplier of {process}, {mode.value}", top, column
        )
    if comparison.loop is not None:
        _loop_block(sheet, comparison, top, column)


def _curve_chart(sheet: Worksheet, curves: pd.DataFrame, title: str, top: int, left: int) -> int:
    """The curves' table at (top, left) and a line chart of them beside it; the next free row."""
    headers = [str(c) for c in curves.columns]
    _header_cells_at(sheet, top, left, headers)
    for n, record in enumerate(curves.itertuples(index=False), start=top + 1):
        for m, value in enumerate(record):
            write_value(
                sheet.cell(row=n, column=left + m), _plain(value), NUMBER if m > 1 else None
            )
    last = top + len(curves)
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = "multiplier of the learning cost"
    chart.x_axis.title = "year"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(
        sheet, min_col=left + 2, max_col=left + len(headers) - 1, min_row=top, max_row=last
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=left + 1, min_row=top + 1, max_row=last))
    chart.width, chart.height = 14, 7
    sheet.add_chart(chart, f"{get_column_letter(left + len(headers) + 1)}{top}")
    return max(last, top + 14) + 2


def _header_cells_at(sheet: Worksheet, row: int, left: int, headers: Sequence[str]) -> None:
    for column, header in enumerate(headers, start=left):
        cell = sheet.cell(row=row, column=column)
        write_text(cell, header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def _loop_block(sheet: Worksheet, comparison: Comparison, top: int, left: int) -> None:
    """The coalition's gain with and without the shared learning loop."""
    cell = sheet.cell(row=top, column=left)
    write_text(
        cell,
        "Every country learned alone in the runs above (--learning-pool country); the "
        "coalition was also solved with the shared loop. Gains are differences of re-solved "
        "optima (min_cost: saving, with the shortfall penalty; max_capability: extra "
        "capability), not prices.",
    )
    cell.font = _HEADING_FONT
    loop = comparison.loop
    assert loop is not None
    headers = [str(c) for c in loop.columns]
    _header_cells_at(sheet, top + 1, left, headers)
    for n, record in enumerate(loop.itertuples(index=False), start=top + 2):
        for m, value in enumerate(record):
            write_value(sheet.cell(row=n, column=left + m), _plain(value), NUMBER if m else None)


def _plain(value: Any) -> Any:
    """A value openpyxl writes as intended: numpy scalars to Python, NaN and NA to None,
    booleans to ``yes``/``no``."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _column_notes(sheet: str, currency: str) -> dict[str, str]:
    """Header notes per sheet: what each column means and its unit."""
    common = {
        "mode": "min_cost: meet every target at least cost. max_capability: buy the most "
        "capability with the budget.",
        "regime": "national: each member alone, no trade. coalition: members trade with each "
        "other (and over allowed links). open: every country trades with every country.",
        "country": "The country's id from the Countries sheet.",
        "period": "The period (multi-period scenarios): quantities are per year within it, "
        "costs are what the period spends.",
    }
    money = f"in {currency}" if currency else ""
    notes = {
        "Production": {
            "layer": "The process's layer from the Processes sheet.",
            "activity": "Units of activity run in the period.",
            "existing": "Existing capacity, in units of activity.",
            "new": "New capacity built, in units of activity.",
            "built": "yes: new capacity is built here.",
        },
        "Trade": {
            "quantity": "Units shipped from exporter to importer.",
            "unit_cost": f"Link cost per unit shipped, {money}; the importer pays it.",
            "cost": f"Quantity times unit cost, {money}.",
            "capacity": "Most units the link may carry; blank: no limit.",
        },
        "Resources": {
            "used": "Units drawn in the period.",
            "available": "Units available per period.",
            "unit_cost": f"Cost per unit used, {money}.",
            "cost": f"Units used times unit cost, {money}.",
        },
        "Periods": {
            "year": "The period's start year.",
            "cost": f"What the run spends in the period (undiscounted), {money}.",
            "capability": "Capability delivered per year in the period.",
            "shortfall": "Unmet target per year in the period.",
            "world_imports": "Units per year bought from the world market.",
            "backstop": "Units per year of backstop supply.",
        },
        "Lags": {
            "generations_behind": "Rank of the period's frontier generation minus rank of "
            "the newest generation the member uses (blank: no frontier yet, or no use).",
            "node_gap_years": "Frontier year of the frontier minus that of the newest "
            "generation used.",
            "capability_lag_years": "max_capability: years until national stacks reach what "
            "the member gets in the coalition in this period (negative: they got there first).",
            "capability_lag": "reached, or not within the horizon.",
        },
        "Outside": {
            "source": "world: bought from the world market; backstop: last-resort supply.",
            "quantity": "Units per year in the period.",
            "unit_cost": f"Price per unit, {money} (an assumption of the scenario).",
            "cost": f"What the period spends on it, {money}.",
        },
        "Prices": {
            "family": f"{PriceFamily.BALANCE.label}: the balance of a commodity in a country. "
            f"{PriceFamily.RESOURCE.label}, {PriceFamily.CAPACITY.label}: an availability or "
            f"capacity limit. {PriceFamily.BUDGET.label}: the capital budget.",
            "value": "The objective's improvement per extra unit (money in min_cost, "
            "weighted capability in max_capability).",
            "binding": "yes: the constraint holds with equality in the plan.",
            "may_not_be_unique": "yes: one more unit is worth a different amount from one "
            "less (columns more and less); see the notes beside the table.",
            "checked": "no: the price binds in a degenerate LP but was not measured on both "
            "sides (the run's price checks ran out), so it may not be unique.",
            "more": "The improvement from one more unit, measured by re-solving where the "
            "price is not unique.",
            "less": "The improvement lost by one unit less, measured by re-solving where the "
            "price is not unique (blank: with one unit less there is no plan).",
            "reading": "The price in plain words.",
        },
        "Countries": {
            "name": "The country's name from the Countries sheet.",
        },
        "Shortfalls": {
            "commodity": "The capability the target asks for.",
            "target": "The target amount.",
            "delivered": "Units delivered in the plan.",
            "shortfall": "Target minus delivered.",
            "weight": "Value of one unit in max_capability.",
            "stopped_by": "The binding limits with the highest shadow prices that could have "
            "served this target: what would have to give for more to be delivered.",
        },
        "Learning": {
            "process": "A process of the Learning sheet.",
            "pool": "The countries that learn together in this run.",
            "period": "The period; experience is at its start.",
            "year": "The period's start year.",
            "experience": "The pool's experience at the period's start: initial (with "
            "spillover) plus what it built (driver builds) or ran times years (output) before.",
            "segment": "k: the step of the experience curve holding the experience (breakpoint "
            "reference x 2^(k/steps_per_doubling)).",
            "multiplier": "progress_ratio^(k/steps_per_doubling): the factor on the learning "
            "cost in this period (1: the Capacity cost).",
        },
        "Provenance": {
            "objective": "What the run optimised (blank when it found no plan).",
            "solve_time": "Seconds the solver took.",
            "gap": "Relative MIP gap at the end (0: proven optimal).",
            "message": "The solver's own words on how the run ended.",
        },
    }
    return common | notes.get(sheet, {})
