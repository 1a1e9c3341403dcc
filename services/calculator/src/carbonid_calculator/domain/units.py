"""Quantities as Decimal with an explicit unit, and the explicit conversions between units.

Electricity (Wh family) and heat (J family) are deliberately separate dimensions: converting kWh to GJ is
physically possible but in carbon accounting it invites mixing the calorific-equivalent and the
generation-based value, so the domain refuses it. Gas volumes are normal cubic metres (0 °C, 101.325 kPa);
``m3`` is taken to be metered at normal conditions, as the NDRC guidelines assume.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from carbonid_calculator.domain.errors import IncompatibleUnitsError, UnknownUnitError


class Dimension(StrEnum):
    MASS = "mass"
    ENERGY = "energy"
    ELECTRICITY = "electricity"
    GAS_VOLUME = "gas_volume"
    SPECIFIC_ENTHALPY = "specific_enthalpy"
    EMISSIONS = "emissions"
    STANDARD_COAL = "standard_coal"


class Unit(StrEnum):
    """Canonical unit symbols; the string value is what travels on the wire."""

    T = "t"
    KG = "kg"
    GJ = "GJ"
    MJ = "MJ"
    TJ = "TJ"
    KWH = "kWh"
    MWH = "MWh"
    M3 = "m3"
    NM3_10K = "10^4 Nm3"
    KJ_PER_KG = "kJ/kg"
    TCO2 = "tCO2"
    TCE = "tce"

    @property
    def dimension(self) -> Dimension:
        return _DIMENSION[self]


# Size of each unit in its dimension's base unit (t, GJ, MWh, 10^4 Nm3, kJ/kg, tCO2, tce); exact decimals.
_SCALE: dict[Unit, tuple[Dimension, Decimal]] = {
    Unit.T: (Dimension.MASS, Decimal(1)),
    Unit.KG: (Dimension.MASS, Decimal("0.001")),
    Unit.GJ: (Dimension.ENERGY, Decimal(1)),
    Unit.MJ: (Dimension.ENERGY, Decimal("0.001")),
    Unit.TJ: (Dimension.ENERGY, Decimal(1000)),
    Unit.MWH: (Dimension.ELECTRICITY, Decimal(1)),
    Unit.KWH: (Dimension.ELECTRICITY, Decimal("0.001")),
    Unit.NM3_10K: (Dimension.GAS_VOLUME, Decimal(1)),
    Unit.M3: (Dimension.GAS_VOLUME, Decimal("0.0001")),
    Unit.KJ_PER_KG: (Dimension.SPECIFIC_ENTHALPY, Decimal(1)),
    Unit.TCO2: (Dimension.EMISSIONS, Decimal(1)),
    Unit.TCE: (Dimension.STANDARD_COAL, Decimal(1)),
}
_DIMENSION = {unit: dim for unit, (dim, _) in _SCALE.items()}

_ALIASES: dict[str, Unit] = {
    **{u.value.lower().replace(" ", ""): u for u in Unit},
    "吨": Unit.T,
    "tonne": Unit.T,
    "tonnes": Unit.T,
    "千克": Unit.KG,
    "公斤": Unit.KG,
    "吉焦": Unit.GJ,
    "兆焦": Unit.MJ,
    "太焦": Unit.TJ,
    "千瓦时": Unit.KWH,
    "度": Unit.KWH,
    "兆瓦时": Unit.MWH,
    "nm3": Unit.M3,
    "立方米": Unit.M3,
    "标准立方米": Unit.M3,
    "10^4m3": Unit.NM3_10K,
    "万nm3": Unit.NM3_10K,
    "万m3": Unit.NM3_10K,
    "万立方米": Unit.NM3_10K,
    "万标准立方米": Unit.NM3_10K,
    "千焦/千克": Unit.KJ_PER_KG,
    "吨二氧化碳": Unit.TCO2,
    "吨标准煤": Unit.TCE,
}


def parse_unit(text: str) -> Unit:
    """The unit a symbol names (canonical symbols and common Chinese names); raises UnknownUnitError."""
    key = text.strip().replace("³", "3").replace("⁴", "^4").replace(" ", "").lower()
    unit = _ALIASES.get(key)
    if unit is None:
        raise UnknownUnitError(f"未知计量单位：{text!r}", f"unknown unit: {text!r}", field="unit")
    return unit


@dataclass(frozen=True)
class Quantity:
    """A decimal amount in an explicit unit. Floats are refused: they cannot carry exact figures."""

    value: Decimal
    unit: Unit

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError(f"quantity value must be a Decimal, got {type(self.value).__name__}")

    def to(self, unit: Unit) -> Quantity:
        """This quantity expressed in ``unit`` (same dimension only)."""
        return convert(self, unit).result

    def __str__(self) -> str:
        return f"{self.value:f} {self.unit.value}"


@dataclass(frozen=True)
class UnitConversion:
    """One explicit conversion step, kept for the calculation trace: ``result = source × factor``."""

    source: Quantity
    result: Quantity
    factor: Decimal
    factor_unit: str

    @property
    def is_identity(self) -> bool:
        return self.source.unit is self.result.unit and self.factor == 1


def conversion_factor(source: Unit, target: Unit) -> Decimal:
    """How many ``target`` units one ``source`` unit is; raises IncompatibleUnitsError across dimensions."""
    source_dim, source_scale = _SCALE[source]
    target_dim, target_scale = _SCALE[target]
    if source_dim is not target_dim:
        raise IncompatibleUnitsError(
            f"无法将 {source.value}（{source_dim.value}）换算为 {target.value}（{target_dim.value}）",
            f"cannot convert {source.value} ({source_dim.value}) to {target.value} ({target_dim.value})",
            field="unit",
        )
    return source_scale / target_scale


def convert(quantity: Quantity, target: Unit) -> UnitConversion:
    """Convert ``quantity`` to ``target`` exactly (the scales are powers of ten)."""
    factor = conversion_factor(quantity.unit, target)
    return UnitConversion(
        source=quantity,
        result=Quantity(quantity.value * factor, target),
        factor=factor,
        factor_unit=f"{target.value}/{quantity.unit.value}",
    )


def steam_to_heat(mass: Quantity, enthalpy: Quantity) -> UnitConversion:
    """Heat carried by steam: GJ = t × (kJ/kg) ÷ 1000, since 1 t × 1 kJ/kg = 1,000 kJ = 0.001 GJ.

    ``mass`` in any mass unit, ``enthalpy`` in kJ/kg (DOMAIN §1: 1,000 t at 2,777 kJ/kg → 2,777 GJ).
    """
    if enthalpy.unit is not Unit.KJ_PER_KG:
        raise IncompatibleUnitsError(
            f"蒸汽焓值须以 kJ/kg 表示，收到 {enthalpy.unit.value}",
            f"steam enthalpy must be in kJ/kg, got {enthalpy.unit.value}",
            field="steam_enthalpy_kj_per_kg",
        )
    tonnes = mass.to(Unit.T)
    factor = enthalpy.value / Decimal(1000)
    return UnitConversion(
        source=tonnes, result=Quantity(tonnes.value * factor, Unit.GJ), factor=factor, factor_unit="GJ/t"
    )
