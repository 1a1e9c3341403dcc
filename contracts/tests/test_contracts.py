"""Contracts: envelope round trip, code types, and the compatibility rules for event schemas."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from carbonid_contracts.codes.period import Period, PeriodKind
from carbonid_contracts.codes.region import region_level, region_within
from carbonid_contracts.compat import breaking_changes
from carbonid_contracts.envelope import CloudEvent, EnvelopeError
from carbonid_contracts.events import EnterpriseResolved, EvaluationCompleted, Reductions
from carbonid_contracts.generate import check, event_schemas
from carbonid_contracts.topics import EVENT_PRODUCERS, EventType, topic_for


def enterprise() -> EnterpriseResolved:
    return EnterpriseResolved(
        enterprise_id=uuid.uuid4(),
        identifier_prefix="88.118.8",
        name="湖州示例建材有限公司",
        uscc="91330500MA2B3C4D1Y",
        region_code="330502",
        province_code="330000",
        city_code="330500",
        county_code="330502",
        industry_code="3011",
        resolved_at=datetime(2025, 7, 1, tzinfo=UTC),
    )


def test_envelope_round_trip_in_binary_mode() -> None:
    event = CloudEvent.of(
        enterprise(), source="urn:carbonid:resolver:330000", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    headers = dict(event.headers())
    assert headers["ce_type"] == b"cn.carbonid.enterprise.resolved.v1"
    assert headers["ce_subject"] == str(event.data.enterprise_id).encode()
    assert event.key == headers["ce_subject"]
    decoded = CloudEvent.decode(event.headers(), event.value())
    assert decoded == event


def test_decimals_travel_as_strings() -> None:
    payload = EvaluationCompleted.model_json_schema(mode="serialization")
    assert payload["properties"]["efficiency_value_k"]["type"] == "string"


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing CloudEvents headers"),
        (
            [("ce_specversion", b"0.3"), ("ce_id", b"x"), ("ce_source", b"s"), ("ce_type", b"t"), ("ce_subject", b"s")],
            b"{}",
            "unsupported specversion",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", str(uuid.uuid4()).encode()),
                ("ce_source", b"s"),
                ("ce_type", b"cn.carbonid.nothing.v1"),
                ("ce_subject", b"s"),
            ],
            b"{}",
            "unknown event type",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", str(uuid.uuid4()).encode()),
                ("ce_source", b"s"),
                ("ce_type", EventType.ENTERPRISE_RESOLVED.value.encode()),
                ("ce_subject", b"s"),
            ],
            b"{",
            "invalid",
        ),
    ],
)
def test_envelope_rejects_what_is_not_a_carbonid_event(
    headers: list[tuple[str, bytes]], value: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        CloudEvent.decode(headers, value)


def test_topics_follow_the_prefix() -> None:
    assert topic_for(EventType.EMISSION_CALCULATED) == "carbonid.emission.calculated.v1"
    assert topic_for(EventType.EMISSION_CALCULATED, "zj.") == "zj.emission.calculated.v1"


def test_every_event_type_has_one_producer() -> None:
    """Consumers accept an event only from its topic's owner: a new event type must name one, or nobody could
    publish it (the kit dead-letters events of types without an owner)."""
    assert set(EVENT_PRODUCERS) == set(EventType)
    assert EVENT_PRODUCERS[EventType.EVALUATION_COMPLETED] == "evaluation"


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2024", PeriodKind.YEAR, date(2024, 1, 1), date(2024, 12, 31)),
        ("2024H2", PeriodKind.HALF, date(2024, 7, 1), date(2024, 12, 31)),
        ("2024Q1", PeriodKind.QUARTER, date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", PeriodKind.MONTH, date(2023, 2, 1), date(2023, 2, 28)),
    ],
)
def test_periods(code: str, kind: PeriodKind, start: date, end: date) -> None:
    period = Period.parse(code)
    assert (period.kind, period.start, period.end) == (kind, start, end)


@pytest.mark.parametrize("code", ["2024H3", "2024Q5", "2024-13", "2024-00", "24", "2024-7", "", "２０２４"])
def test_invalid_periods(code: str) -> None:
    with pytest.raises(ValueError, match="period"):
        Period.parse(code)


def test_previous_and_last_year() -> None:
    assert Period.parse("2024Q1").previous().code == "2023Q4"
    assert Period.parse("2024H1").previous().code == "2023H2"
    assert Period.parse("2024H2").previous().code == "2024H1"
    assert Period.parse("2024-01").previous().code == "2023-12"
    assert Period.parse("2024-03").same_period_last_year().code == "2023-03"
    assert Period.parse("2024").months()[0] == "2024-01"


def test_regions() -> None:
    assert region_level("330000") == "province"
    assert region_level("330500") == "city"
    assert region_level("330502") == "county"
    assert region_within("330000", "330502")
    assert region_within("330500", "330502")
    assert not region_within("330500", "330600")
    assert not region_within("320000", "330502")
    assert region_within("330502", "330502")
    assert region_within("100000", "330502")
    assert region_within("100000", "110101")
    assert not region_within("110000", "100000")


def test_generated_files_are_fresh_and_compatible() -> None:
    assert check() == []


def test_compatibility_rules_catch_breaking_changes() -> None:
    old = event_schemas()["evaluation.completed.v1"]
    removed = copy.deepcopy(old)
    del removed["properties"]["grade"]
    assert any("grade removed" in c for c in breaking_changes(old, removed))
    required = copy.deepcopy(old)
    required["properties"]["extra"] = {"type": "string"}
    required["required"].append("extra")
    assert any("extra is newly required" in c for c in breaking_changes(old, required))
    retyped = copy.deepcopy(old)
    retyped["properties"]["grade"]["type"] = "string"
    assert any("grade: 'type' changed" in c for c in breaking_changes(old, retyped))
    optional = copy.deepcopy(old)
    optional["properties"]["note"] = {"type": "string"}
    optional["properties"]["grade"]["description"] = "reworded"
    assert breaking_changes(old, optional) == []


def test_decimal_serialisation_is_plain() -> None:
    event = EvaluationCompleted(
        enterprise_id=uuid.uuid4(),
        evaluation_id=uuid.uuid4(),
        calculation_id=uuid.uuid4(),
        region_code="330502",
        industry_code="3011",
        period="2025",
        total_emissions_tco2=Decimal("1E+3"),
        net_emissions_tco2=Decimal("900"),
        intensity_tco2_per_10k_cny=Decimal("0.5"),
        level="low",
        benchmark_intensity_tco2_per_10k_cny=Decimal("0.8"),
        efficiency_value_k=Decimal("0.625"),
        grade=2,
        grade_colour="#57AB5A",
        neutralisation_rate=Decimal("0.1"),
        rule_set_version="zhejiang-2022/v1",
        benchmark_version="330000-2025-v1",
        input_hash="0" * 64,
        completed_at=datetime.now(UTC),
    )
    assert '"total_emissions_tco2":"1000"' in event.model_dump_json()


@pytest.mark.parametrize("bad", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_contract_decimals_refuse_nan_and_infinities(bad: str) -> None:
    fields = EvaluationCompleted.model_fields
    assert "factor_set_version" in fields  # the evaluation names the factor set it rests on
    with pytest.raises(ValueError, match="finite"):
        _reductions(ccer_tco2=Decimal(bad))
    with pytest.raises(ValueError, match="finite"):
        _reductions(ccer_tco2=bad)


def test_contract_decimals_refuse_negatives_where_the_quantity_cannot_be_one() -> None:
    with pytest.raises(ValueError, match="negative"):
        _reductions(sinks_tco2=Decimal("-1"))
    assert _reductions(sinks_tco2=Decimal("0")).sinks_tco2 == 0


def _reductions(**overrides: object) -> Reductions:
    values: dict[str, object] = {
        "ccer_tco2": "0",
        "green_certificates_mwh": "0",
        "own_renewable_mwh": "0",
        "sinks_tco2": "0",
        "neutralisation_tco2": "0",
        **overrides,
    }
    return Reductions.model_validate(values)
