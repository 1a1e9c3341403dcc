"""Energy carriers, the unit each is aggregated in, and the explicit conversions into it (DOMAIN.md §1).

Readings arrive in the unit the device or gateway reports (kWh, m3, kg, MJ …); aggregates and events carry the
carrier's canonical unit, the one the emission formulas take (MWh, 10^4 Nm3, t, GJ). Gas volumes are taken as
standard cubic metres (meters with a volume corrector report them so); a meter reporting uncorrected volumes
is not convertible here and its readings are refused.
"""

from __future__ import annotations

from decimal import Decimal

CANONICAL_UNIT: dict[str, str] = {
    "electricity": "MWh",
    "natural_gas": "10^4 Nm3",
    "steam": "t",
    "heat": "GJ",
    "coal": "t",
    "diesel": "t",
    "fuel_oil": "t",
    "gasoline": "t",
    "lpg": "t",
    "coke": "t",
}
"""Carrier → the unit its quantities are aggregated and published in."""

_FACTORS: dict[str, dict[str, Decimal]] = {
    # canonical unit → {reported unit → factor}
    "MWh": {"Wh": Decimal("0.000001"), "kWh": Decimal("0.001"), "MWh": Decimal(1), "GWh": Decimal(1000)},
    "10^4 Nm3": {"m3": Decimal("0.0001"), "Nm3": Decimal("0.0001"), "10^4 Nm3": Decimal(1), "10^4 m3": Decimal(1)},
    "t": {"kg": Decimal("0.001"), "t": Decimal(1)},
    "GJ": {"MJ": Decimal("0.001"), "GJ": Decimal(1), "kWh": Decimal("0.0036"), "MWh": Decimal("3.6")},
}


def conversion_factor(unit: str, carrier: str) -> Decimal | None:
    """Multiply a quantity in ``unit`` by this to get the carrier's canonical unit; None when not convertible."""
    canonical = CANONICAL_UNIT.get(carrier)
    if canonical is None:
        return None
    return _FACTORS[canonical].get(unit)


def conversion_table() -> list[tuple[str, str, Decimal]]:
    """Every (carrier, reported unit, factor): the rows the set-wise ingest joins readings with."""
    return [
        (carrier, unit, factor)
        for carrier, canonical in sorted(CANONICAL_UNIT.items())
        for unit, factor in sorted(_FACTORS[canonical].items())
    ]
