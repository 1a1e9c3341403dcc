"""Evaluation settings (env prefix ``CARBONID_``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field

from carbonid_evaluation.data import DEFAULT_RULE_SET
from carbonid_evaluation.domain.grid_factor import GridFactorSeries
from carbonid_kit.settings import ServiceSettings

# MEE/NBS national average grid emission factors, t CO2/MWh (DOMAIN §1).
NATIONAL_AVERAGE_GRID_FACTORS: dict[int, Decimal] = {
    2021: Decimal("0.5568"),
    2022: Decimal("0.5366"),
    2023: Decimal("0.5306"),
}


class EvaluationSettings(ServiceSettings):
    service_name: str = "evaluation"
    http_port: int = Field(default=8104, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/carbonid_evaluation"

    default_rule_set: str = Field(
        default=DEFAULT_RULE_SET, description="bundled rule set made active when no rule set is active yet"
    )
    grid_factor_series_name: str = Field(
        default="national-average",
        description="which grid factor series values green certificates and own renewable generation",
    )
    grid_factor_series_version: str = Field(default="mee-nbs-2024/v1", description="recorded with each evaluation")
    grid_factor_series: dict[int, Decimal] = Field(
        default_factory=lambda: dict(NATIONAL_AVERAGE_GRID_FACTORS),
        description='t CO2/MWh by year, e.g. CARBONID_GRID_FACTOR_SERIES=\'{"2023": "0.5306"}\'',
    )
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="largest evidence file")
    evidence_dir: Path | None = Field(
        default=None, description="store evidence files here (content-addressed); None: in the database"
    )
    calculation_page: str = Field(default="/emissions/new", description="web page where a calculation is made")
    enterprise_binding_page: str = Field(default="/enterprise/bind", description="web page that binds an enterprise")

    def grid_factors(self) -> GridFactorSeries:
        return GridFactorSeries(
            self.grid_factor_series_name, self.grid_factor_series_version, dict(self.grid_factor_series)
        )
