"""The GB/T 2260 snapshot: known codes resolve, unknown ones are rejected, the nesting is right."""

from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from carbonid_contracts.codes import regions
from carbonid_contracts.codes.region import RegionLevel, city_of, province_of, region_level, region_within
from carbonid_contracts.codes.regions import (
    SNAPSHOT_DATE,
    SNAPSHOT_SOURCE,
    KnownRegionCode,
    Region,
    UnknownRegionError,
    children,
    is_known,
    lookup,
    name_of,
    path,
    provinces,
    validate_known_region_code,
)

ALL = list(regions._snapshot().by_code.values())


class Site(BaseModel):
    region: KnownRegionCode


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("330000", "浙江省", "province", None),
        ("330500", "湖州市", "city", "330000"),
        ("330502", "吴兴区", "county", "330500"),
        ("330521", "德清县", "county", "330500"),
        ("110000", "北京市", "province", None),
        ("110101", "东城区", "county", "110000"),
        ("500229", "城口县", "county", "500000"),
        ("429004", "仙桃市", "county", "420000"),
        ("441900", "东莞市", "city", "440000"),
        ("460302", "西沙区", "county", "460300"),
        ("540481", "米林市", "county", "540400"),
        ("659012", "白杨市", "county", "650000"),
        ("710000", "台湾省", "province", None),
        ("810000", "香港特别行政区", "province", None),
        ("820000", "澳门特别行政区", "province", None),
    ],
)
def test_known_code_resolves(code: str, name: str, level: RegionLevel, parent: str | None) -> None:
    assert lookup(code) == Region(code=code, name=name, level=level, parent_code=parent)
    assert is_known(code)
    assert name_of(code) == name
    assert Site(region=code).region == code


@pytest.mark.parametrize(
    "code",
    [
        "339999",  # well-formed, no such county
        "000000",
        "12345",
        "1234567",
        "",
        "33050a",
        "110100",  # statistical placeholder 市辖区, not a division
        "429000",  # statistical placeholder 省直辖县级行政区划
        "320576",  # 苏州工业园区: statistics-only functional zone
        "540422",  # 米林县, became 米林市 540481 before the snapshot date
    ],
)
def test_unknown_code_rejected(code: str) -> None:
    assert lookup(code) is None
    assert not is_known(code)
    with pytest.raises(UnknownRegionError, match=code or "''"):
        name_of(code)
    with pytest.raises(UnknownRegionError):
        path(code)
    with pytest.raises(UnknownRegionError):
        children(code)
    with pytest.raises(ValueError, match=r"地区代码.*/ .*region code"):
        validate_known_region_code(code)
    with pytest.raises(ValidationError, match="region code"):
        Site(region=code)


def test_rejection_names_the_snapshot_in_both_languages() -> None:
    with pytest.raises(ValueError, match="339999") as caught:
        validate_known_region_code("339999")
    message = str(caught.value)
    assert "未知的地区代码" in message
    assert "unknown region code" in message
    assert SNAPSHOT_DATE in message


def test_non_string_is_not_coerced() -> None:
    with pytest.raises(ValidationError):
        Site(region=330521)


@pytest.mark.parametrize(
    ("code", "chain"),
    [
        ("330000", ["330000"]),
        ("330500", ["330000", "330500"]),
        ("330502", ["330000", "330500", "330502"]),
        ("110101", ["110000", "110101"]),  # municipality district: no prefecture level
        ("310115", ["310000", "310115"]),
        ("500229", ["500000", "500229"]),
        ("429004", ["420000", "429004"]),  # county-level city the province administers directly
    ],
)
def test_path_from_province_down(code: str, chain: list[str]) -> None:
    assert [r.code for r in path(code)] == chain
    assert path(code)[-1] == lookup(code)


def test_children() -> None:
    assert [r.code for r in children("330500")] == ["330502", "330503", "330521", "330522", "330523"]
    assert children("330502") == []
    beijing = children("110000")
    assert len(beijing) == 16
    assert {r.level for r in beijing} == {"county"}
    assert "330500" in [r.code for r in children("330000")]


def test_children_list_is_a_copy() -> None:
    children("330500").clear()
    assert len(children("330500")) == 5


def test_provinces() -> None:
    codes = [r.code for r in provinces()]
    assert len(codes) == 34
    assert codes == sorted(codes)
    assert {"110000", "330000", "650000", "710000", "810000", "820000"} <= set(codes)


def test_counts_per_level() -> None:
    per_level = {level: sum(1 for r in ALL if r.level == level) for level in ("province", "city", "county")}
    assert per_level["province"] == 34
    assert 330 <= per_level["city"] <= 340
    assert 2800 <= per_level["county"] <= 2900


def test_every_row_agrees_with_the_code_structure() -> None:
    for region in ALL:
        assert region.level == region_level(region.code), region
        if region.level == "province":
            assert region.parent_code is None, region
            continue
        city = city_of(region.code)
        expected = (
            city if region.level == "county" and city is not None and is_known(city) else province_of(region.code)
        )
        assert region.parent_code == expected, region
        assert region_within(expected, region.code)


def test_every_county_is_reachable_from_its_province() -> None:
    reached = {r.code for p in provinces() for c in children(p.code) for r in [c, *children(c.code)]}
    assert reached | {p.code for p in provinces()} == {r.code for r in ALL}


@given(st.from_regex(r"[0-9]{6}", fullmatch=True))
def test_validator_agrees_with_lookup(code: str) -> None:
    region = lookup(code)
    assert is_known(code) is (region is not None)
    if region is None:
        with pytest.raises(ValueError, match="region code"):
            validate_known_region_code(code)
    else:
        assert validate_known_region_code(code) == code
        assert path(code)[0].level == "province"


def test_data_file_header_states_date_and_source() -> None:
    text = (files("carbonid_contracts.codes") / "data" / "regions.csv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert f"# snapshot: {SNAPSHOT_DATE}" in header
    assert f"# source: {SNAPSHOT_SOURCE}" in header


def test_json_schema_carries_the_pattern() -> None:
    schema = Site.model_json_schema()["properties"]["region"]
    assert schema["pattern"] == "^[1-9][0-9]{5}$"
    assert schema["type"] == "string"
