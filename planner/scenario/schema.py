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
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite number >= 0: quantities, money, capacities."""

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite number > 0: recipe amounts and the shortfall penalty."""

Identifier = Annotated[str, Field(min_length=1)]
"""A case-sensitive id, already stripped of surrounding spaces."""


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


class Resource(_Frozen):
    """A row of the Resources sheet: what a country can draw of a raw input per period."""

    country: Identifier
    commodity: Identifier
    available: NonNegative
    cost: NonNegative = 0.0


class Process(_Frozen):
    """A row of the Processes sheet."""

    process: Identifier
    layer: str
    description: str = ""


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


class Link(_Frozen):
    """A row of the Links sheet. ``commodity`` is ``*`` for every tradable commodity."""

    exporter: Identifier
    importer: Identifier
    commodity: Identifier
    allowed: bool = True
    cost: NonNegative | None = None
    capacity: NonNegative | None = None


class Scenario(_Frozen):
    """A whole validated scenario workbook."""

    name: Identifier
    description: str = ""
    currency: str = "USD bn"
    shortfall_penalty: Positive = 1000.0
    countries: tuple[Country, ...]
    commodities: tuple[Commodity, ...]
    resources: tuple[Resource, ...] = ()
    processes: tuple[Process, ...]
    recipe: tuple[RecipeLine, ...]
    capacity: tuple[Capacity, ...] = ()
    targets: tuple[Target, ...] = ()
    links: tuple[Link, ...] = ()

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

    def counts(self) -> dict[str, int]:
        """How many records each sheet holds, for one-line summaries."""
        return {
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


RECORD_MODELS: Final[Mapping[str, tuple[str, type[BaseModel]]]] = {
    "Countries": ("countries", Country),
    "Commodities": ("commodities", Commodity),
    "Resources": ("resources", Resource),
    "Processes": ("processes", Process),
    "Recipe": ("recipe", RecipeLine),
    "Capacity": ("capacity", Capacity),
    "Targets": ("targets", Target),
    "Links": ("links", Link),
}
"""Each record sheet's :class:`~planner.scenario.schema.Scenario` field and row model."""
