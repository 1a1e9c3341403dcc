"""The dimensions a fact is projected on: region levels (GB/T 2260), industry levels (GB/T 4754), period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carbonid_contracts.codes.period import Period
from carbonid_contracts.codes.region import region_level, region_prefix
from carbonid_contracts.codes.regions import lookup, path

NATIONAL_SCOPE = "100000"
"""The national scope by convention (as in evaluation's benchmark selection): it contains every region."""

# GB/T 4754-2017 sections (门类) and the divisions (大类) they hold.
SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 97), "T": (98, 98),
}  # fmt: skip

INDUSTRY_LEVELS = ("section", "division", "group", "class")


@dataclass(frozen=True, slots=True)
class RegionDims:
    """Province, city-level and county-level codes of a region code.

    A county that no prefecture-level division administers (a municipality's district, a county-level city
    a province administers directly) stands as its own city-level unit, so that rankings one level below a
    province list it beside the prefecture-level cities.
    """

    province: str
    city: str | None
    county: str | None


def region_dims(code: str) -> RegionDims:
    """Split a GB/T 2260 code into its levels (the snapshot when it knows the code, else the code's shape)."""
    if lookup(code) is not None:
        chain = path(code)
        province = chain[0].code
        if len(chain) == 3:
            return RegionDims(province, chain[1].code, chain[2].code)
        if len(chain) == 2:
            below = chain[1]
            if below.level == "county":
                return RegionDims(province, below.code, below.code)
            return RegionDims(province, below.code, None)
        return RegionDims(province, None, None)
    level = region_level(code)
    province = code[:2] + "0000"
    if level == "province":
        return RegionDims(province, None, None)
    city = code[:4] + "00"
    return RegionDims(province, city, code if level == "county" else None)


def scope_prefix(scope: str) -> str:
    """The leading digits every code inside ``scope`` starts with; '' for the national scope."""
    return "" if scope == NATIONAL_SCOPE else region_prefix(scope)


def within_scope(scope: str, code: str) -> bool:
    """``region_within`` that also knows the national scope."""
    return code.startswith(scope_prefix(scope))


def section_of_division(division: str) -> str | None:
    number = int(division)
    for section, (low, high) in SECTION_DIVISIONS.items():
        if low <= number <= high:
            return section
    return None


@dataclass(frozen=True, slots=True)
class IndustryDims:
    section: str | None
    division: str | None
    group: str | None
    klass: str | None


def industry_dims(code: str) -> IndustryDims:
    """The GB/T 4754 section, division, group and class a code belongs to (those finer than it are None)."""
    if code[:1].isalpha():
        return IndustryDims(code, None, None, None)
    division = code[:2]
    return IndustryDims(
        section_of_division(division),
        division,
        code[:3] if len(code) >= 3 else None,
        code if len(code) == 4 else None,
    )


def industry_level(code: str) -> str:
    """``section`` for a letter, else ``division``/``group``/``class`` by the number of digits."""
    if code[:1].isalpha():
        return "section"
    return {2: "division", 3: "group", 4: "class"}[len(code)]


@dataclass(frozen=True, slots=True)
class PeriodDims:
    code: str
    kind: str
    year: int
    start: date
    end: date


def period_dims(code: str) -> PeriodDims:
    period = Period.parse(code)
    return PeriodDims(period.code, period.kind.value, period.year, period.start, period.end)
