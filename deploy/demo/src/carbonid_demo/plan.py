"""What the demo loader does, decided without any I/O: enterprises, accounts, periods, answers, benchmarks.

Everything here is deterministic, so that a second run asks the platform for exactly the same things and
finds them done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

INITIAL_PASSWORD = "CarbonID#Init1"  # noqa: S105 - documented demo credential, used only until the forced change
"""Password an enterprise user registers with (the platform forces a change at the first login)."""
DEMO_PASSWORD = "CarbonID#Demo1"  # noqa: S105 - documented demo credential
"""Password of every demo account after its forced change (enterprise users and the built-in accounts)."""

NATIONAL_SCOPE = "100000"
MIN_BENCHMARK_SAMPLE = 5
"""DOMAIN choice (analytics ``BENCHMARK_MIN_SAMPLE``, rule set ``benchmark.minimum_sample_size``)."""

AGGREGATE_KINDS = ("quarter", "half", "year")


@dataclass(frozen=True, slots=True)
class SeedEnterprise:
    """One demo enterprise of the local identifier node's seed."""

    prefix: str
    industry_code: str
    county_code: str

    @property
    def username(self) -> str:
        """Deterministic enterprise username: ``ent`` and the prefix's digits (7–15 printable characters)."""
        return "ent" + self.prefix.replace(".", "")


@dataclass(frozen=True, slots=True)
class SeedData:
    enterprises: tuple[SeedEnterprise, ...]
    first_month: str
    last_month: str


def load_seed() -> SeedData:
    """The node's demo enterprises and month range, read from the ``carbonid_idnode`` package's seed file."""
    text = resources.files("carbonid_idnode.seed").joinpath("prefixes.json").read_text(encoding="utf-8")
    return parse_seed(json.loads(text))


def parse_seed(document: Mapping[str, Any]) -> SeedData:
    first, last = document["summary"]["months"]
    enterprises = tuple(
        SeedEnterprise(str(p["prefix"]), str(p["industryClass"]), str(p["orgAddrCounty"]))
        for p in document["prefixes"]
        if p.get("role") == "enterprise"
    )
    return SeedData(enterprises, str(first), str(last))


def select_enterprises(
    seed: Sequence[SeedEnterprise],
    *,
    limit: int | None = None,
    prefixes: Sequence[str] = (),
    industries: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> list[SeedEnterprise]:
    """The enterprises to load, in seed order: filtered by prefix, industry class, region prefix; then the first N."""
    chosen = [
        e
        for e in seed
        if (not prefixes or e.prefix in prefixes)
        and (not industries or any(e.industry_code.startswith(i) for i in industries))
        and (not regions or any(within(r, e.county_code) for r in regions))
    ]
    return chosen[:limit] if limit is not None else chosen


# --- periods ------------------------------------------------------------------------------------------------


def month_index(code: str) -> int:
    year, month = code.split("-")
    return int(year) * 12 + int(month) - 1


def month_code(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    return [month_code(i) for i in range(month_index(first), month_index(last) + 1)]


def period_months(code: str) -> list[str]:
    """The calendar months a period code covers (``2025``, ``2025H1``, ``2025Q3``, ``2025-07``)."""
    if "-" in code:
        return [code]
    year = int(code[:4])
    if len(code) == 4:
        first, count = 0, 12
    elif code[4] == "H":
        first, count = (int(code[5]) - 1) * 6, 6
    else:
        first, count = (int(code[5]) - 1) * 3, 3
    return [month_code(year * 12 + first + i) for i in range(count)]


def period_kind(code: str) -> str:
    if "-" in code:
        return "month"
    if len(code) == 4:
        return "year"
    return "half" if code[4] == "H" else "quarter"


def period_end_key(code: str) -> tuple[int, int]:
    """Sort key: the period's last month, then coarser kinds first (a year before its December)."""
    rank = {"year": 3, "half": 2, "quarter": 1, "month": 0}[period_kind(code)]
    return month_index(period_months(code)[-1]), rank


def calculation_periods(first: str, last: str, months: int, aggregates: Iterable[str]) -> list[str]:
    """Monthly periods (the last ``months`` of the node's data) and the complete quarters, halves and years.

    Aggregates are every quarter/half/year lying wholly within the node's data (whatever ``months`` is), so that
    annual figures exist for the dashboards (which show the latest year) and for the benchmarks.
    """
    available = months_between(first, last)
    chosen: list[str] = available[-months:] if months > 0 else []
    have = set(available)
    kinds = set(aggregates)
    unknown = kinds - set(AGGREGATE_KINDS)
    if unknown:
        raise ValueError(f"unknown aggregate period kinds: {sorted(unknown)}")
    years = sorted({int(m[:4]) for m in available})
    for year in years:
        candidates: list[str] = []
        if "quarter" in kinds:
            candidates += [f"{year}Q{q}" for q in range(1, 5)]
        if "half" in kinds:
            candidates += [f"{year}H{h}" for h in (1, 2)]
        if "year" in kinds:
            candidates.append(str(year))
        chosen += [c for c in candidates if set(period_months(c)) <= have]
    return sorted(chosen, key=period_end_key)


def full_years(periods: Iterable[str]) -> list[int]:
    """Years an enterprise's periods cover completely (an annual period, or all twelve months)."""
    periods = set(periods)
    years = {int(p[:4]) for p in periods}
    out = []
    for year in sorted(years):
        if str(year) in periods or all(m in periods for m in period_months(str(year))):
            out.append(year)
    return out


def evaluation_periods(periods: Iterable[str], benchmark_years: Iterable[int], count: int) -> list[str]:
    """The ``count`` most recent calculated periods whose year has a published benchmark (latest first)."""
    years = set(benchmark_years)
    eligible = [p for p in periods if int(p[:4]) in years]
    return sorted(eligible, key=period_end_key, reverse=True)[:count]


# --- questionnaire ------------------------------------------------------------------------------------------


def answer_for(prefix: str, question: Mapping[str, Any]) -> dict[str, Any]:
    """The option an enterprise picks for a question: deterministic per enterprise and question."""
    options = list(question["options"])
    digest = hashlib.sha256(f"{prefix}|{question['id']}".encode()).digest()
    return dict(options[digest[0] % len(options)])


# --- regions and benchmarks ---------------------------------------------------------------------------------


def region_prefix(code: str) -> str:
    """The code's significant digits: ``330000`` → ``33``, ``330500`` → ``3305``, ``100000`` → ``""``."""
    if code == NATIONAL_SCOPE:
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def within(scope: str, region_code: str) -> bool:
    return region_code.startswith(region_prefix(scope))


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    industry_code: str
    region_scope: str
    year: int
    sample_size: int


def industry_applies(benchmark_code: str, enterprise_code: str) -> bool:
    if benchmark_code.isalpha():
        return section_of(enterprise_code) == benchmark_code
    return enterprise_code.startswith(benchmark_code)


def section_of(code: str) -> str | None:
    number = int(code[:2])
    sections = {
        "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
        "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
        "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 97), "T": (98, 98),
    }  # fmt: skip
    return next((s for s, (lo, hi) in sections.items() if lo <= number <= hi), None)


def has_benchmark(
    entries: Iterable[PublishedEntry], *, industry_code: str, region_code: str, year: int, min_sample: int
) -> bool:
    """Whether a published entry with a large enough sample applies (evaluation's selection, first two rules)."""
    return any(
        e.year == year
        and e.sample_size >= min_sample
        and industry_applies(e.industry_code, industry_code)
        and within(e.region_scope, region_code)
        for e in entries
    )
