"""The typed enterprise profile: USCC, regions and industry validated, prefix normalised, id stable."""

from __future__ import annotations

import uuid

import pytest
from resolver_samples import enterprise_record

from carbonid_resolver.domain.enterprise import activity_handle, profile_from_record
from carbonid_resolver.domain.errors import InvalidTemplateData
from carbonid_resolver.domain.records import ENTERPRISE_NAMESPACE, enterprise_id_for, normalise_prefix


def test_profile_from_a_complete_record() -> None:
    profile = profile_from_record("88.118.8", enterprise_record())
    assert profile.name == "浙江长兴华达水泥股份有限公司"
    assert profile.uscc == "91330522600871272Q"
    assert (profile.province_code, profile.city_code, profile.county_code) == ("330000", "330500", "330522")
    assert profile.region_code == "330522"
    assert profile.industry_code == "3011"
    assert profile.industry_category == "C"
    assert profile.activity_handle_pattern == "88.118.8/energy.{YYYY-MM}"


def test_finest_industry_and_region_known_are_used() -> None:
    profile = profile_from_record("88.118.8", enterprise_record(industryClass="", orgAddrCounty=""))
    assert profile.industry_code == "30"
    assert profile.region_code == "330500"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"orgCrtCode": "91330522600871272A"}, "invalid-uscc"),
        ({"orgCrtType": "2"}, "not-uscc"),
        ({"orgAddrCounty": "339999"}, "unknown-region"),
        ({"orgAddrCity": "330000"}, "region-level"),
        ({"orgAddrCounty": "320582"}, "region-nesting"),
        ({"orgName": ""}, "required"),
        ({"industryClass": "30x1"}, "invalid-industry"),
    ],
)
def test_invalid_basic_information_is_refused(overrides: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidTemplateData) as exc:
        profile_from_record("88.118.8", enterprise_record(**overrides))
    assert code in {e.code for e in exc.value.errors}


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [
        ("88.118.8", "88.118.8"),
        (" hdl:88.118.8/ ", "88.118.8"),
        ("0.NA/86.135.1", "86.135.1"),
        ("88.ABC.1", "88.abc.1"),
    ],
)
def test_prefix_normalisation(raw: str, prefix: str) -> None:
    assert normalise_prefix(raw) == prefix


@pytest.mark.parametrize("raw", ["", "88.118.8/x", "88 118", "dl.1/x", "../etc"])
def test_not_a_prefix(raw: str) -> None:
    with pytest.raises(ValueError, match="not an identifier prefix"):
        normalise_prefix(raw)


def test_enterprise_id_is_uuid5_of_the_normalised_prefix() -> None:
    assert enterprise_id_for("HDL:88.118.8") == uuid.uuid5(ENTERPRISE_NAMESPACE, "88.118.8")
    assert enterprise_id_for("88.118.8") == enterprise_id_for(" 88.118.8/")
    assert enterprise_id_for("88.118.8") != enterprise_id_for("88.118.9")


def test_activity_handle_patterns() -> None:
    assert activity_handle("{prefix}/energy.{YYYY-MM}", "88.118.8", "2025-07") == "88.118.8/energy.2025-07"
    assert activity_handle("88.1/EC.{YYYYMM}", "88.1", "2025-07") == "88.1/EC.202507"
