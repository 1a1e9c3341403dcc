"""Rounding rule: full precision inside, round only what is presented.

Every figure is computed in a 34-digit decimal context (IEEE 754 decimal128 precision) and stored unrounded in
the result. Only presentation rounds, with ROUND_HALF_UP (the commercial rounding that Chinese reporting
templates use), to the places below. Totals are rounded from the unrounded total, never summed from rounded
lines, so a presented total may differ from the sum of presented lines by a few hundredths. Factors are
shown with the digits they were published with, never rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from enum import StrEnum

# Precision of every internal computation: decimal128. Inputs have at most ~12 significant digits, so
# products of four factors stay exact; only divisions (44/12, ÷ added value) round, at the 34th digit.
CALCULATION_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)


class Presentation(StrEnum):
    """What kind of figure is being presented; each has its own rounding rule."""

    EMISSIONS_TCO2 = "emissions_tco2"
    ENERGY_TCE = "energy_tce"
    QUANTITY = "quantity"
    INTENSITY = "intensity"
    RATE = "rate"
    FACTOR = "factor"


@dataclass(frozen=True)
class RoundingRule:
    """``places`` decimal places with ``mode``; ``places=None`` means shown as is (published factors)."""

    places: int | None
    mode: str = ROUND_HALF_UP


ROUNDING_RULES: dict[Presentation, RoundingRule] = {
    Presentation.EMISSIONS_TCO2: RoundingRule(2),
    Presentation.ENERGY_TCE: RoundingRule(2),
    Presentation.QUANTITY: RoundingRule(4),
    Presentation.INTENSITY: RoundingRule(4),
    Presentation.RATE: RoundingRule(4),
    Presentation.FACTOR: RoundingRule(None),
}


def present(value: Decimal, kind: Presentation) -> Decimal:
    """``value`` rounded for presentation by the rule of ``kind`` (ROUND_HALF_UP, fixed places)."""
    rule = ROUNDING_RULES[kind]
    if rule.places is None:
        return value
    exponent = Decimal(1).scaleb(-rule.places)
    rounded = value.quantize(exponent, rounding=rule.mode, context=CALCULATION_CONTEXT)
    # -0.00 would read as a negative figure on a page.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def present_str(value: Decimal, kind: Presentation) -> str:
    """Presented figure as a plain decimal string (no exponent), as it travels on the wire."""
    return format(present(value, kind), "f")
