"""What a calculation returns: unrounded figures, their breakdowns, the trace, and the presented summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carbonid_calculator.domain.errors import ValidationIssue
from carbonid_calculator.domain.factors import GridFactorChoice, HeatFactor
from carbonid_calculator.domain.inputs import LineOrigin
from carbonid_calculator.domain.rounding import Presentation, present_str
from carbonid_calculator.domain.sources import EmissionSource, EnergyCarrier, Scope, SourceCategory
from carbonid_calculator.domain.trace import TraceStep
from carbonid_calculator.domain.units import Quantity


@dataclass(frozen=True)
class LineResult:
    """One activity line priced. ``emissions_tco2`` is its signed contribution to the total (exported < 0,
    biomass and renewables 0); biomass CO2 is in ``biomass_tco2``. ``activity`` is in the unit the factor
    applies to (the source's default unit, GJ for steam)."""

    index: int
    source: EmissionSource
    origin: LineOrigin
    entered: Quantity
    activity: Quantity
    emissions_tco2: Decimal
    biomass_tco2: Decimal
    energy_tce: Decimal
    measured: bool


@dataclass(frozen=True)
class CarrierTotal:
    """Emissions (t CO2) and energy (tce) of one energy carrier."""

    carrier: EnergyCarrier
    emissions_tco2: Decimal
    energy_tce: Decimal


@dataclass(frozen=True)
class Neutralisation:
    """DOMAIN §2 choice: CCER + green certificates × EF_grid + own renewable × EF_grid + sinks, each once.

    ``own_renewable_credited_mwh`` is own generation minus exported electricity (not below zero): exported
    power already lowered the total, so crediting it again would count one offset twice.
    ``rate`` = min(1, total_tco2 ÷ gross emissions); 0 when there is nothing to neutralise and no offset.
    """

    ccer_tco2: Decimal
    green_certificates_mwh: Decimal
    green_certificates_tco2: Decimal
    own_renewable_mwh: Decimal
    own_renewable_credited_mwh: Decimal
    own_renewable_tco2: Decimal
    sinks_tco2: Decimal
    total_tco2: Decimal
    rate: Decimal


@dataclass(frozen=True)
class CalculationResult:
    """A complete, reproducible emission calculation. Figures are unrounded; use :meth:`presented_summary`."""

    sub_industry_code: str
    period_code: str
    added_value_10k_cny: Decimal
    factor_set_id: str
    grid_factor: GridFactorChoice
    heat_factor: HeatFactor
    total_emissions_tco2: Decimal
    energy_emissions_tco2: Decimal
    process_emissions_tco2: Decimal
    biomass_emissions_tco2: Decimal
    avoided_by_own_renewable_tco2: Decimal
    net_emissions_tco2: Decimal
    intensity_tco2_per_10k_cny: Decimal
    energy_tce: Decimal
    by_scope: Mapping[Scope, Decimal]
    by_category: Mapping[SourceCategory, Decimal]
    by_carrier: tuple[CarrierTotal, ...]
    neutralisation: Neutralisation
    lines: tuple[LineResult, ...]
    trace: tuple[TraceStep, ...]
    warnings: tuple[ValidationIssue, ...]
    input_hash: str
    electricity_convention_zh: str
    electricity_convention_en: str

    def presented_summary(self) -> dict[str, Any]:
        """Rounded figures as decimal strings, shaped like the ``emission.calculated`` payload fields."""
        t, tce = Presentation.EMISSIONS_TCO2, Presentation.ENERGY_TCE
        n = self.neutralisation
        return {
            "factor_set_version": self.factor_set_id,
            "added_value_10k_cny": format(self.added_value_10k_cny, "f"),
            "total_emissions_tco2": present_str(self.total_emissions_tco2, t),
            "net_emissions_tco2": present_str(self.net_emissions_tco2, t),
            "biomass_emissions_tco2": present_str(self.biomass_emissions_tco2, t),
            "intensity_tco2_per_10k_cny": present_str(self.intensity_tco2_per_10k_cny, Presentation.INTENSITY),
            "energy_tce": present_str(self.energy_tce, tce),
            "by_scope": {k.value: present_str(v, t) for k, v in self.by_scope.items()},
            "by_category": {k.value: present_str(v, t) for k, v in self.by_category.items()},
            "by_carrier": [
                {
                    "carrier": c.carrier.value,
                    "emissions_tco2": present_str(c.emissions_tco2, t),
                    "energy_tce": present_str(c.energy_tce, tce),
                }
                for c in self.by_carrier
            ],
            "reductions": {
                "ccer_tco2": present_str(n.ccer_tco2, t),
                "green_certificates_mwh": present_str(n.green_certificates_mwh, Presentation.QUANTITY),
                "own_renewable_mwh": present_str(n.own_renewable_mwh, Presentation.QUANTITY),
                "sinks_tco2": present_str(n.sinks_tco2, t),
                "neutralisation_tco2": present_str(n.total_tco2, t),
            },
            "neutralisation_rate": present_str(n.rate, Presentation.RATE),
            "grid_factor": {
                "tco2_per_mwh": format(self.grid_factor.factor.tco2_per_mwh, "f"),
                "year": self.grid_factor.factor.year,
                "series": self.grid_factor.factor.series.value,
                "region_code": self.grid_factor.factor.region_code,
                "fell_back": self.grid_factor.fell_back,
            },
            "electricity_convention": self.electricity_convention_en,
            "input_hash": self.input_hash,
        }
