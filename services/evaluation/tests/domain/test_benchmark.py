"""Choosing the benchmark: most specific industry first, then most specific region, for the period's year."""

from __future__ import annotations

import pytest
from evaluation_builders import benchmark

from carbonid_evaluation.domain.benchmark import (
    Benchmark,
    BenchmarkSelection,
    industry_rank,
    region_rank,
    section_of,
    select_benchmark,
)
from carbonid_evaluation.domain.errors import BenchmarkSampleTooSmallError, NoBenchmarkError


def _select(
    candidates: list[Benchmark], industry: str = "2614", region: str = "330502", year: int = 2025
) -> BenchmarkSelection:
    return select_benchmark(candidates, industry_code=industry, region_code=region, year=year, minimum_sample_size=5)


def test_industry_ancestors_apply_and_rank_by_digits() -> None:
    assert industry_rank("2614", "2614") == 4
    assert industry_rank("261", "2614") == 3
    assert industry_rank("26", "2614") == 2
    assert industry_rank("C", "2614") == 1
    assert industry_rank("2615", "2614") is None
    assert industry_rank("B", "2614") is None
    assert industry_rank("2614", "26") is None
    assert industry_rank("C", "C") == 1
    assert section_of("06") == "B"
    assert section_of("13") == "C"
    assert section_of("43") == "C"
    assert section_of("44") == "D"


def test_region_scopes_rank_by_level_and_national_contains_everything() -> None:
    assert region_rank("330502", "330502") == 3
    assert region_rank("330500", "330502") == 2
    assert region_rank("330000", "330502") == 1
    assert region_rank("100000", "330502") == 0
    assert region_rank("100000", "650000") == 0
    assert region_rank("330100", "330502") is None
    assert region_rank("320000", "330502") is None


def test_most_specific_industry_wins_over_more_specific_region() -> None:
    county_division = benchmark(industry="26", scope="330502")
    national_class = benchmark(industry="2614", scope="100000")
    chosen = _select([county_division, national_class])
    assert chosen.benchmark == national_class
    assert (chosen.industry_rank, chosen.region_rank) == (4, 0)


@pytest.mark.parametrize(
    ("industries", "expected"),
    [(["C", "26", "261", "2614"], "2614"), (["C", "26", "261"], "261"), (["C", "26"], "26"), (["C"], "C")],
)
def test_class_before_group_before_division_before_section(industries: list[str], expected: str) -> None:
    chosen = _select([benchmark(industry=i) for i in industries])
    assert chosen.benchmark.industry_code == expected


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (["100000", "330000", "330500", "330502"], "330502"),
        (["100000", "330000", "330500"], "330500"),
        (["100000", "330000"], "330000"),
        (["100000"], "100000"),
    ],
)
def test_county_before_city_before_province_before_national(scopes: list[str], expected: str) -> None:
    chosen = _select([benchmark(scope=s) for s in scopes])
    assert chosen.benchmark.region_scope == expected


def test_only_the_period_year_counts() -> None:
    with pytest.raises(NoBenchmarkError) as caught:
        _select([benchmark(year=2024), benchmark(year=2026)])
    assert "2025" in caught.value.message_zh
    assert "2025" in caught.value.message_en


def test_other_industries_and_regions_do_not_apply() -> None:
    with pytest.raises(NoBenchmarkError):
        _select([benchmark(industry="2615"), benchmark(scope="320000"), benchmark(industry="B")])
    with pytest.raises(NoBenchmarkError):
        _select([])


def test_small_samples_are_set_aside_for_a_broader_benchmark() -> None:
    small_county = benchmark(scope="330502", sample=4)
    province = benchmark(scope="330000", sample=5)
    chosen = _select([small_county, province])
    assert chosen.benchmark == province
    assert chosen.set_aside_small == (small_county,)


def test_refused_when_every_applicable_sample_is_too_small() -> None:
    with pytest.raises(BenchmarkSampleTooSmallError) as caught:
        _select([benchmark(sample=4), benchmark(scope="100000", sample=3), benchmark(industry="2615", sample=50)])
    assert "4 < 5" in caught.value.message_en


def test_ties_are_broken_deterministically() -> None:
    a = benchmark(sample=10, version="bm-2025.1")
    b = benchmark(sample=20, version="bm-2025.0")
    c = benchmark(sample=20, version="bm-2025.2")
    assert _select([a, b, c]).benchmark == c
    assert _select([c, b, a]).benchmark == c
