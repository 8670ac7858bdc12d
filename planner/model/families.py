"""The one vocabulary of the model: its variable families and its price families.

Contract of this module: every family of variables the builder creates
(:class:`VariableFamily`) and every family of shadow prices the solve stage reads
(:class:`PriceFamily`) is a member of one of two enums, and each member carries its index
dimensions in the one fixed order (:class:`Dim`). The builder, the solution, the prices,
the price table, the comparison's bottlenecks and shortfall explanations, Owen's allocation
and the report all name families through these members; the words a table or a sentence
shows for a family (its :attr:`PriceFamily.label`, :attr:`PriceFamily.noun`, its reading)
are looked up here and nowhere else, and no logic compares those words.

A member's value is its identifier: the name of its handle on
:class:`~planner.model.build.BuiltModel`, of its values on
:class:`~planner.model.solve.Solution` or :class:`~planner.model.solve.Prices`, and of the
``family_id`` column of the price table. It is a ``StrEnum``, so ``"budget"`` and
``PriceFamily.BUDGET`` are the same key.

**Adding a dimension** (the multi-period horizon adds ``period`` to every family): add it to
:class:`Dim`, then append it to each family's ``dims`` in :data:`_VARIABLES` and
:data:`_PRICES` below, one edit per family in this one place. Keys are built from records by
:meth:`Family.key` (one attribute per dimension, read by the dimension's name) and read back
by :meth:`Family.named`, so a record that has a ``period`` attribute gives keys with the
period in its place, and code that reads keys by dimension name keeps working. Single-
dimension keys (a budget group's name) are plain strings today; with a second dimension
they become tuples like every other key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Dim", "Key", "PriceFamily", "VariableFamily"]

Key = tuple[str, ...]
"""An index tuple, its entries in the order of its family's :attr:`~Family.dims`."""


class Dim(StrEnum):
    """An index dimension: the name of the record attribute that gives its entry."""

    COUNTRY = "country"
    COMMODITY = "commodity"
    PROCESS = "process"
    EXPORTER = "exporter"
    IMPORTER = "importer"
    GROUP = "group"
    """A budget group: ``pooled``, or a member under national stacks."""
    SEGMENT = "segment"
    """A step k of a learning process's experience curve (:mod:`planner.model.learning`)."""
    PERIOD = "period"
    """A period of the horizon (for builds, the period they start in); always last."""


@dataclass(frozen=True)
class _Variable:
    dims: tuple[Dim, ...]
    meaning: str


@dataclass(frozen=True)
class _Price:
    dims: tuple[Dim, ...]
    label: str
    noun: str
    subject: str
    limit: bool
    bound_of: VariableFamily | None
    rhs: str | None


class _Family(StrEnum):
    """What both enums share: dimensions, and keys built and read by dimension name."""

    @property
    def dims(self) -> tuple[Dim, ...]:
        """The index dimensions, in the one order every key of the family follows."""
        raise NotImplementedError

    def key(self, record: Any) -> Key:
        """The key of ``record`` in this family: its attribute per dimension, in order."""
        return tuple(str(getattr(record, dim.value)) for dim in self.dims)

    def named(self, key: str | Key) -> dict[Dim, str]:
        """A key's entries by dimension (a single-dimension key may be a plain string)."""
        entries = (key,) if isinstance(key, str) else key
        if len(entries) != len(self.dims):
            raise ValueError(f"{self.value} keys have {len(self.dims)} entries, not {key!r}")
        return dict(zip(self.dims, entries, strict=True))


class VariableFamily(_Family):
    """The families of model variables; see :data:`_VARIABLES` for each one's dimensions.

    ``short`` of the contract (``deliver = amount - short``) is no family of its own: the
    model substitutes ``short = amount - deliver``, so it has no column.
    """

    USE = "use"
    ACT = "act"
    NEW = "new"
    BUILD = "build"
    SHIP = "ship"
    WIMP = "wimp"
    BACK = "back"
    DELIVER = "deliver"
    LEARN = "learn"

    @property
    def dims(self) -> tuple[Dim, ...]:
        return _VARIABLES[self].dims

    @property
    def meaning(self) -> str:
        """What one unit of the variable is."""
        return _VARIABLES[self].meaning


class PriceFamily(_Family):
    """The families of shadow prices; see :data:`_PRICES` for each one's dimensions and words.

    Attributes (per member): :attr:`dims`; :attr:`label`, the word of the price table's
    ``family`` column; :attr:`noun`, what its right-hand side is called in sentences;
    :meth:`subject`, the reading's "one more unit of ..."; :attr:`limit`, True for the
    limits whose price is what one more unit of them is worth (the bottlenecks), False for
    commodity prices and targets, which are marginal costs; :attr:`bound_of`, the variable
    family whose upper bound it prices (None for a row); :attr:`rhs`, the scenario column
    its right-hand side comes from. The members' order is the price table's.
    """

    BALANCE = "balance"
    RESOURCE = "resource"
    CAPACITY = "capacity"
    NEW_LIMIT = "new_limit"
    LINK = "link"
    BUDGET = "budget"
    TARGET = "target"

    @property
    def dims(self) -> tuple[Dim, ...]:
        return _PRICES[self].dims

    @property
    def label(self) -> str:
        """The word the price table's ``family`` column shows."""
        return _PRICES[self].label

    @property
    def noun(self) -> str:
        """What the right-hand side is called in a sentence (``existing capacity``)."""
        return _PRICES[self].noun

    @property
    def limit(self) -> bool:
        """True for a limit: a resource, capacity, new-capacity limit, link cap or budget."""
        return _PRICES[self].limit

    @property
    def bound_of(self) -> VariableFamily | None:
        """The variable family whose upper bound this prices; None for a constraint row."""
        return _PRICES[self].bound_of

    @property
    def rhs(self) -> str | None:
        """The scenario column that gives the right-hand side (None for a balance)."""
        return _PRICES[self].rhs

    def subject(self, key: str | Key, currency: str) -> str:
        """``one more unit of ...`` of the price at ``key``, the start of its reading."""
        named = {dim.value: entry for dim, entry in self.named(key).items()}
        return _PRICES[self].subject.format(currency=currency, **named)

    @classmethod
    def limits(cls) -> tuple[PriceFamily, ...]:
        """The families whose binding prices are bottlenecks."""
        return tuple(family for family in cls if family.limit)


_VARIABLES: dict[VariableFamily, _Variable] = {
    VariableFamily.USE: _Variable(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD), "units of a resource used"
    ),
    VariableFamily.ACT: _Variable(
        (Dim.COUNTRY, Dim.PROCESS, Dim.PERIOD), "units of a process's activity"
    ),
    VariableFamily.NEW: _Variable((Dim.COUNTRY, Dim.PROCESS, Dim.PERIOD), "units of new capacity"),
    VariableFamily.BUILD: _Variable(
        (Dim.COUNTRY, Dim.PROCESS, Dim.PERIOD), "1 if the new capacity is built (binary)"
    ),
    VariableFamily.SHIP: _Variable(
        (Dim.COMMODITY, Dim.EXPORTER, Dim.IMPORTER, Dim.PERIOD),
        "units shipped from exporter to importer",
    ),
    VariableFamily.WIMP: _Variable(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD), "units a year bought from the world market"
    ),
    VariableFamily.BACK: _Variable(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD), "units a year of backstop supply"
    ),
    VariableFamily.DELIVER: _Variable(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD), "units delivered against a target"
    ),
    VariableFamily.LEARN: _Variable(
        (Dim.COUNTRY, Dim.PROCESS, Dim.SEGMENT, Dim.PERIOD),
        "the part of a learning cost's variable (new or act) in one segment of its curve",
    ),
}
"""Each variable family's dimensions, in order, and what a unit of it is."""

_PRICES: dict[PriceFamily, _Price] = {
    PriceFamily.BALANCE: _Price(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD),
        label="commodity",
        noun="commodity",
        subject="one more unit of `{commodity}` in `{country}`",
        limit=False,
        bound_of=None,
        rhs=None,
    ),
    PriceFamily.RESOURCE: _Price(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD),
        label="resource",
        noun="resource",
        subject="one more unit of `{commodity}` available in `{country}`",
        limit=True,
        bound_of=VariableFamily.USE,
        rhs="available",
    ),
    PriceFamily.CAPACITY: _Price(
        (Dim.COUNTRY, Dim.PROCESS, Dim.PERIOD),
        label="capacity",
        noun="existing capacity",
        subject="one more unit of existing `{process}` capacity in `{country}`",
        limit=True,
        bound_of=None,
        rhs="existing",
    ),
    PriceFamily.NEW_LIMIT: _Price(
        (Dim.COUNTRY, Dim.PROCESS, Dim.PERIOD),
        label="new capacity limit",
        noun="new capacity",
        subject="room for one more unit of new `{process}` in `{country}`",
        limit=True,
        bound_of=VariableFamily.NEW,
        rhs="max_new",
    ),
    PriceFamily.LINK: _Price(
        (Dim.COMMODITY, Dim.EXPORTER, Dim.IMPORTER, Dim.PERIOD),
        label="link capacity",
        noun="link capacity",
        subject="one more unit of `{commodity}` capacity on the link `{exporter}->{importer}`",
        limit=True,
        bound_of=VariableFamily.SHIP,
        rhs="capacity",
    ),
    PriceFamily.BUDGET: _Price(
        (Dim.GROUP, Dim.PERIOD),
        label="budget",
        noun="budget",
        subject="one more {currency} of budget for `{group}`",
        limit=True,
        bound_of=None,
        rhs="budget",
    ),
    PriceFamily.TARGET: _Price(
        (Dim.COUNTRY, Dim.COMMODITY, Dim.PERIOD),
        label="target",
        noun="target",
        subject="one more unit of the `{commodity}` target of `{country}`",
        limit=False,
        bound_of=None,
        rhs="amount",
    ),
}
"""Each price family's dimensions, in order, and its words."""
