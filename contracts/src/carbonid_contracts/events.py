"""Payloads of the CarbonID events (contract version 1).

Rules for changing them: adding an optional field is compatible; adding a required field, removing a field
or changing a type is a breaking change and needs a new event version (a new model and EventType ``.v2``).
The compatibility check in ``carbonid_contracts.compat`` enforces this against ``contracts/baseline``.
Quantities are decimal strings with their unit in the field name; times are UTC ISO-8601.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbonid_contracts.codes.decimal import DecimalStr, NonNegativeDecimalStr
from carbonid_contracts.codes.industry import IndustryCode
from carbonid_contracts.codes.period import PeriodCode
from carbonid_contracts.codes.region import RegionCode
from carbonid_contracts.topics import EventType

NodeType = Literal["secondary", "enterprise", "recursive", "unknown"]
CarbonLevel = Literal["low", "medium", "high"]


class EventPayload(BaseModel):
    """Base of every payload: immutable, no unknown fields silently dropped on the producer side."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[EventType]
    enterprise_id: uuid.UUID = Field(description="CarbonID enterprise id; the Kafka key and CloudEvents subject")

    @classmethod
    def event_type(cls) -> EventType:
        return cls.EVENT_TYPE

    def partition_key(self) -> str:
        return str(self.enterprise_id)


class EnterpriseResolved(EventPayload):
    """An enterprise's basic information, fetched from its identifier node by its identifier prefix."""

    EVENT_TYPE: ClassVar[EventType] = EventType.ENTERPRISE_RESOLVED
    identifier_prefix: str = Field(min_length=1, max_length=128, examples=["88.118.8"])
    name: str = Field(min_length=1, max_length=200)
    uscc: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="unified social credit code, GB 32100")
    region_code: RegionCode = Field(description="finest GB/T 2260 code known (county, else city, else province)")
    province_code: RegionCode
    city_code: RegionCode | None = None
    county_code: RegionCode | None = None
    industry_code: IndustryCode = Field(description="GB/T 4754-2017 code as published by the node")
    node_type: NodeType = "enterprise"
    park: str | None = Field(default=None, description="industrial park, where the node publishes one")
    resolved_at: datetime


class ActivityLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_code: str = Field(description="platform emission source code, e.g. fuel.bituminous_coal")
    item_name: str = Field(description="the template item as the identifier node names it")
    quantity: DecimalStr
    unit: str = Field(examples=["t", "MWh", "10^4 Nm3", "GJ"])
    handle: str | None = Field(default=None, description="identifier of the record the value came from")


class ActivityResolved(EventPayload):
    """Energy activity data of one enterprise and period, resolved through identifier resolution."""

    EVENT_TYPE: ClassVar[EventType] = EventType.ACTIVITY_RESOLVED
    resolution_id: uuid.UUID
    identifier_prefix: str
    period: PeriodCode
    template_id: str
    template_version: str
    lines: list[ActivityLine]
    stale: bool = Field(default=False, description="true when served from cache because the node was unavailable")
    resolved_at: datetime


class CarrierEmission(BaseModel):
    model_config = ConfigDict(frozen=True)

    carrier: str = Field(examples=["coal", "oil", "gas", "electricity", "heat", "process", "other"])
    emissions_tco2: DecimalStr
    energy_tce: DecimalStr


class Reductions(BaseModel):
    """Offsets and the neutralisation computed from them by the calculator (docs/DOMAIN.md §2.4).

    The parts after ``neutralisation_tco2`` are optional for events from before they were carried; when the
    calculation carries them (``EmissionCalculated.exact_figures``), a consumer can recompute every figure:
    green_certificates_tco2 = green_certificates_mwh × grid factor, own_renewable_tco2 =
    own_renewable_credited_mwh × grid factor, neutralisation = CCER + both + sinks.
    """

    model_config = ConfigDict(frozen=True)

    ccer_tco2: NonNegativeDecimalStr = Field(description="CCER volumes retired (1 CCER = 1 t CO2e)")
    green_certificates_mwh: NonNegativeDecimalStr = Field(
        description="green certificates and green-power contracts (1 = 1 MWh)"
    )
    own_renewable_mwh: NonNegativeDecimalStr = Field(description="own zero-carbon generation, gross")
    sinks_tco2: NonNegativeDecimalStr
    neutralisation_tco2: NonNegativeDecimalStr = Field(description="all of the above in t CO2, each counted once")
    own_renewable_credited_mwh: NonNegativeDecimalStr | None = Field(
        default=None,
        description="own generation credited: own generation − exported electricity, not below zero (exports "
        "already lowered the total)",
    )
    green_certificates_tco2: NonNegativeDecimalStr | None = Field(default=None, description="MWh × grid factor")
    own_renewable_tco2: NonNegativeDecimalStr | None = Field(
        default=None, description="credited MWh × grid factor; also what L subtracts"
    )
    neutralisation_rate: NonNegativeDecimalStr | None = Field(
        default=None, description="min(1, neutralisation ÷ gross); with gross ≤ 0: 1 if any offset, else 0"
    )


class EmissionCalculated(EventPayload):
    """A confirmed emission calculation of one enterprise and period, with its totals."""

    EVENT_TYPE: ClassVar[EventType] = EventType.EMISSION_CALCULATED
    calculation_id: uuid.UUID
    supersedes: uuid.UUID | None = Field(default=None, description="the earlier calculation this one replaces")
    identifier_prefix: str | None = None
    region_code: RegionCode
    industry_code: IndustryCode = Field(description="the sub-industry the calculation was made for")
    period: PeriodCode
    added_value_10k_cny: NonNegativeDecimalStr = Field(description="industrial added value, 10^4 CNY")
    total_emissions_tco2: DecimalStr = Field(description="gross: combustion+process+purchased-exported")
    net_emissions_tco2: NonNegativeDecimalStr = Field(description="total minus neutralisation, not below zero")
    intensity_tco2_per_10k_cny: NonNegativeDecimalStr = Field(description="carbon intensity L (docs/DOMAIN.md §2)")
    energy_tce: DecimalStr
    by_scope: dict[str, DecimalStr] = Field(description="scope1, scope2 in t CO2")
    by_category: dict[str, DecimalStr] = Field(description="combustion, process, electricity, heat, ... in t CO2")
    by_carrier: list[CarrierEmission]
    reductions: Reductions
    factor_set_version: str
    input_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the canonical inputs")
    confirmed_at: datetime
    exact_figures: bool = Field(
        default=False,
        description="true: every figure is the calculator's unrounded value (34 significant digits) and the parts "
        "below are carried, so a consumer recomputes L and the neutralisation and refuses a disagreement; false: "
        "an older event with figures rounded for display",
    )
    energy_emissions_tco2: DecimalStr | None = Field(
        default=None, description="energy CO2 (total without process emissions): the numerator L starts from"
    )
    grid_factor_tco2_per_mwh: NonNegativeDecimalStr | None = Field(
        default=None, description="grid factor the calculation used (from the factor set), values certificates"
    )
    grid_factor_source: str | None = Field(
        default=None, max_length=200, description="series/region/year of that factor, with any fallback year"
    )


class EvaluationCompleted(EventPayload):
    """A completed carbon-efficiency evaluation: intensity, K value, grade, level, neutralisation rate."""

    EVENT_TYPE: ClassVar[EventType] = EventType.EVALUATION_COMPLETED
    evaluation_id: uuid.UUID
    supersedes: uuid.UUID | None = Field(default=None, description="the earlier evaluation of the period it replaces")
    calculation_id: uuid.UUID
    enterprise_name: str | None = None
    region_code: RegionCode
    industry_code: IndustryCode
    period: PeriodCode
    total_emissions_tco2: DecimalStr
    net_emissions_tco2: NonNegativeDecimalStr
    intensity_tco2_per_10k_cny: NonNegativeDecimalStr
    level: CarbonLevel
    benchmark_intensity_tco2_per_10k_cny: NonNegativeDecimalStr
    efficiency_value_k: NonNegativeDecimalStr
    grade: int = Field(ge=1, le=5)
    grade_colour: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    neutralisation_rate: NonNegativeDecimalStr = Field(description="0..1")
    questionnaire_score: DecimalStr | None = None
    rule_set_version: str
    benchmark_version: str
    input_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    completed_at: datetime
    factor_set_version: str | None = Field(
        default=None, description="emission factor set of the calculation the evaluation rests on"
    )


class CertificateIssued(EventPayload):
    """A signed carbon-efficiency certificate and its coloured code were issued."""

    EVENT_TYPE: ClassVar[EventType] = EventType.CERTIFICATE_ISSUED
    certificate_id: uuid.UUID
    certificate_code: str
    evaluation_id: uuid.UUID
    revokes: list[uuid.UUID] = Field(default_factory=list, description="certificates superseded by this one")
    region_code: RegionCode
    industry_code: IndustryCode
    period: PeriodCode
    grade: int = Field(ge=1, le=5)
    level: CarbonLevel
    handle: str = Field(description="identifier of the certificate record")
    url: str = Field(description="public certificate page the QR code opens")
    issued_at: datetime
    valid_until: date


class BenchmarkEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    industry_code: IndustryCode
    region_scope: RegionCode = Field(description="the region the benchmark covers (province, city or county)")
    year: int = Field(ge=1900, le=2999)
    intensity_tco2_per_10k_cny: NonNegativeDecimalStr = Field(
        description="ratio of sums: Σ intensity emissions / Σ added value (DOMAIN §2)"
    )
    sample_size: int = Field(ge=1)
    total_emissions_tco2: DecimalStr = Field(
        description="Σ of the enterprises' intensity emissions (L × added value: energy CO2 − own zero-carbon "
        "generation − sinks), the numerator of the ratio"
    )
    total_added_value_10k_cny: NonNegativeDecimalStr
    method: str = "ratio-of-sums"


class BenchmarkPublished(EventPayload):
    """A regulator published a set of industry benchmarks. Keyed by the publishing region, not an enterprise."""

    EVENT_TYPE: ClassVar[EventType] = EventType.BENCHMARK_PUBLISHED
    enterprise_id: uuid.UUID = Field(
        default=uuid.UUID(int=0), description="not used: benchmark sets belong to no enterprise (nil UUID)"
    )
    benchmark_set_id: uuid.UUID
    version: str
    region_scope: RegionCode
    published_by: str
    entries: list[BenchmarkEntry] = Field(min_length=1)
    published_at: datetime

    def partition_key(self) -> str:
        return f"benchmark:{self.region_scope}"


METER_QUALITY = Literal["good", "estimated", "bad"]


class MeterReadingValue(BaseModel):
    """One reading of a meter: the device's own timestamp (UTC), the value in the unit it reports, a quality flag."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime = Field(description="when the device measured (its own clock), UTC")
    value: DecimalStr = Field(description="register value (cumulative devices) or the interval's quantity")
    unit: str = Field(min_length=1, max_length=16, examples=["kWh", "MWh", "m3", "10^4 Nm3", "t", "GJ"])
    quality: METER_QUALITY = "good"


class MeterReadings(EventPayload):
    """Readings of one active identifier carrier (a meter), produced by a collection gateway (topic keyed by device)."""

    EVENT_TYPE: ClassVar[EventType] = EventType.METER_READING
    device: str = Field(min_length=3, max_length=256, pattern=r"^[^/\s]+/[^\s]+$", examples=["88.118.8/MTR-0001"])
    gateway: str | None = Field(default=None, max_length=128, description="the collection gateway that sent them")
    readings: list[MeterReadingValue] = Field(min_length=1, max_length=10_000)

    def partition_key(self) -> str:
        return self.device


class MeteredLine(BaseModel):
    """One emission source's metered quantity of one day, with how complete the meters' data was."""

    model_config = ConfigDict(frozen=True)

    source_code: str = Field(description="platform emission source code, e.g. electricity.purchased")
    carrier: str = Field(examples=["electricity", "natural_gas", "steam", "heat", "coal", "diesel"])
    quantity: DecimalStr
    unit: str = Field(examples=["MWh", "10^4 Nm3", "t", "GJ"])
    devices: int = Field(ge=0)
    readings: int = Field(ge=0)
    expected_readings: int = Field(ge=0)
    completeness: DecimalStr = Field(description="readings received ÷ readings expected, 0..1")
    quarantined: int = Field(ge=0, description="readings of the day held back in quarantine")
    gaps: int = Field(ge=0, description="missing intervals of the day (marked, never filled silently)")


class ActivityMetered(EventPayload):
    """An enterprise's metered activity of one day (China Standard Time); a later revision replaces an earlier one."""

    EVENT_TYPE: ClassVar[EventType] = EventType.ACTIVITY_METERED
    identifier_prefix: str
    day: date = Field(description="the calendar day in China Standard Time (UTC+8)")
    revision: int = Field(ge=1, description="increases each time a late or corrected reading changes the day")
    lines: list[MeteredLine]
    completeness: DecimalStr = Field(description="the day's readings received ÷ expected over every device, 0..1")
    computed_at: datetime


EVENT_MODELS: dict[EventType, type[EventPayload]] = {
    m.EVENT_TYPE: m
    for m in (
        EnterpriseResolved,
        ActivityResolved,
        EmissionCalculated,
        EvaluationCompleted,
        CertificateIssued,
        BenchmarkPublished,
        MeterReadings,
        ActivityMetered,
    )
}
