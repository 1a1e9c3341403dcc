"""What a calculation is asked: sub-industry, period, added value, activity lines and reductions."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum

from carbonid_calculator.domain.factors import GridFactorPolicy
from carbonid_contracts.codes.period import Period


class LineOrigin(StrEnum):
    """``resolved``: fetched by identifier resolution and locked; ``manual``: entered by the user."""

    RESOLVED = "resolved"
    MANUAL = "manual"


def _refuse_floats(instance: object) -> None:
    for f in fields(instance):  # type: ignore[arg-type]
        if isinstance(getattr(instance, f.name), float):
            raise TypeError(f"{type(instance).__name__}.{f.name} must be a Decimal, not a float")


@dataclass(frozen=True)
class MeasuredFuelParameters:
    """Enterprise-measured fuel parameters; each one given takes precedence over the default and is marked.

    ``ncv`` is in GJ per the fuel's default unit (GJ/t, or GJ/10^4 Nm3 for gases), ``carbon_content`` in
    tC/GJ, ``oxidation_rate`` a fraction in (0, 1].
    """

    ncv: Decimal | None = None
    carbon_content_tc_per_gj: Decimal | None = None
    oxidation_rate: Decimal | None = None

    def __post_init__(self) -> None:
        _refuse_floats(self)


@dataclass(frozen=True)
class ActivityLine:
    """One activity figure: how much of an emission source, in which unit, where it came from.

    ``steam_enthalpy_kj_per_kg`` is required for steam in tonnes and refused elsewhere. ``handle`` is the
    identifier of the resolved record (provenance only: it is not part of the input hash).
    """

    source_code: str
    quantity: Decimal
    unit: str
    origin: LineOrigin = LineOrigin.MANUAL
    measured: MeasuredFuelParameters | None = None
    steam_enthalpy_kj_per_kg: Decimal | None = None
    handle: str | None = None

    def __post_init__(self) -> None:
        _refuse_floats(self)


@dataclass(frozen=True)
class Reductions:
    """Reductions and offsets (DOMAIN §2). 1 CCER = 1 t CO2e; 1 green certificate = 1 MWh.

    ``own_renewable_mwh=None`` takes the sum of the ``electricity.own_renewable`` activity lines; when both are
    given they must agree (one figure, never counted twice).
    """

    ccer_tco2: Decimal = Decimal(0)
    green_certificates_mwh: Decimal = Decimal(0)
    own_renewable_mwh: Decimal | None = None
    sinks_tco2: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _refuse_floats(self)


@dataclass(frozen=True)
class CalculationInput:
    """Everything the user supplies for one enterprise and one period."""

    sub_industry_code: str
    period: Period
    added_value_10k_cny: Decimal
    lines: tuple[ActivityLine, ...]
    reductions: Reductions = field(default_factory=Reductions)

    def __post_init__(self) -> None:
        _refuse_floats(self)


@dataclass(frozen=True)
class CalculationSettings:
    """Per-deployment settings (DOMAIN §1 choices); recorded in the input hash where they change results."""

    grid_policy: GridFactorPolicy = field(default_factory=GridFactorPolicy)
    earliest_period_start: date = date(2010, 1, 1)
    allow_unfinished_period: bool = False
