"""Request bodies. Decimals are accepted as strings (or JSON numbers) and never become floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbonid_contracts.codes.period import PeriodCode

# Range checks (negative, zero, implausible) are the domain's, so that they carry its codes and messages;
# the edge only refuses what is not a finite decimal of sane size.
Amount = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=30, decimal_places=12)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCalculation(Body):
    sub_industry_code: str = Field(pattern=r"^[0-9]{4}$", description="GB/T 4754-2017 4-digit class (细分行业)")
    period: PeriodCode = Field(description="2024, 2024H1, 2024Q3 or 2024-07")
    added_value_10k_cny: Amount = Field(description="industrial added value of the period, 10^4 CNY")
    factor_set_id: str | None = Field(default=None, max_length=200, description="default: the deployment's set")


class MeasuredParameters(Body):
    ncv: Amount | None = Field(default=None, description="GJ per t (or per 10^4 Nm3 for gases)")
    carbon_content_tc_per_gj: Amount | None = None
    oxidation_rate: Amount | None = None


class NewLine(Body):
    source_code: str = Field(min_length=1, max_length=100, examples=["fuel.diesel"])
    quantity: Amount
    unit: str = Field(min_length=1, max_length=32, examples=["t", "kWh", "10^4 Nm3"])
    item_name: str | None = Field(default=None, max_length=200)
    measured: MeasuredParameters | None = None
    steam_enthalpy_kj_per_kg: Amount | None = None


class ReductionsBody(Body):
    ccer_tco2: Amount = Decimal(0)
    green_certificates_mwh: Amount = Decimal(0)
    own_renewable_mwh: Amount | None = None
    sinks_tco2: Amount = Decimal(0)
    note: str | None = Field(default=None, max_length=2000)


class NewFactorSet(Body):
    family: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,60}$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    fuel_parameters_csv: str = Field(min_length=1, max_length=2_000_000)
    grid_electricity_csv: str = Field(min_length=1, max_length=2_000_000)
    heat_csv: str = Field(min_length=1, max_length=200_000)
    process_csv: str = Field(min_length=1, max_length=2_000_000)
    standard_coal_csv: str = Field(min_length=1, max_length=2_000_000)
    tables: dict[Literal["fuel_parameters", "grid_electricity", "heat", "process", "standard_coal"], list[str]] = Field(
        default_factory=dict,
        description="row versions of each table that belong to the set; a table not named here takes all its versions",
    )


EvidenceKind = Literal["ccer", "green_certificates", "own_renewable", "sinks", "other"]
