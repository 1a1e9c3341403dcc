from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from carbonid_analytics.domain.benchmarks import (
    PeriodFigure,
    annual_figures,
    benchmark_version,
    industry_benchmarks,
)
from carbonid_contracts.codes.period import Period


def fig(ent: uuid.UUID, code: str, total: str, added: str, industry: str = "3011") -> PeriodFigure:
    p = Period.parse(code)
    return PeriodFigure(ent, industry, code, p.kind.value, p.start, Decimal(total), Decimal(added))


def test_annual_calculation_wins_over_finer_periods() -> None:
    e = uuid.uuid4()
    rows = [fig(e, "2024", "100", "50"), *(fig(e, f"2024Q{q}", "1", "1") for q in range(1, 5))]
    (only,) = annual_figures(rows)
    assert (only.intensity_emissions_tco2, only.added_value_10k_cny, only.basis) == (Decimal(100), Decimal(50), "year")


def test_quarters_covering_the_year_are_summed_and_partial_years_left_out() -> None:
    full, partial = uuid.uuid4(), uuid.uuid4()
    rows = [fig(full, f"2024Q{q}", "10", "5", industry="3012" if q == 4 else "3011") for q in range(1, 5)]
    rows += [fig(partial, f"2024-{m:02d}", "1", "1") for m in range(1, 12)]  # 11 months only
    (only,) = annual_figures(rows)
    assert only.enterprise_id == full
    assert (only.intensity_emissions_tco2, only.added_value_10k_cny, only.basis) == (
        Decimal(40),
        Decimal(20),
        "quarter",
    )
    assert only.industry_code == "3012"  # the industry of the latest period


def test_ratio_of_sums_not_mean_of_ratios_and_minimum_sample() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    figures = annual_figures([fig(a, "2024", "100", "10"), fig(b, "2024", "10", "90", industry="3021")])
    by_code = {
        x.industry_code: x for x in industry_benchmarks(figures, levels=["division", "class"], min_sample=2, places=6)
    }
    assert by_code["30"].intensity_tco2_per_10k_cny == Decimal("1.100000")  # 110 / 100, not (10 + 0.111) / 2
    assert by_code["30"].sample_size == 2
    assert by_code["30"].meets_minimum_sample
    assert by_code["3011"].sample_size == 1
    assert not by_code["3011"].meets_minimum_sample
    assert "301" not in by_code  # group level not asked


@given(st.lists(st.tuples(st.integers(1, 10_000), st.integers(1, 10_000)), min_size=1, max_size=20))
def test_division_intensity_is_total_over_total(pairs: list[tuple[int, int]]) -> None:
    figures = annual_figures([fig(uuid.uuid4(), "2024", str(t), str(v)) for t, v in pairs])
    (division,) = industry_benchmarks(figures, levels=["division"], min_sample=5, places=6)
    expected = (Decimal(sum(t for t, _ in pairs)) / Decimal(sum(v for _, v in pairs))).quantize(Decimal("0.000001"))
    assert division.intensity_tco2_per_10k_cny == expected
    assert division.sample_size == len(pairs)


def test_version_string() -> None:
    assert benchmark_version("330000", 2025, 3) == "330000-2025-v3"
