"""The rules across sheets, checked on a scenario's records whatever their source.

Contract: :func:`check` takes every record sheet's rows as plain values (:class:`Row`) and
returns every problem the cross-sheet rules of DESIGN.md ("Workbook sheets (v1)") find: one
row per key, ids that differ only in case, references that resolve, commodities of the right
kind, targets for members only, links between two countries on tradable commodities, an
output for every process, ``min_new <= max_new``, periods in increasing years, one
frontier year per generation, process windows that do not end before they start, no
outside source of a capability. It reads nothing and raises nothing.

The rows come from a workbook (:func:`planner.io.validate.validate`: cells parsed, some
possibly unreadable and absent, each at its Excel row) or from a
:class:`~planner.scenario.schema.Scenario` built or edited in Python
(:func:`rows_of`: its records, at the row a :class:`~planner.scenario.locate.Locator` knows,
or at none). A problem is placed at the row where one is known and names the record's key
otherwise (``Targets (XX, ai), column `country```). A rule that needs a cell which did not
parse says nothing: that cell's own problem is already reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from planner.errors import Problem
from planner.scenario.locate import Locator
from planner.scenario.sheets import (
    ANY_COMMODITY,
    ANY_COUNTRY,
    ONLY_PERIOD,
    PERIOD_COLUMN,
    REFERENCED_SHEET,
    SHEET_BY_NAME,
    SHEETS,
    Cell,
    Sheet,
    closest,
    is_blank,
)

Value = str | float | bool | None
"""A parsed cell: text (ids, choices, labels), a number, yes/no, or an absent optional."""

RECORD_SHEETS: tuple[Sheet, ...] = tuple(s for s in SHEETS if s.name != "Scenario")
"""The sheets that hold one record per row (every sheet but Scenario's settings)."""


@dataclass(frozen=True)
class Row:
    """One record as the rules read it: its sheet, its values by column, where it is.

    Cells that could not be parsed are absent from ``values``.
    """

    sheet: str
    values: dict[str, Value]
    row: int | None = None
    """The Excel row, or None for a record built or edited in Python."""
    typed: Mapping[str, object] = field(default_factory=dict)
    """The cells as the reader found them, for messages about what was typed."""

    def spaced(self, column: str) -> bool:
        """Whether the cell's text had surrounding spaces, which parsing removed."""
        typed = self.typed.get(column)
        return isinstance(typed, str) and typed != self.values.get(column)

    def text(self, column: str) -> str | None:
        """The cell's text, or None when it is absent or not text."""
        value = self.values.get(column)
        return value if isinstance(value, str) else None

    def number(self, column: str) -> float | None:
        """The cell's number, or None when it is absent."""
        value = self.values.get(column)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    @property
    def key(self) -> tuple[str, ...]:
        """The key columns' values that parsed, in the sheet's key order, then the period
        where the sheet has one and the row names it."""
        sheet = SHEET_BY_NAME[self.sheet]
        columns = (*sheet.key, PERIOD_COLUMN) if sheet.periodic else sheet.key
        return tuple(t for c in columns if (t := self.text(c)) is not None)

    def period_part(self) -> str | None:
        """The row's period for its key: "" when blank, None when it did not parse."""
        if PERIOD_COLUMN in self.typed:
            return "" if is_blank(self.typed[PERIOD_COLUMN]) else self.text(PERIOD_COLUMN)
        return self.text(PERIOD_COLUMN) or ""

    @property
    def at(self) -> str:
        """`` (row 4)`` for messages pointing at this record, or "" when its row is unknown."""
        return "" if self.row is None else f" (row {self.row})"

    def problem(self, column: str, message: str) -> Problem:
        """A problem at this record's cell in ``column``, by row or else by key."""
        return Problem(
            self.sheet, self.row, column, message, () if self.row is not None else self.key
        )


Tables = Mapping[str, Sequence[Row]]
"""Sheet name -> its rows; a sheet the workbook lacks is absent (already reported)."""


def rows_of(
    records: Mapping[str, Iterable[Mapping[str, object]]], locator: Locator | None = None
) -> dict[str, list[Row]]:
    """Rows for :func:`check` from a scenario's records.

    Args:
        records: sheet name -> its records' field values (their fields are the sheet's
            columns).
        locator: where the records came from, if from a workbook.
    """
    tables: dict[str, list[Row]] = {}
    for sheet, rows in records.items():
        key = SHEET_BY_NAME[sheet].key
        tables[sheet] = []
        for record in rows:
            values: dict[str, Value] = dict(record)  # type: ignore[arg-type]
            row = None
            if locator is not None:
                row = locator.row(sheet, tuple(str(values[c]) for c in key))
            tables[sheet].append(Row(sheet, values, row))
    return tables


def check(tables: Tables) -> list[Problem]:
    """Every problem the cross-sheet rules find in ``tables``, in rule order."""
    index = _Index.of(tables)
    return [problem for rule in _RULES for problem in rule(tables, index)]


def suggest(value: str, known: Iterable[str]) -> str:
    """``; did you mean `USA`?`` for the closest known id, or ""."""
    close = closest(value, known)
    if close is None:
        return ""
    case = " (ids are case-sensitive)" if close.casefold() == value.casefold() else ""
    return f"; did you mean `{close}`?{case}"


@dataclass(frozen=True)
class _Index:
    """The ids each sheet defines, and the facts the cross-sheet rules look up."""

    ids: dict[Cell, list[str]]
    """Per reference kind, the ids of its sheet (only sheets the workbook has)."""
    kinds: dict[str, str]
    """Commodity -> kind, where both parsed."""
    member: dict[str, bool]
    """Country -> member, where both parsed (a broken cell proves nothing either way)."""
    tradable: dict[str, bool]
    """Commodity -> tradable, where both parsed."""

    @classmethod
    def of(cls, tables: Tables) -> _Index:
        """Index the defining sheets' rows."""
        ids: dict[Cell, list[str]] = {Cell.PERIOD: [ONLY_PERIOD], Cell.GENERATION: []}
        for cell, sheet in REFERENCED_SHEET.items():
            if sheet in tables:
                id_column = SHEET_BY_NAME[sheet].key[0]
                ids[cell] = [i for r in tables[sheet] if (i := r.text(id_column)) is not None]
        commodities = tables.get("Commodities", ())
        return cls(
            ids=ids,
            kinds=_facts(commodities, "commodity", "kind", str),
            member=_facts(tables.get("Countries", ()), "country", "member", bool),
            tradable=_facts(commodities, "commodity", "tradable", bool),
        )


def _facts[T](rows: Iterable[Row], key: str, column: str, kind: type[T]) -> dict[str, T]:
    """``{row's id: row's value in column}`` for rows where both parsed.

    The first row holding an id speaks for it, as in :func:`_unique_keys`.
    """
    facts: dict[str, T] = {}
    for row in rows:
        identifier, value = row.text(key), row.values.get(column)
        if identifier is not None and identifier not in facts and isinstance(value, kind):
            facts[identifier] = value
    return facts


def _unique_keys(tables: Tables, index: _Index) -> Iterator[Problem]:
    """One row per key (and period): the first row holding a key keeps it, later rows are
    reported."""
    for sheet in (s for s in RECORD_SHEETS if s.unique):
        first: dict[tuple[str, ...], Row] = {}
        columns = (*sheet.key, PERIOD_COLUMN) if sheet.periodic else sheet.key
        for row in tables.get(sheet.name, ()):
            key = tuple(row.text(c) for c in sheet.key)
            if any(part is None for part in key):
                continue
            parts = tuple(p for p in key if p is not None)
            if sheet.periodic:
                period = row.period_part()
                if period is None:
                    continue  # a period that did not parse: reported already
                parts = (*parts, period)
            if parts not in first:
                first[parts] = row
                continue
            shown = ", ".join(f"`{p}`" for p in parts if p)
            shown = shown if len(parts) == 1 else f"({shown})"
            if sheet.periodic and not parts[-1]:
                shown += " with a blank period"
            spaces = any(r.spaced(c) for r in (row, first[parts]) for c in columns)
            why = " once surrounding spaces are removed" if spaces else ""
            where = "listed twice" if first[parts].row is None else f"in row {first[parts].row}"
            yield row.problem(
                sheet.key[0],
                f"{shown} is already {where}{why}; keep one row per " + " and ".join(columns),
            )


_ID_SHEETS = tuple(s for s in RECORD_SHEETS if s.columns[0].cell is Cell.ID)


def _ids_differing_in_case(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Two ids of one sheet are not equal ignoring case unless they are equal.

    Ids are case-sensitive, so ``USA`` and ``usa`` would be two countries; that is
    almost always a typo, and lookups and pivot tables in a spreadsheet program would
    merge them in the reports.
    """
    for sheet in _ID_SHEETS:
        column = sheet.columns[0].name
        seen: dict[str, Row] = {}
        for row in tables.get(sheet.name, ()):
            identifier = row.text(column)
            if identifier is None:
                continue
            other = seen.setdefault(identifier.casefold(), row)
            other_id = other.text(column)
            if other_id is not None and other_id != identifier:
                yield row.problem(
                    column,
                    f"`{identifier}` differs from `{other_id}`{other.at} only in "
                    f"case; ids are case-sensitive, so these would be two different "
                    f"{sheet.name.lower()}, which is almost always a typo: make them the same "
                    "or clearly different",
                )


def _references(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Every country, commodity and process named exists in its sheet."""
    for sheet in RECORD_SHEETS:
        for column in sheet.columns:
            known = index.ids.get(column.cell)
            if known is None:  # not a reference, or its sheet is missing (reported)
                continue
            accepted = (set(known) | {ANY_COMMODITY}) if column.wildcard else set(known)
            for row in tables.get(sheet.name, ()):
                value = row.text(column.name)
                if value is None or value in accepted:
                    continue
                target = REFERENCED_SHEET[column.cell]
                hint = suggest(value, known) or f"; add it to {target} or correct this id"
                yield row.problem(column.name, f"`{value}` is not in {target}{hint}")


def _wrong_kind(row: Row, index: _Index, wanted: str) -> Iterator[Problem]:
    """The row's commodity, when its kind is known, is of kind ``wanted``."""
    commodity = row.text("commodity")
    kind = index.kinds.get(commodity or "")
    if commodity is not None and kind not in (None, wanted):
        yield row.problem(
            "commodity",
            f"`{commodity}` is of kind {kind}, but {row.sheet} rows need a commodity of kind "
            f"{wanted}; change its kind in Commodities or choose another commodity",
        )


def _resources(tables: Tables, index: _Index) -> Iterator[Problem]:
    """A Resources commodity is of kind resource."""
    for row in tables.get("Resources", ()):
        yield from _wrong_kind(row, index, "resource")


def _targets(tables: Tables, index: _Index) -> Iterator[Problem]:
    """A Targets commodity is of kind capability and its country is a member."""
    for row in tables.get("Targets", ()):
        country = row.text("country")
        if country is not None and index.member.get(country) is False:
            yield row.problem(
                "country",
                f"`{country}` is not a member, and targets are for members only; set member "
                f"to yes for `{country}` in Countries, or delete this row",
            )
        yield from _wrong_kind(row, index, "capability")


def _links(tables: Tables, index: _Index) -> Iterator[Problem]:
    """A link joins two different countries and carries a tradable commodity (or ``*``)."""
    for row in tables.get("Links", ()):
        exporter, importer = row.text("exporter"), row.text("importer")
        if exporter is not None and exporter == importer:
            yield row.problem(
                "importer",
                f"exporter and importer are both `{importer}`; a link joins two different "
                "countries",
            )
        commodity = row.text("commodity")
        if commodity is not None and index.tradable.get(commodity) is False:
            yield row.problem(
                "commodity",
                f"`{commodity}` is not tradable; set tradable to yes for it in Commodities, "
                f"use `{ANY_COMMODITY}` for every tradable commodity, or delete this row",
            )


def _outputs(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Every process has at least one output line in Recipe."""
    if "Recipe" not in tables:  # the missing sheet is already reported
        return
    recipe = tables["Recipe"]
    producing = {r.text("process") for r in recipe if r.values.get("role") == "output"}
    unsure = {r.text("process") for r in recipe if "role" not in r.values}
    for row in tables.get("Processes", ()):
        process = row.text("process")
        if process is not None and process not in producing | unsure:
            yield row.problem(
                "process",
                f"process `{process}` has no output in Recipe; add a Recipe row for it with "
                "role output",
            )


def _new_capacity(tables: Tables, index: _Index) -> Iterator[Problem]:
    """A new build's minimum scale is at most its maximum."""
    for row in tables.get("Capacity", ()):
        low, high = row.number("min_new"), row.number("max_new")
        if low is not None and high is not None and low > high:
            yield row.problem(
                "min_new",
                f"min_new {low:g} is above max_new {high:g}; lower min_new or raise max_new",
            )


def _periods(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Period years increase strictly down the Periods sheet."""
    previous: Row | None = None
    for row in tables.get("Periods", ()):
        year = row.number("year")
        if year is None:
            continue
        earlier = None if previous is None else previous.number("year")
        if previous is not None and earlier is not None and year <= earlier:
            yield row.problem(
                "year",
                f"year {year:g} is not after {earlier:g}{previous.at}; periods go down "
                "the sheet in strictly increasing years",
            )
        previous = row


def _generations(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Each generation has its own frontier_year (generations are ranked by it)."""
    first: dict[float, Row] = {}
    for row in tables.get("Generations", ()):
        year = row.number("frontier_year")
        if year is None:
            continue
        if year in first:
            other = first[year]
            that = (
                f"that of row {other.row}"
                if other.row is not None
                else (f"that of `{other.text('generation')}`")
            )
            yield row.problem(
                "frontier_year",
                f"frontier_year {year:g} is already {that}; generations "
                "are ranked by it, so give each its own year",
            )
        first.setdefault(year, row)


def _windows(tables: Tables, index: _Index) -> Iterator[Problem]:
    """A process's window does not start after it ends."""
    for row in tables.get("Processes", ()):
        start, end = row.number("available_from"), row.number("available_until")
        if start is not None and end is not None and start > end:
            yield row.problem(
                "available_from",
                f"available_from {start:g} is after available_until {end:g}; swap them or "
                "correct one",
            )


def _outside_sources(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Neither a world price nor a backstop on a capability (the penalty prices those)."""
    for row in tables.get("Commodities", ()):
        if row.values.get("kind") != "capability":
            continue
        for column in ("world_price", "backstop_cost"):
            if row.number(column) is not None:
                yield row.problem(
                    column,
                    f"`{row.text('commodity')}` is a capability, which cannot come from outside "
                    f"the model (the shortfall penalty prices what is missing); clear "
                    f"{column}",
                )


REGIME_NAMES: Final = ("national", "coalition", "open")
"""The regimes, in contract order, as the Stresses sheet's ``regimes`` names them."""


def parse_regimes(text: str) -> tuple[str, ...] | str:
    """The regimes of a comma-separated list, in contract order, or the first bad entry."""
    named: set[str] = set()
    for part in text.split(","):
        word = part.strip().casefold()
        if word not in REGIME_NAMES:
            return part.strip()
        named.add(word)
    return tuple(r for r in REGIME_NAMES if r in named)


STRESS_COLUMNS: Final = {
    "exit": frozenset({"country"}),
    "ban": frozenset({"exporter", "importer", "commodity"}),
    "cut": frozenset({"exporter", "importer", "commodity", "capacity"}),
    "outage": frozenset({"country", "commodity", "process", "factor"}),
    "chokepoint": frozenset({"commodity", "rank"}),
}
"""The columns each Stresses action reads besides case, action, regimes and probability."""

STRESS_OPTIONAL: Final = frozenset(
    {"country", "exporter", "importer", "commodity", "process", "factor", "capacity", "rank"}
)
"""The Stresses columns that only some actions read."""

_STRESS_REGIMES: Final = {
    "exit": ("coalition", "open"),
    "ban": ("coalition", "open"),
    "cut": ("coalition", "open"),
}
"""Regimes an action may name, where not all three: national stacks have no links, and
a member's exit leaves the other members' national stacks as they are."""


@dataclass(frozen=True)
class _StressFacts:
    """What the Stresses rules look up beyond :class:`_Index`."""

    resources: frozenset[tuple[str, str]]
    capacity: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, tables: Tables) -> _StressFacts:
        def keys(sheet: str, second: str) -> frozenset[tuple[str, str]]:
            return frozenset(
                (c, k)
                for r in tables.get(sheet, ())
                if (c := r.text("country")) is not None and (k := r.text(second)) is not None
            )

        return cls(keys("Resources", "commodity"), keys("Capacity", "process"))


def _given(row: Row, column: str) -> bool:
    """Whether the user typed something in the cell (a blank takes the default)."""
    return not is_blank(row.typed.get(column))


def _stresses(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Each Stresses row gives what its action needs, and nothing it ignores."""
    facts = _StressFacts.of(tables)
    probability: dict[str, tuple[float, int | None]] = {}
    for row in tables.get("Stresses", ()):
        action = row.text("action")
        if action is None:
            continue
        kind = str(action)
        for column in sorted(STRESS_OPTIONAL - STRESS_COLUMNS[kind]):
            if _given(row, column):
                yield row.problem(
                    column, f"`{column}` is not used by action {action}; leave it blank"
                )
        yield from _STRESS_RULES[kind](row, index, facts)
        yield from _stress_regimes(row, kind)
        yield from _stress_probability(row, probability)


def _stress_regimes(row: Row, kind: str) -> Iterator[Problem]:
    text = row.text("regimes")
    if text is None or not text.strip():
        return
    parsed = parse_regimes(text)
    if isinstance(parsed, str):
        yield row.problem(
            "regimes",
            f"'{parsed}' is not a regime; type national, coalition or open, comma-separated"
            f"{suggest(parsed, list(REGIME_NAMES))}",
        )
        return
    allowed = _STRESS_REGIMES.get(kind, REGIME_NAMES)
    for regime in parsed:
        if regime not in allowed:
            why = (
                "national stacks have no links"
                if kind != "exit"
                else "a member's exit does not change the other members' national stacks"
            )
            yield row.problem(
                "regimes",
                f"{kind} cannot apply to {regime}: {why}; name " + " or ".join(r for r in allowed),
            )


def _stress_probability(row: Row, seen: dict[str, tuple[float, int | None]]) -> Iterator[Problem]:
    value, case = row.number("probability"), row.text("case")
    if value is None or case is None:
        return
    if value > 1:
        yield row.problem("probability", f"{value:g} is above 1; type a probability from 0 to 1")
        return
    first = seen.setdefault(case, (value, row.row))
    if first[0] != value:
        yield row.problem(
            "probability",
            f"case `{case}` already has probability {first[0]:g}"
            + (f" in row {first[1]}" if first[1] is not None else "")
            + "; give one "
            "probability per case",
        )


def _stress_country(row: Row, index: _Index, *, member: bool) -> Iterator[Problem]:
    country = row.text("country")
    if country is None:
        if "country" not in row.values:
            return  # the cell failed to parse and is reported
        who = "the member that leaves" if member else "the country hit"
        yield row.problem("country", f"the cell is blank; type {who}")
    elif member and index.member.get(country) is False:
        yield row.problem(
            "country",
            f"`{country}` is not a member, so it cannot leave; choose a member country",
        )


def _exit_rule(row: Row, index: _Index, facts: _StressFacts) -> Iterator[Problem]:
    yield from _stress_country(row, index, member=True)


def _link_rule(row: Row, index: _Index, facts: _StressFacts) -> Iterator[Problem]:
    exporter, importer = row.text("exporter"), row.text("importer")
    if exporter == ANY_COUNTRY and importer == ANY_COUNTRY:
        yield row.problem(
            "importer",
            f"exporter and importer are both `{ANY_COUNTRY}`, which would stop all trade; "
            "name the exporter or the importer",
        )
    elif exporter is not None and exporter == importer:
        yield row.problem(
            "importer",
            f"exporter and importer are both `{importer}`; a link joins two different countries",
        )
    commodity = row.text("commodity")
    if commodity is None and "commodity" in row.values:
        yield row.problem(
            "commodity",
            f"the cell is blank; type a tradable commodity, or {ANY_COMMODITY} for every one",
        )
    elif commodity is not None and index.tradable.get(commodity) is False:
        yield row.problem(
            "commodity",
            f"`{commodity}` is not tradable, so no link carries it; choose a tradable "
            f"commodity or {ANY_COMMODITY}",
        )


def _outage_rule(row: Row, index: _Index, facts: _StressFacts) -> Iterator[Problem]:
    yield from _stress_country(row, index, member=False)
    factor = row.number("factor")
    if factor is not None and factor > 1:
        yield row.problem("factor", f"{factor:g} is above 1; type the share left, from 0 to 1")
    commodity, process = row.text("commodity"), row.text("process")
    if commodity is not None and process is not None:
        yield row.problem(
            "process", "give a process or a commodity, not both; one row hits one of them"
        )
    elif commodity is None and process is None:
        if {"commodity", "process"} <= row.values.keys():
            yield row.problem(
                "commodity",
                "give the resource (commodity) or the process (process) the outage hits",
            )
    else:
        yield from _outage_target(row, index, facts)


def _outage_target(row: Row, index: _Index, facts: _StressFacts) -> Iterator[Problem]:
    """An outage's resource or process exists in its country."""
    country, commodity, process = row.text("country"), row.text("commodity"), row.text("process")
    if country not in index.ids.get(Cell.COUNTRY, ()):
        return  # blank or unknown: reported by the country and reference rules
    if commodity == ANY_COMMODITY:
        yield row.problem("commodity", "an outage hits one resource; type its commodity id")
    elif commodity is not None:
        if (country, commodity) not in facts.resources and commodity in index.kinds:
            yield row.problem(
                "commodity",
                f"`{country}` has no Resources row for `{commodity}`; choose a resource it holds",
            )
    elif process in index.ids.get(Cell.PROCESS, ()) and (country, process) not in facts.capacity:
        yield row.problem(
            "process",
            f"`{country}` has no Capacity row for `{process}`; choose a process that can run there",
        )


def _chokepoint_rule(row: Row, index: _Index, facts: _StressFacts) -> Iterator[Problem]:
    commodity = row.text("commodity")
    if commodity is None:
        if "commodity" in row.values:
            yield row.problem("commodity", "the cell is blank; type a resource or a product")
    elif commodity == ANY_COMMODITY:
        yield row.problem("commodity", "a chokepoint is one commodity; type its id")
    elif index.kinds.get(commodity) == "capability":
        yield row.problem(
            "commodity",
            f"`{commodity}` is a capability, which nobody supplies; choose a resource or a product",
        )
    rank = row.number("rank")
    if rank is not None and not rank.is_integer():
        yield row.problem("rank", f"{rank:g} is not a whole number; type 1, 2, 3, ...")


_STRESS_RULES: Final[Mapping[str, Callable[[Row, _Index, _StressFacts], Iterator[Problem]]]] = {
    "exit": _exit_rule,
    "ban": _link_rule,
    "cut": _link_rule,
    "outage": _outage_rule,
    "chokepoint": _chokepoint_rule,
}


def _experience(tables: Tables, index: _Index) -> Iterator[Problem]:
    """Every country that can run a learning process starts with experience of it.

    A pool's initial experience is ``E0 = spillover x (all initial) + (1 - spillover) x
    (initial inside)``, which grows with the pool; so when each country that holds a
    Capacity row of the process has ``E0 > 0`` alone, every pool of every model has
    (DESIGN.md, "Learning"; docs/model.md, "Learning"). The problem is put at the country's
    Experience row when it has one, else at its first Capacity row of the process.
    """
    rules = {
        p: row
        for row in tables.get("Learning", ())
        if (p := row.text("process")) is not None and "spillover" in row.values
    }
    initial: dict[tuple[str, str], float] = defaultdict(float)
    at: dict[tuple[str, str], Row] = {}
    for row in tables.get("Experience", ()):
        country, process, amount = row.text("country"), row.text("process"), row.number("initial")
        if country is None or process is None or amount is None:
            return  # a broken cell: reported already, and E0 is unknown
        at.setdefault((country, process), row)
        initial[(country, process)] += amount
    total: dict[str, float] = defaultdict(float)
    for (_, learnt), amount in initial.items():
        total[learnt] += amount
    seen: set[tuple[str, str]] = set()
    for row in tables.get("Capacity", ()):
        country, process = row.text("country"), row.text("process")
        if country is None or process is None or process not in rules:
            continue
        if (country, process) in seen:
            continue
        seen.add((country, process))
        rule = rules[process]
        spillover = float(rule.values["spillover"] or 0.0)
        own = initial[(country, process)]
        if own + spillover * (total[process] - own) > 0:
            continue
        fix = f"add an Experience row for `{country}` and `{process}` with initial > 0"
        if (country, process) in at:
            place, column, fix = at[(country, process)], "initial", "make initial > 0"
        else:
            place, column = row, "process"
        where = f" (Learning row {rule.row})" if rule.row is not None else ""
        yield place.problem(
            column,
            f"`{country}` can run `{process}`, which learns{where}, but starts with no "
            f"experience of it, so its experience curve has nowhere to start (national "
            f"stacks and pools of one country learn alone); {fix} (experience before the "
            "horizon, in the units of the driver), or give the Learning row a spillover "
            "above 0 from countries that have some",
        )


_RULES: tuple[Callable[[Tables, _Index], Iterator[Problem]], ...] = (
    _unique_keys,
    _ids_differing_in_case,
    _references,
    _resources,
    _targets,
    _links,
    _outputs,
    _new_capacity,
    _periods,
    _generations,
    _windows,
    _outside_sources,
    _stresses,
    _experience,
)
