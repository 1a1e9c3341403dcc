"""Industry benchmarks (行业基准) and the choice of the one that applies to an enterprise.

A published benchmark entry is an industry code × region scope × year with the industry's average intensity
``L_industry`` (a ratio of sums: total CO2 ÷ total added value) and the number of enterprises behind it.

Selection, for the enterprise's industry code, region code and the period's year (years must match exactly):
1. An entry applies when its industry code is the enterprise's code or an ancestor of it (GB/T 4754: 4-digit
   class → 3-digit group → 2-digit division → section letter) and its region scope contains the enterprise's
   region (county → city → province → the national scope, ``100000`` by convention, containing every region).
2. Entries whose sample is below the rule set's minimum are set aside.
3. Of the rest, the most specific industry wins; among equally specific industries, the most specific region;
   then the larger sample; then the greater version string (so the choice is deterministic).
Industry specificity comes first because comparing like with like matters more than comparing neighbours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from carbonid_contracts.codes.region import region_level, region_within
from carbonid_evaluation.domain.errors import BenchmarkSampleTooSmallError, NoBenchmarkError

NATIONAL_SCOPE = "100000"

# GB/T 4754-2017 sections (门类) and the divisions (大类) they hold.
_SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 97), "T": (98, 98),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One published benchmark entry."""

    version: str
    """Version of the published benchmark set this entry belongs to."""
    industry_code: str
    region_scope: str
    year: int
    intensity: Decimal
    """L_industry, t CO2 per 10^4 CNY of industrial added value."""
    sample_size: int
    method: str = "ratio-of-sums"


@dataclass(frozen=True, slots=True)
class BenchmarkSelection:
    benchmark: Benchmark
    industry_rank: int
    """4 class, 3 group, 2 division, 1 section."""
    region_rank: int
    """3 county, 2 city, 1 province, 0 national."""
    set_aside_small: tuple[Benchmark, ...]
    """More specific entries that applied but had too small a sample."""


def section_of(division: str) -> str | None:
    """The GB/T 4754 section letter of a 2-digit division, e.g. ``"26"`` → ``"C"``."""
    number = int(division[:2])
    return next((s for s, (lo, hi) in _SECTION_DIVISIONS.items() if lo <= number <= hi), None)


def industry_rank(benchmark_code: str, enterprise_code: str) -> int | None:
    """How specifically ``benchmark_code`` describes ``enterprise_code`` (4…1), None if it does not apply."""
    if benchmark_code.isalpha():
        if enterprise_code.isalpha():
            return 1 if benchmark_code == enterprise_code else None
        return 1 if section_of(enterprise_code) == benchmark_code else None
    if enterprise_code.isalpha() or not enterprise_code.startswith(benchmark_code):
        return None
    return len(benchmark_code)


def region_rank(scope: str, region_code: str, national_scope: str = NATIONAL_SCOPE) -> int | None:
    """How specifically ``scope`` contains ``region_code`` (county 3 … national 0), None if it does not."""
    if scope == national_scope:
        return 0
    if not region_within(scope, region_code):
        return None
    return {"province": 1, "city": 2, "county": 3}[region_level(scope)]


def select_benchmark(
    candidates: Iterable[Benchmark],
    *,
    industry_code: str,
    region_code: str,
    year: int,
    minimum_sample_size: int,
    national_scope: str = NATIONAL_SCOPE,
) -> BenchmarkSelection:
    """Choose the most specific applicable benchmark with a large enough sample (see the module docstring).

    Raises ``NoBenchmarkError`` when no entry applies, ``BenchmarkSampleTooSmallError`` when entries apply but every
    one has fewer than ``minimum_sample_size`` enterprises.
    """
    applicable: list[tuple[int, int, Benchmark]] = []
    for entry in candidates:
        if entry.year != year:
            continue
        ind = industry_rank(entry.industry_code, industry_code)
        reg = region_rank(entry.region_scope, region_code, national_scope)
        if ind is not None and reg is not None:
            applicable.append((ind, reg, entry))
    if not applicable:
        raise NoBenchmarkError(
            f"没有适用于行业 {industry_code}、地区 {region_code}、{year} 年的已发布行业基准",
            f"no published benchmark applies to industry {industry_code}, region {region_code}, year {year}",
        )
    applicable.sort(key=lambda t: (t[0], t[1], t[2].sample_size, t[2].version), reverse=True)
    big_enough = [t for t in applicable if t[2].sample_size >= minimum_sample_size]
    if not big_enough:
        best = applicable[0][2]
        raise BenchmarkSampleTooSmallError(
            f"适用的行业基准样本量不足（{best.sample_size} < {minimum_sample_size}）",
            f"the applicable benchmarks have too few enterprises ({best.sample_size} < {minimum_sample_size})",
        )
    ind, reg, chosen = big_enough[0]
    set_aside = tuple(e for i, r, e in applicable if (i, r) > (ind, reg) and e.sample_size < minimum_sample_size)
    return BenchmarkSelection(chosen, ind, reg, set_aside)
