"""From emission.calculated and benchmark.published to evaluation.completed, through the HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from evaluation_harness import ALL_NO, PDF, Harness, benchmark_set, calculation, resolved

from carbonid_contracts.envelope import CloudEvent

pytestmark = pytest.mark.integration


async def run_to_issuance(service: Harness, enterprise_id: uuid.UUID, period: str | None = None) -> dict[str, Any]:
    """Start, answer (one "yes" with evidence), confirm neutralisation, compute; return the computed evaluation."""
    headers = service.enterprise(enterprise_id)
    started = await service.client.post("/evaluations", json={"period": period} if period else {}, headers=headers)
    assert started.status_code == 201, started.text
    evaluation_id = started.json()["id"]
    upload = await service.client.post(
        f"/evaluations/{evaluation_id}/evidence",
        data={"question_id": "energy_management_system"},
        files={"file": ("证书.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 201, upload.text
    answers = {**ALL_NO, "energy_management_system": {"value": "yes"}}
    saved = await service.client.put(
        f"/evaluations/{evaluation_id}/questionnaire", json={"answers": answers}, headers=headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["step"] == "neutralisation"
    confirmed = await service.client.post(f"/evaluations/{evaluation_id}/neutralisation", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["step"] == "computation"
    computed = await service.client.post(f"/evaluations/{evaluation_id}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    body: dict[str, Any] = computed.json()
    assert body["step"] == "issuance"
    return body


async def test_calculation_and_benchmark_to_evaluation_completed(service: Harness) -> None:
    enterprise_id = uuid.uuid4()
    await service.publish(resolved(enterprise_id, "湖州示例建材有限公司"))
    await service.publish(benchmark_set(version="bm-2023.1", intensity="1.5"))
    calc = calculation(enterprise_id, period="2023Q3")
    older = calculation(enterprise_id, period="2023Q2")
    await service.publish(older)
    await service.publish(calc)
    periods = await service.wait_for_period(enterprise_id, calc.calculation_id)
    await service.wait_for_period(enterprise_id, older.calculation_id)
    await service.wait_for_benchmark("bm-2023.1")
    assert periods["default"] == "2023Q3"  # the latest calculated period, not the latest received
    assert [p["period"] for p in periods["periods"]] == ["2023Q3", "2023Q2"]

    computed = await run_to_issuance(service, enterprise_id)  # no period: the default
    assert computed["period"] == "2023Q3"
    assert computed["calculation"]["calculation_id"] == str(calc.calculation_id)
    assert computed["grid_factor"] == {"tco2_per_mwh": "0.5306", "source": "national-average/2023@mee-nbs-2024/v1"}
    neutral = computed["neutralisation"]["figures"]
    # 200 + 500 × 0.5306 + 1000 × 0.5306 + 100 = 1095.9; rate 0.10959 floors to 0.1095
    assert neutral["neutralisation_tco2"] == "1095.9"
    assert neutral["neutralisation_rate"] == "0.1095"
    names = [s["name"] for s in computed["computation"]["steps"]]
    assert names == [
        "questionnaire_score",
        "neutralisation",
        "net_emissions",
        "intensity",
        "level",
        "benchmark",
        "efficiency_value",
        "neutralisation_rate",
        "grade",
    ]
    assert [s["order"] for s in computed["computation"]["steps"]] == list(range(1, 10))
    result = computed["result"]
    # L = (10000 − 1000 × 0.5306 − 100) / 5000 = 1.87388; K = 9369.4 / (5000 × 1.5) = 1.24925…
    assert result["intensity_tco2_per_10k_cny"] == "1.8739"
    assert result["level"] == "medium"
    assert result["efficiency_value_k"] == "1.2493"
    assert (result["grade"], result["grade_colour"]) == (4, "#E16F24")
    assert result["questionnaire"]["score"] == "15"
    assert result["benchmark"]["version"] == "bm-2023.1"
    assert computed["computation"]["benchmark_version"] == "bm-2023.1"
    assert len(computed["computation"]["input_hash"]) == 64

    evaluation_id = computed["id"]
    headers = service.enterprise(enterprise_id)
    issued = await service.client.post(f"/evaluations/{evaluation_id}/issue", headers=headers)
    assert issued.status_code == 200, issued.text
    assert (issued.json()["status"], issued.json()["step"]) == ("completed", "completed")

    # read-only once issued
    locked = await service.client.put(
        f"/evaluations/{evaluation_id}/questionnaire", json={"answers": ALL_NO}, headers=headers
    )
    assert locked.status_code == 409
    assert locked.json()["type"] == "urn:carbonid:problem:evaluation-issued"
    late_upload = await service.client.post(
        f"/evaluations/{evaluation_id}/evidence",
        data={"question_id": "energy_audit"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert late_upload.status_code == 409
    again = await service.client.post(f"/evaluations/{evaluation_id}/issue", headers=headers)
    assert again.status_code == 409

    # evaluate again: the second completed evaluation supersedes the first
    second = await run_to_issuance(service, enterprise_id, "2023Q3")
    reissued = await service.client.post(f"/evaluations/{second['id']}/issue", headers=headers)
    assert reissued.status_code == 200
    assert reissued.json()["supersedes"] == evaluation_id

    events = await service.completed_events({uuid.UUID(evaluation_id), uuid.UUID(second["id"])})
    first = events[uuid.UUID(evaluation_id)]
    assert first.enterprise_id == enterprise_id
    assert first.enterprise_name == "湖州示例建材有限公司"
    assert first.calculation_id == calc.calculation_id
    assert (first.period, first.region_code, first.industry_code) == ("2023Q3", "330502", "3011")
    assert first.grade == 4
    assert first.grade_colour == "#E16F24"
    assert first.level == "medium"
    assert first.efficiency_value_k == Decimal("1.2493")
    assert first.intensity_tco2_per_10k_cny == Decimal("1.8739")
    assert first.benchmark_intensity_tco2_per_10k_cny == Decimal("1.5")
    assert first.neutralisation_rate == Decimal("0.1095")
    assert first.net_emissions_tco2 == Decimal("8904.1")
    assert first.total_emissions_tco2 == Decimal("10000")
    assert first.questionnaire_score == Decimal("15")
    assert first.rule_set_version == "zhejiang-2022/v1"
    assert first.benchmark_version == "bm-2023.1"
    assert first.input_hash == computed["computation"]["input_hash"]
    assert first.supersedes is None
    assert events[uuid.UUID(second["id"])].supersedes == uuid.UUID(evaluation_id)

    history = await service.client.get("/evaluations", headers=headers)
    assert [e["id"] for e in history.json()["items"]] == [second["id"], evaluation_id]  # newest first


async def test_redelivered_calculation_is_applied_once(service: Harness) -> None:
    enterprise_id = uuid.uuid4()
    calc = calculation(enterprise_id, period="2023-05")
    event = CloudEvent.of(calc, source="urn:carbonid:calculator:330000")
    skipped_before = service.consumers.skipped
    await service.publish(calc, event=event)
    await service.publish(calc, event=event)  # the same event delivered again
    await service.publish(calc)  # the same calculation under a new event id
    await service.wait_for_period(enterprise_id, calc.calculation_id)

    from carbonid_kit.testing import wait_until

    await wait_until(
        lambda: _value(service.consumers.skipped > skipped_before), what="the redelivered event skipped by the inbox"
    )
    from sqlalchemy import func, select

    from carbonid_evaluation.db import Calculation

    async with service.app.state.runtime.sessions() as session:
        count = (
            await session.execute(
                select(func.count()).select_from(Calculation).where(Calculation.enterprise_id == enterprise_id)
            )
        ).scalar_one()
    assert count == 1
    periods = (await service.client.get("/periods", headers=service.enterprise(enterprise_id))).json()
    assert [p["period"] for p in periods["periods"]] == ["2023-05"]


async def test_superseding_calculation_wins_whatever_the_order(service: Harness) -> None:
    from datetime import UTC, datetime, timedelta

    enterprise_id = uuid.uuid4()
    first = calculation(enterprise_id, period="2023", confirmed_at=datetime.now(UTC) - timedelta(days=2))
    replacement = calculation(
        enterprise_id,
        period="2023",
        supersedes=first.calculation_id,
        confirmed_at=datetime.now(UTC) - timedelta(days=3),
    )
    await service.publish(replacement)  # the replacement arrives first (and even claims an earlier time)
    await service.wait_for_period(enterprise_id, replacement.calculation_id)
    await service.publish(first)

    from sqlalchemy import func, select

    from carbonid_evaluation.db import Calculation
    from carbonid_kit.testing import wait_until

    async def both_received() -> bool:
        async with service.app.state.runtime.sessions() as session:
            n = (
                await session.execute(
                    select(func.count()).select_from(Calculation).where(Calculation.enterprise_id == enterprise_id)
                )
            ).scalar_one()
        return n == 2

    await wait_until(both_received, what="both calculations received")
    periods = (await service.client.get("/periods", headers=service.enterprise(enterprise_id))).json()
    assert [p["calculation_id"] for p in periods["periods"]] == [str(replacement.calculation_id)]


async def test_start_for_a_period_without_calculation_is_refused(service: Harness) -> None:
    enterprise_id = uuid.uuid4()
    headers = service.enterprise(enterprise_id)
    nothing = await service.client.post("/evaluations", json={}, headers=headers)
    assert nothing.status_code == 422
    assert nothing.json()["type"] == "urn:carbonid:problem:no-calculation-for-period"
    assert nothing.json()["calculation_page"] == "/emissions/new"

    calc = calculation(enterprise_id, period="2023Q1")
    await service.publish(calc)
    await service.wait_for_period(enterprise_id, calc.calculation_id)
    refused = await service.client.post(
        "/evaluations", json={"period": "2022Q4"}, headers={**headers, "Accept-Language": "en"}
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "urn:carbonid:problem:no-calculation-for-period"
    assert problem["calculation_page"] == "/emissions/new?period=2022Q4"
    assert "2022Q4" in problem["detail"]
    assert "2022Q4" in problem["i18n"]["zh"]["detail"]
    malformed = await service.client.post("/evaluations", json={"period": "2022-13"}, headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["type"] == "urn:carbonid:problem:validation-error"
    listed = await service.client.get("/evaluations", headers=headers)
    assert listed.json()["items"] == []  # nothing half-written


async def test_start_may_wait_for_the_calculation_on_its_way(service: Harness) -> None:
    """``?wait=`` answers once the period's calculation has arrived, instead of 422 while it travels."""
    enterprise_id = uuid.uuid4()
    headers = service.enterprise(enterprise_id)
    calc = calculation(enterprise_id, period="2024Q2")
    not_yet = await service.client.post("/evaluations", json={"period": "2024Q2"}, headers=headers)
    assert not_yet.status_code == 422  # without wait: at once

    waiting = asyncio.create_task(
        service.client.post("/evaluations", params={"wait": 10}, json={"period": "2024Q2"}, headers=headers)
    )
    await service.publish(calc)
    started = await asyncio.wait_for(waiting, timeout=30)
    assert started.status_code == 201, started.text
    assert started.json()["calculation"]["calculation_id"] == str(calc.calculation_id)

    # A period that never comes: the wait ends with the usual clear refusal; out-of-range waits are refused.
    never = await service.client.post("/evaluations", params={"wait": 0.3}, json={"period": "2019"}, headers=headers)
    assert never.status_code == 422
    assert never.json()["type"] == "urn:carbonid:problem:no-calculation-for-period"
    too_long = await service.client.post("/evaluations", params={"wait": 60}, json={}, headers=headers)
    assert too_long.status_code == 422
    assert too_long.json()["type"] == "urn:carbonid:problem:validation-error"


async def _value(value: Any) -> Any:
    return value
