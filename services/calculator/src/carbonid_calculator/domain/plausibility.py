"""Plausible upper bounds of inputs, as versioned data (``data/plausibility.csv``), not constants in code.

A quantity above its bound is almost always a unit slip (kWh entered as MWh, m³ as 10^4 Nm³); refusing it
early is cheaper than a wrong grade. Bounds are per subject: a source code (in its default unit), the added
value, each reduction, and the measured fuel parameters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from carbonid_calculator.domain.errors import ReferenceDataError

ADDED_VALUE = "added_value_10k_cny"
CCER = "reduction.ccer_tco2"
GREEN_CERTIFICATES = "reduction.green_certificates_mwh"
OWN_RENEWABLE = "reduction.own_renewable_mwh"
SINKS = "reduction.sinks_tco2"
MEASURED_CARBON_CONTENT = "measured.carbon_content"
MEASURED_OXIDATION_RATE = "measured.oxidation_rate"
STEAM_ENTHALPY = "steam.enthalpy"


def measured_ncv_subject(default_unit: str) -> str:
    """Bound subject of a measured NCV for a fuel whose default unit is ``default_unit`` (t or 10^4 Nm3)."""
    return f"measured.ncv.{default_unit}"


@dataclass(frozen=True)
class PlausibilityBound:
    subject: str
    maximum: Decimal
    unit: str
    note: str = ""


@dataclass(frozen=True)
class PlausibilityBounds:
    """Upper bounds by subject."""

    bounds: Mapping[str, PlausibilityBound]

    def maximum(self, subject: str) -> PlausibilityBound | None:
        return self.bounds.get(subject)


def parse_plausibility_bounds(text: str) -> PlausibilityBounds:
    """Parse ``plausibility.csv`` (columns subject, maximum, unit, note)."""
    reader = csv.DictReader(io.StringIO(text))
    bounds: dict[str, PlausibilityBound] = {}
    try:
        for row in reader:
            maximum = Decimal(row["maximum"])
            if not maximum.is_finite() or maximum <= 0 or row["subject"] in bounds:
                raise ReferenceDataError(
                    f"合理上限无效或重复：{row['subject']}", f"invalid or duplicate bound: {row['subject']}"
                )
            bounds[row["subject"]] = PlausibilityBound(row["subject"], maximum, row["unit"], row["note"])
    except (KeyError, InvalidOperation) as exc:
        raise ReferenceDataError(f"合理上限数据无效：{exc}", f"invalid plausibility data: {exc}") from exc
    return PlausibilityBounds(bounds)
