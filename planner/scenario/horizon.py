"""The horizon: periods, their lengths and discount factors, and which rows hold in each.

Contract: :class:`Horizon` is computed once from a validated scenario (DESIGN.md,
"Periods"): periods ``t = 1..T`` with start year ``y_t`` and length ``L_t``, the horizon's
end ``Y = y_T + L_T``, the discount factor ``D(y) = (1 + r)^-(y - y_1)`` and each period's
flow weight ``w_t = sum_{k=0}^{L_t-1} D(y_t + k)``. A scenario without a Periods sheet has
one period, id ``1``, year 0, length 1, and every factor is exactly 1, so version-1 numbers
are reproduced to the last bit.

:func:`rows_in` answers, for a sheet whose rows may carry a ``period``, which row holds for
each key in a given period: the row naming that period if there is one, otherwise the row
with a blank period (the validator has already filled a period row's blank cells from it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from planner.scenario.sheets import ONLY_PERIOD

if TYPE_CHECKING:
    from planner.scenario.schema import Scenario


@dataclass(frozen=True)
class Span:
    """One period of the horizon.

    Attributes:
        period: its id.
        year: its start year ``y_t``.
        length: its length ``L_t`` in whole years.
        discount: ``D(y_t)``, the factor of a payment at its start.
        weight: ``w_t``, the factor of a flow paid at the start of each of its years.
    """

    period: str
    year: int
    length: int
    discount: float
    weight: float


@dataclass(frozen=True)
class Horizon:
    """The periods of a scenario, in order, with the horizon's end and its discount rate."""

    periods: tuple[Span, ...]
    end: int
    """``Y = y_T + L_T``: the first year after the horizon."""
    rate: float

    @classmethod
    def of(cls, scenario: Scenario) -> Horizon:
        """The horizon of a validated scenario."""
        rows = scenario.periods
        if not rows:
            return cls((Span(ONLY_PERIOD, 0, 1, 1.0, 1.0),), 1, scenario.discount_rate)
        years = [r.year for r in rows]
        lengths: list[int] = []
        for n, row in enumerate(rows):
            if row.length is not None:
                lengths.append(row.length)
            elif n + 1 < len(rows):
                lengths.append(years[n + 1] - years[n])
            else:
                lengths.append(lengths[-1] if lengths else 1)
        rate = scenario.discount_rate
        first = years[0]
        spans = tuple(
            Span(
                row.period,
                year,
                length,
                _discount(rate, year - first),
                sum(_discount(rate, year + k - first) for k in range(length)),
            )
            for row, year, length in zip(rows, years, lengths, strict=True)
        )
        return cls(spans, years[-1] + lengths[-1], rate)

    @property
    def ids(self) -> tuple[str, ...]:
        """The period ids, in order."""
        return tuple(s.period for s in self.periods)

    @property
    def first_year(self) -> int:
        """``y_1``."""
        return self.periods[0].year

    def discount(self, year: float) -> float:
        """``D(year) = (1 + rate)^-(year - y_1)``."""
        return _discount(self.rate, year - self.first_year)

    def span(self, period: str) -> Span:
        """The period called ``period``."""
        return next(s for s in self.periods if s.period == period)

    def active(self, start: Span, lead_time: int, lifetime: float | None) -> list[Span]:
        """The periods in which a build started in ``start`` is active.

        Active in ``t`` when ``y_v + lead_time <= y_t < y_v + lead_time + lifetime`` (no upper
        limit without a lifetime).
        """
        ready = start.year + lead_time
        return [
            s
            for s in self.periods
            if ready <= s.year and (lifetime is None or s.year < ready + lifetime)
        ]

    def salvage(self, start: Span, lead_time: int, lifetime: float | None) -> float:
        """The salvage credit per unit of a build's cost, ``sigma x D(Y)``.

        ``sigma = min(1, max(0, (y_v + lead_time + lifetime - Y) / lifetime))``; 0 without a
        lifetime.
        """
        if lifetime is None:
            return 0.0
        sigma = min(1.0, max(0.0, (start.year + lead_time + lifetime - self.end) / lifetime))
        return sigma * self.discount(self.end) if sigma else 0.0


def _discount(rate: float, years: float) -> float:
    return 1.0 if rate == 0 or years == 0 else float((1.0 + rate) ** -years)


class _Periodic(Protocol):
    @property
    def period(self) -> str | None: ...


def rows_in[Row: _Periodic](
    rows: Sequence[Row], key: Callable[[Row], Hashable], period: str
) -> list[Row]:
    """The row that holds for each key in ``period``, in the order keys first appear.

    A row naming ``period`` beats the key's blank-period row; rows naming other periods
    do not apply; a key with neither is absent.
    """
    chosen: dict[Hashable, Row] = {}
    for row in rows:
        if row.period is None:
            chosen.setdefault(key(row), row)
    for row in rows:
        if row.period == period:
            chosen[key(row)] = row
    order: dict[Hashable, int] = {}
    for row in rows:
        order.setdefault(key(row), len(order))
    return sorted(chosen.values(), key=lambda r: order[key(r)])


def is_periodic(rows: Sequence[_Periodic]) -> bool:
    """Whether any row names a period (else every row holds in every period)."""
    return any(r.period is not None for r in rows)
