"""The loader's pure decisions: enterprises and usernames, periods, answers, benchmark applicability."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_demo.plan import (
    DEMO_PASSWORD,
    INITIAL_PASSWORD,
    PublishedEntry,
    answer_for,
    calculation_periods,
    evaluation_periods,
    full_years,
    has_benchmark,
    load_seed,
    period_months,
    select_enterprises,
    within,
)

USERNAME = re.compile(r"^[!-~]{7,15}$")


def test_seed_has_the_documented_enterprises_and_months() -> None:
    seed = load_seed()
    assert len(seed.enterprises) == 48
    assert (seed.first_month, seed.last_month) == ("2024-11", "2026-10")
    assert seed.enterprises[0].prefix == "88.118.8"


def test_usernames_are_unique_and_follow_identity_rules() -> None:
    names = [e.username for e in load_seed().enterprises]
    assert len({n.casefold() for n in names}) == len(names)
    assert all(USERNAME.match(n) for n in names), names


@pytest.mark.parametrize("password", [INITIAL_PASSWORD, DEMO_PASSWORD])
def test_demo_passwords_follow_identity_rules(password: str) -> None:
    assert 8 <= len(password) <= 16
    assert re.fullmatch(r"[!-~]+", password)
    classes = [r"[A-Za-z]", r"\d", r"[^A-Za-z\d]"]
    assert sum(bool(re.search(c, password)) for c in classes) >= 2
    assert INITIAL_PASSWORD != DEMO_PASSWORD


def test_selection_filters_in_seed_order() -> None:
    seed = load_seed().enterprises
    cement = select_enterprises(seed, industries=["3011"])
    assert [e.prefix for e in cement][:3] == ["88.118.8", "88.118.9", "88.118.10"]
    assert len(cement) == 6
    zhejiang = select_enterprises(seed, regions=["330000"])
    assert len(zhejiang) == 19
    assert [e.prefix for e in select_enterprises(seed, limit=2)] == ["88.118.8", "88.118.9"]
    assert [e.prefix for e in select_enterprises(seed, prefixes=["88.118.12"])] == ["88.118.12"]


def test_full_demo_periods() -> None:
    periods = calculation_periods("2024-11", "2026-10", 24, ["quarter", "half", "year"])
    months = [p for p in periods if "-" in p]
    assert months[0] == "2024-11"
    assert months[-1] == "2026-10"
    assert len(months) == 24
    assert [p for p in periods if len(p) == 4] == ["2025"]  # 2024 and 2026 are partial
    assert [p for p in periods if "H" in p] == ["2025H1", "2025H2", "2026H1"]
    assert [p for p in periods if "Q" in p] == [f"2025Q{q}" for q in range(1, 5)] + ["2026Q1", "2026Q2", "2026Q3"]
    assert full_years(periods) == [2025]


def test_small_run_periods_keep_the_year() -> None:
    periods = calculation_periods("2024-11", "2026-10", 1, ["year"])
    assert periods == ["2025", "2026-10"]
    assert full_years(periods) == [2025]
    assert evaluation_periods(periods, [2025], 3) == ["2025"]


def test_evaluation_periods_latest_first_with_benchmark_year() -> None:
    periods = calculation_periods("2024-11", "2026-10", 24, ["quarter", "half", "year"])
    assert evaluation_periods(periods, [2025], 3) == ["2025", "2025H2", "2025Q4"]
    assert evaluation_periods(periods, [], 3) == []


@given(st.integers(2000, 2100), st.sampled_from(["", "H1", "H2", "Q1", "Q2", "Q3", "Q4"]))
def test_period_months_are_contiguous(year: int, suffix: str) -> None:
    months = period_months(f"{year}{suffix}")
    assert len(months) == {"": 12, "H": 6, "Q": 3}[suffix[:1]]
    assert all(m.startswith(str(year)) for m in months)
    assert months == sorted(months)


def test_answers_are_deterministic_and_valid() -> None:
    question = {"id": "energy_metering", "options": [{"value": "full"}, {"value": "partial"}, {"value": "none"}]}
    first = answer_for("88.118.8", question)
    assert first == answer_for("88.118.8", question)
    assert first["value"] in {"full", "partial", "none"}
    spread = {answer_for(e.prefix, question)["value"] for e in load_seed().enterprises}
    assert len(spread) == 3  # enterprises answer differently


def test_region_containment() -> None:
    assert within("100000", "330522")
    assert within("330000", "330522")
    assert within("330500", "330522")
    assert not within("330500", "330881")
    assert not within("320000", "330522")


def test_benchmark_applicability_follows_evaluation_rules() -> None:
    entries = [
        PublishedEntry("C", "330000", 2025, 15),
        PublishedEntry("3011", "100000", 2025, 6),
        PublishedEntry("4411", "330000", 2025, 2),
    ]
    applies = {"min_sample": 5, "year": 2025}
    assert has_benchmark(entries, industry_code="2211", region_code="330523", **applies)  # section C, province
    assert has_benchmark(entries, industry_code="3011", region_code="370781", **applies)  # national class
    assert not has_benchmark(entries, industry_code="2211", region_code="320582", **applies)  # C only in Zhejiang
    assert not has_benchmark(entries, industry_code="4411", region_code="330211", **applies)  # sample too small
    assert not has_benchmark(entries, industry_code="3011", region_code="330522", min_sample=5, year=2026)
