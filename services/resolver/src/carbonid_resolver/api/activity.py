"""Activity resolutions: start one, follow its steps live (server-sent events), read its result."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sse_starlette.sse import EventSourceResponse

from carbonid_contracts.codes.period import PERIOD_PATTERN, Period
from carbonid_kit.auth import Caller, CurrentCaller
from carbonid_kit.problems import Problem, forbidden, not_found
from carbonid_resolver.api.enterprises import resolver_of, visible_enterprise
from carbonid_resolver.db import ActivityResolution, Enterprise
from carbonid_resolver.service import TERMINAL

router = APIRouter(tags=["activity"])

POLL_FALLBACK_S = 0.5
"""How often a stream re-reads the row when no wake-up arrives (a step recorded by another replica)."""


class StartResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2025Q3", "2025", "2025H1", "2025-07"])

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        Period.parse(value)
        return value


def resolution_json(row: ActivityResolution) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "enterprise_id": str(row.enterprise_id),
        "period": row.period,
        "status": row.status,
        "steps": row.steps,
        "result": row.result,
        "problem": row.problem,
        "stale": bool(row.result and row.result.get("stale")),
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "status_url": f"/activity-resolutions/{row.id}",
        "events_url": f"/activity-resolutions/{row.id}/events",
    }


async def _visible_resolution(request: Request, caller: Caller, resolution_id: uuid.UUID) -> ActivityResolution:
    resolver = resolver_of(request)
    async with resolver.runtime.sessions() as session:
        row = await session.get(ActivityResolution, resolution_id)
        enterprise = await session.get(Enterprise, row.enterprise_id) if row is not None else None
    if row is None or enterprise is None:
        raise not_found("解析任务", "Activity resolution")
    if not caller.may_see(enterprise_id=enterprise.id, region_code=enterprise.region_code):
        raise forbidden("无权查看该解析任务", "You may not see this resolution")
    return row


@router.post(
    "/enterprises/{enterprise_id}/activity-resolutions",
    status_code=202,
    summary="Resolve an enterprise's energy activity data for a period (year, half, quarter or month)",
    response_model=None,
)
async def start_resolution(
    enterprise_id: uuid.UUID, body: StartResolution, request: Request, caller: CurrentCaller, wait: bool = False
) -> dict[str, Any] | JSONResponse:
    enterprise = await visible_enterprise(request, caller, enterprise_id)
    if caller.role == "government":
        raise forbidden("政府用户不能发起企业数据解析", "Government users do not resolve enterprise data")
    resolver = resolver_of(request)
    resolution = await resolver.create_activity_resolution(enterprise, Period.parse(body.period), caller.user_id)
    if not wait:
        resolver.start(resolution.id)
        return resolution_json(resolution)
    await resolver.run_activity_resolution(resolution.id)
    async with resolver.runtime.sessions() as session:
        row = await session.get(ActivityResolution, resolution.id)
    assert row is not None
    if row.status == "failed" and row.problem is not None:
        document = {**row.problem, "resolution_id": str(row.id)}
        return JSONResponse(document, status_code=int(row.problem["status"]), media_type="application/problem+json")
    return JSONResponse(resolution_json(row), status_code=200)


@router.get("/activity-resolutions/{resolution_id}", summary="An activity resolution: status, steps, result")
async def get_resolution(resolution_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    return resolution_json(await _visible_resolution(request, caller, resolution_id))


@router.get(
    "/activity-resolutions/{resolution_id}/events",
    summary="Each step of an activity resolution as server-sent events, until it succeeds or fails",
    response_model=None,
)
async def resolution_events(resolution_id: uuid.UUID, request: Request, caller: CurrentCaller) -> EventSourceResponse:
    await _visible_resolution(request, caller, resolution_id)
    resolver = resolver_of(request)
    wake = resolver.progress.event(resolution_id)

    async def stream() -> AsyncIterator[dict[str, str]]:
        sent = 0
        try:
            while True:
                wake.clear()
                async with resolver.runtime.sessions() as session:
                    row = await session.get(ActivityResolution, resolution_id)
                if row is None:
                    raise Problem(404, "not-found", "解析任务不存在", "Activity resolution not found")
                for step in row.steps[sent:]:
                    yield {"event": step["step"], "id": str(step["seq"]), "data": json.dumps(step, ensure_ascii=False)}
                sent = len(row.steps)
                if row.status in TERMINAL:
                    return
                if await request.is_disconnected():
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=POLL_FALLBACK_S)
        finally:
            resolver.progress.forget(resolution_id)

    return EventSourceResponse(stream(), ping=15)
