"""Seed data: reproducible, valid codes, enough spread for the demo."""

from __future__ import annotations

import collections
from decimal import Decimal
from pathlib import Path

from carbonid_contracts.codes.uscc import uscc_is_valid
from carbonid_idnode.config import SEED_DIR
from carbonid_idnode.seed import load_seed
from carbonid_idnode.seed.generate import INDUSTRIES, REGIONS, main, render
from carbonid_idnode.store import HandleRecord

SEED = load_seed(SEED_DIR)
ENTERPRISES = [p for p in SEED.prefixes if p["role"] == "enterprise"]
RECORDS = {r.handle: r for r in SEED.records}


def attributes(record: HandleRecord) -> dict[str, str]:
    return {v.type: str(v.data_value) for v in record.values.values() if v.data_format == "string"}


def test_committed_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    main(["--out", str(tmp_path)])
    for name in render():
        assert (tmp_path / name).read_bytes() == (SEED_DIR / name).read_bytes(), name


def test_counts_and_coverage() -> None:
    counties = [str(p["orgAddrCounty"]) for p in ENTERPRISES]
    assert len(ENTERPRISES) >= 30
    assert len({c[:2] for c in counties}) >= 6
    assert len({p["industryClass"] for p in ENTERPRISES}) >= 8
    huzhou = {c for c in counties if c.startswith("3305")}
    assert huzhou == {"330502", "330503", "330521", "330522", "330523"}
    tops = {str(p["parentPrefix"]).split(".")[0] for p in ENTERPRISES}
    assert len(tops) >= 2  # not everything under "88"
    assert len({p["prefix"] for p in SEED.prefixes}) == len(SEED.prefixes)


def test_enterprise_records_have_valid_codes() -> None:
    usccs = set()
    for info in ENTERPRISES:
        record = RECORDS[str(info["enterpriseHandle"])]
        a = attributes(record)
        assert uscc_is_valid(a["orgCrtCode"]), a["orgCrtCode"]
        assert a["orgCrtCode"][2:8] == a["orgAddrCounty"]
        usccs.add(a["orgCrtCode"])
        county, city, province = a["orgAddrCounty"], a["orgAddrCity"], a["orgAddrProvince"]
        assert city == county[:4] + "00"
        assert province == county[:2] + "0000"
        assert (a["provinceName"], a["cityName"], a["countyName"]) == (
            REGIONS[province],
            REGIONS[city],
            REGIONS[county],
        )
        industry = INDUSTRIES[a["industryClass"]]
        assert a["industrySpecific"] == a["industryClass"][:2]
        assert a["industryCategory"] == industry.section
        assert a["orgName"].endswith("有限公司")
        assert record.values[1000].data_value == "88.118.1/META.ENTERPRISE_INFO"
        assert record.values[1001].data_value == "1.0"
    assert len(usccs) == len(ENTERPRISES)


def test_industry_divisions_are_mining_manufacturing_or_power() -> None:
    for code, industry in INDUSTRIES.items():
        division = int(code[:2])
        expected = "B" if 6 <= division <= 12 else "C" if 13 <= division <= 43 else "D"
        assert industry.section == expected
        assert 6 <= division <= 46


def test_every_enterprise_has_24_months_of_activity() -> None:
    for info in ENTERPRISES:
        prefix = info["prefix"]
        months = sorted(h.split("energy.")[1] for h in RECORDS if h.startswith(f"{prefix}/energy."))
        assert len(months) == 24
        assert (months[0], months[-1]) == ("2024-11", "2026-10")
        record = RECORDS[f"{prefix}/energy.2025-02"]
        a = attributes(record)
        assert a["TEMPLATE_ID"] == "88.118.1/META.ENERGY_ACTIVITY"
        assert (a["periodStart"], a["periodEnd"]) == ("2025-02-01", "2025-02-28")
        assert Decimal(a["industrialAddedValue"]) > 0
        assert Decimal(a["electricityPurchased"]) > 0
        assert min(i for i in record.values if i >= 1002) == 2000


# Default factors of DOMAIN.md §1 (t CO2 per unit), enough to check the spread of intensities.
FACTORS = {
    "rawCoal": Decimal("23.204") * Decimal("0.02618") * Decimal("0.93") * 44 / 12,
    "anthracite": Decimal("24.515") * Decimal("0.02749") * Decimal("0.94") * 44 / 12,
    "coke": Decimal("28.446") * Decimal("0.02940") * Decimal("0.93") * 44 / 12,
    "naturalGas": Decimal("389.31") * Decimal("0.01530") * Decimal("0.99") * 44 / 12,
    "diesel": Decimal("43.33") * Decimal("0.02020") * Decimal("0.98") * 44 / 12,
    "gasoline": Decimal("44.80") * Decimal("0.01890") * Decimal("0.98") * 44 / 12,
    "fuelOil": Decimal("40.19") * Decimal("0.02110") * Decimal("0.98") * 44 / 12,
    "lpg": Decimal("47.31") * Decimal("0.01720") * Decimal("0.99") * 44 / 12,
    "purchasedHeat": Decimal("0.11"),
    "limestoneProcess": Decimal("0.4397"),
    "electricityPurchased": Decimal("0.5306"),
    "electricityExported": Decimal("-0.5306"),
    "pvGeneration": Decimal("-0.5306"),
}


def grade(k: Decimal) -> int:
    bounds = [Decimal("0.6"), Decimal("0.8"), Decimal("1.2"), Decimal("2.0")]
    return next((i + 1 for i, b in enumerate(bounds) if k <= b), 5)


def test_carbon_efficiency_grades_spread_within_every_industry() -> None:
    co2: dict[str, Decimal] = collections.defaultdict(Decimal)
    added: dict[str, Decimal] = collections.defaultdict(Decimal)
    for handle, record in RECORDS.items():
        if "/energy." not in handle:
            continue
        prefix = handle.split("/")[0]
        a = attributes(record)
        co2[prefix] += sum((Decimal(a[k]) * f for k, f in FACTORS.items() if k in a), Decimal(0))
        if "purchasedSteam" in a:
            co2[prefix] += Decimal(a["purchasedSteam"]) * Decimal(a["steamEnthalpy"]) / 1000 * Decimal("0.11")
        added[prefix] += Decimal(a["industrialAddedValue"])
    members: dict[str, list[str]] = collections.defaultdict(list)
    for info in ENTERPRISES:
        members[str(info["industryClass"])].append(str(info["prefix"]))
    all_grades = collections.Counter()
    for prefixes in members.values():
        assert len(prefixes) >= 5  # the benchmark's minimum sample
        industry_l = sum(co2[p] for p in prefixes) / sum(added[p] for p in prefixes)
        grades = {grade(co2[p] / added[p] / industry_l) for p in prefixes}
        assert len(grades) >= 3
        all_grades.update(grades)
    assert set(all_grades) == {1, 2, 3, 4, 5}


def test_every_enterprise_has_meters_that_say_what_they_measure() -> None:
    for info in ENTERPRISES:
        prefix = info["prefix"]
        meters = sorted(h for h in RECORDS if h.startswith(f"{prefix}/MTR-"))
        assert meters, prefix
        assert meters[0] == f"{prefix}/MTR-0001"
        for handle in meters:
            a = attributes(RECORDS[handle])
            assert a["TEMPLATE_ID"] == "88.118.1/META.METER_DEVICE"
            assert a["enterpriseHandle"] == f"{prefix}/ENTERPRISE"
            assert a["registerKind"] in ("cumulative", "interval")
            assert (a["registerKind"] == "cumulative") == ("registerMax" in a)
            assert Decimal(a["ratedMaxPerHour"]) > 0
            assert Decimal(a["multiplier"]) >= 1
        first = attributes(RECORDS[meters[0]])
        assert (first["energyCarrier"], first["unit"], first["sourceCode"]) == (
            "electricity",
            "kWh",
            "electricity.purchased",
        )
