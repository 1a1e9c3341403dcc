"""Metering's pure rules: unit conversions, device records, the two batch formats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from carbonid_metering.domain.devices import InvalidDeviceRecord, device_from_record
from carbonid_metering.domain.payload import parse_csv, parse_json_lines
from carbonid_metering.domain.units import CANONICAL_UNIT, conversion_factor, conversion_table

RECORD = {
    "TEMPLATE_ID": "88.118.1/META.METER_DEVICE",
    "energyCarrier": "electricity",
    "sourceCode": "electricity.purchased",
    "unit": "kWh",
    "multiplier": "200",
    "registerKind": "cumulative",
    "registerMax": "99999999",
    "ratedMaxPerHour": "4000",
    "intervalSeconds": "900",
    "enterpriseHandle": "88.118.8/ENTERPRISE",
    "status": "enabled",
}


def test_conversions_are_the_documented_ones() -> None:
    assert conversion_factor("kWh", "electricity") == Decimal("0.001")
    assert conversion_factor("m3", "natural_gas") == Decimal("0.0001")
    assert conversion_factor("kg", "diesel") == Decimal("0.001")
    assert conversion_factor("MWh", "heat") == Decimal("3.6")
    assert conversion_factor("m3", "electricity") is None
    assert conversion_factor("kWh", "plasma") is None
    assert {carrier for carrier, _, _ in conversion_table()} == set(CANONICAL_UNIT)


def test_every_carrier_converts_its_canonical_unit_to_itself_and_every_factor_is_positive() -> None:
    for carrier, unit, factor in conversion_table():
        assert conversion_factor(CANONICAL_UNIT[carrier], carrier) == 1
        assert factor > 0, (carrier, unit)


def test_a_device_record_reads_into_its_spec() -> None:
    spec = device_from_record("88.118.8/mtr-0001", RECORD)
    assert (spec.carrier, spec.canonical_unit, spec.register_kind, spec.enabled) == (
        "electricity",
        "MWh",
        "cumulative",
        True,
    )
    assert spec.unit_factor == Decimal("0.2")  # 200 × kWh → MWh
    assert spec.register_max == Decimal("99999999")
    assert spec.expected_readings_per_day == 96


def test_a_broken_device_record_lists_every_fault() -> None:
    broken = {
        **RECORD,
        "energyCarrier": "gas?",
        "registerKind": "both",
        "ratedMaxPerHour": "-1",
        "intervalSeconds": "7",
    }
    with pytest.raises(InvalidDeviceRecord) as caught:
        device_from_record("88.118.8/mtr-0001", broken)
    assert {e.item for e in caught.value.errors} == {
        "energyCarrier",
        "registerKind",
        "ratedMaxPerHour",
        "intervalSeconds",
    }
    with pytest.raises(InvalidDeviceRecord):
        device_from_record("88.118.8/mtr-0001", {**RECORD, "enterpriseHandle": "88.118.9/ENTERPRISE"})
    with pytest.raises(InvalidDeviceRecord):
        device_from_record("88.118.8/mtr-0001", {**RECORD, "unit": "m3"})
    assert not device_from_record("88.118.8/mtr-0001", {**RECORD, "status": "disabled"}).enabled


def test_json_lines_keep_decimals_exact_and_report_each_line() -> None:
    body = (
        b'{"device": "88.118.8/MTR-0001", "time": "2026-12-02T00:15:00+08:00", "value": 0.1, "unit": "kWh"}\n'
        b"\n"
        b'{"device": "x", "time": "2026-12-02T00:15:00Z", "value": true, "unit": "kWh", "quality": "meh"}\n'
    )
    parsed = parse_json_lines(body, max_readings=10)
    assert parsed.rows[0][1:4] == ("88.118.8/mtr-0001", parsed.rows[0][2], Decimal("0.1"))
    assert parsed.rows[0][2].isoformat() == "2026-12-01T16:15:00+00:00"
    assert [e.pointer for e in parsed.errors] == ["/lines/3/device", "/lines/3/value", "/lines/3/quality"]
    too_many = parse_json_lines(b"\n".join([body.splitlines()[0]] * 3), max_readings=2)
    assert too_many.errors[-1].en == "at most 2 readings per batch"


def test_csv_needs_its_header_and_reads_like_json_lines() -> None:
    assert parse_csv(b"device,time\nx,y\n", max_readings=10).errors[0].en == "CSV header lacks unit, value"
    parsed = parse_csv(
        "\ufeffdevice,time,value,unit,quality\n88.118.8/MTR-0001,2026-12-02T00:15:00Z,12.50,kWh,estimated\n".encode(),
        max_readings=10,
    )
    assert not parsed.errors
    assert parsed.rows[0][3:] == (Decimal("12.50"), "kWh", "estimated")
