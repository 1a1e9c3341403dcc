import json

import pytest

from carbonid_calculator.data import ReferenceData, read_text
from carbonid_calculator.domain import (
    EnergyCarrier,
    FactorKind,
    FlowDirection,
    IndustryLevel,
    ReferenceDataError,
    Scope,
    SourceCategory,
    Unit,
    UnknownIndustryError,
    UnknownSourceError,
    parse_emission_sources,
    parse_industry_taxonomy,
)

# GB/T 4754-2017 4-digit classes and their names as the taxonomy data must carry them (from the 2017 edition;
# re-check against the official text before release).
KNOWN_CLASSES = {
    "0610": "烟煤和无烟煤开采洗选",
    "1713": "棉印染精加工",
    "2211": "木竹浆制造",
    "2221": "机制纸及纸板制造",
    "2511": "原油加工及石油制品制造",
    "2521": "炼焦",
    "2611": "无机酸制造",
    "2612": "无机碱制造",
    "2614": "有机化学原料制造",
    "2621": "氮肥制造",
    "3011": "水泥制造",
    "3012": "石灰和石膏制造",
    "3041": "平板玻璃制造",
    "3071": "建筑陶瓷制品制造",
    "3072": "卫生陶瓷制品制造",
    "3110": "炼铁",
    "3120": "炼钢",
    "3130": "钢压延加工",
    "3140": "铁合金冶炼",
    "3211": "铜冶炼",
    "3216": "铝冶炼",
    "4411": "火力发电",
    "4412": "热电联产",
    "4430": "热力生产和供应",
}


def test_at_least_sixty_sub_industries(reference: ReferenceData) -> None:
    assert len(reference.taxonomy.sub_industries()) >= 60


@pytest.mark.parametrize(("code", "name"), sorted(KNOWN_CLASSES.items()))
def test_known_classes_have_their_official_names(reference: ReferenceData, code: str, name: str) -> None:
    assert reference.taxonomy.sub_industry(code).node.name_zh == name


def test_every_division_of_mining_manufacturing_and_utilities_is_present(reference: ReferenceData) -> None:
    divisions = {n.code for n in reference.taxonomy.nodes() if n.level is IndustryLevel.DIVISION}
    assert divisions == {f"{d:02d}" for d in range(6, 47)}
    sections = {n.code: n.name_zh for n in reference.taxonomy.children(None)}
    assert sections == {"B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业"}
    assert reference.taxonomy.node("31").name_zh == "黑色金属冶炼和压延加工业"
    assert reference.taxonomy.node("44").parent == "D"


def test_every_class_sits_under_section_division_group(reference: ReferenceData) -> None:
    for sub in reference.taxonomy.sub_industries():
        chain = reference.taxonomy.ancestors(sub.code)
        assert [n.level for n in chain] == [
            IndustryLevel.SECTION,
            IndustryLevel.DIVISION,
            IndustryLevel.GROUP,
            IndustryLevel.CLASS,
        ]
        assert chain[2].code == sub.code[:3]
        assert chain[1].code == sub.code[:2]


def test_every_sub_industry_offers_electricity_and_heat(reference: ReferenceData) -> None:
    for sub in reference.taxonomy.sub_industries():
        codes = set(sub.source_codes)
        assert {"electricity.purchased", "electricity.exported", "heat.purchased", "steam.purchased"} <= codes
        assert len(codes) == len(sub.source_codes), f"{sub.code} lists a source twice"


@pytest.mark.parametrize(
    ("industry", "expected"),
    [
        ("3011", {"process.caco3", "process.mgco3", "fuel.bituminous_coal"}),
        ("3012", {"process.caco3", "process.camg_co3_2"}),
        ("3041", {"process.caco3", "process.na2co3", "process.camg_co3_2", "fuel.natural_gas"}),
        ("3110", {"fuel.coke", "fuel.blast_furnace_gas", "process.caco3", "process.carbon"}),
        ("3216", {"process.carbon"}),
        ("2211", {"biomass.black_liquor", "process.caco3"}),
        ("4411", {"fuel.bituminous_coal", "process.caco3", "biomass.wood"}),
    ],
)
def test_sub_industry_sources(reference: ReferenceData, industry: str, expected: set[str]) -> None:
    assert expected <= {s.code for s in reference.taxonomy.sources_for(industry)}


def test_cotton_dyeing_has_no_process_sources(reference: ReferenceData) -> None:
    categories = {s.category for s in reference.taxonomy.sources_for("1713")}
    assert SourceCategory.PROCESS not in categories


def test_source_attributes(reference: ReferenceData) -> None:
    catalogue = reference.catalogue
    coal = catalogue.get("fuel.bituminous_coal")
    assert (coal.category, coal.scope, coal.carrier, coal.default_unit) == (
        SourceCategory.COMBUSTION,
        Scope.SCOPE1,
        EnergyCarrier.COAL,
        Unit.T,
    )
    gas = catalogue.get("fuel.natural_gas")
    assert gas.default_unit is Unit.NM3_10K
    assert Unit.M3 in gas.allowed_units
    assert gas.carrier is EnergyCarrier.GAS
    exported = catalogue.get("electricity.exported")
    assert exported.sign == -1
    assert exported.direction is FlowDirection.EXPORTED
    assert exported.counted_in_total
    wood = catalogue.get("biomass.wood")
    assert not wood.counted_in_total
    assert wood.scope is Scope.OUTSIDE
    assert wood.factor_kind is FactorKind.FUEL
    steam = catalogue.get("steam.purchased")
    assert steam.factor_kind is FactorKind.STEAM
    assert steam.carrier is EnergyCarrier.HEAT
    for source in catalogue:
        assert source.name_zh
        assert source.name_en
        assert source.default_unit in source.allowed_units


def test_unknown_codes_raise_bilingual_errors(reference: ReferenceData) -> None:
    with pytest.raises(UnknownIndustryError):
        reference.taxonomy.sub_industry("9999")
    with pytest.raises(UnknownIndustryError):  # a division is not a sub-industry
        reference.taxonomy.sub_industry("30")
    with pytest.raises(UnknownSourceError) as info:
        reference.catalogue.get("fuel.unobtainium")
    assert "未知排放源" in info.value.message_zh
    assert "unknown emission source" in info.value.message_en


def test_taxonomy_refuses_unknown_source_and_orphan_class(reference: ReferenceData) -> None:
    document = json.loads(read_text("industries.json"))
    document["classes"].append({"code": "3019", "name_zh": "x", "sources": ["fuel.unobtainium"]})
    with pytest.raises(ReferenceDataError):
        parse_industry_taxonomy(json.dumps(document), reference.catalogue)
    document["classes"][-1] = {"code": "9991", "name_zh": "orphan", "sources": []}
    with pytest.raises(ReferenceDataError):
        parse_industry_taxonomy(json.dumps(document), reference.catalogue)


def test_sources_refuse_unknown_unit() -> None:
    document = json.loads(read_text("emission_sources.json"))
    document["sources"][0]["default_unit"] = "barrel"
    with pytest.raises(ReferenceDataError):
        parse_emission_sources(json.dumps(document))
