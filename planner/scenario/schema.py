"""The validated scenario: frozen pydantic models, one per workbook sheet.

Contract of this stage: a :class:`Scenario` is the only thing later stages read. Every
instance is valid, so model building never re-checks it: ids are unique, references
resolve, numbers are finite and within their bounds. Constructing one (``Scenario(...)``,
:meth:`~pydantic.BaseModel.model_validate`, :meth:`~_Frozen.model_copy` with ``update``,
the edits of :mod:`planner.scenario.edits`, or :func:`planner.io.validate.validate` from a
workbook) checks every field and the cross-sheet rules of :mod:`planner.scenario.rules`,
and raises one :class:`~planner.errors.InputError` with every problem found. A workbook's
:class:`~planner.scenario.locate.Locator`, passed as validation context
(:meth:`~planner.scenario.locate.Locator.context`), places problems at their Excel rows;
without one they name the record's key.

The column metadata that the reader, the validator and the template share lives in
:mod:`planner.scenario.sheets`; these models are what the rows become.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.errors import InputError, Problem
from planner.scenario.locate import Locator
from planner.scenario.rules import check, rows_of
from planner.scenario.rules import parse_regimes as parse_regime_names
from planner.scenario.sheets import (
    SCENARIO_KEYS,
    SHEET_BY_NAME,
    UNCERTAIN_SHEETS,
    Column,
    problem_order,
)

if TYPE_CHECKING:
    from planner.scenario.horizon import Horizon

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite number >= 0: quantities, money, capacities."""

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite number > 0: recipe amounts and the shortfall penalty."""

Identifier = Annotated[str, Field(min_length=1)]
"""A case-sensitive id, already stripped of surrounding spaces."""

Year = Annotated[float, Field(allow_inf_nan=False)]
"""A calendar year (any finite number)."""

Whole = Annotated[int, Field(ge=0)]
"""A whole number >= 0: lead times."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, a newly validated instance.

        Pydantic's own ``model_copy(update=...)`` validates nothing and keeps every cached
        property (:attr:`Scenario.members` among them) computed from the old values. Here a
        copy that changes data is built from scratch: checked like any new instance, with
        nothing cached.
        """
        if not update:
            return super().model_copy(deep=deep)
        return self.model_validate({**self.fields(), **update})

    def fields(self) -> dict[str, Any]:
        """The field values by name (records stay models; cached properties are not fields)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


class Kind(StrEnum):
    """What a commodity is: a raw input, an intermediate product or a capability."""

    RESOURCE = "resource"
    PRODUCT = "product"
    CAPABILITY = "capability"


class Role(StrEnum):
    """Whether a recipe line is consumed or produced by its process."""

    INPUT = "input"
    OUTPUT = "output"


class Regime(StrEnum):
    """Who may trade with whom (docs/model.md, "Links of each regime")."""

    NATIONAL = "national"
    COALITION = "coalition"
    OPEN = "open"


class Mode(StrEnum):
    """The question a run answers."""

    MIN_COST = "min_cost"
    MAX_CAPABILITY = "max_capability"


class NationalScope(StrEnum):
    """What national stacks must make at home (DESIGN.md, "Sovereignty")."""

    ALL = "all"
    """Everything: national stacks trade with nobody."""
    DECLARED = "declared"
    """Only the commodities marked sovereign: the rest may come from the world market."""


class Country(_Frozen):
    """A row of the Countries sheet."""

    country: Identifier
    name: str
    member: bool
    budget: NonNegative = 0.0


class Commodity(_Frozen):
    """A row of the Commodities sheet."""

    commodity: Identifier
    unit: str = ""
    kind: Kind
    tradable: bool = False
    trade_cost: NonNegative = 0.0
    generation: Identifier | None = None
    """The Generations id the commodity belongs to, if any."""
    world_price: NonNegative | None = None
    """Money per unit from the world market; None: no world market."""
    world_premium: NonNegative = 0.0
    sovereign: bool = False
    backstop_cost: NonNegative | None = None
    """Money per unit of the last-resort supply; None: no backstop."""

    @property
    def world_cost(self) -> float | None:
        """What a buyer pays per unit from the world market: price x (1 + premium)."""
        return None if self.world_price is None else self.world_price * (1 + self.world_premium)


class Resource(_Frozen):
    """A row of the Resources sheet: what a country can draw of a raw input per year."""

    country: Identifier
    commodity: Identifier
    available: NonNegative
    cost: NonNegative = 0.0
    period: Identifier | None = None
    """None: every period (unless a row of the same key names it); else that period only."""


class Process(_Frozen):
    """A row of the Processes sheet."""

    process: Identifier
    layer: str
    description: str = ""
    available_from: Year | None = None
    """First year a build of the process may start in; None: no limit."""
    available_until: Year | None = None
    """Last year a build of the process may start in; None: no limit."""

    def open_in(self, year: float) -> bool:
        """Whether a build may start in ``year`` (both ends of the window included)."""
        low, high = self.available_from, self.available_until
        return (low is None or year >= low) and (high is None or year <= high)


class RecipeLine(_Frozen):
    """A row of the Recipe sheet: units of a commodity per unit of a process's activity."""

    process: Identifier
    commodity: Identifier
    role: Role
    amount: Positive


class Capacity(_Frozen):
    """A row of the Capacity sheet: where a process can run, and what it costs."""

    country: Identifier
    process: Identifier
    existing: NonNegative = 0.0
    cost: NonNegative = 0.0
    max_new: NonNegative = 0.0
    new_cost: NonNegative = 0.0
    fixed_cost: NonNegative = 0.0
    min_new: NonNegative = 0.0
    lifetime: Positive | None = None
    """Years a build lasts once ready; None: past the horizon."""
    lead_time: Whole = 0
    """Whole years from the start of a build to its first year of use."""
    period: Identifier | None = None

    @property
    def needs_build_decision(self) -> bool:
        """True where a yes/no build variable is in the model (docs/model.md, variables)."""
        return self.fixed_cost > 0 or self.min_new > 0


class Target(_Frozen):
    """A row of the Targets sheet: a member's capability target and its value."""

    country: Identifier
    commodity: Identifier
    amount: NonNegative
    weight: NonNegative = 1.0
    period: Identifier | None = None


class Link(_Frozen):
    """A row of the Links sheet. ``commodity`` is ``*`` for every tradable commodity."""

    exporter: Identifier
    importer: Identifier
    commodity: Identifier
    allowed: bool = True
    cost: NonNegative | None = None
    capacity: NonNegative | None = None
    period: Identifier | None = None


class Period(_Frozen):
    """A row of the Periods sheet. ``length`` None: the default of DESIGN.md ("Periods")."""

    period: Identifier
    year: int
    length: Annotated[int, Field(ge=1)] | None = None


class Budget(_Frozen):
    """A row of the Budgets sheet: a country's budget per year in one period."""

    country: Identifier
    period: Identifier
    budget: NonNegative


class Driver(StrEnum):
    """What counts as experience of a learning process (DESIGN.md, "Learning")."""

    BUILDS = "builds"
    """New capacity started."""
    OUTPUT = "output"
    """Activity times the period's length."""


class LearningCost(StrEnum):
    """The Capacity cost that a learning process's experience multiplies."""

    NEW_COST = "new_cost"
    """The money per unit of new capacity of builds started in the period."""
    COST = "cost"
    """The money per unit of activity in the period."""


class Pool(StrEnum):
    """Who learns together (DESIGN.md, "Learning")."""

    REGIME = "regime"
    """Each member alone in national, the coalition model's countries together, every
    country in open."""
    COUNTRY = "country"
    """Each country alone in every regime."""


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A finite number from 0 to 1: a share left, a spillover, a probability."""


class Learning(_Frozen):
    """A row of the Learning sheet: the experience curve of one process."""

    process: Identifier
    progress_ratio: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """The cost factor per doubling of experience; 1 is no learning."""
    reference: Positive
    """The experience at which the Capacity costs hold."""
    driver: Driver = Driver.BUILDS
    applies_to: LearningCost = LearningCost.NEW_COST
    pool: Pool = Pool.REGIME
    spillover: Share = 0.0
    """The share of the initial experience of countries outside a pool that it starts with."""
    steps_per_doubling: Annotated[int, Field(ge=1)] = 1
    max_doublings: Positive = 6.0


class Experience(_Frozen):
    """A row of the Experience sheet: a country's experience of a process before the horizon."""

    country: Identifier
    process: Identifier
    initial: NonNegative = 0.0


class Generation(_Frozen):
    """A row of the Generations sheet."""

    generation: Identifier
    frontier_year: Year


class Action(StrEnum):
    """What one row of the Stresses sheet does to the scenario."""

    EXIT = "exit"
    BAN = "ban"
    OUTAGE = "outage"
    CUT = "cut"
    CHOKEPOINT = "chokepoint"

    @property
    def default_regimes(self) -> tuple[Regime, ...]:
        """The regimes the action applies to when its row names none (DESIGN.md)."""
        if self is Action.EXIT:
            return (Regime.COALITION,)
        if self in (Action.BAN, Action.CUT):
            return (Regime.COALITION, Regime.OPEN)
        return tuple(Regime)


def parse_regimes(text: str) -> tuple[Regime, ...] | str:
    """The regimes of a comma-separated list, in contract order, or the first bad entry."""
    parsed = parse_regime_names(text)
    return parsed if isinstance(parsed, str) else tuple(Regime(r) for r in parsed)


class Stress(_Frozen):
    """A row of the Stresses sheet: one action of a shock (DESIGN.md, "Stress tests").

    ``exporter`` and ``importer`` are ``*`` for every country, ``commodity`` ``*`` for every
    tradable commodity; ``regimes`` is the row's list, or the action's default.
    """

    case: Identifier
    action: Action
    country: Identifier | None = None
    exporter: Identifier = "*"
    importer: Identifier = "*"
    commodity: Identifier | None = None
    process: Identifier | None = None
    factor: Share = 0.0
    capacity: NonNegative = 0.0
    rank: Annotated[int, Field(ge=1)] = 1
    regimes: tuple[Regime, ...] = ()
    probability: Share | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_cells(cls, values: object) -> object:
        """Cells as the validator parsed them: regimes as comma text (blank: the action's
        default), the rank as a whole float."""
        if not isinstance(values, dict):
            return values
        values = dict(values)
        regimes = values.get("regimes")
        if isinstance(regimes, str):
            parsed = parse_regimes(regimes)
            values["regimes"] = parsed if isinstance(parsed, tuple) else regimes
        if not values.get("regimes") and values.get("action") is not None:
            values["regimes"] = Action(values["action"]).default_regimes
        rank = values.get("rank")
        if isinstance(rank, float) and rank.is_integer():
            values["rank"] = int(rank)
        return values

    @field_validator("regimes")
    @classmethod
    def _some_regime(cls, value: tuple[Regime, ...]) -> tuple[Regime, ...]:
        if not value:
            raise ValueError("an action applies to at least one regime")
        return value


class LinkLimit(_Frozen):
    """Trade links removed or capped in every regime, the open world included.

    No sheet sets these: they are how a stress test's ``ban`` and ``cut`` reach the open
    regime, where Links rows cannot remove a link (``allowed`` is ignored there). Each
    limit matches the links of ``commodity`` (``*``: every tradable one) from ``exporter``
    to ``importer`` (``*``: any country) that the regime holds; ``capacity`` None removes
    them, a number caps them at the lower of it and their own capacity. It never adds a
    link.
    """

    exporter: Identifier = "*"
    importer: Identifier = "*"
    commodity: Identifier = "*"
    capacity: NonNegative | None = None


class Apply(StrEnum):
    """How an uncertain parameter's draw changes its cells."""

    SCALE = "scale"
    """value x draw"""
    ADD = "add"
    """value + draw"""
    SET = "set"
    """value = draw"""


class Distribution(StrEnum):
    """The distribution an uncertain parameter is drawn from."""

    UNIFORM = "uniform"
    TRIANGULAR = "triangular"
    NORMAL = "normal"
    LOGNORMAL = "lognormal"
    DISCRETE = "discrete"


class Design(StrEnum):
    """How a sweep chooses its draws (DESIGN.md, "Sweeps and uncertainty")."""

    OAT = "oat"
    """One at a time: each factor at its low and its high, the rest at base (a tornado)."""
    MC = "mc"
    """Monte Carlo: independent pseudo-random draws."""
    LHS = "lhs"
    """Latin hypercube."""
    SOBOL = "sobol"
    """Saltelli's design on a scrambled Sobol' sequence, for Sobol' indices."""


Finite = Annotated[float, Field(allow_inf_nan=False)]
"""Any finite number."""


class Uncertain(_Frozen):
    """A row of the Uncertain sheet: one uncertain input of a sweep.

    Selectors (``country`` ... ``period``) hold an id or ``*`` for every row.
    """

    parameter: Identifier
    sheet: str
    """The sheet's name as the contract spells it."""
    column: str
    """The column's name as the contract spells it (a setting's key for Scenario)."""
    country: str = "*"
    commodity: str = "*"
    process: str = "*"
    exporter: str = "*"
    importer: str = "*"
    period: str = "*"
    apply: Apply = Apply.SCALE
    distribution: Distribution = Distribution.UNIFORM
    low: Finite | None = None
    high: Finite | None = None
    peak: Finite | None = None
    mean: Finite | None = None
    sd: Finite | None = None
    values: tuple[Finite, ...] = ()
    weights: tuple[NonNegative, ...] = ()
    base: Finite | None = None
    group: str | None = None
    """None: the parameter moves on its own."""

    @model_validator(mode="before")
    @classmethod
    def _canonical_names(cls, data: object) -> object:
        """Sheet and column names as the contract spells them (they match ignoring case)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        sheet = _spelt(data.get("sheet"), UNCERTAIN_SHEETS)
        data["sheet"] = sheet
        if sheet == "Scenario":
            data["column"] = _spelt(data.get("column"), tuple(SCENARIO_KEYS))
        elif sheet in SHEET_BY_NAME:
            columns = tuple(c.name for c in SHEET_BY_NAME[sheet].columns)
            data["column"] = _spelt(data.get("column"), columns)
        return data

    @field_validator("values", "weights", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return () if value is None else value

    @property
    def factor(self) -> str:
        """What moves with one draw: the group, or the parameter alone."""
        return self.group or self.parameter

    @property
    def centre(self) -> float | None:
        """The tornado's centre: ``base``, else 1 for scale, 0 for add (None for set)."""
        if self.base is not None:
            return self.base
        return {Apply.SCALE: 1.0, Apply.ADD: 0.0}.get(self.apply)


def _spelt(name: object, names: tuple[str, ...]) -> object:
    """``name`` as spelt in ``names`` when it matches one ignoring case, else as given."""
    if not isinstance(name, str):
        return name
    return next((n for n in names if n.casefold() == name.strip().casefold()), name)


class Sampling(_Frozen):
    """The Sampling sheet: how a sweep draws."""

    design: Design = Design.OAT
    samples: int = Field(default=256, ge=1)
    """Draws after the base draw (sobol: base samples of Saltelli's design)."""
    seed: int = Field(default=0, ge=0)


class Scenario(_Frozen):
    """A whole validated scenario workbook."""

    name: Identifier
    description: str = ""
    currency: str = "USD bn"
    shortfall_penalty: Positive = 1000.0
    discount_rate: NonNegative = 0.0
    national_scope: NationalScope = NationalScope.ALL
    countries: tuple[Country, ...]
    commodities: tuple[Commodity, ...]
    resources: tuple[Resource, ...] = ()
    processes: tuple[Process, ...]
    recipe: tuple[RecipeLine, ...]
    capacity: tuple[Capacity, ...] = ()
    targets: tuple[Target, ...] = ()
    links: tuple[Link, ...] = ()
    periods: tuple[Period, ...] = ()
    budgets: tuple[Budget, ...] = ()
    generations: tuple[Generation, ...] = ()
    stresses: tuple[Stress, ...] = ()
    link_limits: tuple[LinkLimit, ...] = ()
    """Links removed or capped in every regime (stress tests; see :class:`LinkLimit`)."""
    uncertain: tuple[Uncertain, ...] = ()
    sampling: Sampling = Sampling()
    learning: tuple[Learning, ...] = ()
    experience: tuple[Experience, ...] = ()

    @model_validator(mode="wrap")
    @classmethod
    def _problems_as_input_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]
    ) -> Scenario:
        """Field problems (a negative cost, a missing sheet) as one located InputError."""
        try:
            return handler(data)
        except ValidationError as error:
            raise InputError(field_problems(error, data)) from None

    @model_validator(mode="after")
    def _cross_sheet_rules(self, info: ValidationInfo) -> Self:
        """Every cross-sheet rule holds (:mod:`planner.scenario.rules`)."""
        problems = check(rows_of(self._record_values(), Locator.of_context(info.context)))
        if problems:
            raise InputError(sorted(set(problems), key=problem_order))
        return self

    def records(self) -> dict[str, tuple[Any, ...]]:
        """Each record sheet's records, by sheet name as the workbook spells it."""
        return {sheet: getattr(self, name) for sheet, (name, _) in RECORD_MODELS.items()}

    def _record_values(self) -> dict[str, list[dict[str, Any]]]:
        """The records as the rules read them. No periods is a workbook without a Periods
        sheet: the one implied period, ``1`` (DESIGN.md)."""
        return {
            s: [r.fields() for r in records]
            for s, records in self.records().items()
            if records or s != "Periods"
        }

    @cached_property
    def members(self) -> tuple[str, ...]:
        """Ids of the member countries, in sheet order."""
        return tuple(c.country for c in self.countries if c.member)

    @cached_property
    def country_by_id(self) -> dict[str, Country]:
        """Countries keyed by id."""
        return {c.country: c for c in self.countries}

    @cached_property
    def commodity_by_id(self) -> dict[str, Commodity]:
        """Commodities keyed by id."""
        return {k.commodity: k for k in self.commodities}

    @cached_property
    def process_by_id(self) -> dict[str, Process]:
        """Processes keyed by id."""
        return {p.process: p for p in self.processes}

    @cached_property
    def tradable(self) -> tuple[str, ...]:
        """Ids of the tradable commodities, in sheet order."""
        return tuple(k.commodity for k in self.commodities if k.tradable)

    @property
    def learning_by_process(self) -> dict[str, Learning]:
        """Learning rows keyed by process (not cached: a copy with other rows is common)."""
        return {row.process: row for row in self.learning}

    @property
    def has_build_decisions(self) -> bool:
        """True when any Capacity row makes the model a MILP, or learning does (over more
        than one period: in the first the multiplier is known)."""
        learns = bool(self.learning) and len(self.periods) > 1
        return learns or any(row.needs_build_decision for row in self.capacity)

    @property
    def horizon(self) -> Horizon:
        """The periods, their lengths and discount factors (:mod:`planner.scenario.horizon`).

        Computed on each call (it is cheap), so that a copy with other periods or another
        discount rate never carries a stale one.
        """
        from planner.scenario.horizon import Horizon

        return Horizon.of(self)

    def counts(self) -> dict[str, int]:
        """How many records each sheet holds, for one-line summaries (stresses if any)."""
        counts = {
            "countries": len(self.countries),
            "members": len(self.members),
            "commodities": len(self.commodities),
            "resources": len(self.resources),
            "processes": len(self.processes),
            "recipe lines": len(self.recipe),
            "capacity rows": len(self.capacity),
            "targets": len(self.targets),
            "links": len(self.links),
        }
        if self.periods:
            counts["periods"] = len(self.periods)
        if self.stresses:
            counts["stress actions"] = len(self.stresses)
        return counts


RECORD_MODELS: Final[Mapping[str, tuple[str, type[BaseModel]]]] = {
    "Countries": ("countries", Country),
    "Commodities": ("commodities", Commodity),
    "Resources": ("resources", Resource),
    "Processes": ("processes", Process),
    "Recipe": ("recipe", RecipeLine),
    "Capacity": ("capacity", Capacity),
    "Targets": ("targets", Target),
    "Links": ("links", Link),
    "Periods": ("periods", Period),
    "Budgets": ("budgets", Budget),
    "Generations": ("generations", Generation),
    "Stresses": ("stresses", Stress),
    "Uncertain": ("uncertain", Uncertain),
    "Learning": ("learning", Learning),
    "Experience": ("experience", Experience),
}
"""Each record sheet's :class:`~planner.scenario.schema.Scenario` field and row model."""

_SHEET_OF_FIELD: Final = {name: sheet for sheet, (name, _) in RECORD_MODELS.items()}


def field_problems(error: ValidationError, data: object) -> list[Problem]:
    """The problems pydantic found in a scenario's fields, located by sheet, key and column.

    Args:
        error: what validating ``data`` raised.
        data: what was validated: a mapping of :class:`Scenario` fields, whose records may
            be models or mappings (anything else is located by field only).
    """
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        first = str(loc[0]) if loc else ""
        if first in _SHEET_OF_FIELD and len(loc) > 1 and isinstance(loc[1], int):
            sheet = _SHEET_OF_FIELD[first]
            column = str(loc[2]) if len(loc) > 2 else ""
            key = _record_key(sheet, data, first, loc[1])
            contract = SHEET_BY_NAME[sheet].column_for(column) if column else None
            problems.append(Problem(sheet, None, column, _message(detail, contract), key))
        elif first in SCENARIO_KEYS:
            message = _message(detail, SCENARIO_KEYS[first])
            problems.append(Problem("Scenario", None, "value", message, (first,)))
        else:
            where = ".".join(str(part) for part in loc)
            message = _message(detail, None)
            problems.append(Problem("", None, "", f"`{where}`: {message}" if where else message))
    return sorted(problems, key=problem_order)


def _message(detail: Any, column: Column | None) -> str:
    """Pydantic's complaint about one value, in the words the workbook's messages use."""
    value = detail["input"]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if column is not None and number and detail["type"] in ("greater_than", "greater_than_equal"):
        return f"{value:g} is {'negative' if value < 0 else 'too small'}; type {column.rule}"
    message = str(detail["msg"])
    message = message[:1].lower() + message[1:]
    if detail["type"] in ("missing", "extra_forbidden"):
        return message
    return f"{message} (got {value!r})"


def _record_key(sheet: str, data: object, name: str, index: int) -> tuple[str, ...]:
    """The key of record ``index`` of field ``name`` in ``data``, as far as it can be read."""
    records = data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)
    try:
        record = records[index]  # type: ignore[index]
    except (TypeError, IndexError, KeyError):
        return ()
    values = record if isinstance(record, Mapping) else getattr(record, "__dict__", {})
    return tuple(str(values[c]) for c in SHEET_BY_NAME[sheet].key if c in values)
