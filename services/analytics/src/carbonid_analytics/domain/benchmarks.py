"""Industry benchmarks (行业基准): industry × region scope × year → L_industry as a ratio of sums.

Each enterprise contributes one annual figure per year (choice, documented in the README):
1. its current annual (``2024``) calculation when it has one;
2. otherwise the sum of its current calculations of one finer kind that together cover the whole year —
   both halves, all four quarters, or all twelve months, tried in that order;
3. otherwise nothing: a partial year would understate the industry's emissions or added value.
Figures without a positive added value are left out (they have no intensity).

An enterprise counts in its class (4-digit), group (3-digit), division (2-digit) and section (letter), as far
as its own code goes, so that an evaluation can fall back to a coarser industry; the sample size is the number
of enterprises behind the entry and entries below the minimum sample are flagged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carbonid_analytics.domain.dimensions import industry_dims
from carbonid_analytics.domain.measures import ZERO, ratio

COVERING_KINDS: tuple[tuple[str, int], ...] = (("half", 2), ("quarter", 4), ("month", 12))


@dataclass(frozen=True, slots=True)
class PeriodFigure:
    """The current calculation of one enterprise and one period of the year."""

    enterprise_id: uuid.UUID
    industry_code: str
    period_code: str
    period_kind: str
    period_start: date
    intensity_emissions_tco2: Decimal
    added_value_10k_cny: Decimal


@dataclass(frozen=True, slots=True)
class AnnualFigure:
    enterprise_id: uuid.UUID
    industry_code: str
    intensity_emissions_tco2: Decimal
    added_value_10k_cny: Decimal
    basis: str
    """The period kind the figure comes from: year, half, quarter or month."""


def annual_figures(figures: Iterable[PeriodFigure]) -> list[AnnualFigure]:
    """One figure per enterprise for the year the given figures lie in (see the module rule)."""
    by_enterprise: dict[uuid.UUID, list[PeriodFigure]] = defaultdict(list)
    for figure in figures:
        by_enterprise[figure.enterprise_id].append(figure)
    out: list[AnnualFigure] = []
    for enterprise_id, rows in by_enterprise.items():
        annual = [r for r in rows if r.period_kind == "year"]
        chosen: list[PeriodFigure] | None = None
        basis = "year"
        if annual:
            chosen = annual[:1]
        else:
            for kind, count in COVERING_KINDS:
                parts = {r.period_code: r for r in rows if r.period_kind == kind}
                if len(parts) == count:
                    chosen, basis = list(parts.values()), kind
                    break
        if chosen is None:
            continue
        latest = max(chosen, key=lambda r: r.period_start)
        annual_figure = AnnualFigure(
            enterprise_id=enterprise_id,
            industry_code=latest.industry_code,
            intensity_emissions_tco2=sum((r.intensity_emissions_tco2 for r in chosen), ZERO),
            added_value_10k_cny=sum((r.added_value_10k_cny for r in chosen), ZERO),
            basis=basis,
        )
        if annual_figure.added_value_10k_cny > ZERO:
            out.append(annual_figure)
    return sorted(out, key=lambda f: f.enterprise_id)


@dataclass(frozen=True, slots=True)
class IndustryBenchmark:
    industry_code: str
    level: str
    sample_size: int
    intensity_emissions_tco2: Decimal
    total_added_value_10k_cny: Decimal
    intensity_tco2_per_10k_cny: Decimal
    meets_minimum_sample: bool


def industry_benchmarks(
    figures: Iterable[AnnualFigure], *, levels: Sequence[str], min_sample: int, places: int
) -> list[IndustryBenchmark]:
    """L_industry = Σ intensity emissions ÷ Σ added value for every industry code at the given levels, by code.

    Intensity emissions are each enterprise's L × added value: the numerator of its own L (DOMAIN §2), so that
    K = L ÷ L_industry compares like with like.
    """
    sums: dict[tuple[str, str], list[Decimal]] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for figure in figures:
        dims = industry_dims(figure.industry_code)
        for level, code in (
            ("section", dims.section),
            ("division", dims.division),
            ("group", dims.group),
            ("class", dims.klass),
        ):
            if code is None or level not in levels:
                continue
            acc = sums.setdefault((level, code), [ZERO, ZERO])
            acc[0] += figure.intensity_emissions_tco2
            acc[1] += figure.added_value_10k_cny
            counts[(level, code)] += 1
    out: list[IndustryBenchmark] = []
    for (level, code), (total, added) in sums.items():
        intensity = ratio(total, added, places)
        assert intensity is not None  # every figure has a positive added value
        n = counts[(level, code)]
        out.append(IndustryBenchmark(code, level, n, total, added, intensity, n >= min_sample))
    return sorted(out, key=lambda b: (b.industry_code[:1].isdigit(), b.industry_code))


def benchmark_version(region_scope: str, year: int, sequence: int) -> str:
    """``330000-2025-v3``: the third set published for that scope and year."""
    return f"{region_scope}-{year}-v{sequence}"
