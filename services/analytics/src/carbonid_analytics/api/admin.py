"""Operator administration: rebuild the projections from the topics, and their state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from carbonid_analytics import db
from carbonid_analytics.metrics import PROJECTION_LAG_SECONDS, PROJECTION_LAST_EVENT_TIME
from carbonid_analytics.runtime import PROJECTIONS, AnalyticsRuntime, group_for
from carbonid_kit.auth import Caller, require_role

router = APIRouter(prefix="/admin", tags=["admin"])
OperatorCaller = Annotated[Caller, require_role("operator")]


async def projection_state(runtime: AnalyticsRuntime) -> dict[str, Any]:
    counts: dict[str, int] = {}
    async with runtime.sessions() as session:
        for table in (*db.PROJECTION_TABLES, db.inbox):
            counts[table.name] = int((await session.execute(select(func.count()).select_from(table))).scalar_one())
    return {
        "generation": runtime.generation,
        "consumer_group": group_for(runtime.settings.service_name, runtime.generation),
        "applied": runtime.consumers.applied,
        "duplicates_skipped": runtime.consumers.skipped,
        "dead_lettered": runtime.consumers.dead_lettered,
        "rows": counts,
        "projections": {
            p: {
                "last_event_time": PROJECTION_LAST_EVENT_TIME.labels(p)._value.get() or None,
                "lag_seconds": PROJECTION_LAG_SECONDS.labels(p)._value.get(),
            }
            for p in PROJECTIONS
        },
    }


@router.get("/projections", summary="Projection state: generation, counts, lag")
async def projections(request: Request, caller: OperatorCaller) -> dict[str, Any]:
    runtime: AnalyticsRuntime = request.app.state.runtime
    return await projection_state(runtime)


@router.post("/rebuild", status_code=202, summary="Truncate the projections and replay every topic from the start")
async def rebuild(request: Request, caller: OperatorCaller) -> dict[str, Any]:
    runtime: AnalyticsRuntime = request.app.state.runtime
    generation = await runtime.rebuild(caller.username or str(caller.user_id))
    return {"generation": generation, "consumer_group": group_for(runtime.settings.service_name, generation)}
