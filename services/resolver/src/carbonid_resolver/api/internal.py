"""Internal calls of other services (service token): one identifier record through the node adapters.

Metering registers a meter by resolving its identifier (``88.118.8/MTR-0001``): the record comes through the
same adapters, cache, breakers and deadline as every resolution, with the enterprise profile of its prefix
when the platform knows it (a device belongs to an enterprise the platform has resolved).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from carbonid_kit.auth import require_service
from carbonid_kit.problems import invalid
from carbonid_resolver.api.enterprises import resolver_of
from carbonid_resolver.api.problems import problem_for
from carbonid_resolver.db import Enterprise
from carbonid_resolver.domain.errors import InvalidTemplateData, ResolutionError
from carbonid_resolver.domain.records import enterprise_id_for

router = APIRouter(tags=["internal"], dependencies=[Depends(require_service)], include_in_schema=False)


@router.get("/internal/handles/{handle:path}", summary="One identifier record and its enterprise (services only)")
async def resolve_handle(handle: str, request: Request) -> dict[str, Any]:
    resolver = resolver_of(request)
    directory = resolver.directory
    prefix = handle.split("/", 1)[0]
    try:
        enterprise_id = enterprise_id_for(prefix)
    except ValueError as exc:
        problem = invalid("invalid-identifier", "不是有效的标识", f"Not an identifier: {handle}", pointer="/handle")
        raise problem from exc
    try:
        fetched = await directory.for_handle(handle).resolve(handle, directory.deadline())
    except (ResolutionError, InvalidTemplateData) as exc:
        raise problem_for(exc, context="template") from exc
    async with resolver.runtime.sessions() as session:
        row = (await session.execute(select(Enterprise).where(Enterprise.id == enterprise_id))).scalar_one_or_none()
    enterprise = (
        None
        if row is None
        else {
            "id": str(row.id),
            "prefix": row.identifier_prefix,
            "name": row.name,
            "region_code": row.region_code,
            "industry_code": row.industry_code,
        }
    )
    return {
        "handle": fetched.value.handle,
        "values": [{"index": v.index, "type": v.type, "value": v.text} for v in fetched.value.values],
        "node": fetched.node,
        "stale": fetched.stale,
        "enterprise": enterprise,
    }
