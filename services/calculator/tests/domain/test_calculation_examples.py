"""DOMAIN examples and every factor row, reproduced exactly; expected values computed independently here."""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from carbonid_calculator.data import ReferenceData
from carbonid_calculator.domain import (
    ActivityLine,
    CalculationResult,
    EnergyCarrier,
    GridFactorPolicy,
    GridLevel,
    MeasuredFuelParameters,
    Reductions,
    Scope,
    SourceCategory,
    present_str,
)
from carbonid_calculator.domain.inputs import CalculationSettings, LineOrigin
from carbonid_calculator.domain.rounding import Presentation

Calculate = Callable[..., CalculationResult]

NDRC_FUELS = {  # the DOMAIN §1 table again, written out so this test does not read the library's rows
    "anthracite": ("24.515", "0.02749", "0.94", "t"),
    "bituminous_coal": ("23.204", "0.02618", "0.93", "t"),
    "raw_coal": ("23.204", "0.02618", "0.93", "t"),
    "lignite": ("14.449", "0.02800", "0.96", "t"),
    "washed_coal": ("26.344", "0.02540", "0.93", "t"),
    "coke": ("28.446", "0.02940", "0.93", "t"),
    "crude_oil": ("42.62", "0.02010", "0.98", "t"),
    "fuel_oil": ("40.19", "0.02110", "0.98", "t"),
    "gasoline": ("44.80", "0.01890", "0.98", "t"),
    "diesel": ("43.33", "0.02020", "0.98", "t"),
    "kerosene": ("44.75", "0.01960", "0.98", "t"),
    "lpg": ("47.31", "0.01720", "0.99", "t"),
    "refinery_dry_gas": ("46.05", "0.01820", "0.99", "t"),
    "natural_gas": ("389.31", "0.01530", "0.99", "10^4 Nm3"),
    "coke_oven_gas": ("173.854", "0.01360", "0.99", "10^4 Nm3"),
    "blast_furnace_gas": ("37.69", "0.07080", "0.99", "10^4 Nm3"),
    "converter_gas": ("79.54", "0.04960", "0.99", "10^4 Nm3"),
}


def close(actual: Decimal, expected: Decimal) -> bool:
    """Equal to the 25th decimal: the domain keeps 34 significant digits and 44/12 is not a finite decimal."""
    return abs(actual - expected) < Decimal("1e-25")


def two_places(value: Fraction) -> str:
    """Round a fraction half up to 2 places, independently of the domain's rounding helper."""
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


@pytest.mark.parametrize(("fuel", "row"), sorted(NDRC_FUELS.items()))
def test_each_fuel_row_for_one_unit(run: Calculate, fuel: str, row: tuple[str, str, str, str]) -> None:
    ncv, cc, of, unit = row
    expected = Fraction(ncv) * Fraction(cc) * Fraction(of) * Fraction(44, 12)
    result = run(ActivityLine(f"fuel.{fuel}", Decimal(1), unit), industry="3110")
    assert present_str(result.total_emissions_tco2, Presentation.EMISSIONS_TCO2) == two_places(expected)
    # Full precision inside: the unrounded figure agrees with the exact fraction to 30 digits.
    assert abs(Fraction(result.total_emissions_tco2) - expected) < Fraction(1, 10**30)


def test_bituminous_coal_1000_t_exact(run: Calculate) -> None:
    result = run(ActivityLine("fuel.bituminous_coal", Decimal(1000), "t"))
    # 1000 × 23.204 × 0.02618 × 0.93 × 44/12 = 2071.5092552 t CO2
    assert present_str(result.total_emissions_tco2, Presentation.EMISSIONS_TCO2) == "2071.51"
    assert close(result.total_emissions_tco2, Decimal("2071.5092552"))


def test_domain_steam_example(run: Calculate) -> None:
    result = run(ActivityLine("steam.purchased", Decimal(1000), "t", steam_enthalpy_kj_per_kg=Decimal(2777)))
    assert result.lines[0].activity.value == Decimal(2777)
    assert result.total_emissions_tco2 == Decimal("305.47")
    assert result.presented_summary()["total_emissions_tco2"] == "305.47"


def test_domain_electricity_example_2022_national(run: Calculate) -> None:
    result = run(ActivityLine("electricity.purchased", Decimal(1000), "MWh"), period="2022")
    assert result.total_emissions_tco2 == Decimal("536.6")
    assert result.grid_factor.factor.tco2_per_mwh == Decimal("0.5366")
    assert not result.grid_factor.fell_back
    assert result.presented_summary()["total_emissions_tco2"] == "536.60"


def test_electricity_in_kwh_gives_the_same(run: Calculate) -> None:
    result = run(ActivityLine("electricity.purchased", Decimal(1_000_000), "kWh"), period="2022")
    assert result.total_emissions_tco2 == Decimal("536.6")


def test_unpublished_year_uses_latest_and_says_so(run: Calculate) -> None:
    result = run(ActivityLine("electricity.purchased", Decimal(1000), "MWh"), period="2024-03")
    assert result.grid_factor.factor.year == 2023
    assert result.grid_factor.fell_back
    assert result.total_emissions_tco2 == Decimal("530.6")


def test_regional_grid_setting(run: Calculate) -> None:
    settings = CalculationSettings(grid_policy=GridFactorPolicy(level=GridLevel.REGIONAL, region_code="east"))
    result = run(ActivityLine("electricity.purchased", Decimal(1000), "MWh"), period="2022", settings=settings)
    assert result.total_emissions_tco2 == Decimal("561.7")


@pytest.mark.parametrize(
    ("code", "factor"),
    [
        ("process.caco3", "0.4397"),
        ("process.mgco3", "0.5220"),
        ("process.camg_co3_2", "0.4773"),
        ("process.na2co3", "0.4152"),
        ("process.feco3", "0.3799"),
        ("process.carbon", "3.664"),
    ],
)
def test_process_line(run: Calculate, code: str, factor: str) -> None:
    result = run(ActivityLine(code, Decimal(100), "t"), industry="3110")
    assert result.total_emissions_tco2 == Decimal(100) * Decimal(factor)
    assert result.by_category[SourceCategory.PROCESS] == result.total_emissions_tco2
    assert result.by_scope[Scope.SCOPE1] == result.total_emissions_tco2
    assert result.energy_emissions_tco2 == 0  # process CO2 is not energy CO2 (DOMAIN §2)


def test_total_formula_with_every_kind_of_line(run: Calculate) -> None:
    result = run(
        ActivityLine("fuel.bituminous_coal", Decimal(1000), "t", origin=LineOrigin.RESOLVED),
        ActivityLine("process.caco3", Decimal(100), "t"),
        ActivityLine("electricity.purchased", Decimal(2000), "MWh"),
        ActivityLine("electricity.exported", Decimal(500), "MWh"),
        ActivityLine("heat.purchased", Decimal(1000), "GJ"),
        ActivityLine("heat.exported", Decimal(200), "GJ"),
        ActivityLine("biomass.wood", Decimal(50), "t"),
        period="2022",
    )
    combustion = Decimal(1000) * Decimal("23.204") * Decimal("0.02618") * Decimal("0.93") * 44 / 12
    expected = combustion + Decimal("43.97") + Decimal("1073.2") - Decimal("268.3") + Decimal(110) - Decimal(22)
    assert abs(result.total_emissions_tco2 - expected) < Decimal("1e-25")
    assert result.by_category[SourceCategory.ELECTRICITY] == Decimal("804.9")
    assert result.by_category[SourceCategory.HEAT] == Decimal(88)
    assert result.by_scope[Scope.SCOPE2] == Decimal("892.9")
    assert close(result.biomass_emissions_tco2, Decimal("87.23"))  # 50 × 15.6 × 0.0305 × 1 × 44/12
    electricity = next(c for c in result.by_carrier if c.carrier is EnergyCarrier.ELECTRICITY)
    assert electricity.energy_tce == Decimal(1500) * Decimal("0.1229")


def test_measured_parameters_take_precedence(run: Calculate) -> None:
    measured = MeasuredFuelParameters(ncv=Decimal("25.1"), oxidation_rate=Decimal("0.98"))
    result = run(ActivityLine("fuel.bituminous_coal", Decimal(10), "t", measured=measured))
    expected = Decimal(10) * Decimal("25.1") * Decimal("0.02618") * Decimal("0.98") * 44 / 12
    assert close(result.total_emissions_tco2, expected)
    assert result.lines[0].measured
    step = next(s for s in result.trace if s.kind.value == "line_emission")
    flags = {o.name: o.measured for o in step.operands}
    assert flags == {"FC": False, "NCV": True, "CC": False, "OF": True, "44/12": False}


def test_intensity_and_neutralisation(run: Calculate) -> None:
    result = run(
        ActivityLine("electricity.purchased", Decimal(10000), "MWh"),
        ActivityLine("electricity.own_renewable", Decimal(1000), "MWh"),
        ActivityLine("process.caco3", Decimal(1000), "t"),
        period="2022",
        added_value=Decimal(2000),
        reductions=Reductions(ccer_tco2=Decimal(100), green_certificates_mwh=Decimal(500), sinks_tco2=Decimal(10)),
    )
    # energy CO2 5366; avoided 1000 × 0.5366; L = (5366 − 536.6 − 10) ÷ 2000
    assert result.intensity_tco2_per_10k_cny == Decimal("2.4097")
    n = result.neutralisation
    assert n.total_tco2 == Decimal(100) + Decimal("268.3") + Decimal("536.6") + Decimal(10)
    assert result.total_emissions_tco2 == Decimal("5805.7")
    assert result.net_emissions_tco2 == Decimal("5805.7") - n.total_tco2
    assert present_str(n.rate, Presentation.RATE) == "0.1576"


def test_exported_power_is_not_credited_twice_as_own_renewable(run: Calculate) -> None:
    result = run(
        ActivityLine("electricity.purchased", Decimal(1000), "MWh"),
        ActivityLine("electricity.exported", Decimal(300), "MWh"),
        reductions=Reductions(own_renewable_mwh=Decimal(500)),
        period="2022",
    )
    assert result.neutralisation.own_renewable_credited_mwh == Decimal(200)
    assert result.avoided_by_own_renewable_tco2 == Decimal(200) * Decimal("0.5366")


def test_neutralisation_rate_is_capped_and_net_never_negative(run: Calculate) -> None:
    result = run(
        ActivityLine("electricity.purchased", Decimal(100), "MWh"), reductions=Reductions(ccer_tco2=Decimal(1000))
    )
    assert result.neutralisation.rate == 1
    assert result.net_emissions_tco2 == 0


def test_gbt_family_gives_a_different_diesel_result(run: Calculate, reference: ReferenceData) -> None:
    gbt = reference.factors.get("gbt-2589-ncv/v1")
    ndrc = run(ActivityLine("fuel.diesel", Decimal(1), "t"))
    other = run(ActivityLine("fuel.diesel", Decimal(1), "t"), factors=gbt)
    assert close(other.total_emissions_tco2, Decimal("42.652") * Decimal("0.02020") * Decimal("0.98") * 44 / 12)
    assert not close(ndrc.total_emissions_tco2, other.total_emissions_tco2)
    assert other.factor_set_id == "gbt-2589-ncv/v1"
    assert ndrc.input_hash != other.input_hash


def test_presented_summary_is_contract_shaped(run: Calculate) -> None:
    summary = run(ActivityLine("fuel.natural_gas", Decimal(12345), "m3")).presented_summary()
    assert set(summary["by_scope"]) == {"scope1", "scope2"}
    assert {c["carrier"] for c in summary["by_carrier"]} == {c.value for c in EnergyCarrier}
    assert summary["energy_tce"] == "14.99"  # 12,345 m³ = 1.2345 × 10^4 Nm3, × 12.143 tce per 10^4 Nm3
    assert "0.1229" in summary["electricity_convention"]
