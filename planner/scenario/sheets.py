"""What each workbook sheet holds: names, columns, defaults, units and rules.

One table, read by three stages: the reader matches headers against it, the validator
parses and checks cells by it, and the template writes its headers, notes and drop-down
lists from it. The README ("The workbook") and docs/model.md describe every entry.

Beside the table, the few reading rules that more than one stage applies, so that they
cannot drift apart: how names match (:func:`normalise_name`, :func:`sheet_named`), which
columns are notes, what counts as blank (:func:`strip_text`, :func:`is_blank`), and which
known name a mistyped one most likely meant (:func:`closest`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from planner.errors import Problem


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
    PERIOD = "period"
    """A reference to a Periods id (without the Periods sheet, the one period ``1``)."""
    GENERATION = "generation"
    """A reference to a Generations id."""
    YESNO = "yes/no"
    """yes/no, true/false, y/n or 1/0."""
    NUMBER = "number"
    """A finite number, with bounds given by :attr:`Column.minimum` and :attr:`Column.maximum`."""
    CHOICE = "choice"
    """One of :attr:`Column.choices`."""


REFERENCED_SHEET = {
    Cell.COUNTRY: "Countries",
    Cell.COMMODITY: "Commodities",
    Cell.PROCESS: "Processes",
    Cell.PERIOD: "Periods",
    Cell.GENERATION: "Generations",
}
"""The sheet that defines the ids a reference column points to."""

YES = frozenset({"yes", "true", "y", "1"})
NO = frozenset({"no", "false", "n", "0"})

ONLY_PERIOD: Final = "1"
"""The id of the one period of a workbook without a Periods sheet (DESIGN.md, "Periods")."""

PERIOD_COLUMN: Final = "period"
"""The optional column of Resources, Capacity, Targets and Links that limits a row to one
period and overrides, cell by cell, the row with the same key and a blank period."""

ANY_COMMODITY: Final = "*"
"""What Links.commodity accepts besides a commodity id: every tradable commodity."""

DEFAULT_FROM_ID: Final = {"Countries": ("name", "country"), "Processes": ("layer", "process")}
"""Per sheet, an optional text column whose default is the row's own id: (column, id)."""

ANY_COUNTRY: Final = "*"
"""What Stresses.exporter and importer accept besides a country id: every country."""

STRESS_ACTIONS: Final = ("exit", "ban", "outage", "cut", "chokepoint")
"""The actions of the Stresses sheet (DESIGN.md, "Stress tests of trust")."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet."""

    name: str
    """The header, as the contract spells it."""
    cell: Cell
    help: str
    """Its meaning, for notes."""
    required: bool = True
    """The column must be there and its cells filled (the Scenario sheet's ``value``
    cells are the exception: what a blank means depends on the key)."""
    default: object = None
    """What a blank cell or a missing column means (None: absent, or for Countries.name and
    Processes.layer the row's id)."""
    unit: str = ""
    minimum: float | None = None
    strict: bool = False
    """With :attr:`minimum`, the bound is exclusive (> rather than >=)."""
    maximum: float | None = None
    """An inclusive upper bound (progress ratios and spillovers are at most 1)."""
    choices: tuple[str, ...] = ()
    wildcard: bool = False
    """Whether :data:`ANY_COMMODITY` is accepted besides the ids the column refers to."""
    whole: bool = False
    """Numbers must be whole (years, lengths, lead times)."""

    @property
    def rule(self) -> str:
        """The value rule in words, for notes and messages."""
        noun = "a whole number" if self.whole else "a number"
        if self.cell is Cell.NUMBER and self.minimum is not None:
            sign = ">" if self.strict else ">="
            top = "" if self.maximum is None else f" and <= {self.maximum:g}"
            return f"{noun} {sign} {self.minimum:g}{top}"
        if self.cell is Cell.NUMBER:
            return noun
        if self.cell is Cell.YESNO:
            return "yes or no"
        if self.cell is Cell.CHOICE:
            return " or ".join(f"`{c}`" for c in self.choices)
        if self.cell in REFERENCED_SHEET:
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
    unique: bool = True
    """One row per key (the Stresses sheet's rows with one ``case`` form one shock)."""

    @property
    def periodic(self) -> bool:
        """Whether the sheet has the optional :data:`PERIOD_COLUMN` (rows per period)."""
        return any(
            c.name == PERIOD_COLUMN and c.cell is Cell.PERIOD and c.name not in self.key
            for c in self.columns
        )

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)

    def column_for(self, header: str) -> Column | None:
        """The column ``header`` names, ignoring case and surrounding spaces, if any."""
        wanted = normalise_name(header)
        return next((c for c in self.columns if normalise_name(c.name) == wanted), None)


def _money(name: str, help: str) -> Column:
    return Column(name, Cell.NUMBER, help, required=False, default=0.0, unit="money", minimum=0)


def _period(sheet: str) -> Column:
    return Column(
        PERIOD_COLUMN,
        Cell.PERIOD,
        f"Blank: the row applies to every period. A period id: the row applies to that "
        f"period only, and its blank cells take the values of the {sheet} row with the same "
        "key and a blank period (then the column's default).",
        required=False,
    )


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
    "discount_rate": Column(
        "discount_rate",
        Cell.NUMBER,
        "Yearly rate at which later money counts less in the objective (0.05 is 5%).",
        required=False,
        default=0.0,
        unit="per year",
        minimum=0,
    ),
    "national_scope": Column(
        "national_scope",
        Cell.CHOICE,
        "all: national stacks trade with nobody; declared: they may buy from the world "
        "market every commodity not marked sovereign.",
        required=False,
        default="all",
        choices=("all", "declared"),
    ),
}
"""The keys the Scenario sheet (columns ``key`` and ``value``) may hold."""

UNCERTAIN_SHEETS: Final = (
    "Scenario",
    "Countries",
    "Commodities",
    "Resources",
    "Recipe",
    "Capacity",
    "Targets",
    "Links",
    "Budgets",
    "Learning",
    "Experience",
)
"""The sheets with numeric inputs an Uncertain row may change, in contract order."""

SELECTORS: Final = ("country", "commodity", "process", "exporter", "importer", "period")
"""The Uncertain columns that choose which rows of its sheet a parameter changes."""

DESIGNS: Final = ("oat", "mc", "lhs", "sobol")
"""The sweep designs: one at a time, Monte Carlo, Latin hypercube, Sobol (Saltelli)."""

SAMPLING_KEYS: dict[str, Column] = {
    "design": Column(
        "design",
        Cell.CHOICE,
        "oat (one at a time: a tornado), mc (Monte Carlo), lhs (Latin hypercube) or sobol.",
        required=False,
        default="oat",
        choices=DESIGNS,
    ),
    "samples": Column(
        "samples",
        Cell.NUMBER,
        "Draws after the base draw (sobol: base samples, each costing parameters + 2 draws).",
        required=False,
        default=256.0,
        minimum=1,
    ),
    "seed": Column(
        "seed",
        Cell.NUMBER,
        "Seed of the draws: the same seed gives the same draws.",
        required=False,
        default=0.0,
        minimum=0,
    ),
}
"""The keys the Sampling sheet (columns ``key`` and ``value``) may hold."""

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Scenario",
        "Scenario settings, one per row: `name` (required), `description`, `currency`, "
        "`shortfall_penalty`, `discount_rate`, `national_scope`.",
        (
            Column("key", Cell.CHOICE, "Setting name.", choices=tuple(SCENARIO_KEYS)),
            Column("value", Cell.TEXT, "Setting value."),
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
            Column(
                "generation",
                Cell.GENERATION,
                "The technology generation the commodity belongs to (a chip, a GW of compute).",
                required=False,
            ),
            Column(
                "world_price",
                Cell.NUMBER,
                "Money per unit bought from the world market; blank: no world market. Not on "
                "a capability.",
                required=False,
                unit="money per unit",
                minimum=0,
            ),
            Column(
                "world_premium",
                Cell.NUMBER,
                "Mark-up on the world price (0.2 is 20%).",
                required=False,
                default=0.0,
                minimum=0,
            ),
            Column(
                "sovereign",
                Cell.YESNO,
                "yes: coalitions and national stacks may not buy it from the world market.",
                required=False,
                default=False,
            ),
            Column(
                "backstop_cost",
                Cell.NUMBER,
                "Money per unit of a last-resort supply in every country (recycling, "
                "stockpiles, a substitute); blank: no backstop. Not on a capability.",
                required=False,
                unit="money per unit",
                minimum=0,
            ),
        ),
        key=("commodity",),
    ),
    Sheet(
        "Resources",
        "What each country can draw of each resource per period, and at what cost.",
        (
            Column("country", Cell.COUNTRY, "Country holding the resource."),
            Column("commodity", Cell.COMMODITY, "A commodity of kind resource."),
            Column("available", Cell.NUMBER, "Units available per year.", unit="units", minimum=0),
            _money("cost", "Money per unit used."),
            _period("Resources"),
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
            Column(
                "available_from",
                Cell.NUMBER,
                "First year in which new capacity of the process may be started; blank: no limit.",
                required=False,
                unit="year",
            ),
            Column(
                "available_until",
                Cell.NUMBER,
                "Last year in which new capacity of the process may be started; blank: no limit.",
                required=False,
                unit="year",
            ),
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
                "Activity units per year standing from before the horizon.",
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
            Column(
                "lifetime",
                Cell.NUMBER,
                "Years a build lasts once it is ready; blank: past the horizon.",
                required=False,
                unit="years",
                minimum=0,
                strict=True,
            ),
            Column(
                "lead_time",
                Cell.NUMBER,
                "Whole years between starting a build and its first year of use.",
                required=False,
                default=0.0,
                unit="years",
                minimum=0,
                whole=True,
            ),
            _period("Capacity"),
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
            _period("Targets"),
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
                f"A tradable commodity, or {ANY_COMMODITY} for every tradable commodity.",
                wildcard=True,
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
                "Most units shipped per year; blank means no limit.",
                required=False,
                default=None,
                unit="units",
                minimum=0,
            ),
            _period("Links"),
        ),
        key=("exporter", "importer", "commodity"),
        required=False,
    ),
    Sheet(
        "Periods",
        "The periods of the horizon; without this sheet there is one period `1` of one year.",
        (
            Column("period", Cell.ID, "Period id (text or number: 2026 and 2026.0 are one)."),
            Column(
                "year",
                Cell.NUMBER,
                "Start year; strictly increasing down the sheet.",
                unit="year",
                whole=True,
            ),
            Column(
                "length",
                Cell.NUMBER,
                "Whole years; blank: the next period's year minus this one's (the last "
                "period: the previous period's length, or 1).",
                required=False,
                unit="years",
                minimum=1,
                whole=True,
            ),
        ),
        key=("period",),
        required=False,
    ),
    Sheet(
        "Budgets",
        "Budgets per period; without a row a country's yearly budget is its Countries budget.",
        (
            Column("country", Cell.COUNTRY, "Country."),
            Column("period", Cell.PERIOD, "Period id from the Periods sheet."),
            Column(
                "budget",
                Cell.NUMBER,
                "Capital per year in that period, in max_capability runs.",
                unit="money per year",
                minimum=0,
            ),
        ),
        key=("country", "period"),
        required=False,
    ),
    Sheet(
        "Generations",
        "Technology generations, ranked by the year the frontier reached each.",
        (
            Column("generation", Cell.ID, "Generation id, e.g. a node name."),
            Column(
                "frontier_year",
                Cell.NUMBER,
                "Year the best producer anywhere reached volume production (unique).",
                unit="year",
            ),
        ),
        key=("generation",),
        required=False,
    ),
    Sheet(
        "Stresses",
        "Optional stress tests: one row is one action; rows with the same case form one "
        "compound shock.",
        (
            Column("case", Cell.ID, "Id of the shock; rows with the same case act together."),
            Column(
                "action",
                Cell.CHOICE,
                "exit (a member leaves), ban (links removed), outage (a resource or process "
                "scaled down), cut (link capacity limited) or chokepoint (the outage of a "
                "commodity's biggest supplier in the base plan).",
                choices=STRESS_ACTIONS,
            ),
            Column(
                "country",
                Cell.COUNTRY,
                "exit: the member that leaves; outage: the country hit.",
                required=False,
            ),
            Column(
                "exporter",
                Cell.COUNTRY,
                f"ban, cut: the exporting country, or {ANY_COUNTRY} for every country.",
                required=False,
                default=ANY_COUNTRY,
                wildcard=True,
            ),
            Column(
                "importer",
                Cell.COUNTRY,
                f"ban, cut: the importing country, or {ANY_COUNTRY} for every country.",
                required=False,
                default=ANY_COUNTRY,
                wildcard=True,
            ),
            Column(
                "commodity",
                Cell.COMMODITY,
                f"ban, cut: a tradable commodity or {ANY_COMMODITY}; outage: a resource of the "
                "country; chokepoint: a resource or product.",
                required=False,
                wildcard=True,
            ),
            Column(
                "process",
                Cell.PROCESS,
                "outage: a process with a Capacity row in the country (give process or "
                "commodity, not both).",
                required=False,
            ),
            Column(
                "factor",
                Cell.NUMBER,
                "outage: the share left, 0 to 1.",
                required=False,
                default=0.0,
                minimum=0,
            ),
            Column(
                "capacity",
                Cell.NUMBER,
                "cut: the links' new capacity limit.",
                required=False,
                default=0.0,
                unit="units",
                minimum=0,
            ),
            Column(
                "rank",
                Cell.NUMBER,
                "chokepoint: 1 for the biggest supplier, 2 for the next, and so on.",
                required=False,
                default=1.0,
                minimum=1,
            ),
            Column(
                "regimes",
                Cell.TEXT,
                "The regimes the action applies to, comma-separated; blank: coalition for "
                "exit, coalition and open for ban and cut, all three for outage and "
                "chokepoint.",
                required=False,
            ),
            Column(
                "probability",
                Cell.NUMBER,
                "How likely the shock is, 0 to 1, for ranking by expected damage.",
                required=False,
                minimum=0,
            ),
        ),
        key=("case",),
        required=False,
        unique=False,
    ),
    Sheet(
        "Uncertain",
        'Optional: the uncertain inputs a sweep draws, one per row (DESIGN.md, "Sweeps and '
        'uncertainty").',
        (
            Column("parameter", Cell.ID, "Id of the uncertain input, shown in charts."),
            Column(
                "sheet",
                Cell.CHOICE,
                "The sheet of the numeric input it changes (Scenario for a setting): "
                + ", ".join(UNCERTAIN_SHEETS)
                + ".",
                choices=tuple(s.casefold() for s in UNCERTAIN_SHEETS),
            ),
            Column(
                "column",
                Cell.TEXT,
                "The numeric column it changes; for the Scenario sheet, the setting's key.",
            ),
            *(
                Column(
                    name,
                    Cell.TEXT,
                    f"Which rows: a {name} id, or blank or {ANY_COMMODITY} for all.",
                    required=False,
                    default=ANY_COMMODITY,
                )
                for name in SELECTORS
            ),
            Column(
                "apply",
                Cell.CHOICE,
                "scale (value x draw), add (value + draw) or set (value = draw).",
                required=False,
                default="scale",
                choices=("scale", "add", "set"),
            ),
            Column(
                "distribution",
                Cell.CHOICE,
                "The draw's distribution.",
                required=False,
                default="uniform",
                choices=("uniform", "triangular", "normal", "lognormal", "discrete"),
            ),
            *(
                Column(name, Cell.NUMBER, help, required=False)
                for name, help in (
                    ("low", "uniform, triangular: lowest draw; normal: truncated below here."),
                    ("high", "uniform, triangular: highest draw; normal: truncated above here."),
                    ("peak", "triangular: the most likely draw."),
                    ("mean", "normal, lognormal: the mean of the draw."),
                    ("sd", "normal, lognormal: the standard deviation of the draw (> 0)."),
                )
            ),
            Column("values", Cell.TEXT, "discrete: the draws, a comma list.", required=False),
            Column(
                "weights",
                Cell.TEXT,
                "discrete: their weights, a comma list (default: equal).",
                required=False,
            ),
            Column(
                "base",
                Cell.NUMBER,
                "The tornado's centre; default 1 for scale, 0 for add.",
                required=False,
            ),
            Column(
                "group",
                Cell.TEXT,
                "Rows with the same group move together (one draw); default: its own.",
                required=False,
            ),
        ),
        key=("parameter",),
        required=False,
    ),
    Sheet(
        "Sampling",
        "Optional: how a sweep draws, one setting per row: `design`, `samples`, `seed`.",
        (
            Column("key", Cell.CHOICE, "Setting name.", choices=tuple(SAMPLING_KEYS)),
            Column("value", Cell.TEXT, "Setting value."),
        ),
        key=("key",),
        required=False,
    ),
    Sheet(
        "Learning",
        "Optional: processes whose cost falls with experience, one row per learning process "
        "(an experience curve; the model becomes a MILP).",
        (
            Column("process", Cell.PROCESS, "A process that learns."),
            Column(
                "progress_ratio",
                Cell.NUMBER,
                "Cost factor per doubling of experience (0.8: 20% cheaper per doubling; 1: no "
                "learning).",
                minimum=0,
                strict=True,
                maximum=1,
            ),
            Column(
                "reference",
                Cell.NUMBER,
                "Experience at which the Capacity costs hold (new capacity started, or activity "
                "times years, per the driver).",
                unit="experience",
                minimum=0,
                strict=True,
            ),
            Column(
                "driver",
                Cell.CHOICE,
                "builds: experience is new capacity started; output: activity times period length.",
                required=False,
                default="builds",
                choices=("builds", "output"),
            ),
            Column(
                "applies_to",
                Cell.CHOICE,
                "The cost that learns: new_cost of builds, or cost of activity.",
                required=False,
                default="new_cost",
                choices=("new_cost", "cost"),
            ),
            Column(
                "pool",
                Cell.CHOICE,
                "Who learns together: regime (each member alone in national stacks, the "
                "coalition's countries together, every country in the open world) or country "
                "(each country alone in every regime).",
                required=False,
                default="regime",
                choices=("regime", "country"),
            ),
            Column(
                "spillover",
                Cell.NUMBER,
                "Share of the initial experience of countries outside a pool that the pool "
                "starts with (0 to 1).",
                required=False,
                default=0.0,
                minimum=0,
                maximum=1,
            ),
            Column(
                "steps_per_doubling",
                Cell.NUMBER,
                "Cost steps per doubling of experience (more steps: a smoother curve, more "
                "binaries).",
                required=False,
                default=1.0,
                minimum=1,
                whole=True,
            ),
            Column(
                "max_doublings",
                Cell.NUMBER,
                "Doublings of the reference after which the cost falls no further.",
                required=False,
                default=6.0,
                minimum=0,
                strict=True,
            ),
        ),
        key=("process",),
        required=False,
    ),
    Sheet(
        "Experience",
        "Optional: experience of a learning process that a country has before the horizon.",
        (
            Column("country", Cell.COUNTRY, "Country."),
            Column("process", Cell.PROCESS, "A process of the Learning sheet."),
            Column(
                "initial",
                Cell.NUMBER,
                "Experience before the horizon, in the units of the process's driver.",
                required=False,
                default=0.0,
                unit="experience",
                minimum=0,
            ),
        ),
        key=("country", "process"),
        required=False,
    ),
)

SHEET_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}


_SPACES: Final = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u2060\ufeff"
"""White space (U+3000 is the last character Python counts as space), and the invisible
zero-width space, word joiner and byte-order mark, which are pasted in from web pages and
text exports."""


def strip_text(text: str) -> str:
    """Text without surrounding spaces, visible or not."""
    return text.strip(_SPACES)


def is_blank(value: object) -> bool:
    """Whether a cell counts as empty: nothing, or nothing but spaces (visible or not)."""
    return value is None or (isinstance(value, str) and not strip_text(value))


def normalise_name(text: str) -> str:
    """How sheet names and headers are matched: ignoring case and surrounding spaces."""
    return strip_text(text).casefold()


_SHEET_BY_NORMALISED = {normalise_name(s.name): s for s in SHEETS}


def sheet_named(title: str) -> Sheet | None:
    """The contract sheet a workbook's sheet title names, if any."""
    return _SHEET_BY_NORMALISED.get(normalise_name(title))


QUIET_SHEETS = frozenset({"read me", "lists", "sources"})
"""Sheets beside the contract's that are expected (the template's own, a Sources sheet of
references) and ignored without a warning."""


def is_note_sheet(title: str) -> bool:
    """Sheets the user keeps for themselves, ignored without a warning: the names in
    :data:`QUIET_SHEETS`, and any starting with ``#`` or ``note`` (as note columns do)."""
    name = normalise_name(title)
    return name in QUIET_SHEETS or name.startswith(("#", "note"))


def is_note_column(header: str) -> bool:
    """Columns starting with ``#`` or ``note`` are the user's own and are ignored."""
    return normalise_name(header).startswith(("#", "note"))


def closest(value: str, options: Iterable[str]) -> str | None:
    """The option ``value`` most likely stands for, or None when none is close.

    Case is ignored: an option equal to ``value`` but for case comes first, then the most
    similar one (:func:`difflib.get_close_matches`, similarity 0.6 or more).

    Args:
        value: what the user typed, e.g. a misspelt header or id.
        options: the known names, in order of preference among equals.
    """
    by_folded: dict[str, str] = {}
    for option in options:
        by_folded.setdefault(option.casefold(), option)
    folded = value.casefold()
    if folded in by_folded:
        return by_folded[folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


_SHEET_RANK = {s.name: i for i, s in enumerate(SHEETS, start=1)}


def problem_order(problem: Problem) -> tuple[int, str, int, tuple[str, ...], int, str, str]:
    """Sort key: the file first, then sheets in contract order, rows (or keys), columns."""
    sheet = SHEET_BY_NAME.get(problem.sheet)
    columns = [c.name for c in sheet.columns] if sheet else []
    column = columns.index(problem.column) if problem.column in columns else len(columns)
    return (
        _SHEET_RANK.get(problem.sheet, 0 if not problem.sheet else len(SHEETS) + 1),
        problem.sheet,
        -1 if problem.row is None else problem.row,
        problem.key,
        column,
        problem.column,
        problem.message,
    )
