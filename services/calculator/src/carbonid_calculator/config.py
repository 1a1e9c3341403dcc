"""Calculator settings (env prefix ``CARBONID_``): factor set, grid-factor policy, periods, evidence, report font."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field

from carbonid_calculator.data import DEFAULT_FACTOR_SET
from carbonid_calculator.domain import CalculationSettings, GridFactorPolicy, GridLevel, GridSeries
from carbonid_kit.settings import ServiceSettings

DEFAULT_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/opentype",
    "/usr/share/fonts/truetype",
)


class CalculatorSettings(ServiceSettings):
    service_name: str = "calculator"
    http_port: int = Field(default=8103, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/carbonid_calculator"

    # DOMAIN §1 choices, per deployment (recorded with every result).
    default_factor_set: str = Field(default=DEFAULT_FACTOR_SET, description="family/version used for new drafts")
    grid_series: GridSeries = GridSeries.AVERAGE
    grid_level: GridLevel = GridLevel.NATIONAL
    grid_region_code: str = Field(default="CN", description="CN, a regional grid code or a province code")
    grid_year: int | None = Field(default=None, description="None: the reporting year, else the latest earlier")
    earliest_period_start: date = date(2010, 1, 1)
    allow_unfinished_period: bool = False
    timezone: str = Field(default="Asia/Shanghai", description="whose 'today' decides whether a period ended")

    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="largest evidence file")
    evidence_dir: Path | None = Field(
        default=None, description="content-addressed evidence store; None keeps the files in the database"
    )

    report_font_path: Path | None = Field(
        default=None, description="a CJK TTF/OTF/TTC for reports; None searches report_font_dirs for Noto CJK"
    )
    report_font_dirs: tuple[str, ...] = DEFAULT_FONT_DIRS
    resolver_path: str = Field(
        default="/api/resolver/enterprises/{enterprise_id}/activity-resolutions",
        description="where clients trigger an activity resolution (shown when none is available)",
    )

    def calculation_settings(self) -> CalculationSettings:
        return CalculationSettings(
            grid_policy=GridFactorPolicy(
                series=self.grid_series, level=self.grid_level, region_code=self.grid_region_code, year=self.grid_year
            ),
            earliest_period_start=self.earliest_period_start,
            allow_unfinished_period=self.allow_unfinished_period,
        )
