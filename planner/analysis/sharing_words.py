"""The sharing result in plain words: which rule to use here, why the rules differ, and
one sentence per member.

Contract: :func:`explain` takes a :class:`~planner.analysis.sharing.SharingResult` and
returns a frozen :class:`Explanation` whose every figure is one the result holds (rounded to
two decimals); the sharing report's first sheet and the terminal only show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.analysis.sharing import SharingResult

PREFERENCE = ("shapley", "nucleolus", "owen")
"""The order in which a stable rule is recommended: the Shapley value is the easiest to
explain, the nucleolus is stable whenever any allocation is, Owen's needs one solve."""

WHAT_EACH_DOES = {
    "shapley": "the Shapley value charges each member its average extra cost over every order "
    "in which the coalition could have formed",
    "nucleolus": "the nucleolus makes the group of members that would gain most by leaving "
    "gain as little as possible",
    "owen": "Owen's allocation prices what each member brings (its targets, resources and "
    "capacities) at the grand coalition's shadow prices",
}

_AGREE = 0.005
"""Savings closer than this (in money) are the same to two decimals."""


@dataclass(frozen=True)
class Explanation:
    """The sharing result in words.

    Attributes:
        headline: what the coalition saves against national stacks.
        recommended: the rule recommended for this case (None when no rule was computed).
        reason: why that rule.
        differences: why the rules differ, with the member they differ most for.
        members: one sentence per member, in the scenario's order.
    """

    headline: str
    recommended: str | None
    reason: str
    differences: str
    members: tuple[str, ...]


def _num(value: float) -> str:
    return f"{value:,.2f}"


def explain(result: SharingResult) -> Explanation:
    """The plain-words reading of ``result`` (see the module's contract)."""
    method, reason = recommend(result)
    return Explanation(
        headline=_headline(result),
        recommended=method,
        reason=reason,
        differences=_differences(result),
        members=tuple(_member(result, m, method) for m in result.members),
    )


def recommend(result: SharingResult) -> tuple[str | None, str]:
    """The rule to use for this case, and why.

    The first stable rule in :data:`PREFERENCE`; when none is stable, the nucleolus (it
    keeps the largest gain from leaving as small as any allocation can), else the first
    rule computed.
    """
    computed = [m for m in PREFERENCE if m in result.allocations]
    if not computed:
        return None, "no sharing rule could be computed (see the notes)"
    stable = [m for m in computed if result.stable(m)]
    if stable:
        method = stable[0]
        check = result.stability[method]
        scope = (
            "no group of members would save by leaving (every coalition checked)"
            if check.exhaustive
            else f"the search of {check.coalitions_checked:,} coalitions found no group of "
            "members that would save by leaving"
        )
        passed_over = [f"{m} ({result.verdict(m)})" for m in computed[: computed.index(method)]]
        before = f"; {'; '.join(passed_over)}" if passed_over else ""
        return (
            method,
            f"{method} is stable here: {scope}{before}. In words: {WHAT_EACH_DOES[method]}.",
        )
    method = "nucleolus" if "nucleolus" in computed else computed[0]
    verdicts = "; ".join(f"{m}: {result.verdict(m)}" for m in computed)
    why = (
        "the nucleolus keeps the largest gain from leaving as small as any allocation can"
        if method == "nucleolus"
        else (
            f"{method} is the only rule computed here"
            if len(computed) == 1
            else f"the nucleolus was not computed, so {method} is shown"
        )
        + f" ({WHAT_EACH_DOES[method]})"
    )
    return method, f"no rule computed here is stable ({verdicts}); {why}."


def _headline(result: SharingResult) -> str:
    money = result.currency
    share = f" ({result.saving / result.national_total:.0%})" if result.national_total > 0 else ""
    return (
        f"Together the {len(result.members)} members cost {_num(result.coalition_cost)} {money} "
        f"(min_cost: spend plus shortfall penalty) against {_num(result.national_total)} as "
        f"national stacks: the coalition saves {_num(result.saving)}{share}, to be shared."
    )


def _differences(result: SharingResult) -> str:
    methods = list(result.allocations)
    if len(methods) < 2:
        return ""
    spread = {
        m: max(result.allocations[k].share(m).saving for k in methods)
        - min(result.allocations[k].share(m).saving for k in methods)
        for m in result.members
    }
    member = max(result.members, key=lambda m: spread[m])
    what = "; ".join(WHAT_EACH_DOES[m] for m in methods)
    if spread[member] < _AGREE:
        return (
            "The rules agree to two decimals for every member, though they differ in "
            f"principle: {what}."
        )
    savings = ", ".join(
        f"{_num(result.allocations[m].share(member).saving)} ({m})" for m in methods
    )
    return (
        f"The rules differ most for {member}, whose saving is {savings}, because they ask "
        f"different questions: {what}."
    )


def _member(result: SharingResult, member: str, method: str | None) -> str:
    name = result.names[member]
    label = member if name == member else f"{name} [{member}]"
    alone = result.national_costs[member]
    if method is None:
        return f"{label} costs {_num(alone)} {result.currency} alone; no rule was computed."
    share = result.allocations[method].share(member)
    error = (
        f" (± {_num(share.stderr)}, a sampled value)"
        if not result.allocations[method].exact
        else ""
    )
    if share.saving >= 0:
        gain = f"saves {_num(share.saving)}{error}"
    else:
        gain = f"pays {_num(-share.saving)}{error} more than alone"
    others = [
        f"{m}: {_num(result.allocations[m].share(member).saving)}"
        for m in result.allocations
        if m != method
    ]
    rest = f"; its saving under {', '.join(others)}" if others else ""
    pays = (
        f"pays {_num(share.cost)} {result.currency}"
        if share.cost >= 0
        else f"is paid {_num(-share.cost)} {result.currency} (a negative cost share)"
    )
    return f"{label} {pays} under {method} instead of {_num(alone)} alone: it {gain}{rest}."
