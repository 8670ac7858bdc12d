"""The validated scenario: frozen pydantic models, one per workbook sheet.

Contract of this stage: a :class:`Scenario` is the only thing later stages read. Every
instance has passed :func:`planner.io.validate.validate`, so model building never re-checks
it: ids are unique, references resolve, numbers are finite and within their bounds.

The column metadata that the reader, the validator and the template share lives in
:mod:`planner.scenario.sheets`; these models are what the rows become.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

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


class Generation(_Frozen):
    """A row of the Generations sheet."""

    generation: Identifier
    frontier_year: Year


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
    def has_build_decisions(self) -> bool:
        """True when any Capacity row makes the model a MILP."""
        return any(row.needs_build_decision for row in self.capacity)

    @property
    def horizon(self) -> Horizon:
        """The periods, their lengths and discount factors (:mod:`planner.scenario.horizon`).

        Computed on each call (it is cheap), so that a copy with other periods or another
        discount rate never carries a stale one.
        """
        from planner.scenario.horizon import Horizon

        return Horizon.of(self)

    def counts(self) -> dict[str, int]:
        """How many records each sheet holds, for one-line summaries."""
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
}
"""Each record sheet's :class:`~planner.scenario.schema.Scenario` field and row model."""
