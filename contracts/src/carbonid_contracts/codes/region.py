"""GB/T 2260 administrative division codes: six digits, 1-2 province, 3-4 prefecture, 5-6 county."""

from typing import Annotated, Literal

from pydantic import StringConstraints

RegionCode = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{5}$")]

RegionLevel = Literal["province", "city", "county"]

# Not a GB/T 2260 code: the scope of national deployments and national benchmark sets, containing every region.
NATIONAL_SCOPE = "100000"


def region_level(code: str) -> RegionLevel:
    """The level a code names: ``330000`` a province, ``330500`` a city, ``330502`` a county."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def region_prefix(code: str) -> str:
    """The significant leading digits of a code at its own level (``33``, ``3305`` or ``330502``)."""
    return {"province": code[:2], "city": code[:4], "county": code}[region_level(code)]


def region_within(scope: str, code: str) -> bool:
    """Whether ``code`` lies inside the region ``scope`` (a region lies inside itself; all inside national)."""
    return scope == NATIONAL_SCOPE or code.startswith(region_prefix(scope))


def province_of(code: str) -> str:
    return code[:2] + "0000"


def city_of(code: str) -> str | None:
    """The prefecture-level code of a city or county code; None for a province code."""
    return None if region_level(code) == "province" else code[:4] + "00"
