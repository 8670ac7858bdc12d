"""The sharing report: a :class:`~planner.analysis.sharing.SharingResult` in, files out.

Contract of this stage: :func:`write_sharing_report` writes the workbook (sheets Answer,
Sharing, Stability, Coalitions, About) and :func:`write_sharing_json` the JSON summary, both
through the same guarded, atomic writers as the run report; they only format.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.sharing import SharingResult, coalitions_by_size, in_member_order
from planner.io.report import print_setup, save_json, save_workbook, wrap_column, write_table
from planner.io.xlsx import HEADER_FILL, HEADER_FONT, MONEY, write_text, write_value

_TITLE_FONT = Font(name="Calibri", size=16, bold=True)
_HEADING_FONT = Font(name="Calibri", size=12, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_sharing_json(
    result: SharingResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write :meth:`SharingResult.to_json` to ``path``, atomically.

    Args:
        result: what :func:`share` returned.
        path: the summary's destination.
        inputs: files that must never be overwritten (the result's own input always is).

    Raises:
        OutputError: ``path`` is an input or cannot be written.
    """
    return save_json(result.to_json(), path, source=result.source, inputs=inputs)


def write_sharing_report(
    result: SharingResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write the sharing workbook (sheets of :data:`SHEETS`), atomically.

    Args:
        result: what :func:`share` returned.
        path: the workbook's destination; it must end in ``.xlsx``.
        inputs: files that must never be overwritten (the result's own input always is).

    Raises:
        OutputError: ``path`` is not an ``.xlsx`` file, is an input, or cannot be written.
    """
    return save_workbook(
        lambda: build_sharing_workbook(result), path, source=result.source, inputs=inputs
    )


def build_sharing_workbook(result: SharingResult) -> Workbook:
    """The sharing report as an openpyxl workbook, not yet saved.

    Sheets: **Answer** (the result in plain words: the saving, the rule recommended here
    and why, why the rules differ, one sentence per member, and a chart of each member's
    saving under each rule), **Sharing** (per member: national cost, then each method's
    cost share, saving and, for sampled values, standard error), **Stability** (per
    method: verdict, most dissatisfied coalition, its excess, whether every coalition was
    checked),
    **Coalitions** (every coalition cost solved) and **About** (the totals, the notes and
    where the numbers came from). Only formats: every figure is one the result holds.
    """
    workbook = Workbook()
    _answer_sheet(workbook.active, result)
    _sharing_sheet(workbook.create_sheet("Sharing"), result)
    _stability_sheet(workbook.create_sheet("Stability"), result)
    _coalitions_sheet(workbook.create_sheet("Coalitions"), result)
    _about_sheet(workbook.create_sheet("About"), result)
    for sheet in workbook.worksheets:
        print_setup(sheet)
    return workbook


SHEETS = ("Answer", "Sharing", "Stability", "Coalitions", "About")
"""The sharing report's sheets, in workbook order."""

_WIDTH = 120
"""Characters across the Answer sheet's text (columns A to E)."""


def _answer_sheet(sheet: Worksheet, result: SharingResult) -> None:
    """The result in words, then a table and a chart of each member's saving per rule."""
    sheet.title = "Answer"
    words = result.explanation
    row = 1
    title = sheet.cell(row=row, column=1)
    write_text(title, f"Who gains what in the coalition: {result.scenario}")
    title.font = _TITLE_FONT
    recommended = (
        f"Recommended rule: {words.recommended}. {words.reason}"
        if words.recommended is not None
        else words.reason
    )
    blocks: list[tuple[str, list[str]]] = [
        ("The saving", [words.headline]),
        ("Which rule, and why", [recommended, *([words.differences] if words.differences else [])]),
        ("Each member", list(words.members)),
    ]
    notes = [*result.notes, *(f"{m}: {n}" for m, a in result.allocations.items() for n in a.notes)]
    if notes:
        blocks.append(("Caveats", notes))
    for heading, sentences in blocks:
        row += 2
        cell = sheet.cell(row=row, column=1)
        write_text(cell, heading)
        cell.font = _HEADING_FONT
        for sentence in sentences:
            row += 1
            cell = sheet.cell(row=row, column=1)
            write_text(cell, sentence)
            cell.alignment = _WRAP
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
            sheet.row_dimensions[row].height = 15 * max(1, math.ceil(len(sentence) / (_WIDTH - 10)))
    for letter, width in zip("ABCDE", (30, 22, 22, 22, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    _savings_chart(sheet, result, row + 2)


def _savings_chart(sheet: Worksheet, result: SharingResult, top: int) -> None:
    """A table of savings (member x rule) from row ``top`` and a clustered bar chart of it."""
    methods = list(result.allocations)
    money = f"({result.currency})"
    headers = ["member", *(f"{m}: saving {money}" for m in methods)]
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=top, column=column)
        write_text(cell, text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for offset, member in enumerate(result.members, start=1):
        write_text(sheet.cell(row=top + offset, column=1), member)
        for column, method in enumerate(methods, start=2):
            saving = result.allocations[method].share(member).saving
            write_value(sheet.cell(row=top + offset, column=column), saving, MONEY)
    if not methods:
        return
    last = top + len(result.members)
    chart = BarChart()
    chart.type = "col"
    chart.title = "Each member's saving against its national stack, by rule"
    chart.y_axis.title = result.currency or "money"
    chart.x_axis.title = "member"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(sheet, min_col=2, max_col=1 + len(methods), min_row=top, max_row=last)
    chart.add_data(data, titles_from_data=True)
    categories = str(Reference(sheet, min_col=1, min_row=top + 1, max_row=last))
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=categories))
    chart.width, chart.height = max(16, 1.2 * len(result.members)), 8
    sheet.add_chart(chart, f"G{top}")


def _sharing_sheet(sheet: Worksheet, result: SharingResult) -> None:
    sheet.title = "Sharing"
    money = f"({result.currency})"
    headers = ["country", "name", f"national cost {money}"]
    notes = {
        f"national cost {money}": "The member's national-stack cost: the min_cost objective "
        "(spend plus shortfall penalty) of the member alone, with no trade at all."
    }
    columns: list[tuple[str, str]] = []
    for method, allocation in result.allocations.items():
        pairs = [("cost", f"{method}: cost share {money}"), ("saving", f"{method}: saving {money}")]
        if not allocation.exact:
            pairs.append(("stderr", f"{method}: standard error {money}"))
        for what, header in pairs:
            columns.append((method, what))
            headers.append(header)
            notes[header] = _COLUMN_NOTES[what].format(method=method)
    rows = []
    for member in result.members:
        row: list[object] = [member, result.names[member], result.national_costs[member]]
        for method, what in columns:
            row.append(getattr(result.allocations[method].share(member), what))
        rows.append(row)
    formats = {c: MONEY for c in range(2, len(headers))}
    write_table(sheet, headers, rows, formats, notes)


_COLUMN_NOTES = {
    "cost": "What the member pays of the coalition's cost under {method}.",
    "saving": "National cost minus the {method} cost share: what the member gains by being "
    "in the coalition (negative: it pays more than its national stack costs).",
    "stderr": "Standard error of the sampled {method} value: about 95 % of such estimates lie "
    "within 1.96 standard errors of the exact value.",
}


def _stability_sheet(sheet: Worksheet, result: SharingResult) -> None:
    money = f"({result.currency})"
    headers = [
        "method",
        "verdict",
        "stable",
        "most dissatisfied coalition",
        f"its excess {money}",
        "every coalition checked",
        "coalitions checked",
        f"shares' shortfall from the coalition's cost {money}",
        f"tolerance {money}",
    ]
    notes = {
        "verdict": "stable: the shares add up to the coalition's cost and no coalition of "
        "members would save by leaving and standing alone. With a search (not every "
        "coalition checked), it means only that the search found no such coalition.",
        "most dissatisfied coalition": "The coalition of members with the largest excess.",
        f"its excess {money}": "What that coalition's members pay under the method minus "
        "what they would pay standing alone together: positive, they would save by leaving.",
        f"shares' shortfall from the coalition's cost {money}": "The coalition's cost minus "
        "the sum of the shares: zero when the shares pay exactly for the coalition (Owen's "
        "may not: see About).",
        f"tolerance {money}": "An excess up to this counts as stable (round-off, or the MIP "
        "gap of a scenario with build decisions).",
    }
    rows: list[list[object]] = []
    for method, check in result.stability.items():
        rows.append(
            [
                method,
                result.verdict(method),
                "yes" if result.stable(method) else "no",
                ", ".join(in_member_order(check.coalition, result.members)),
                check.excess,
                "yes" if check.exhaustive else "no",
                check.coalitions_checked,
                result.efficiency_gap(method),
                check.tolerance,
            ]
        )
    rows += [[what, f"not computed: {why}"] for what, why in result.unavailable.items()]
    write_table(sheet, headers, rows, {4: MONEY, 7: MONEY, 8: "0.00E+00"}, notes)


def _coalitions_sheet(sheet: Worksheet, result: SharingResult) -> None:
    money = f"({result.currency})"
    headers = ["members", "size", f"cost {money}"]
    rows: list[list[object]] = [
        [", ".join(in_member_order(s, result.members)), len(s), value]
        for s, value in coalitions_by_size(result.coalition_costs, result.members)
    ]
    rows += [
        [
            ", ".join(in_member_order(f.coalition, result.members)),
            len(f.coalition),
            f"failed: {f.error}",
        ]
        for f in result.failures
    ]
    notes = {
        f"cost {money}": "The coalition's min_cost objective (spend plus shortfall penalty); "
        "one member alone: its national stack."
    }
    write_table(sheet, headers, rows, {2: MONEY}, notes)


def _about_sheet(sheet: Worksheet, result: SharingResult) -> None:
    money = result.currency
    rows: list[list[object]] = [
        ["scenario", result.scenario],
        [f"coalition cost, all members ({money})", result.coalition_cost],
        [f"national stacks, summed ({money})", result.national_total],
        [f"coalition saving ({money})", result.saving],
    ]
    for method in result.allocations:
        rows.append(
            [f"{method}: coalition cost minus the shares' sum", result.efficiency_gap(method)]
        )
    rows += [
        ["coalitions solved", len(result.coalition_costs)],
        ["coalitions failed", len(result.failures)],
        ["seconds", result.seconds],
        ["input file", result.source or "(none: the scenario was built in Python)"],
        ["input SHA-256", result.sha256 or "(none)"],
    ]
    rows += [["note", note] for note in result.notes]
    for method, allocation in result.allocations.items():
        rows += [[f"note on {method}", note] for note in allocation.notes]
    write_table(sheet, ["item", "value"], rows, {1: MONEY}, {})
    sheet.auto_filter.ref = None  # a list of facts, not a table to filter
    wrap_column(sheet, 2, 100)
