"""Ratios, changes and rankings of the dashboards. Sums come from the database; these turn them into figures.

Every ratio is a ratio of sums (DOMAIN §2): regional intensity = Σ gross emissions ÷ Σ added value over the
facts that have an added value; a neutralisation rate = Σ (gross − net) ÷ Σ gross, so each enterprise's
neutralisation counts at most its own emissions. Ratios are rounded half-even to a configured number of places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

ZERO = Decimal(0)


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def ratio(numerator: Decimal | None, denominator: Decimal | None, places: int) -> Decimal | None:
    """``numerator ÷ denominator`` rounded half-even; None when there is no denominator (or it is zero)."""
    if numerator is None or denominator is None or denominator == ZERO:
        return None
    return (numerator / denominator).quantize(quantum(places), rounding=ROUND_HALF_EVEN)


def relative_change(current: Decimal | None, previous: Decimal | None, places: int) -> Decimal | None:
    """(current − previous) ÷ previous: +0.05 is a 5 % rise. None without a (non-zero) previous value."""
    if current is None or previous is None or previous == ZERO:
        return None
    return ((current - previous) / abs(previous)).quantize(quantum(places), rounding=ROUND_HALF_EVEN)


def neutralisation_rate(gross: Decimal, net: Decimal, places: int) -> Decimal | None:
    """Σ(gross − net) ÷ Σ gross: the share of emissions neutralised (net is never below zero)."""
    return ratio(gross - net, gross, places)


@dataclass(frozen=True, slots=True)
class RankedItem:
    key: str
    value: Decimal
    rank: int
    """Competition ranking ("1224"): tied items share a rank, the next rank skips."""
    dense_rank: int
    """Dense ranking ("1223")."""


def rank(
    values: Sequence[tuple[str, Decimal]], *, order: Literal["desc", "asc"] = "desc", limit: int | None = None
) -> list[RankedItem]:
    """Rank ``(key, value)`` pairs; equal values tie (exact decimal equality), ordered by key within a tie.

    With ``limit`` every item whose competition rank is within the limit is kept, so a tie at the cut-off
    keeps all of its members (like SQL ``FETCH FIRST n ROWS WITH TIES``).
    """
    sign = -1 if order == "desc" else 1
    ordered = sorted(values, key=lambda kv: (sign * kv[1], kv[0]))
    out: list[RankedItem] = []
    previous: Decimal | None = None
    competition = dense = 0
    for position, (key, value) in enumerate(ordered, start=1):
        if previous is None or value != previous:
            competition, dense = position, dense + 1
            previous = value
        if limit is not None and competition > limit:
            break
        out.append(RankedItem(key, value, competition, dense))
    return out


def shares(parts: Sequence[tuple[str, Decimal]], places: int) -> dict[str, Decimal | None]:
    """Each part's share of the sum of the parts."""
    total = sum((v for _, v in parts), ZERO)
    return {k: ratio(v, total, places) for k, v in parts}
