from __future__ import annotations

from carbonid_analytics.domain.dimensions import industry_dims, region_dims, scope_prefix, within_scope


def test_region_levels_from_the_snapshot() -> None:
    assert region_dims("330502") == region_dims("330502")
    d = region_dims("330502")
    assert (d.province, d.city, d.county) == ("330000", "330500", "330502")
    d = region_dims("330500")
    assert (d.province, d.city, d.county) == ("330000", "330500", None)
    d = region_dims("330000")
    assert (d.province, d.city, d.county) == ("330000", None, None)


def test_municipal_district_stands_as_its_own_city() -> None:
    d = region_dims("110101")
    assert (d.province, d.city, d.county) == ("110000", "110101", "110101")


def test_unknown_code_split_by_its_shape() -> None:
    d = region_dims("339999")
    assert (d.province, d.city, d.county) == ("330000", "339900", "339999")


def test_national_scope_contains_everything() -> None:
    assert scope_prefix("100000") == ""
    assert within_scope("100000", "650102")
    assert within_scope("330000", "330502")
    assert not within_scope("330500", "330100")


def test_industry_levels() -> None:
    d = industry_dims("3011")
    assert (d.section, d.division, d.group, d.klass) == ("C", "30", "301", "3011")
    d = industry_dims("44")
    assert (d.section, d.division, d.group, d.klass) == ("D", "44", None, None)
    assert industry_dims("C").section == "C"
