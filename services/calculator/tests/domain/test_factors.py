from dataclasses import replace
from decimal import Decimal

import pytest

from carbonid_calculator.data import ReferenceData, factor_table_texts
from carbonid_calculator.domain import (
    EmissionFactorSet,
    FactorKind,
    FactorNotFoundError,
    GridFactorPolicy,
    GridLevel,
    GridSeries,
    ReferenceDataError,
    parse_factor_library,
)

# DOMAIN §1 default fuel parameters (NDRC guideline family): NCV, CC (tC/GJ), OF.
DOMAIN_FUELS = {
    "anthracite": ("24.515", "0.02749", "0.94"),
    "bituminous_coal": ("23.204", "0.02618", "0.93"),
    "lignite": ("14.449", "0.02800", "0.96"),
    "washed_coal": ("26.344", "0.02540", "0.93"),
    "coke": ("28.446", "0.02940", "0.93"),
    "crude_oil": ("42.62", "0.02010", "0.98"),
    "fuel_oil": ("40.19", "0.02110", "0.98"),
    "gasoline": ("44.80", "0.01890", "0.98"),
    "diesel": ("43.33", "0.02020", "0.98"),
    "kerosene": ("44.75", "0.01960", "0.98"),
    "lpg": ("47.31", "0.01720", "0.99"),
    "refinery_dry_gas": ("46.05", "0.01820", "0.99"),
    "natural_gas": ("389.31", "0.01530", "0.99"),
    "coke_oven_gas": ("173.854", "0.01360", "0.99"),
    "blast_furnace_gas": ("37.69", "0.07080", "0.99"),
    "converter_gas": ("79.54", "0.04960", "0.99"),
}

# DOMAIN §1 grid factors: (series, level, region, year) -> t CO2/MWh.
A, X, N, R, P = (
    GridSeries.AVERAGE,
    GridSeries.AVERAGE_EXCLUDING_MARKET_NON_FOSSIL,
    GridLevel.NATIONAL,
    GridLevel.REGIONAL,
    GridLevel.PROVINCIAL,
)
DOMAIN_GRID = {
    (A, N, "CN", 2021): "0.5568",
    (A, N, "CN", 2022): "0.5366",
    (A, N, "CN", 2023): "0.5306",
    (X, N, "CN", 2021): "0.5942",
    (X, N, "CN", 2023): "0.6096",
    (A, R, "north", 2021): "0.7120",
    (A, R, "north", 2022): "0.6776",
    (A, R, "north", 2023): "0.6361",
    (A, R, "northeast", 2021): "0.6012",
    (A, R, "northeast", 2022): "0.5564",
    (A, R, "northeast", 2023): "0.5122",
    (A, R, "east", 2021): "0.5992",
    (A, R, "east", 2022): "0.5617",
    (A, R, "east", 2023): "0.5500",
    (A, R, "central", 2021): "0.5354",
    (A, R, "central", 2022): "0.5395",
    (A, R, "central", 2023): "0.5271",
    (A, R, "northwest", 2021): "0.5951",
    (A, R, "northwest", 2022): "0.5857",
    (A, R, "northwest", 2023): "0.5543",
    (A, R, "south", 2021): "0.4326",
    (A, R, "south", 2022): "0.3869",
    (A, R, "southwest", 2021): "0.2113",
    (A, R, "southwest", 2022): "0.2268",
    (A, P, "110000", 2021): "0.5688",
    (A, P, "110000", 2022): "0.558",
    (A, P, "310000", 2021): "0.5834",
    (A, P, "310000", 2022): "0.5849",
    (A, P, "320000", 2021): "0.6451",
    (A, P, "320000", 2022): "0.5978",
    (A, P, "330000", 2021): "0.5422",
    (A, P, "330000", 2022): "0.5153",
    (A, P, "340000", 2021): "0.7075",
    (A, P, "340000", 2022): "0.6782",
    (A, P, "370000", 2021): "0.6838",
    (A, P, "370000", 2022): "0.641",
    (A, P, "440000", 2021): "0.4715",
    (A, P, "440000", 2022): "0.4403",
    (A, P, "510000", 2021): "0.1255",
    (A, P, "510000", 2022): "0.1404",
    (A, P, "530000", 2021): "0.1235",
    (A, P, "530000", 2022): "0.1073",
    (A, P, "130000", 2021): "0.7901",
    (A, P, "130000", 2022): "0.7252",
    (A, P, "140000", 2021): "0.7222",
    (A, P, "140000", 2022): "0.7096",
    (A, P, "410000", 2021): "0.6369",
    (A, P, "410000", 2022): "0.6058",
}


@pytest.mark.parametrize(("fuel", "expected"), sorted(DOMAIN_FUELS.items()))
def test_ndrc_fuel_rows_match_domain_table(factor_set: EmissionFactorSet, fuel: str, expected: tuple[str, ...]) -> None:
    row = factor_set.fuel(f"fuel.{fuel}")
    assert (row.ncv, row.carbon_content_tc_per_gj, row.oxidation_rate) == tuple(Decimal(v) for v in expected)
    assert row.source.version == "ndrc-2013-guideline/v1"
    assert not row.assumption


def test_raw_coal_uses_the_bituminous_row_labelled_as_assumption(factor_set: EmissionFactorSet) -> None:
    raw, bituminous = factor_set.fuel("fuel.raw_coal"), factor_set.fuel("fuel.bituminous_coal")
    assert (raw.ncv, raw.carbon_content_tc_per_gj, raw.oxidation_rate) == (
        bituminous.ncv,
        bituminous.carbon_content_tc_per_gj,
        bituminous.oxidation_rate,
    )
    assert raw.assumption
    assert "assumption" in raw.note


def test_second_family_lives_beside_the_first(reference: ReferenceData) -> None:
    assert set(reference.factors.sets) == {"ndrc-2013-guideline/v1", "gbt-2589-ncv/v1"}
    gbt = reference.factors.get("gbt-2589-ncv/v1")
    diesel = gbt.fuel("fuel.diesel")
    assert diesel.ncv == Decimal("42.652")
    assert diesel.source.version == "gbt-2589-ncv/v1"
    assert "GB/T 2589" in diesel.source.document
    assert reference.factors.get("ndrc-2013-guideline/v1").fuel("fuel.diesel").ncv == Decimal("43.33")


def test_every_row_names_document_table_and_version(reference: ReferenceData) -> None:
    for factor_set in reference.factors.sets.values():
        sources = [
            *(r.source for r in factor_set.fuel_parameters),
            *(r.source for r in factor_set.grid_factors),
            factor_set.heat_factor.source,
            *(r.source for r in factor_set.process_factors),
            *(r.source for r in factor_set.standard_coal),
        ]
        for source in sources:
            assert source.document.strip(), source
            assert source.table.strip(), source
            assert source.version.strip(), source


def test_every_priced_source_has_its_factors_in_every_set(reference: ReferenceData) -> None:
    for factor_set in reference.factors.sets.values():
        for source in reference.catalogue:
            if source.factor_kind is FactorKind.FUEL:
                row = factor_set.fuel(source.code)
                assert row.ncv_unit == f"GJ/{source.default_unit.value}"
            elif source.factor_kind is FactorKind.PROCESS:
                factor_set.process(source.code)
            if source.category.value in {"combustion", "biomass", "electricity", "heat"}:
                coefficient = factor_set.standard_coal_for(source.code)
                assert coefficient is not None, source.code
                assert coefficient.unit is source.default_unit, source.code


def test_grid_factors_match_domain(factor_set: EmissionFactorSet) -> None:
    published = {(g.series, g.level, g.region_code, g.year): g.tco2_per_mwh for g in factor_set.grid_factors}
    for key, value in DOMAIN_GRID.items():
        assert published[key] == Decimal(value), key
    market = {g.year: g.tco2_per_mwh for g in factor_set.grid_factors if g.series is GridSeries.CARBON_MARKET_REPORTING}
    assert set(market.values()) == {Decimal("0.5810"), Decimal("0.5703")}


@pytest.mark.parametrize(
    ("year", "policy", "used_year", "value", "fell_back"),
    [
        (2022, GridFactorPolicy(), 2022, "0.5366", False),
        (2021, GridFactorPolicy(), 2021, "0.5568", False),
        (2024, GridFactorPolicy(), 2023, "0.5306", True),  # not yet published: latest year
        (2019, GridFactorPolicy(), 2021, "0.5568", True),  # before the first: earliest
        (2023, GridFactorPolicy(level=GridLevel.PROVINCIAL, region_code="330000"), 2022, "0.5153", True),
        (2023, GridFactorPolicy(level=GridLevel.REGIONAL, region_code="south"), 2022, "0.3869", True),
        (2022, GridFactorPolicy(level=GridLevel.REGIONAL, region_code="east"), 2022, "0.5617", False),
        (2022, GridFactorPolicy(series=GridSeries.AVERAGE_EXCLUDING_MARKET_NON_FOSSIL), 2021, "0.5942", True),
        (2024, GridFactorPolicy(year=2021), 2021, "0.5568", True),
    ],
)
def test_grid_factor_choice(
    factor_set: EmissionFactorSet, year: int, policy: GridFactorPolicy, used_year: int, value: str, fell_back: bool
) -> None:
    choice = factor_set.grid_factor(year, policy)
    assert (choice.factor.year, choice.factor.tco2_per_mwh, choice.fell_back) == (used_year, Decimal(value), fell_back)
    assert choice.requested_year == year
    assert str(used_year) in choice.explanation_en
    assert choice.explanation_zh


@pytest.mark.parametrize(
    "policy",
    [GridFactorPolicy(year=2020), GridFactorPolicy(level=GridLevel.PROVINCIAL, region_code="650000")],
)
def test_grid_factor_missing_is_an_error(factor_set: EmissionFactorSet, policy: GridFactorPolicy) -> None:
    with pytest.raises(FactorNotFoundError) as info:
        factor_set.grid_factor(2022, policy)
    assert info.value.message_zh
    assert info.value.message_en


# Molar masses (IUPAC): the process factors are stoichiometric ratios of CO2 released per tonne.
C, OXY, CA, MG, NA, FE = (Decimal(v) for v in ("12.011", "15.999", "40.078", "24.305", "22.990", "55.845"))
CO2 = C + 2 * OXY


@pytest.mark.parametrize(
    ("code", "published", "ratio"),
    [
        ("process.caco3", "0.4397", CO2 / (CA + C + 3 * OXY)),
        ("process.mgco3", "0.5220", CO2 / (MG + C + 3 * OXY)),
        ("process.camg_co3_2", "0.4773", 2 * CO2 / (CA + MG + 2 * (C + 3 * OXY))),
        ("process.na2co3", "0.4152", CO2 / (2 * NA + C + 3 * OXY)),
        ("process.feco3", "0.3799", CO2 / (FE + C + 3 * OXY)),
        ("process.carbon", "3.664", CO2 / C),
    ],
)
def test_process_factors_are_stoichiometric(
    factor_set: EmissionFactorSet, code: str, published: str, ratio: Decimal
) -> None:
    factor = factor_set.process(code).tco2_per_t
    assert factor == Decimal(published)
    assert abs(factor - ratio) < Decimal("0.0005")


def test_heat_and_standard_coal(factor_set: EmissionFactorSet) -> None:
    assert factor_set.heat_factor.tco2_per_gj == Decimal("0.11")
    gas = factor_set.standard_coal_for("fuel.natural_gas")
    assert gas is not None
    assert gas.tce_per_unit == Decimal("12.143")
    assert gas.basis == "choice"
    expected = {
        "fuel.raw_coal": "0.7143",
        "fuel.diesel": "1.4571",
        "fuel.gasoline": "1.4714",
        "electricity.purchased": "0.1229",
        "heat.purchased": "0.03412",
        "steam.purchased": "0.1286",
    }
    for code, value in expected.items():
        coefficient = factor_set.standard_coal_for(code)
        assert coefficient is not None, code
        assert coefficient.tce_per_unit == Decimal(value), code
    assert factor_set.standard_coal_for("process.caco3") is None


def test_parse_refuses_broken_tables() -> None:
    texts = factor_table_texts()
    broken = [
        replace(texts, heat_csv="version,document,table,note\nx,d,t,n\n"),  # missing column
        replace(texts, process_csv=texts.process_csv.replace("0.4397", "-0.4397")),  # negative factor
        replace(texts, fuel_parameters_csv=texts.fuel_parameters_csv.replace(",0.94,", ",1.4,")),  # OF > 1
        replace(texts, factor_sets_json=texts.factor_sets_json.replace("mee-nbs-2023/v1", "mee-nbs-2099/v1")),
        replace(texts, grid_electricity_csv=texts.grid_electricity_csv + texts.grid_electricity_csv.splitlines()[1]),
    ]
    for variant in broken:
        with pytest.raises(ReferenceDataError):
            parse_factor_library(variant)


def test_unknown_factor_set(reference: ReferenceData) -> None:
    with pytest.raises(FactorNotFoundError):
        reference.factors.get("ndrc-2013-guideline/v9")
