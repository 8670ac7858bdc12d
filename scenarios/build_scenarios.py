"""Build every scenario workbook in ``scenarios/`` from the CSV files in ``scenarios/data/``.

Run ``.venv/bin/python scenarios/build_scenarios.py`` after changing any CSV file: it
rewrites every workbook, byte for byte the same when the data did not change (fixed
document properties and fixed timestamps inside the .xlsx archive).

Data layout: one folder per family of workbooks under ``scenarios/data/``:

- ``variants.csv`` (``variant``, ``workbook``, ``name``, ``description``): one workbook per
  row, all generated from the same data; ``name`` and ``description`` become the Scenario
  sheet's keys of the same name.
- ``scenario.csv`` (``key``, ``value``): the other Scenario keys.
- one CSV per contract sheet, named after it in lower case (``countries.csv``,
  ``commodities.csv``, ``resources.csv``, ``processes.csv``, ``recipe.csv``,
  ``capacity.csv``, ``targets.csv``, ``links.csv``), with the contract's column names.
  Two kinds of extra column:

  - ``variants``: blank for every variant, else the space-separated variants the row
    belongs to;
  - ``COLUMN@VARIANT`` (e.g. ``member@founders``): the value of ``COLUMN`` in that variant;
  - ``note ...`` columns: written as text, beside the contract's columns.

  A CSV whose sheet the planner does not have is left out (:func:`skipped_csv`).
- ``sources.csv`` (optional): one row per figure used (:data:`SOURCE_COLUMNS`), written
  as the ``Sources`` sheet.

A number anywhere (a numeric cell of a contract CSV, the ``value`` of a Scenario key or of
a source) may be a formula over sources: ``{id}`` stands for the value of the source row
``id``, combined with ``+ - * /``, parentheses, ``min``, ``max`` and ``round``, e.g.
``{dc-gw-USA} * {target-share} / 100``. The workbook holds the computed number; each row
of a contract sheet gets a ``note source`` column (ignored by the planner) naming the
source rows its numbers come from, and the Sources sheet shows each source's formula and
where it is used. So every cell traces back to a source row, and changing one figure in
``sources.csv`` changes every number computed from it.

The same tables give the :class:`~planner.scenario.schema.Scenario` of each workbook
(:func:`scenario`), so tests check the optima without reading the workbooks back.
"""

from __future__ import annotations

import ast
import csv
import io
import operator
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from planner.io.xlsx import write_text
from planner.scenario import schema
from planner.scenario import sheets as sheets_module
from planner.scenario.schema import (
    Budget,
    Capacity,
    Commodity,
    Country,
    Generation,
    Link,
    Period,
    Process,
    RecipeLine,
    Resource,
    Scenario,
    Target,
)
from planner.scenario.sheets import (
    NO,
    PERIOD_COLUMN,
    SCENARIO_KEYS,
    SHEETS,
    YES,
    Cell,
    Column,
    Sheet,
    is_note_column,
)

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

FIXED_TIME = datetime(2026, 1, 1)
"""The created and modified time written into every workbook, so rebuilds do not differ."""

_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
SOURCE_NOTE = "note source"
VARIANTS_COLUMN = "variants"
SOURCES_SHEET = "Sources"

SOURCE_COLUMNS = ("id", "value", "unit", "feeds", "publication", "year", "url", "tag")
"""Columns of ``sources.csv``. ``tag`` is the research notes' provenance tag."""

STATUS = {
    "S": "sourced",
    "S2": "sourced (secondary compilation; check the primary source)",
    "R": "recalled from the primary source, not re-read; verify",
    "E": "estimate",
    "N": "normalisation (computed from the rows named in `formula`)",
}
"""What each provenance tag of the research notes means, as the Sources sheet says it."""

SOURCES_HEADER = (
    "id",
    "value",
    "unit",
    "feeds",
    "formula",
    "used in",
    "publication",
    "year",
    "url",
    "tag",
    "status",
)
"""Columns of the Sources sheet."""

_MODELS = {
    "Countries": (Country, "countries"),
    "Commodities": (Commodity, "commodities"),
    "Resources": (Resource, "resources"),
    "Processes": (Process, "processes"),
    "Recipe": (RecipeLine, "recipe"),
    "Capacity": (Capacity, "capacity"),
    "Targets": (Target, "targets"),
    "Links": (Link, "links"),
    "Periods": (Period, "periods"),
    "Budgets": (Budget, "budgets"),
    "Generations": (Generation, "generations"),
}
_LATER_MODELS = {
    "Learning": ("Learning", "learning"),
    "Experience": ("Experience", "experience"),
    "Stresses": ("Stress", "stresses"),
    "Uncertain": ("Uncertain", "uncertain"),
}
"""Sheets of the later contract issues (learning, stresses, sweeps): their schema class and
Scenario field, used once the planner has them."""
for _sheet, (_class, _field) in _LATER_MODELS.items():
    if hasattr(schema, _class) and _field in Scenario.model_fields:
        _MODELS[_sheet] = (getattr(schema, _class), _field)
KEY_VALUE_SHEETS = ("Scenario", "Sampling")
"""Sheets of key and value rows rather than records."""
_ID_DEFAULTS = {("Countries", "name"): "country", ("Processes", "layer"): "process"}
"""Columns whose blank cells default to another column of the same row (DESIGN.md)."""

Value = str | float | int | None
Record = dict[str, str]


@dataclass(frozen=True)
class Table:
    """One sheet as written: a header row and the rows below it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]

    def records(self) -> Iterator[dict[str, Value]]:
        """Each row as a mapping from column name to value."""
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=True))


@dataclass(frozen=True)
class Variant:
    """One workbook generated from a data folder."""

    folder: Path
    variant: str
    workbook: str
    name: str
    description: str


def read_csv(path: Path) -> list[Record]:
    """The rows of a CSV file with a header, each cell stripped of surrounding spaces."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {key.strip(): (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def read_csv_header(path: Path) -> list[str]:
    """The header of a CSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [h.strip() for h in next(csv.reader(handle))]


def variants() -> list[Variant]:
    """Every workbook to build, family by family, in file-name order."""
    found = []
    for folder in sorted(p for p in DATA.iterdir() if (p / "variants.csv").is_file()):
        for row in read_csv(folder / "variants.csv"):
            found.append(
                Variant(folder, row["variant"], row["workbook"], row["name"], row["description"])
            )
    return found


def variant_for(workbook: str) -> Variant:
    """The variant that builds the workbook called ``workbook`` (e.g. ``tutorial_scale.xlsx``)."""
    for candidate in variants():
        if candidate.workbook == workbook:
            return candidate
    raise KeyError(f"no variants.csv row builds {workbook}")


# --- Formulas over sources ---------------------------------------------------------------

_REFERENCE = re.compile(r"\{([^{}]+)\}")
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "round": round}


def references(text: str) -> list[str]:
    """The source ids a formula refers to, in order of appearance."""
    return _REFERENCE.findall(text)


def _arithmetic(node: ast.expr) -> float:
    """The value of a formula's syntax tree: numbers, + - * /, min, max and round only."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arithmetic(node.operand)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        args = [_arithmetic(a) for a in node.args]
        if node.func.id == "round":
            return float(round(args[0], int(args[1]) if len(args) > 1 else None))
        return float(_FUNCTIONS[node.func.id](*args))
    raise ValueError(f"not allowed in a formula: {ast.unparse(node)}")


def evaluate(text: str, lookup: Callable[[str], float]) -> float | int:
    """The number ``text`` stands for: a plain number or a formula over sources.

    The result keeps six significant digits, so formulas give clean figures, and is an int
    when whole.
    """
    expression = _REFERENCE.sub(lambda m: f"({lookup(m.group(1))!r})", text)
    try:
        value = _arithmetic(ast.parse(expression, mode="eval").body)
    except SyntaxError as exc:
        raise ValueError(f"`{text}` is not a number or a formula") from exc
    value = float(f"{value:.6g}")
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


@dataclass
class Sources:
    """The rows of ``sources.csv``, their computed values and where each is used."""

    rows: dict[str, Record] = field(default_factory=dict)
    values: dict[str, float | int] = field(default_factory=dict)
    used_in: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """Source id -> place (``Sheet.column`` or ``Sources``) -> the rows there that use it."""

    def _use(self, key: str, place: str, row: str) -> None:
        self.used_in.setdefault(key, {}).setdefault(place, set()).add(row)

    def uses(self, key: str) -> str:
        """Where a source is used, e.g. ``Capacity.cost (31 rows); Sources fab-new-cost``."""
        parts = []
        for place, rows in sorted(self.used_in.get(key, {}).items()):
            listed = ", ".join(sorted(rows)) if len(rows) <= 3 else f"{len(rows)} rows"
            parts.append(f"{place} ({listed})" if listed else place)
        return "; ".join(parts)

    @classmethod
    def read(cls, folder: Path) -> Sources:
        """The sources of a data folder (none when it has no ``sources.csv``)."""
        path = folder / "sources.csv"
        if not path.is_file():
            return cls()
        header = tuple(read_csv_header(path))
        if header != SOURCE_COLUMNS:
            raise ValueError(f"{path}: the header must be {', '.join(SOURCE_COLUMNS)}")
        rows: dict[str, Record] = {}
        for row in read_csv(path):
            if row["id"] in rows:
                raise ValueError(f"{path}: the id `{row['id']}` is used twice")
            if row["tag"] not in STATUS:
                raise ValueError(f"{path}: `{row['id']}` has the unknown tag `{row['tag']}`")
            rows[row["id"]] = row
        return cls(rows)

    def value(self, key: str, _stack: tuple[str, ...] = ()) -> float | int:
        """The value of source ``key``, computing its formula first if it has one."""
        if key not in self.rows:
            raise KeyError(f"sources.csv has no row `{key}`")
        if key in _stack:
            raise ValueError(f"sources.csv: `{key}` refers to itself via {' -> '.join(_stack)}")
        if key not in self.values:
            text = self.rows[key]["value"]
            for ref in references(text):
                self._use(ref, "Sources", key)
            self.values[key] = evaluate(text, lambda ref: self.value(ref, (*_stack, key)))
        return self.values[key]

    def number(self, text: str, place: str, row: str = "") -> float | int:
        """A cell's number, its source references recorded as used at ``place``, ``row``."""
        for ref in references(text):
            self._use(ref, place, row)
        return evaluate(text, self.value)

    def table(self) -> Table:
        """The Sources sheet: every row with its value, formula, uses and status."""
        body = []
        for key, row in self.rows.items():
            value = self.value(key)
            text = row["value"]
            formula = text if references(text) or not _is_number(text) else None
            body.append(
                (
                    key,
                    value,
                    row["unit"] or None,
                    row["feeds"] or None,
                    formula,
                    self.uses(key) or None,
                    row["publication"] or None,
                    _number_or_text(row["year"]),
                    row["url"] or None,
                    row["tag"],
                    STATUS[row["tag"]],
                )
            )
        return Table(SOURCES_HEADER, tuple(body))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_or_text(text: str) -> Value:
    if not text:
        return None
    return int(text) if text.isdigit() else text


# --- Tables of a variant -----------------------------------------------------------------


def _applies(row: Record, variant: str) -> bool:
    wanted = row.get(VARIANTS_COLUMN, "")
    return not wanted or variant in wanted.split()


def _resolve(row: Record, variant: str) -> Record:
    """The row as ``variant`` sees it: ``COLUMN@VARIANT`` values replace ``COLUMN``."""
    plain = {k: v for k, v in row.items() if "@" not in k and k != VARIANTS_COLUMN}
    suffix = f"@{variant}"
    for key, value in row.items():
        if key.endswith(suffix):
            plain[key.removesuffix(suffix)] = value
    return plain


def _row_cells(
    sheet: Sheet, columns: list[str], row: Record, sources: Sources
) -> tuple[tuple[Value, ...], list[str]]:
    """A CSV row's cells as the workbook holds them, and the sources its numbers use."""
    kinds = {c.name: c.cell for c in sheet.columns}  # note columns are text
    key = " ".join(row[c.name] for c in sheet.columns if c.name in sheet.key and c.name in row)
    cells: list[Value] = []
    refs: list[str] = []
    for column in columns:
        text = row.get(column, "")
        if text == "":
            cells.append(None)
        elif kinds.get(column) is Cell.NUMBER:
            cells.append(sources.number(text, f"{sheet.name}.{column}", key))
            refs += [r for r in references(text) if r not in refs]
        else:
            cells.append(text)
    return tuple(cells), refs


def csv_rows(variant: Variant, sheet: str) -> list[Record]:
    """The rows of the CSV of ``sheet`` (e.g. ``Capacity``) as ``variant`` sees them, as
    text: only its rows, each ``COLUMN@VARIANT`` value in place of ``COLUMN``. None without
    a CSV file."""
    path = variant.folder / f"{sheet.lower()}.csv"
    if not path.is_file():
        return []
    return [_resolve(r, variant.variant) for r in read_csv(path) if _applies(r, variant.variant)]


def _sheet_table(variant: Variant, sheet: Sheet, sources: Sources) -> Table | None:
    path = variant.folder / f"{sheet.name.lower()}.csv"
    contract = [c.name for c in sheet.columns]
    if not path.is_file():
        # a required sheet is written with its header even when it holds no rows (without
        # the version-2 `period` column, which an empty sheet does not need)
        empty = tuple(c for c in contract if c != PERIOD_COLUMN)
        return Table(empty, ()) if sheet.required else None
    header = {h.split("@")[0] for h in read_csv_header(path)}
    notes = sorted(h for h in header if is_note_column(h) and h != SOURCE_NOTE)
    unknown = header - set(contract) - {VARIANTS_COLUMN, *notes}
    if unknown:
        raise ValueError(f"{path}: columns {sorted(unknown)} are not in the {sheet.name} sheet")
    columns = [c for c in contract if c in header] + notes
    body = [_row_cells(sheet, columns, row, sources) for row in csv_rows(variant, sheet.name)]
    if any(refs for _, refs in body):
        return Table(
            (*columns, SOURCE_NOTE),
            tuple((*cells, "; ".join(refs) or None) for cells, refs in body),
        )
    return Table(tuple(columns), tuple(cells for cells, _ in body))


def _scenario_table(variant: Variant, sources: Sources) -> Table:
    rows: list[tuple[Value, ...]] = [("name", variant.name), ("description", variant.description)]
    return Table(("key", "value"), (*rows, *_key_values(variant, "Scenario", sources)))


def _key_values(variant: Variant, sheet: str, sources: Sources) -> tuple[tuple[Value, ...], ...]:
    """The key and value rows of ``scenario.csv`` or ``sampling.csv`` as the variant's
    workbook holds them (:func:`csv_settings`, numbers computed)."""
    keys: Mapping[str, Column] = SCENARIO_KEYS if sheet == "Scenario" else _sampling_keys()
    rows: list[tuple[Value, ...]] = []
    for key, value in csv_settings(variant, sheet):
        if key not in keys or key in ("name", "description"):
            path = variant.folder / f"{sheet.lower()}.csv"
            raise ValueError(f"{path}: `{key}` is not a {sheet} key this file may set")
        number = keys[key].cell is Cell.NUMBER
        rows.append((key, sources.number(value, f"{sheet}.{key}") if number else value))
    return tuple(rows)


def csv_settings(variant: Variant, sheet: str) -> list[tuple[str, str]]:
    """The key and value rows of ``scenario.csv`` or ``sampling.csv`` as ``variant`` sees
    them, as text: a ``value@VARIANT`` cell replaces ``value`` unless it is blank."""
    path = variant.folder / f"{sheet.lower()}.csv"
    rows = read_csv(path) if path.is_file() else []
    return [(raw["key"], raw.get(f"value@{variant.variant}") or raw["value"]) for raw in rows]


def _sampling_keys() -> Mapping[str, Column]:
    """The Sampling sheet's keys, once the planner has the sweep contract."""
    keys: Mapping[str, Column] = getattr(sheets_module, "SAMPLING_KEYS", {})
    return keys


def skipped_csv(folder: Path) -> list[str]:
    """CSV files of a data folder that name no sheet of this planner's contract (yet)."""
    known = {s.name.lower() for s in SHEETS} | {"variants", "sources"}
    return sorted(p.name for p in folder.glob("*.csv") if p.stem not in known)


def tables(variant: Variant) -> dict[str, Table]:
    """Every sheet of the variant's workbook, in the order they are written."""
    sources = Sources.read(variant.folder)
    out = {"Scenario": _scenario_table(variant, sources)}
    for sheet in SHEETS[1:]:
        if sheet.name in KEY_VALUE_SHEETS:
            pairs = _key_values(variant, sheet.name, sources)
            if pairs:
                out[sheet.name] = Table(("key", "value"), pairs)
            continue
        table = _sheet_table(variant, sheet, sources)
        if table is not None:
            out[sheet.name] = table
    if sources.rows:
        out[SOURCES_SHEET] = sources.table()
    return out


# --- The scenario of a variant -----------------------------------------------------------


def _parsed(sheet: Sheet, record: Mapping[str, Value]) -> dict[str, object]:
    """A record's contract cells parsed as the planner's validator would."""
    fields: dict[str, object] = {}
    for column in sheet.columns:
        value = record.get(column.name)
        if value is None:
            target = _ID_DEFAULTS.get((sheet.name, column.name))
            if target is not None:
                fields[column.name] = record[target]
            elif not column.required:
                fields[column.name] = column.default
            continue
        if column.cell is Cell.YESNO:
            text = str(value).lower()
            if text not in YES | NO:
                raise ValueError(f"{sheet.name}: `{value}` is not yes or no")
            fields[column.name] = text in YES
        else:
            fields[column.name] = value
    return fields


def _inherited(sheet: Sheet, table: Table) -> Iterator[dict[str, Value]]:
    """The records of ``table``, a period row's blank cells taken from the row with the same
    key and a blank period (DESIGN.md, "The `period` column": cell by cell, before the
    column's default)."""
    records = list(table.records())
    if not sheet.periodic:
        yield from records
        return
    base: dict[tuple[Value, ...], dict[str, Value]] = {}
    for record in records:
        if record.get(PERIOD_COLUMN) is None:
            base.setdefault(tuple(record.get(c) for c in sheet.key), record)
    for record in records:
        parent = base.get(tuple(record.get(c) for c in sheet.key))
        if record.get(PERIOD_COLUMN) is None or parent is None:
            yield record
            continue
        yield {
            column: parent.get(column) if value is None else value
            for column, value in record.items()
        }


def scenario_from_tables(sheets: Mapping[str, Table]) -> Scenario:
    """The validated scenario that the workbook made of ``sheets`` describes."""
    settings: dict[str, object] = {str(k): v for k, v in sheets["Scenario"].rows}
    by_name = {s.name: s for s in SHEETS}
    for sheet_name, (model, name) in _MODELS.items():
        table = sheets.get(sheet_name)
        sheet = by_name[sheet_name]
        records = _inherited(sheet, table) if table is not None else iter(())
        settings[name] = tuple(model(**_parsed(sheet, r)) for r in records)
    if "Sampling" in sheets and "sampling" in Scenario.model_fields:
        settings["sampling"] = {str(k): v for k, v in sheets["Sampling"].rows}
    return Scenario.model_validate(settings)


def scenario(workbook: str) -> Scenario:
    """The scenario of the workbook called ``workbook``, built from the CSV data."""
    return scenario_from_tables(tables(variant_for(workbook)))


# --- Writing -----------------------------------------------------------------------------


def _write_sheet(sheet: Worksheet, table: Table) -> None:
    bold = Font(bold=True)
    for col, header in enumerate(table.columns, start=1):
        sheet.cell(row=1, column=col, value=header).font = bold
    for r, row in enumerate(table.rows, start=2):
        for col, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=col)
            if isinstance(value, str):
                write_text(cell, value)  # the planner's one formula guard
            else:
                cell.value = value
    for col, header in enumerate(table.columns, start=1):
        width = max([len(header), *(len(str(row[col - 1] or "")) for row in table.rows)])
        sheet.column_dimensions[get_column_letter(col)].width = min(60, max(10, width + 2))
    sheet.freeze_panes = "A2"


def workbook_bytes(sheets: Mapping[str, Table]) -> bytes:
    """The .xlsx file of ``sheets``, identical for identical tables."""
    book = Workbook()
    book.remove(book.active)
    for name, table in sheets.items():
        _write_sheet(book.create_sheet(name), table)
    book.properties.creator = "coalition capability planner: scenarios/build_scenarios.py"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return _with_fixed_timestamps(raw.getvalue())


def _with_fixed_timestamps(data: bytes) -> bytes:
    """The same archive with every member stamped :data:`FIXED_TIME`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def build_all(out_dir: Path = HERE) -> list[Path]:
    """Write every workbook into ``out_dir``; return their paths.

    Each workbook's scenario is validated first, so a CSV edit that breaks the contract
    stops the build before anything is written.
    """
    built = []
    for variant in variants():
        sheets = tables(variant)
        scenario_from_tables(sheets)
        path = out_dir / variant.workbook
        path.write_bytes(workbook_bytes(sheets))
        built.append(path)
    return built


def main() -> None:
    """Rebuild every workbook next to this script and list them."""
    for path in build_all():
        print(f"wrote {path.relative_to(HERE.parent)}")
    for folder in sorted({v.folder for v in variants()}):
        for name in skipped_csv(folder):
            print(f"skipped {folder.name}/{name}: this planner has no such sheet yet")


if __name__ == "__main__":
    main()
