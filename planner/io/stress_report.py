"""The stress report: a :class:`~planner.analysis.stress.StressResult` in, files out.

Contract of this stage: :func:`write_stress_report` writes the workbook (sheets Stress
cases, Who is hurt, Single-loss screen with a native bar chart of the 15 largest damages,
Worst k, About) and :func:`write_stress_json` the JSON summary, both through the same
guarded, atomic writers as the run report; they only format. Text from the input (case ids,
country ids, what an action became) is written as text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.stress import StressResult
from planner.io.report import save_json, save_workbook, wrap_column, write_table
from planner.io.xlsx import MONEY, NUMBER

TOP_DAMAGES = 15
"""Bars in the screen's chart: the most damaging losses."""


def write_stress_json(
    result: StressResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write :meth:`StressResult.to_json` to ``path``, atomically.

    Raises:
        OutputError: ``path`` is an input or cannot be written.
    """
    return save_json(result.to_json(), path, source=result.source, inputs=inputs)


def write_stress_report(
    result: StressResult, path: Path | str, *, inputs: Iterable[Path | str] = ()
) -> Path:
    """Write the stress workbook, atomically.

    Raises:
        OutputError: ``path`` is not an ``.xlsx`` file, is an input, or cannot be written.
    """
    return save_workbook(
        lambda: build_stress_workbook(result), path, source=result.source, inputs=inputs
    )


def build_stress_workbook(result: StressResult, *, written_at: datetime | None = None) -> Workbook:
    """The stress report as an openpyxl workbook, not yet saved."""
    workbook = Workbook()
    _cases_sheet(workbook.active, result)
    _who_sheet(workbook.create_sheet("Who is hurt"), result)
    _screen_sheet(workbook.create_sheet("Single-loss screen"), result)
    _worst_sheet(workbook.create_sheet("Worst k"), result)
    _about_sheet(workbook.create_sheet("About"), result, written_at or datetime.now(UTC))
    return workbook


_CASE_HEADERS = (
    ("case", None, "The case id of the Stresses sheet."),
    ("mode", None, ""),
    ("regime", None, ""),
    ("status before", None, ""),
    ("status after", None, ""),
    ("objective before", MONEY, "min_cost: spend plus shortfall penalty; max_capability: "
     "weighted capability."),
    ("objective after", MONEY, ""),
    ("damage", MONEY, "min_cost: objective after - before (more cost); max_capability: "
     "capability before - after (capability lost)."),
    ("probability", NUMBER, "From the Stresses sheet, where given."),
    ("expected damage", MONEY, "probability x damage."),
    ("d cost", MONEY, "Spend after - before (without the penalty)."),
    ("d capability", NUMBER, "Capability delivered, after - before."),
    ("d shortfall", NUMBER, "Unmet target, after - before."),
    ("saving after", MONEY, "Coalition rows: the saving against national stacks after the "
     "shock (national minus coalition objective in min_cost; coalition minus national "
     "capability in max_capability), national stacks hit by the case's national actions."),
    ("beats national", None, "Whether that saving is still positive."),
    ("loss to remaining", MONEY, "Exits: the coalition's min_cost objective after the case "
     "minus the base coalition's with the leavers' targets left out."),
    ("what happened", None, "What each action of the case became."),
)  # fmt: skip


def _cases_sheet(sheet: Worksheet, result: StressResult) -> None:
    sheet.title = "Stress cases"
    columns = [
        "case", "mode", "regime", "status_before", "status", "objective_before",
        "objective_after", "damage", "probability", "expected_damage", "d_cost",
        "d_capability", "d_shortfall", "saving_after", "beats_national",
    ]  # fmt: skip
    rows = []
    for record in result.cases.to_dict("records"):
        values = [record[c] for c in columns]
        beats = record["beats_national"]
        values[-1] = None if beats is None or beats != beats else ("yes" if beats else "no")
        case = record["case"]
        loss = result.loss_to_remaining.get(case) if record["regime"] == "coalition" else None
        values += [loss, "; ".join(result.resolved.get(case, ()))]
        rows.append(values)
    headers = [h for h, _, _ in _CASE_HEADERS]
    formats = {n: f for n, (_, f, _) in enumerate(_CASE_HEADERS) if f}
    notes = {h: note for h, _, note in _CASE_HEADERS if note}
    write_table(sheet, headers, rows, formats, notes)
    wrap_column(sheet, len(headers), 80)


def _who_sheet(sheet: Worksheet, result: StressResult) -> None:
    headers = ["case", "mode", "regime", "country", "d shortfall", "d capability", "target"]
    headers += ["marginal cost before", "marginal cost after", "d marginal cost"]
    targets: dict[tuple[str, str, str], list[dict[Any, Any]]] = defaultdict(list)
    for target in result.targets.to_dict("records"):
        targets[(target["case"], target["regime"], target["country"])].append(target)
    rows = []
    for record in result.countries.to_dict("records"):
        head = [record[c] for c in ("case", "mode", "regime", "country")]
        head += [record["d_shortfall"], record["d_capability"]]
        key = (record["case"], record["regime"], record["country"])
        if record["mode"] != "min_cost" or not targets[key]:
            rows.append(head)
            continue
        for target in targets[key]:
            rows.append(
                [
                    *head,
                    target["commodity"],
                    target["marginal_cost_before"],
                    target["marginal_cost_after"],
                    target["d_marginal_cost"],
                ]
            )
    notes = {
        "d shortfall": "The member's unmet target, after - before.",
        "d capability": "The member's capability delivered, after - before.",
        "marginal cost before": "min_cost: the target's shadow price, what one more unit of "
        "it would cost.",
    }
    formats = {4: NUMBER, 5: NUMBER, 7: MONEY, 8: MONEY, 9: MONEY}
    write_table(sheet, headers, rows, formats, notes)


def _screen_sheet(sheet: Worksheet, result: StressResult) -> None:
    headers = ["element", "kind", "damage", "solved", "status", "d shortfall"]
    headers += ["single point of failure"]
    rows = [
        [
            r["element"],
            r["kind"],
            r["damage"],
            "yes" if r["solved"] else "no",
            r["status"],
            r["d_shortfall"],
            "yes" if r["single_point_of_failure"] else "no",
        ]
        for r in result.screen.to_dict("records")
    ]
    notes = {
        "damage": "The coalition's min_cost objective without the element minus the base's; "
        "for a member, its loss to the remaining members.",
        "solved": "no: the base plan does not use the element, so losing it changes nothing "
        "(not solved).",
        "single point of failure": "yes: the loss creates new shortfall.",
    }
    write_table(sheet, headers, rows, {2: MONEY, 5: NUMBER}, notes)
    shown = min(TOP_DAMAGES, len(rows))
    if shown:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"The {shown} most damaging single losses"
        chart.x_axis.title = "element"
        chart.y_axis.title = f"damage ({result.currency})"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        chart.add_data(
            Reference(sheet, min_col=3, min_row=1, max_row=shown + 1), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=shown + 1))
        chart.x_axis.scaling.orientation = "maxMin"  # the worst on top
        chart.width, chart.height = 18, 10
        sheet.add_chart(chart, "I2")


def _worst_sheet(sheet: Worksheet, result: StressResult) -> None:
    headers = ["k", "elements", "damage", "exact"]
    rows = [
        [r["k"], ", ".join(r["elements"]), r["damage"], "yes" if r["exact"] else "no"]
        for r in result.worst.to_dict("records")
    ]
    notes = {
        "elements": "The most damaging set of up to k supply losses found.",
        "exact": "yes: the search proved no set of up to k losses does more damage; no: the "
        "solve budget ran out and a beam search continued (or a solve was not optimal).",
    }
    write_table(sheet, headers, rows, {2: MONEY}, notes)


def _about_sheet(sheet: Worksheet, result: StressResult, when: datetime) -> None:
    rows: list[list[object]] = [
        ["scenario", result.scenario],
        ["currency", result.currency],
        ["modes", ", ".join(m.value for m in result.modes)],
        ["models solved", result.solves],
        ["screen: elements not solved (unused in the base plan)", result.screen_skipped],
        ["worst k: k", result.k],
        ["worst k: sets evaluated", result.worst_solves],
        ["worst k: budget", result.budget],
        ["seconds", result.seconds],
        ["input file", result.source or "(none: the scenario was built in Python)"],
        ["input SHA-256", result.sha256 or "(none)"],
        ["written", when.isoformat(timespec="seconds")],
    ]
    rows += [["failed solve", f"{f.what}: {f.reason}"] for f in result.failures]
    write_table(sheet, ["item", "value"], rows, {}, {})
    sheet.auto_filter.ref = None
    wrap_column(sheet, 2, 100)
