"""Enterprise lookup by identifier prefix, and enterprise profiles."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, or_, select

from carbonid_contracts.codes.region import region_prefix, region_within
from carbonid_kit.auth import Caller, CurrentCaller, require_role
from carbonid_kit.problems import Problem, forbidden, not_found
from carbonid_resolver.bindings import EnterpriseBindings, binding_json
from carbonid_resolver.db import Enterprise
from carbonid_resolver.domain.records import enterprise_id_for, normalise_prefix
from carbonid_resolver.service import Resolver, enterprise_json

router = APIRouter(tags=["enterprises"])


class ResolveEnterprise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(min_length=1, max_length=140, examples=["88.118.8"], description="enterprise identifier prefix")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        try:
            return normalise_prefix(value)
        except ValueError as exc:
            raise ValueError(
                f"not an identifier prefix such as 88.118.8 / 不是有效的标识前缀（如 88.118.8）: {value}"
            ) from exc


def resolver_of(request: Request) -> Resolver:
    resolver: Resolver = request.app.state.resolver
    return resolver


def bindings_of(request: Request) -> EnterpriseBindings:
    bindings: EnterpriseBindings = request.app.state.bindings
    return bindings


async def visible_enterprise(request: Request, caller: Caller, enterprise_id: uuid.UUID) -> Enterprise:
    """The enterprise if the caller may see it; 404 when it does not exist, 403 when it is not theirs."""
    resolver = resolver_of(request)
    async with resolver.runtime.sessions() as session:
        row = await session.get(Enterprise, enterprise_id)
    if row is None:
        raise not_found("企业", "Enterprise")
    if not caller.may_see(enterprise_id=row.id, region_code=row.region_code):
        raise forbidden("无权查看该企业", "You may not see this enterprise")
    return row


@router.post(
    "/enterprises/resolve",
    summary="Resolve an enterprise by its identifier prefix and store its profile; an enterprise user gets a claim",
    description=(
        "Operators resolve any prefix. An enterprise user already bound to the enterprise gets its profile (200); "
        "otherwise the answer (202) carries the user's pending claim and what proves it: the record to publish "
        "on the enterprise's own identifier node (then `POST /enterprises/{id}/binding/verify`), or approval by "
        "an operator or the regional regulator. Knowing a prefix binds nobody."
    ),
    responses={
        202: {"description": "claim pending: publish the record, or wait for approval"},
        404: {"description": "not an identifier enterprise"},
        503: {"description": "node unavailable"},
    },
)
async def resolve_enterprise(
    body: ResolveEnterprise,
    request: Request,
    response: Response,
    caller: Annotated[Caller, require_role("enterprise", "operator")],
) -> dict[str, Any]:
    resolver = resolver_of(request)
    bound = caller.enterprise_id
    if caller.role == "enterprise" and bound is not None and bound != enterprise_id_for(body.prefix):
        raise Problem(
            409,
            "enterprise-binding-conflict",
            "账号已绑定其他企业",
            "Account bound to another enterprise",
            "该账号已绑定其他企业，不能再绑定此企业",
            "This account is already bound to another enterprise",
        )
    resolved = await resolver.resolve_enterprise(body.prefix)
    document = enterprise_json(resolved.row, stale=resolved.stale)
    if caller.role != "enterprise" or bound == resolved.row.id:
        return document
    binding = await bindings_of(request).claim(caller, resolved.row)
    if binding.status != "active":
        response.status_code = 202
    suffix = resolver.settings.binding_record_suffix
    return document | {"binding": binding_json(binding, prefix=resolved.row.identifier_prefix, suffix=suffix)}


@router.get("/enterprises/{enterprise_id}", summary="An enterprise profile")
async def get_enterprise(enterprise_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    return enterprise_json(await visible_enterprise(request, caller, enterprise_id))


@router.get("/enterprises", summary="Enterprise listing for government users (their region) and operators")
async def list_enterprises(
    *,
    request: Request,
    caller: Annotated[Caller, require_role("government", "operator")],
    region: Annotated[str | None, Query(pattern=r"^[1-9]\d{5}$")] = None,
    industry: Annotated[str | None, Query(pattern=r"^([A-T]|\d{2,4})$")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    scope = caller.region_scope if caller.role == "government" else None
    if caller.role == "government" and not scope:
        raise forbidden("账号没有地区范围", "Your account has no region scope")
    if region is not None and scope is not None and not region_within(scope, region):
        raise forbidden("只能查看本地区的企业", "You may only list enterprises in your region")
    area = region or scope
    query = select(Enterprise)
    if area is not None:
        query = query.where(Enterprise.region_code.startswith(region_prefix(area)))
    if industry is not None:
        if industry.isalpha():
            query = query.where(Enterprise.industry_category == industry)
        else:
            query = query.where(Enterprise.industry_code.startswith(industry))
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(Enterprise.name.ilike(like), Enterprise.uscc.ilike(like), Enterprise.identifier_prefix.ilike(like))
        )
    resolver = resolver_of(request)
    async with resolver.runtime.sessions() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(Enterprise.name).limit(limit).offset(offset))).scalars().all()
    return {"total": total, "limit": limit, "offset": offset, "items": [enterprise_json(r) for r in rows]}
