"""Daily monitoring: an enterprise's metered days per source, quarantined readings, a region's day at a glance."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import and_, func, select

from carbonid_kit.auth import CurrentCaller
from carbonid_kit.problems import forbidden
from carbonid_metering import db
from carbonid_metering.api.scope import visible
from carbonid_metering.domain.quality import reason_text
from carbonid_metering.publisher import completeness

router = APIRouter(tags=["monitoring"])


@router.get("/enterprises/{enterprise_id}/days", summary="An enterprise's metered days per emission source")
async def enterprise_days(
    enterprise_id: uuid.UUID,
    request: Request,
    caller: CurrentCaller,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    x = db.device_days
    query = (
        select(
            x.c.day,
            x.c.source_code,
            x.c.carrier,
            x.c.unit,
            func.count().label("devices"),
            func.sum(x.c.quantity).label("quantity"),
            func.sum(x.c.readings).label("readings"),
            func.sum(x.c.expected).label("expected"),
            func.sum(x.c.quarantined).label("quarantined"),
        )
        .where(
            x.c.enterprise_id == enterprise_id,
            x.c.day >= start,
            x.c.day <= end,
            visible(caller, x.c.enterprise_id, x.c.region_code),
        )
        .group_by(x.c.day, x.c.source_code, x.c.carrier, x.c.unit)
        .order_by(x.c.day, x.c.source_code)
    )
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    if caller.role == "enterprise" and caller.enterprise_id != enterprise_id:
        raise forbidden()
    return {
        "enterprise_id": str(enterprise_id),
        "items": [
            {
                "day": r.day.isoformat(),
                "source_code": r.source_code,
                "carrier": r.carrier,
                "unit": r.unit,
                "devices": r.devices,
                "quantity": format(r.quantity, "f"),
                "readings": int(r.readings),
                "expected": int(r.expected),
                "completeness": format(completeness(int(r.readings), int(r.expected)), "f"),
                "quarantined": int(r.quarantined),
            }
            for r in rows
        ],
    }


@router.get("/quarantine", summary="Quarantined readings with their reason (enterprise: its own; regulator: region)")
async def list_quarantine(
    request: Request,
    caller: CurrentCaller,
    *,
    enterprise_id: uuid.UUID | None = None,
    device: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    q = db.quarantine
    conditions = [visible(caller, q.c.enterprise_id, q.c.region_code)]
    if enterprise_id is not None:
        conditions.append(q.c.enterprise_id == enterprise_id)
    if device is not None:
        conditions.append(q.c.device == device.strip().lower())
    if since is not None:
        conditions.append(q.c.ts >= since)
    query = select(q).where(and_(*conditions)).order_by(q.c.ts.desc(), q.c.id.desc()).limit(limit).offset(offset)
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    return {
        "items": [
            {
                "device": r.device,
                "enterprise_id": str(r.enterprise_id),
                "region_code": r.region_code,
                "time": r.ts.isoformat(),
                "value": format(r.value, "f"),
                "unit": r.unit,
                "quality": r.quality,
                "reason": r.reason,
                "reason_text": reason_text(r.reason),
                "detail": r.detail,
                "channel": r.channel,
                "received_at": r.received_at.isoformat(),
            }
            for r in rows
        ]
    }


@router.get("/monitoring/day", summary="One day across the caller's region: enterprises, completeness, silent meters")
async def region_day(request: Request, caller: CurrentCaller, day: Annotated[date, Query()]) -> dict[str, Any]:
    if caller.role == "enterprise":
        raise forbidden()
    d, x = db.devices, db.device_days
    query = (
        select(
            d.c.enterprise_id,
            d.c.enterprise_name,
            d.c.region_code,
            func.count().label("devices"),
            func.count(x.c.device).filter(x.c.readings == 0).label("zero"),
            func.count().filter(x.c.device.is_(None)).label("silent"),
            func.coalesce(func.sum(x.c.readings), 0).label("readings"),
            func.sum(86400 / d.c.interval_seconds).label("expected"),
            func.coalesce(func.sum(x.c.quarantined), 0).label("quarantined"),
        )
        .select_from(d.outerjoin(x, and_(x.c.device == d.c.identifier, x.c.day == day)))
        .where(d.c.enabled, visible(caller, d.c.enterprise_id, d.c.region_code))
        .group_by(d.c.enterprise_id, d.c.enterprise_name, d.c.region_code)
        .order_by(d.c.region_code, d.c.enterprise_name)
    )
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    return {
        "day": day.isoformat(),
        "items": [
            {
                "enterprise_id": str(r.enterprise_id),
                "enterprise_name": r.enterprise_name,
                "region_code": r.region_code,
                "devices": r.devices,
                "silent_devices": int(r.silent) + int(r.zero),
                "completeness": format(completeness(int(r.readings), int(r.expected)), "f"),
                "quarantined": int(r.quarantined),
            }
            for r in rows
        ],
    }
