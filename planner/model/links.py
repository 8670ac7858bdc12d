"""Trade links: which directed links each regime holds, at what cost and capacity.

Contract: :func:`regime_links` returns, for a validated scenario, the links of the
coalition or open regime as docs/model.md ("Links of each regime") defines them, optionally
without the links that no optimal plan needs (:func:`needless_transit`). Links are
computed per commodity as cost and capacity matrices over the regime's countries, so the
open world of 200 countries never makes a Python object for a link it then drops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from planner.scenario.horizon import rows_in
from planner.scenario.schema import Link, LinkLimit, Regime, Role, Scenario
from planner.scenario.sheets import ANY_COMMODITY, ANY_COUNTRY, ONLY_PERIOD

LinkKey = tuple[str, str, str, str]
"""``(commodity, exporter, importer, period)``."""
Pair = tuple[str, str, str]
"""``(commodity, exporter, importer)``: a link in every period."""
Matrix = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


class TradeLink(NamedTuple):
    """One directed link of a regime for one commodity in one period; ``capacity`` None is
    no limit."""

    commodity: str
    exporter: str
    importer: str
    cost: float
    capacity: float | None
    period: str = ONLY_PERIOD

    @property
    def key(self) -> LinkKey:
        """``(commodity, exporter, importer, period)``."""
        return (self.commodity, self.exporter, self.importer, self.period)


def link_rows(scenario: Scenario, period: str | None = None) -> dict[Pair, Link]:
    """The Links rows that hold in ``period`` (default: the first), expanded to single
    commodities: a commodity's own row beats a ``*`` row, whatever their periods.

    The period override is by the full key, so a period ``*`` row replaces only the
    blank-period ``*`` row of its pair (DESIGN.md, "Objectives").
    """
    period = scenario.horizon.ids[0] if period is None else period
    rows = rows_in(scenario.links, lambda r: (r.exporter, r.importer, r.commodity), period)
    expanded: dict[Pair, Link] = {}
    for row in sorted(rows, key=lambda r: r.commodity != ANY_COMMODITY):
        commodities = scenario.tradable if row.commodity == ANY_COMMODITY else (row.commodity,)
        for k in commodities:
            expanded[(k, row.exporter, row.importer)] = row
    return expanded


def coalition_countries(scenario: Scenario, members: Sequence[str]) -> tuple[str, ...]:
    """The members and every non-member an allowed Links row connects in some period, in
    sheet order."""
    linked = {
        c
        for period in scenario.horizon.ids
        for (_, i, j), row in link_rows(scenario, period).items()
        if row.allowed
        for c in (i, j)
    }
    chosen = set(members) | linked
    return tuple(c.country for c in scenario.countries if c.country in chosen)


def regime_links(
    scenario: Scenario,
    regime: Regime,
    members: Sequence[str],
    countries: Sequence[str],
    *,
    prune: bool = True,
    period: str | None = None,
    outside: Sequence[str] = (),
) -> tuple[TradeLink, ...]:
    """The links of ``regime`` among ``countries`` in ``period`` (default: the first).

    - coalition: every ordered pair of distinct members, at the commodity's trade_cost and
      without limit; then a Links row with ``allowed`` no removes its link and one with
      ``allowed`` yes adds it or replaces its cost and capacity.
    - open: every ordered pair of distinct countries; Links rows set cost and capacity,
      whatever their ``allowed``.

    A blank ``cost`` in a row means the commodity's trade_cost. Then, in either regime, the
    scenario's link limits (:class:`~planner.scenario.schema.LinkLimit`, a stress test's bans
    and cuts) remove or cap the links they match, in every period. With ``prune``, links that
    no optimal plan needs are left out (see :func:`needless_transit`); ``outside`` are the
    commodities the regime may buy from the world market, which (like a commodity with a
    backstop) every country of the model may supply.
    """
    if regime is Regime.NATIONAL:
        return ()
    period = scenario.horizon.ids[0] if period is None else period
    rows: dict[str, list[tuple[int, int, Link]]] = defaultdict(list)
    index = {c: n for n, c in enumerate(countries)}
    for (k, i, j), row in link_rows(scenario, period).items():
        if i in index and j in index:
            rows[k].append((index[i], index[j], row))
    base = np.zeros(len(countries), dtype=bool)
    base[[index[m] for m in members]] = True
    if regime is Regime.OPEN:
        base[:] = True
    supply, use = _suppliers_and_users(scenario, members, outside) if prune else ({}, {})
    links: list[TradeLink] = []
    for k in scenario.tradable:
        cost, capacity = _matrices(
            scenario.commodity_by_id[k].trade_cost,
            base,
            rows[k],
            honour_allowed=regime is Regime.COALITION,
        )
        limited = _apply_limits(cost, capacity, scenario.link_limits, k, index)
        keep = np.isfinite(cost)
        if prune:
            uniform = not rows[k] and not limited
            keep &= _carrying(cost, capacity, uniform, countries, supply[k], use[k])
        for i, j in zip(*np.nonzero(keep), strict=True):
            limit = capacity[i, j]
            links.append(
                TradeLink(
                    k,
                    countries[i],
                    countries[j],
                    float(cost[i, j]),
                    None if np.isinf(limit) else float(limit),
                    period,
                )
            )
    return tuple(links)


def _matrices(
    trade_cost: float, base: Mask, rows: list[tuple[int, int, Link]], *, honour_allowed: bool
) -> tuple[Matrix, Matrix]:
    """Cost (inf: no link) and capacity (inf: no limit) of one commodity's links."""
    n = len(base)
    cost = np.full((n, n), np.inf)
    cost[np.ix_(base, base)] = trade_cost
    np.fill_diagonal(cost, np.inf)
    capacity = np.full((n, n), np.inf)
    for i, j, row in rows:
        if honour_allowed and not row.allowed:
            cost[i, j] = np.inf
            capacity[i, j] = np.inf
            continue
        cost[i, j] = trade_cost if row.cost is None else row.cost
        capacity[i, j] = np.inf if row.capacity is None else row.capacity
    return cost, capacity


def _apply_limits(
    cost: Matrix,
    capacity: Matrix,
    limits: Sequence[LinkLimit],
    commodity: str,
    index: dict[str, int],
) -> bool:
    """Remove or cap, in place, the links of ``commodity`` that ``limits`` match.

    Returns:
        Whether any limit concerned the commodity (so its links are no longer uniform).
    """
    touched = False
    for limit in limits:
        if limit.commodity not in (ANY_COMMODITY, commodity):
            continue
        rows = _ends(limit.exporter, index)
        columns = _ends(limit.importer, index)
        if rows is None or columns is None:
            continue  # a country the regime does not hold has no link to limit
        touched = True
        where = np.ix_(rows, columns)
        if limit.capacity is None:
            cost[where] = np.inf
        else:
            capacity[where] = np.minimum(capacity[where], limit.capacity)
    return touched


def _ends(country: str, index: dict[str, int]) -> list[int] | None:
    """The matrix positions a limit's exporter or importer names (None: not in the regime)."""
    if country == ANY_COUNTRY:
        return list(index.values())
    return [index[country]] if country in index else None


def _carrying(
    cost: Matrix,
    capacity: Matrix,
    uniform: bool,
    countries: Sequence[str],
    supply: set[str],
    use: set[str],
) -> Mask:
    """Which links some optimal plan may need; see :func:`needless_transit`.

    ``uniform`` says every pair trades at one cost without limit (no Links row and no
    link limit touches the commodity).
    """
    supplies = np.array([c in supply for c in countries], dtype=bool)
    uses = np.array([c in use for c in countries], dtype=bool)
    if not uniform:
        needless = needless_transit(cost, capacity, skip=supplies & uses)
    else:
        # every pair trades at one cost without limit: a direct link beats any detour
        needless = np.ones(len(countries), dtype=bool)
    drop_out = needless & ~supplies
    drop_in = needless & ~uses
    keep: Mask = ~drop_out[:, None] & ~drop_in[None, :]
    return keep


def needless_transit(cost: Matrix, capacity: Matrix, *, skip: Mask) -> Mask:
    """Countries through which no route of a commodity needs to pass.

    A country that neither supplies a commodity (a Resources row with something available,
    or a process with capacity that makes it) nor uses it (a process with capacity that
    consumes it, or a target) can only pass it on. Passing on through ``t`` is never needed
    when every route ``s -> t -> d`` (``s != d``) has a direct link ``s -> d`` without a
    capacity limit that costs no more: a plan that ships through ``t`` ships as cheaply, or
    more cheaply, direct. For such a ``t`` the links into it can go unless it uses the
    commodity, and the links out of it unless it supplies it. Shortcutting routes one
    country at a time turns any optimal plan into one on the remaining links at no greater
    cost, so the optimum is unchanged. Where a ban, a capacity or a dearer link makes a
    detour worth taking, the countries on it keep their links.

    Args:
        cost: link costs, inf where there is no link.
        capacity: link capacities, inf where there is no limit.
        skip: countries not to examine (those that both supply and use the commodity keep
            every link anyway).
    """
    free = np.where(np.isinf(capacity), cost, np.inf)
    needless = np.zeros(len(cost), dtype=bool)
    for t in np.flatnonzero(~skip):
        sources = np.flatnonzero(np.isfinite(cost[:, t]))
        sinks = np.flatnonzero(np.isfinite(cost[t, :]))
        detour = cost[sources, t][:, None] + cost[t, sinks][None, :]
        direct = free[np.ix_(sources, sinks)]
        fine = (direct <= detour * (1 + 1e-12)) | (sources[:, None] == sinks[None, :])
        needless[t] = bool(fine.all())
    return needless


def _suppliers_and_users(
    scenario: Scenario, members: Sequence[str], outside: Sequence[str] = ()
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per commodity: the countries that can supply it and those that can use it, in any
    period (a superset in each period keeps more links, never too few).

    Every country may supply a commodity with a backstop or in ``outside`` (the world
    market)."""
    makes: dict[str, list[str]] = defaultdict(list)
    takes: dict[str, list[str]] = defaultdict(list)
    for line in scenario.recipe:
        (makes if line.role is Role.OUTPUT else takes)[line.process].append(line.commodity)
    supply: dict[str, set[str]] = defaultdict(set)
    use: dict[str, set[str]] = defaultdict(set)
    for row in scenario.resources:
        if row.available > 0:
            supply[row.commodity].add(row.country)
    for cap in scenario.capacity:
        if cap.existing > 0 or cap.max_new > 0:
            for k in makes[cap.process]:
                supply[k].add(cap.country)
            for k in takes[cap.process]:
                use[k].add(cap.country)
    _outside_suppliers(scenario, outside, supply)
    chosen = set(members)
    for target in scenario.targets:
        if target.country in chosen:
            use[target.commodity].add(target.country)
    return supply, use


def _outside_suppliers(
    scenario: Scenario, outside: Sequence[str], supply: dict[str, set[str]]
) -> None:
    """Every country may supply a commodity with a backstop or a world market."""
    everyone = {c.country for c in scenario.countries}
    for k in scenario.commodities:
        if k.backstop_cost is not None or k.commodity in outside:
            supply[k.commodity] |= everyone


def coalition_links(
    scenario: Scenario, members: Sequence[str], period: str | None = None
) -> tuple[TradeLink, ...]:
    """Every link of the coalition regime of ``members`` in ``period``, needed or not."""
    countries = coalition_countries(scenario, members)
    return regime_links(scenario, Regime.COALITION, members, countries, prune=False, period=period)


def open_links(
    scenario: Scenario, countries: Sequence[str], period: str | None = None
) -> tuple[TradeLink, ...]:
    """Every link of the open regime among ``countries`` in ``period``, needed or not."""
    return regime_links(scenario, Regime.OPEN, (), countries, prune=False, period=period)
