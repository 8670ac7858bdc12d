"""The sharing report: a :class:`~planner.analysis.sharing.SharingResult` in, files out.

Contract of this stage: :func:`write_sharing_report` writes the workbook (sheets Sharing,
Stability, Coalitions, About) and :func:`write_sharing_json` the JSON summary, both
through the same guarded, atomic writers as the run report; they only format.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.sharing import SharingResult, coalitions_by_size, in_member_order
from planner.io.report import save_json, save_workbook, wrap_column, write_table
from planner.io.xlsx import MONEY


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
    """Write the sharing workbook (sheets Sharing, Stability, Coalitions, About), atomically.

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

    Sheets: **Sharing** (per member: national cost, then each method's cost share, saving
    and, for sampled values, standard error), **Stability** (per method: verdict, most
    dissatisfied coalition, its excess, whether every coalition was checked),
    **Coalitions** (every coalition cost solved) and **About** (the totals, the notes and
    where the numbers came from). Only formats: every figure is one the result holds.
    """
    workbook = Workbook()
    _sharing_sheet(workbook.active, result)
    _stability_sheet(workbook.create_sheet("Stability"), result)
    _coalitions_sheet(workbook.create_sheet("Coalitions"), result)
    _about_sheet(workbook.create_sheet("About"), result)
    return workbook


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
