from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_calculator.domain import (
    IncompatibleUnitsError,
    Quantity,
    Unit,
    UnknownUnitError,
    convert,
    parse_unit,
    steam_to_heat,
)

amounts = st.decimals(min_value=0, max_value=Decimal("1e9"), places=6, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("1500", Unit.KWH, Unit.MWH, "1.5"),
        ("2.5", Unit.MWH, Unit.KWH, "2500"),
        ("38931", Unit.M3, Unit.NM3_10K, "3.8931"),
        ("1", Unit.NM3_10K, Unit.M3, "10000"),
        ("250", Unit.KG, Unit.T, "0.25"),
        ("3", Unit.T, Unit.KG, "3000"),
        ("1200", Unit.MJ, Unit.GJ, "1.2"),
        ("1", Unit.TJ, Unit.GJ, "1000"),
        ("1", Unit.TJ, Unit.MJ, "1000000"),
        ("7", Unit.GJ, Unit.GJ, "7"),
    ],
)
def test_explicit_conversions(value: str, source: Unit, target: Unit, expected: str) -> None:
    conversion = convert(Quantity(Decimal(value), source), target)
    assert conversion.result == Quantity(Decimal(expected), target)
    assert conversion.result.value == conversion.source.value * conversion.factor


@pytest.mark.parametrize(
    ("source", "target"),
    [(Unit.KWH, Unit.GJ), (Unit.T, Unit.GJ), (Unit.M3, Unit.T), (Unit.KJ_PER_KG, Unit.GJ), (Unit.TCE, Unit.TCO2)],
)
def test_incompatible_conversion_refused_in_both_languages(source: Unit, target: Unit) -> None:
    with pytest.raises(IncompatibleUnitsError) as info:
        convert(Quantity(Decimal(1), source), target)
    assert "无法" in info.value.message_zh
    assert "cannot convert" in info.value.message_en


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("t", Unit.T),
        (" 吨 ", Unit.T),
        ("kWh", Unit.KWH),
        ("千瓦时", Unit.KWH),
        ("MWh", Unit.MWH),
        ("10^4 Nm3", Unit.NM3_10K),
        ("10⁴Nm³", Unit.NM3_10K),
        ("万立方米", Unit.NM3_10K),
        ("Nm³", Unit.M3),
        ("GJ", Unit.GJ),
        ("kJ/kg", Unit.KJ_PER_KG),
    ],
)
def test_parse_unit_accepts_symbols_and_chinese_names(text: str, unit: Unit) -> None:
    assert parse_unit(text) is unit


@pytest.mark.parametrize("text", ["", "gallon", "kcal", "tons of coal"])
def test_unknown_unit_raises_bilingual_error(text: str) -> None:
    with pytest.raises(UnknownUnitError) as info:
        parse_unit(text)
    assert "未知计量单位" in info.value.message_zh
    assert "unknown unit" in info.value.message_en


def test_domain_steam_example_1000_t_at_2777_kj_per_kg_is_2777_gj() -> None:
    heat = steam_to_heat(Quantity(Decimal(1000), Unit.T), Quantity(Decimal(2777), Unit.KJ_PER_KG))
    assert heat.result == Quantity(Decimal(2777), Unit.GJ)
    assert heat.factor_unit == "GJ/t"


def test_steam_mass_in_kg_is_converted_first() -> None:
    heat = steam_to_heat(Quantity(Decimal(500), Unit.KG), Quantity(Decimal(2800), Unit.KJ_PER_KG))
    assert heat.result.value == Decimal("1.4")


def test_steam_enthalpy_must_be_kj_per_kg() -> None:
    with pytest.raises(IncompatibleUnitsError):
        steam_to_heat(Quantity(Decimal(1), Unit.T), Quantity(Decimal(1), Unit.GJ))


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Quantity(1.5, Unit.T)  # type: ignore[arg-type]


@given(amounts, st.sampled_from([(Unit.KWH, Unit.MWH), (Unit.M3, Unit.NM3_10K), (Unit.KG, Unit.T), (Unit.MJ, Unit.TJ)]))
def test_round_trip_is_exact(value: Decimal, pair: tuple[Unit, Unit]) -> None:
    small, large = pair
    assert Quantity(value, small).to(large).to(small).value == value
    assert Quantity(value, large).to(small).to(large).value == value


@given(amounts, amounts)
def test_conversion_is_additive(a: Decimal, b: Decimal) -> None:
    together = Quantity(a + b, Unit.KWH).to(Unit.MWH).value
    assert together == Quantity(a, Unit.KWH).to(Unit.MWH).value + Quantity(b, Unit.KWH).to(Unit.MWH).value


@given(amounts, st.decimals(min_value=1, max_value=4000, places=1))
def test_steam_heat_is_mass_times_enthalpy_over_1000(mass: Decimal, enthalpy: Decimal) -> None:
    heat = steam_to_heat(Quantity(mass, Unit.T), Quantity(enthalpy, Unit.KJ_PER_KG)).result.value
    assert heat * 1000 == mass * enthalpy
