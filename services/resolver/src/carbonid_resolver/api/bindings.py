"""Who acts for an enterprise: proving a claim, approving it, inviting colleagues, the member list, removal."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from carbonid_kit.auth import Caller, CurrentCaller, require_role
from carbonid_kit.problems import forbidden
from carbonid_resolver.api.enterprises import bindings_of, visible_enterprise
from carbonid_resolver.bindings import audit_json, binding_json

router = APIRouter(tags=["enterprise bindings"])


class Invitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=15, description="the colleague's (registered) account")


@router.post(
    "/enterprises/{enterprise_id}/binding/verify",
    summary="Prove the caller's claim: the resolver reads the challenge record on the enterprise's own node",
    responses={404: {"description": "no claim"}, 409: {"description": "the enterprise has an owner"}},
)
async def verify_claim(
    enterprise_id: uuid.UUID, request: Request, caller: Annotated[Caller, require_role("enterprise")]
) -> dict[str, Any]:
    binding = await bindings_of(request).verify(caller, enterprise_id)
    return binding_json(binding)


@router.get("/binding-claims", summary="Claims waiting for approval (operators; regulators: their region)")
async def pending_claims(
    request: Request,
    caller: Annotated[Caller, require_role("government", "operator")],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    if caller.role == "government" and not caller.region_scope:
        raise forbidden("账号没有地区范围", "Your account has no region scope")
    rows = await bindings_of(request).pending(caller, limit=limit, offset=offset)
    return {
        "items": [
            binding_json(b)
            | {"enterprise": {"name": e.name, "identifier_prefix": e.identifier_prefix, "region_code": e.region_code}}
            for b, e in rows
        ]
    }


@router.post("/binding-claims/{binding_id}/approve", summary="Approve a claim (owner if none yet, else member)")
async def approve_claim(
    binding_id: uuid.UUID, request: Request, caller: Annotated[Caller, require_role("government", "operator")]
) -> dict[str, Any]:
    return binding_json(await bindings_of(request).approve(caller, binding_id))


@router.post("/binding-claims/{binding_id}/reject", summary="Reject a claim")
async def reject_claim(
    binding_id: uuid.UUID, request: Request, caller: Annotated[Caller, require_role("government", "operator")]
) -> dict[str, Any]:
    return binding_json(await bindings_of(request).reject(caller, binding_id))


@router.get("/enterprises/{enterprise_id}/members", summary="Who is bound to the enterprise, and the audit trail")
async def members(enterprise_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    await visible_enterprise(request, caller, enterprise_id)
    rows, audit = await bindings_of(request).members(enterprise_id)
    return {"items": [binding_json(r) for r in rows], "audit": [audit_json(a) for a in audit]}


@router.post("/enterprises/{enterprise_id}/members", status_code=201, summary="The owner invites a colleague")
async def invite(
    enterprise_id: uuid.UUID,
    body: Invitation,
    request: Request,
    caller: Annotated[Caller, require_role("enterprise", "operator")],
) -> dict[str, Any]:
    if caller.role == "enterprise" and caller.enterprise_id != enterprise_id:
        raise forbidden("只有企业管理账号可以邀请同事", "Only the enterprise's owner invites colleagues")
    return binding_json(await bindings_of(request).invite(caller, enterprise_id, body.username))


@router.delete(
    "/enterprises/{enterprise_id}/members/{user_id}",
    summary="Remove a member (the owner, an operator) or leave (oneself); identity ends the account's sessions",
)
async def remove(
    enterprise_id: uuid.UUID, user_id: uuid.UUID, request: Request, caller: CurrentCaller
) -> dict[str, Any]:
    if caller.role == "government" or (caller.role == "enterprise" and caller.enterprise_id != enterprise_id):
        raise forbidden("无权管理该企业的成员", "You may not manage this enterprise's members")
    return binding_json(await bindings_of(request).remove(caller, enterprise_id, user_id))
