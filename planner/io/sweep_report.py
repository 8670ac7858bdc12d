"""The sweep report: a :class:`~planner.analysis.sweep.SweepResult` in, files out.

Contract of this stage: :func:`write_sweep_report` writes the workbook (sheets Design, Draws,
Runs, Distributions with a native column chart of the saving's histogram, Tornado with a
native bar chart, Sensitivity, Failures, About) and :func:`write_sweep_json` the JSON
summary, through the same guarded, atomic writers as the run report. They only format: every
figure comes from the result's tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.sweep import SweepResult
from planner.io.report import save_json, save_workbook, write_table
from planner.io.xlsx import MONEY, write_text, write_value

_NOTES = {
    "saving": "National minus coalition: the min_cost objective, or in max_capability the spend.",
    "price_of_trust": "Coalition minus open, in the same measure as the saving.",
    "extra_capability": "Coalition minus national capability.",
    "coalition_better": "1 when the coalition beats national stacks (min_cost: saving > 0; "
    "max_capability: extra capability > 0).",
    "swing": "|saving_high - saving_low|: how far this input alone moves the saving.",
    "S1": "Sobol' first-order index: the share of the saving's variance this input explains alone.",
    "ST": "Sobol' total index: its share with all its interactions.",
}


def write_sweep_json(
    result: SweepResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write :meth:`SweepResult.to_json` to ``path``, atomically.

    Raises:
        OutputError: ``path`` is an input or cannot be written.
    """
    source = str(result.provenance.get("source", ""))
    return save_json(result.to_json(), path, source=source, inputs=inputs)


def write_sweep_report(
    result: SweepResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write the sweep workbook, atomically.

    Raises:
        OutputError: ``path`` is not an ``.xlsx`` file, is an input, or cannot be written.
    """
    source = str(result.provenance.get("source", ""))
    return save_workbook(lambda: build_sweep_workbook(result), path, source=source, inputs=inputs)


def build_sweep_workbook(result: SweepResult) -> Workbook:
    """The sweep report as an openpyxl workbook, not yet saved."""
    book = Workbook()
    book.remove(book.active)
    _design(book.create_sheet("Design"), result)
    _frame(book.create_sheet("Draws"), _draws(result))
    _frame(book.create_sheet("Runs"), result.runs)
    _distributions(book.create_sheet("Distributions"), result)
    _tornado(book.create_sheet("Tornado"), result)
    _sensitivity(book.create_sheet("Sensitivity"), result)
    _frame(book.create_sheet("Failures"), result.failures)
    _about(book.create_sheet("About"), result)
    return book


def _frame(sheet: Worksheet, frame: pd.DataFrame, top_note: str = "") -> None:
    headers = [str(c) for c in frame.columns]
    formats = {k: MONEY for k, c in enumerate(frame.columns) if frame[c].dtype.kind == "f"}
    records = [list(row) for row in frame.itertuples(index=False)]
    write_table(sheet, headers, records, formats, {h: _NOTES[h] for h in headers if h in _NOTES})


def _design(sheet: Worksheet, result: SweepResult) -> None:
    rows: list[tuple[str, Any]] = [
        ("scenario", result.scenario),
        ("design", result.design.value),
        ("samples", result.draws.samples),
        ("seed", result.draws.seed),
        ("draws (base included)", result.draws.count),
        ("runs requested", result.requested),
        ("runs done", result.done),
        ("runs failed", len(result.failures)),
        *(("note", note) for note in result.notes),
    ]
    for row, (key, value) in enumerate(rows, start=1):
        write_text(sheet.cell(row=row, column=1), key)
        write_value(sheet.cell(row=row, column=2), value)
    top = len(rows) + 2
    columns = ["parameter", "sheet", "column", "apply", "distribution", "low", "high"]
    columns += ["peak", "mean", "sd", "values", "weights", "base", "group"]
    for k, name in enumerate(columns, start=1):
        write_text(sheet.cell(row=top, column=k), name)
    for row, parameter in enumerate(result.draws.parameters, start=top + 1):
        data = parameter.model_dump(mode="json")
        for k, name in enumerate(columns, start=1):
            value = data[name]
            if isinstance(value, list):
                value = ", ".join(f"{v:g}" for v in value)
            write_value(sheet.cell(row=row, column=k), value)
    sheet.column_dimensions["A"].width = 24


def _draws(result: SweepResult) -> pd.DataFrame:
    """Per draw: each parameter's value (its centre at base), then the paired figures."""
    rows = [{"draw": d, **result.draws.shown(d)} for d in range(result.draws.count)]
    values = pd.DataFrame(rows)
    return values.merge(result.paired, on="draw", how="left")


def _distributions(sheet: Worksheet, result: SweepResult) -> None:
    _frame(sheet, result.summary)
    top = len(result.summary) + 3
    for mode in result.modes:
        bins = result.histogram[result.histogram["mode"] == mode.value]
        if bins.empty:
            continue
        write_text(sheet.cell(row=top, column=1), f"saving, {mode.value}: histogram")
        headers = ("from", "to", "draws")
        for k, name in enumerate(headers, start=1):
            write_text(sheet.cell(row=top + 1, column=k), name)
        for row, (low, high, count) in enumerate(
            bins[["low", "high", "count"]].itertuples(index=False), start=top + 2
        ):
            write_value(sheet.cell(row=row, column=1), low, MONEY)
            write_value(sheet.cell(row=row, column=2), high, MONEY)
            write_value(sheet.cell(row=row, column=3), count)
        last = top + 1 + len(bins)
        chart = BarChart()
        chart.type = "col"
        chart.gapWidth = 0  # touching bars: a histogram
        chart.title = f"Saving across draws, {mode.value} ({result.currency})"
        chart.x_axis.title = f"saving, from ({result.currency})"
        chart.y_axis.title = "draws"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        chart.add_data(
            Reference(sheet, min_col=3, min_row=top + 1, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=top + 2, max_row=last))
        chart.width, chart.height = 16, 8
        sheet.add_chart(chart, f"J{top}")
        top = last + 18


def _tornado(sheet: Worksheet, result: SweepResult) -> None:
    frame = result.tornado
    if frame.empty:
        write_text(sheet.cell(row=1, column=1), "A tornado comes from the oat design only.")
        return
    _frame(sheet, frame)
    for number, mode in enumerate(result.modes):
        rows = [k for k, m in enumerate(frame["mode"], start=2) if m == mode.value]
        if not rows:
            continue
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "clustered"
        chart.overlap = 100
        chart.title = f"Change in saving from base, {mode.value} ({result.currency})"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.x_axis.scaling.orientation = "maxMin"  # the widest swing on top
        d_low = list(frame.columns).index("d_low") + 1
        chart.add_data(
            Reference(sheet, min_col=d_low, max_col=d_low + 1, min_row=1, max_row=1),
            titles_from_data=True,
        )
        # each series: its own rows of this mode, under the header's title
        for offset, series in enumerate(chart.series):
            column = d_low + offset
            series.val.numRef.f = str(
                Reference(sheet, min_col=column, min_row=rows[0], max_row=rows[-1])
            )
        chart.set_categories(Reference(sheet, min_col=2, min_row=rows[0], max_row=rows[-1]))
        chart.width, chart.height = 16, 2 + len(rows)
        sheet.add_chart(chart, f"N{2 + 20 * number}")


def _sensitivity(sheet: Worksheet, result: SweepResult) -> None:
    if not result.sensitivity.empty:
        _frame(sheet, result.sensitivity)
        return
    why = [n for n in result.notes if "Sobol'" in n] or [
        "Sobol' indices come from the sobol design only."
    ]
    for row, text in enumerate(why, start=1):
        write_text(sheet.cell(row=row, column=1), text)


def _about(sheet: Worksheet, result: SweepResult) -> None:
    for row, (key, value) in enumerate(result.provenance.items(), start=1):
        write_text(sheet.cell(row=row, column=1), str(key))
        write_value(sheet.cell(row=row, column=2), value)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60
