"""Which grid electricity factor values green certificates and own renewable generation (DOMAIN §1, §2).

``emission.calculated`` does not carry the grid factor, so the evaluation service holds a versioned series
(a per-deployment **choice**; default: MEE/NBS national average) and records which value it used.
Rule: the factor of the reporting year; when that year is not published, the latest published year before it;
for a year before the series starts, its first year. The source string says which year was used and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class GridFactorSeries:
    name: str
    """e.g. ``national-average``."""
    version: str
    """Version of the setting, recorded with every evaluation, e.g. ``mee-2024/v1``."""
    factors: Mapping[int, Decimal]
    """t CO2 / MWh by year."""


@dataclass(frozen=True, slots=True)
class GridFactorChoice:
    factor_tco2_per_mwh: Decimal
    year: int
    source: str
    """``<name>/<year>@<version>``, plus ``(fallback for <year>)`` when the reporting year is not published."""


def choose_grid_factor(series: GridFactorSeries, reporting_year: int) -> GridFactorChoice:
    """The factor for a reporting year under the rule in the module docstring."""
    if not series.factors:
        raise ValueError("the grid factor series is empty / 电网排放因子序列为空")
    years = sorted(series.factors)
    earlier = [y for y in years if y <= reporting_year]
    year = earlier[-1] if earlier else years[0]
    source = f"{series.name}/{year}@{series.version}"
    if year != reporting_year:
        source += f" (fallback for {reporting_year})"
    return GridFactorChoice(series.factors[year], year, source)
