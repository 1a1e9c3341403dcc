"""Devices: registration by identifier, listing with last reading and health, readings by hour and day, gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, text

from carbonid_kit.auth import CurrentCaller
from carbonid_kit.problems import not_found
from carbonid_metering import db
from carbonid_metering.api.scope import require_visible, visible
from carbonid_metering.devices import device_json, normalise_device, register_device

router = APIRouter(tags=["devices"])
SILENT_AFTER_INTERVALS = 3


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str = Field(min_length=3, max_length=256, examples=["88.118.8/MTR-0001"])


def _health(last_ts: datetime | None, interval_seconds: int, enabled: bool, now: datetime) -> str:
    if not enabled:
        return "disabled"
    if last_ts is None:
        return "never-reported"
    if now - last_ts > timedelta(seconds=SILENT_AFTER_INTERVALS * interval_seconds):
        return "silent"
    return "reporting"


@router.post("/devices", status_code=201, summary="Register (or refresh) a device by resolving its identifier")
async def post_device(body: DeviceIn, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    row = await register_device(request.app.state.runtime, request.app.state.resolver, body.identifier, caller)
    return device_json(row)


async def visible_device(request: Request, caller: CurrentCaller, identifier: str) -> Any:
    key = normalise_device(identifier)
    async with request.app.state.runtime.sessions() as session:
        row = (await session.execute(select(db.devices).where(db.devices.c.identifier == key))).one_or_none()
    if row is None:
        raise not_found("设备", "Device")
    require_visible(caller, row.enterprise_id, row.region_code)
    return row


_LAST = text("""
SELECT r.ts, r.value, r.unit, r.quality, r.flag FROM readings r WHERE r.device = :device ORDER BY r.ts DESC LIMIT 1
""")


@router.get("/devices", summary="Devices visible to the caller, with their last reading and health")
async def list_devices(
    request: Request,
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    d = db.devices
    where = visible(caller, d.c.enterprise_id, d.c.region_code)
    last = (
        select(func.max(db.readings.c.ts)).where(db.readings.c.device == d.c.identifier).scalar_subquery().label("last")
    )
    query = select(d, last).where(where).order_by(d.c.identifier).limit(limit).offset(offset)
    now = datetime.now(UTC)
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(query)).all()
        total = int((await session.execute(select(func.count()).select_from(d).where(where))).scalar_one())
    items = [
        {
            **device_json(r),
            "last_reading_at": r.last.isoformat() if r.last else None,
            "health": _health(r.last, r.interval_seconds, r.enabled, now),
        }
        for r in rows
    ]
    return {"items": items, "total": total}


@router.get("/devices/{identifier:path}/days", summary="A device's daily quantities (China Standard Time days)")
async def device_days(
    identifier: str,
    request: Request,
    caller: CurrentCaller,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    row = await visible_device(request, caller, identifier)
    x = db.device_days
    query = select(x).where(x.c.device == row.identifier, x.c.day >= start, x.c.day <= end).order_by(x.c.day)
    async with request.app.state.runtime.sessions() as session:
        days = (await session.execute(query)).all()
    return {
        "device": row.identifier,
        "unit": row.canonical_unit,
        "items": [
            {
                "day": r.day.isoformat(),
                "quantity": format(r.quantity, "f"),
                "readings": r.readings,
                "expected": r.expected,
                "quarantined": r.quarantined,
                "gaps": max(0, r.expected - r.readings),
            }
            for r in days
        ],
    }


@router.get("/devices/{identifier:path}/hours", summary="A device's hourly quantities of one day")
async def device_hours(
    identifier: str, request: Request, caller: CurrentCaller, day: Annotated[date, Query()]
) -> dict[str, Any]:
    row = await visible_device(request, caller, identifier)
    settings = request.app.state.settings
    query = text("""
        SELECT hour, quantity, readings FROM device_hours
        WHERE device = :device AND hour >= (CAST(:day AS date)::timestamp AT TIME ZONE :tz)
          AND hour < ((CAST(:day AS date) + 1)::timestamp AT TIME ZONE :tz)
        ORDER BY hour
    """)
    params = {"device": row.identifier, "day": day, "tz": settings.day_time_zone}
    async with request.app.state.runtime.sessions() as session:
        hours = (await session.execute(query, params)).all()
    return {
        "device": row.identifier,
        "unit": row.canonical_unit,
        "items": [
            {"hour": h.hour.isoformat(), "quantity": format(h.quantity, "f"), "readings": h.readings} for h in hours
        ],
    }


_GAPS = text("""
WITH w AS (
    SELECT (CAST(:day AS date)::timestamp AT TIME ZONE :tz) AS day_start
), r AS (
    SELECT ts FROM readings, w WHERE device = :device AND ts > w.day_start AND ts <= w.day_start + interval '1 day'
    UNION ALL SELECT day_start FROM w
    UNION ALL SELECT day_start + interval '1 day' + make_interval(secs => :interval) FROM w
), l AS (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM r)
SELECT prev AS after, ts AS before, CAST(extract(epoch FROM ts - prev) / :interval AS integer) - 1 AS missing
FROM l WHERE prev IS NOT NULL AND ts - prev > make_interval(secs => :interval * 1.5)
ORDER BY prev
""")


@router.get("/devices/{identifier:path}/gaps", summary="Missing intervals of one day (marked, never filled)")
async def device_gaps(
    identifier: str, request: Request, caller: CurrentCaller, day: Annotated[date, Query()]
) -> dict[str, Any]:
    row = await visible_device(request, caller, identifier)
    params = {
        "device": row.identifier,
        "day": day,
        "tz": request.app.state.settings.day_time_zone,
        "interval": row.interval_seconds,
    }
    async with request.app.state.runtime.sessions() as session:
        gaps = (await session.execute(_GAPS, params)).all()
    return {
        "device": row.identifier,
        "day": day.isoformat(),
        "fill_rule": "none",
        "items": [
            {"after": g.after.isoformat(), "before": g.before.isoformat(), "missing_readings": g.missing} for g in gaps
        ],
    }


@router.get("/devices/{identifier:path}", summary="One device, with its last reading and health")
async def get_device(identifier: str, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    row = await visible_device(request, caller, identifier)
    async with request.app.state.runtime.sessions() as session:
        last = (await session.execute(_LAST, {"device": row.identifier})).one_or_none()
    return {
        **device_json(row),
        "last_reading": None
        if last is None
        else {
            "time": last.ts.isoformat(),
            "value": format(last.value, "f"),
            "unit": last.unit,
            "quality": last.quality,
            "flag": last.flag,
        },
        "health": _health(last.ts if last else None, row.interval_seconds, row.enabled, datetime.now(UTC)),
    }
