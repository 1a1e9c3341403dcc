"""Collection gateways: a credential per gateway, bound to one enterprise prefix, shown once at creation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from carbonid_contracts.codes.identifier import enterprise_id_for, normalise_prefix
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, forbidden, invalid, not_found
from carbonid_metering import db

router = APIRouter(tags=["gateways"])
CREDENTIAL_SCHEME = "Gateway"


class GatewayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    enterprise_prefix: str = Field(min_length=1, max_length=128, examples=["88.118.8"])


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def gateway_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "enterprise_id": str(row.enterprise_id),
        "enterprise_prefix": row.enterprise_prefix,
        "enabled": row.enabled,
        "created_at": row.created_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat() if row.last_seen_at else None,
    }


@router.post("/gateways", status_code=201, summary="Create a collection gateway and its credential (shown once)")
async def create_gateway(body: GatewayIn, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    try:
        prefix = normalise_prefix(body.enterprise_prefix)
    except ValueError as exc:
        raise invalid("invalid-identifier", "标识前缀无效", "Invalid prefix", pointer="/enterprise_prefix") from exc
    enterprise_id = enterprise_id_for(prefix)
    if caller.role != "operator" and not (caller.role == "enterprise" and caller.enterprise_id == enterprise_id):
        raise forbidden("只能为本企业创建采集网关", "Gateways can be created for your own enterprise only")
    gateway_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    runtime = request.app.state.runtime
    async with transaction(runtime.sessions) as session:
        await session.execute(
            db.gateways.insert().values(
                id=gateway_id,
                enterprise_id=enterprise_id,
                enterprise_prefix=prefix,
                name=body.name,
                secret_sha256=_digest(secret),
                created_by=caller.user_id,
            )
        )
        row = (await session.execute(select(db.gateways).where(db.gateways.c.id == gateway_id))).one()
    return {**gateway_json(row), "credential": f"{gateway_id.hex}.{secret}", "scheme": CREDENTIAL_SCHEME}


@router.get("/gateways", summary="The caller's enterprise's gateways (operators: all)")
async def list_gateways(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    query = select(db.gateways).order_by(db.gateways.c.created_at)
    if caller.role == "enterprise":
        query = query.where(db.gateways.c.enterprise_id == caller.enterprise_id)
    elif caller.role != "operator":
        raise forbidden()
    async with request.app.state.runtime.sessions() as session:
        return {"items": [gateway_json(r) for r in (await session.execute(query)).all()]}


@router.delete("/gateways/{gateway_id}", status_code=204, summary="Revoke a gateway's credential")
async def revoke_gateway(gateway_id: uuid.UUID, request: Request, caller: CurrentCaller) -> None:
    async with transaction(request.app.state.runtime.sessions) as session:
        row = (await session.execute(select(db.gateways).where(db.gateways.c.id == gateway_id))).one_or_none()
        if row is None or not caller.may_see(enterprise_id=row.enterprise_id) or caller.role == "government":
            raise not_found("采集网关", "Gateway")
        await session.execute(update(db.gateways).where(db.gateways.c.id == gateway_id).values(enabled=False))


def _unauthenticated(detail_zh: str, detail_en: str) -> Problem:
    return Problem(
        401, "gateway-unauthenticated", "采集网关未认证", "Gateway not authenticated", detail_zh, detail_en,
        headers={"WWW-Authenticate": CREDENTIAL_SCHEME},
    )  # fmt: skip


async def authenticate_gateway(request: Request) -> Any:
    """The gateway row for ``Authorization: Gateway <id>.<secret>``; 401 otherwise."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != CREDENTIAL_SCHEME.lower() or "." not in credential:
        raise _unauthenticated("需要采集网关凭据", "A gateway credential is required (Authorization: Gateway …)")
    raw_id, _, secret = credential.strip().partition(".")
    try:
        gateway_id = uuid.UUID(hex=raw_id)
    except ValueError as exc:
        raise _unauthenticated("凭据格式无效", "Malformed gateway credential") from exc
    async with request.app.state.runtime.sessions() as session:
        row = (await session.execute(select(db.gateways).where(db.gateways.c.id == gateway_id))).one_or_none()
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        raise _unauthenticated("凭据无效", "Invalid gateway credential")
    if not row.enabled:
        raise _unauthenticated("该采集网关已停用", "This gateway's credential was revoked")
    return row
