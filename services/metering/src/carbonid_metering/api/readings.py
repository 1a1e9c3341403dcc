"""HTTP batch ingest for collection gateways: JSON lines or CSV, up to tens of thousands of readings a call.

The whole call is one transaction: every reading is stored, quarantined (with its reason) or recognised as a
duplicate, and the touched hours and days are recomputed — or, if any reading is malformed or names a device
the gateway may not write, nothing is written and the problem lists the lines at fault.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import update

from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem
from carbonid_metering import db
from carbonid_metering.api.gateways import authenticate_gateway
from carbonid_metering.config import MeteringSettings
from carbonid_metering.domain.payload import ParsedBatch, parse_csv, parse_json_lines
from carbonid_metering.ingest import ReadingsRefused, ingest

router = APIRouter(tags=["readings"])

JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/jsonlines", "application/json-lines")
_REFUSAL_TEXT = {
    "unknown-device": ("设备未登记", "device not registered"),
    "device-disabled": ("设备已停用", "device disabled"),
    "device-of-another-enterprise": ("设备属于其他企业", "device of another enterprise"),
    "unit-not-convertible": ("计量单位无法换算", "unit cannot be converted for the device's carrier"),
}


@router.post(
    "/readings",
    summary="Ingest a batch of readings (Authorization: Gateway <credential>; JSON lines or CSV)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
async def post_readings(request: Request) -> dict[str, Any]:
    settings: MeteringSettings = request.app.state.settings
    gateway = await authenticate_gateway(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media in JSON_LINES:
        parsed = parse_json_lines(body, max_readings=settings.max_readings_per_call)
    elif media == "text/csv":
        parsed = parse_csv(body, max_readings=settings.max_readings_per_call)
    else:
        raise Problem(
            415, "unsupported-media-type", "不支持的内容类型", "Unsupported media type",
            "请以 application/x-ndjson 或 text/csv 提交", "Send application/x-ndjson or text/csv",
        )  # fmt: skip
    _refuse_malformed(parsed)
    now = datetime.now(UTC)
    runtime = request.app.state.runtime
    try:
        async with transaction(runtime.sessions) as session:
            result = await ingest(
                session, settings, parsed.rows, channel="http", now=now, enterprise_id=gateway.enterprise_id
            )
            await session.execute(update(db.gateways).where(db.gateways.c.id == gateway.id).values(last_seen_at=now))
    except ReadingsRefused as exc:
        foreign = any(r.refusal == "device-of-another-enterprise" for r in exc.refused)
        raise Problem(
            403 if foreign else 422,
            "readings-refused",
            "读数被拒绝，本批未写入",
            "Readings refused; nothing of this batch was written",
            f"{len(exc.refused)} 条读数的设备或单位不被接受",
            f"{len(exc.refused)} reading(s) name a device or unit that is not accepted",
            errors=[
                FieldError(
                    f"/lines/{r.line}/{'unit' if r.refusal == 'unit-not-convertible' else 'device'}",
                    r.refusal,
                    f"{_REFUSAL_TEXT[r.refusal][0]}：{r.device}",
                    f"{_REFUSAL_TEXT[r.refusal][1]}: {r.device}",
                )
                for r in exc.refused
            ],
        ) from exc
    return {"gateway": str(gateway.id), **result.as_json()}


def _refuse_malformed(parsed: ParsedBatch) -> None:
    if not parsed.errors:
        return
    raise Problem(
        422, "invalid-readings", "读数格式错误，本批未写入", "Malformed readings; nothing of this batch was written",
        f"{len(parsed.errors)} 处错误", f"{len(parsed.errors)} error(s)",
        errors=[FieldError(e.pointer, "invalid-reading", e.zh, e.en) for e in parsed.errors],
    )  # fmt: skip
