"""Emission sources (排放源): what an activity line can be, how it is priced and where it is reported."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from carbonid_calculator.domain.errors import ReferenceDataError, UnknownSourceError, UnknownUnitError
from carbonid_calculator.domain.units import Unit, parse_unit


class SourceCategory(StrEnum):
    COMBUSTION = "combustion"
    PROCESS = "process"
    ELECTRICITY = "electricity"
    HEAT = "heat"
    BIOMASS = "biomass"
    RENEWABLE = "renewable"


class FlowDirection(StrEnum):
    """Exported flows are subtracted from the total (GB/T 32150-2015); the others add to it."""

    CONSUMED = "consumed"
    PURCHASED = "purchased"
    EXPORTED = "exported"
    GENERATED = "generated"


class Scope(StrEnum):
    """``outside``: reported for information only (biomass CO2, own renewable generation)."""

    SCOPE1 = "scope1"
    SCOPE2 = "scope2"
    OUTSIDE = "outside"


class EnergyCarrier(StrEnum):
    COAL = "coal"
    OIL = "oil"
    GAS = "gas"
    ELECTRICITY = "electricity"
    HEAT = "heat"
    PROCESS = "process"
    OTHER = "other"


class FactorKind(StrEnum):
    """Which factor table prices the source."""

    FUEL = "fuel"
    PROCESS = "process"
    GRID_ELECTRICITY = "grid_electricity"
    HEAT = "heat"
    STEAM = "steam"
    NONE = "none"


@dataclass(frozen=True)
class EmissionSource:
    """A platform emission source such as ``fuel.bituminous_coal`` or ``electricity.purchased``."""

    code: str
    name_zh: str
    name_en: str
    category: SourceCategory
    direction: FlowDirection
    scope: Scope
    carrier: EnergyCarrier
    factor_kind: FactorKind
    default_unit: Unit
    allowed_units: tuple[Unit, ...]

    @property
    def sign(self) -> int:
        """+1 for what adds to emissions and energy use, -1 for exported energy."""
        return -1 if self.direction is FlowDirection.EXPORTED else 1

    @property
    def counted_in_total(self) -> bool:
        """Biomass CO2 and own renewable generation are reported but never counted in the total."""
        return self.category not in (SourceCategory.BIOMASS, SourceCategory.RENEWABLE)


class EmissionSourceCatalogue:
    """All emission sources the platform knows, by code, in catalogue order."""

    def __init__(self, sources: tuple[EmissionSource, ...]) -> None:
        self._by_code = {s.code: s for s in sources}
        if len(self._by_code) != len(sources):
            raise ReferenceDataError("排放源编码重复", "duplicate emission source code")

    def get(self, code: str) -> EmissionSource:
        """The source with ``code``; raises UnknownSourceError."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownSourceError(
                f"未知排放源：{code!r}", f"unknown emission source: {code!r}", field="source_code"
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[EmissionSource]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)


def _source_from_row(row: Mapping[str, Any]) -> EmissionSource:
    default_unit = parse_unit(str(row["default_unit"]))
    allowed = tuple(parse_unit(str(u)) for u in row["allowed_units"])
    if default_unit not in allowed:
        raise ReferenceDataError(
            f"排放源 {row['code']} 的默认单位不在允许单位中", f"source {row['code']}: default unit not allowed"
        )
    return EmissionSource(
        code=str(row["code"]),
        name_zh=str(row["name_zh"]),
        name_en=str(row["name_en"]),
        category=SourceCategory(row["category"]),
        direction=FlowDirection(row["direction"]),
        scope=Scope(row["scope"]),
        carrier=EnergyCarrier(row["carrier"]),
        factor_kind=FactorKind(row["factor_kind"]),
        default_unit=default_unit,
        allowed_units=allowed,
    )


def parse_emission_sources(text: str) -> EmissionSourceCatalogue:
    """Parse ``emission_sources.json`` (format ``carbonid-emission-sources/1``) into a catalogue."""
    try:
        document = json.loads(text)
        return EmissionSourceCatalogue(tuple(_source_from_row(row) for row in document["sources"]))
    except UnknownUnitError as exc:
        raise ReferenceDataError(f"排放源数据无效：{exc.message_zh}", f"invalid source data: {exc.message_en}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"排放源数据无效：{exc}", f"invalid emission source data: {exc}") from exc
