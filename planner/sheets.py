"""What each workbook sheet holds: names, columns, defaults, units and rules.

One table, read by three stages: the reader matches headers against it, the validator
parses and checks cells by it, and the template writes its headers, notes and drop-down
lists from it. DESIGN.md ("Workbook sheets (v1)") is the source of every entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Cell(StrEnum):
    """How a column's cells are parsed."""

    ID = "id"
    """An identifier defined by this sheet (unique unless the sheet's key says otherwise)."""
    TEXT = "text"
    """Free text."""
    COUNTRY = "country"
    """A reference to a Countries id."""
    COMMODITY = "commodity"
    """A reference to a Commodities id."""
    PROCESS = "process"
    """A reference to a Processes id."""
    YESNO = "yes/no"
    """yes/no, true/false, y/n or 1/0."""
    NUMBER = "number"
    """A finite number, with a lower bound given by :attr:`Column.minimum`."""
    CHOICE = "choice"
    """One of :attr:`Column.choices`."""


REFERENCED_SHEET = {
    Cell.COUNTRY: "Countries",
    Cell.COMMODITY: "Commodities",
    Cell.PROCESS: "Processes",
}
"""The sheet that defines the ids a reference column points to."""

YES = frozenset({"yes", "true", "y", "1"})
NO = frozenset({"no", "false", "n", "0"})


@dataclass(frozen=True)
class Column:
    """One column of a sheet."""

    name: str
    cell: Cell
    help: str
    required: bool = True
    default: object = None
    unit: str = ""
    minimum: float | None = None
    strict: bool = False
    """With :attr:`minimum`, the bound is exclusive (> rather than >=)."""
    choices: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The value rule in words, for notes and messages."""
        if self.cell is Cell.NUMBER and self.minimum is not None:
            sign = ">" if self.strict else ">="
            return f"a number {sign} {self.minimum:g}"
        if self.cell is Cell.YESNO:
            return "yes or no"
        if self.cell is Cell.CHOICE:
            return " or ".join(f"`{c}`" for c in self.choices)
        if self.cell in (Cell.COUNTRY, Cell.COMMODITY, Cell.PROCESS):
            return f"a {self.cell.value} id from the {REFERENCED_SHEET[self.cell]} sheet"
        if self.cell is Cell.ID:
            return "an id (case-sensitive text)"
        return "text"


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook: a header row, then one record per row."""

    name: str
    help: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)


def _money(name: str, help: str) -> Column:
    return Column(name, Cell.NUMBER, help, required=False, default=0.0, unit="money", minimum=0)


SCENARIO_KEYS: dict[str, Column] = {
    "name": Column("name", Cell.TEXT, "Short name of the scenario, used in reports."),
    "description": Column(
        "description", Cell.TEXT, "What the scenario explores.", required=False, default=""
    ),
    "currency": Column(
        "currency",
        Cell.TEXT,
        "Label of the money unit used in every cost column.",
        required=False,
        default="USD bn",
    ),
    "shortfall_penalty": Column(
        "shortfall_penalty",
        Cell.NUMBER,
        "Money charged per unit of unmet capability target in min_cost runs.",
        required=False,
        default=1000.0,
        unit="money per unit",
        minimum=0,
        strict=True,
    ),
}
"""The keys the Scenario sheet (columns ``key`` and ``value``) may hold."""

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Scenario",
        "Scenario settings, one per row: `name` (required), `description`, `currency`, "
        "`shortfall_penalty`.",
        (
            Column("key", Cell.CHOICE, "Setting name.", choices=tuple(SCENARIO_KEYS)),
            Column("value", Cell.TEXT, "Setting value.", required=False, default=None),
        ),
        key=("key",),
    ),
    Sheet(
        "Countries",
        "Every country of the scenario; members form the coalition.",
        (
            Column("country", Cell.ID, "Country id, e.g. an ISO code."),
            Column("name", Cell.TEXT, "Display name; defaults to the id.", required=False),
            Column("member", Cell.YESNO, "yes if the country is a coalition member."),
            _money("budget", "Capital the member brings in max_capability runs."),
        ),
        key=("country",),
    ),
    Sheet(
        "Commodities",
        "Everything that flows through the stack: resources, products, capabilities.",
        (
            Column("commodity", Cell.ID, "Commodity id."),
            Column("unit", Cell.TEXT, "Unit label, for reports.", required=False, default=""),
            Column(
                "kind",
                Cell.CHOICE,
                "resource (drawn from Resources), product (made by processes) or capability "
                "(what targets ask for).",
                choices=("resource", "product", "capability"),
            ),
            Column(
                "tradable",
                Cell.YESNO,
                "yes if the commodity can be shipped between countries.",
                required=False,
                default=False,
            ),
            _money("trade_cost", "Money per unit shipped, paid by the importer."),
        ),
        key=("commodity",),
    ),
    Sheet(
        "Resources",
        "What each country can draw of each resource per period, and at what cost.",
        (
            Column("country", Cell.COUNTRY, "Country holding the resource."),
            Column("commodity", Cell.COMMODITY, "A commodity of kind resource."),
            Column(
                "available", Cell.NUMBER, "Units available per period.", unit="units", minimum=0
            ),
            _money("cost", "Money per unit used."),
        ),
        key=("country", "commodity"),
    ),
    Sheet(
        "Processes",
        "The steps of the stack, e.g. refining, wafer fabrication, data centres.",
        (
            Column("process", Cell.ID, "Process id."),
            Column(
                "layer",
                Cell.TEXT,
                "Stack layer used to group reports; defaults to the process id.",
                required=False,
            ),
            Column("description", Cell.TEXT, "What the process does.", required=False, default=""),
        ),
        key=("process",),
    ),
    Sheet(
        "Recipe",
        "What one unit of each process's activity consumes and produces.",
        (
            Column("process", Cell.PROCESS, "Process id."),
            Column("commodity", Cell.COMMODITY, "Commodity consumed or produced."),
            Column("role", Cell.CHOICE, "input or output.", choices=("input", "output")),
            Column(
                "amount",
                Cell.NUMBER,
                "Units per unit of activity.",
                unit="units per activity",
                minimum=0,
                strict=True,
            ),
        ),
        key=("process", "commodity", "role"),
    ),
    Sheet(
        "Capacity",
        "Where each process can run: existing capacity, costs and room to build.",
        (
            Column("country", Cell.COUNTRY, "Country where the process runs."),
            Column("process", Cell.PROCESS, "Process id."),
            Column(
                "existing",
                Cell.NUMBER,
                "Activity units per period available today.",
                required=False,
                default=0.0,
                unit="activity",
                minimum=0,
            ),
            _money("cost", "Money per unit of activity."),
            Column(
                "max_new",
                Cell.NUMBER,
                "Most new capacity that can be built.",
                required=False,
                default=0.0,
                unit="activity",
                minimum=0,
            ),
            _money("new_cost", "Money per unit of new capacity."),
            _money("fixed_cost", "Money paid once if any new capacity is built."),
            Column(
                "min_new",
                Cell.NUMBER,
                "Minimum efficient scale of a new build (<= max_new).",
                required=False,
                default=0.0,
                unit="activity",
                minimum=0,
            ),
        ),
        key=("country", "process"),
    ),
    Sheet(
        "Targets",
        "Capability each member aims for (min_cost) and what a unit is worth (max_capability).",
        (
            Column("country", Cell.COUNTRY, "A member country."),
            Column("commodity", Cell.COMMODITY, "A commodity of kind capability."),
            Column("amount", Cell.NUMBER, "Units min_cost must deliver.", unit="units", minimum=0),
            Column(
                "weight",
                Cell.NUMBER,
                "Value of one unit in max_capability.",
                required=False,
                default=1.0,
                minimum=0,
            ),
        ),
        key=("country", "commodity"),
    ),
    Sheet(
        "Links",
        "Optional trade-link rules: bans, links to non-members, costs and capacities.",
        (
            Column("exporter", Cell.COUNTRY, "Exporting country."),
            Column("importer", Cell.COUNTRY, "Importing country."),
            Column(
                "commodity",
                Cell.COMMODITY,
                "A tradable commodity, or * for every tradable commodity.",
            ),
            Column(
                "allowed",
                Cell.YESNO,
                "no bans the link; yes adds it or changes its cost and capacity.",
                required=False,
                default=True,
            ),
            Column(
                "cost",
                Cell.NUMBER,
                "Money per unit shipped; blank keeps the commodity's trade_cost.",
                required=False,
                default=None,
                unit="money per unit",
                minimum=0,
            ),
            Column(
                "capacity",
                Cell.NUMBER,
                "Most units shipped per period; blank means no limit.",
                required=False,
                default=None,
                unit="units",
                minimum=0,
            ),
        ),
        key=("exporter", "importer", "commodity"),
        required=False,
    ),
)

SHEET_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}


def normalise_name(text: str) -> str:
    """How sheet names and headers are matched: ignoring case and surrounding spaces."""
    return text.strip().casefold()


def is_note_column(header: str) -> bool:
    """Columns starting with ``#`` or ``note`` are the user's own and are ignored."""
    return header.strip().startswith("#") or normalise_name(header).startswith("note")
