"""Regulator webhook subscriptions (government users, within their region), delivery log, redelivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, text, update

from carbonid_analytics import db
from carbonid_analytics.api.common import settings_of
from carbonid_analytics.api.scope import REGION_PATTERN, effective_scope
from carbonid_analytics.domain.dimensions import scope_prefix, within_scope
from carbonid_analytics.domain.signing import new_secret
from carbonid_analytics.handlers import PUBLIC_EVENT_TYPES
from carbonid_analytics.webhooks import UnsafeWebhookUrlError, check_webhook_url
from carbonid_contracts.topics import EventType
from carbonid_kit.auth import Caller, CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import conflict, forbidden, invalid, not_found

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])
PUBLIC_TYPES = {t.value for t in PUBLIC_EVENT_TYPES}


def _government(caller: Caller) -> str:
    if caller.role != "government" or not caller.region_scope:
        raise forbidden("仅政府用户可订阅事件", "Only government users subscribe to events")
    return caller.region_scope


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="http(s) endpoint receiving the deliveries")
    event_types: list[EventType] = Field(
        default=[EventType.EVALUATION_COMPLETED], min_length=1, description="public event types"
    )
    region_scope: str | None = Field(default=None, pattern=REGION_PATTERN, description="your scope or narrower")
    description: str | None = Field(default=None, max_length=500)


def subscription_document(row: Any, *, secret: bool = False) -> dict[str, Any]:
    doc = {
        "subscription_id": str(row.subscription_id),
        "url": row.url,
        "event_types": list(row.event_types),
        "region_scope": row.region_scope,
        "description": row.description,
        "owner": row.owner_name,
        "active": row.active,
        "created_at": row.created_at.isoformat(),
    }
    if secret:
        doc["secret"] = row.secret
    return doc


@router.post("", status_code=201, summary="Register a webhook endpoint (the signing secret is shown once)")
async def create(request: Request, caller: CurrentCaller, body: SubscriptionRequest) -> dict[str, Any]:
    _government(caller)
    settings = settings_of(request)
    scope = effective_scope(caller, body.region_scope, pointer="/region_scope")
    not_public = [t.value for t in body.event_types if t.value not in PUBLIC_TYPES]
    if not_public:
        raise invalid(
            "event-type-not-public",
            f"不可订阅的事件类型：{', '.join(not_public)}",
            f"Event types not open to subscription: {', '.join(not_public)}",
            pointer="/event_types",
        )
    try:
        check_webhook_url(body.url, allow_private=settings.allow_private_webhook_hosts)
    except UnsafeWebhookUrlError as exc:
        en, _, zh = str(exc).partition(" / ")
        raise invalid("unsafe-webhook-url", zh or en, en, pointer="/url") from exc
    s = db.webhook_subscriptions
    cap = settings.webhook_max_subscriptions_per_account
    values = {
        "subscription_id": uuid.uuid4(),
        "owner_user_id": caller.user_id,
        "owner_name": caller.username or str(caller.user_id),
        "region_scope": scope,
        "region_prefix": scope_prefix(scope),
        "url": body.url,
        "event_types": sorted({t.value for t in body.event_types}),
        "description": body.description,
        "secret": new_secret(),
        "active": True,
        "created_at": datetime.now(UTC),
    }
    async with transaction(request.app.state.runtime.sessions) as session:
        # One account's creations queue on a lock of their own, so that two at once cannot both pass the cap.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"webhooks:{caller.user_id}"}
        )
        owned = (
            await session.execute(
                select(func.count()).select_from(s).where(s.c.owner_user_id == caller.user_id, s.c.deleted_at.is_(None))
            )
        ).scalar_one()
        if owned >= cap:
            raise conflict(
                "subscription-limit-reached",
                f"每个账号最多 {cap} 个订阅，请先删除不用的订阅",
                f"An account may hold at most {cap} subscriptions; remove one you no longer use first",
            )
        row = (await session.execute(s.insert().values(**values).returning(*s.c))).one()
    return subscription_document(row, secret=True)


async def _visible_subscription(request: Request, caller: Caller, subscription_id: uuid.UUID) -> Any:
    """The subscription if it lies in the government caller's region (operators see every one)."""
    scope = None if caller.role == "operator" else _government(caller)
    s = db.webhook_subscriptions
    async with request.app.state.runtime.sessions() as session:
        row = (
            await session.execute(s.select().where(s.c.subscription_id == subscription_id, s.c.deleted_at.is_(None)))
        ).first()
    if row is None or (scope is not None and not within_scope(scope, row.region_scope)):
        raise not_found("订阅", "Subscription")
    return row


async def _managed_subscription(request: Request, caller: Caller, subscription_id: uuid.UUID) -> Any:
    """The subscription if the caller owns it or is an operator: colleagues in the region see, not manage."""
    row = await _visible_subscription(request, caller, subscription_id)
    if caller.role != "operator" and row.owner_user_id != caller.user_id:
        raise forbidden(
            "只有订阅的创建者或运营人员可以管理该订阅", "Only the subscription's owner or an operator may manage it"
        )
    return row


@router.get("", summary="Subscriptions within your region")
async def list_subscriptions(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    scope = _government(caller)
    s = db.webhook_subscriptions
    stmt = s.select().where(s.c.deleted_at.is_(None)).order_by(s.c.created_at)
    if prefix := scope_prefix(scope):
        stmt = stmt.where(s.c.region_scope.startswith(prefix))
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return {"items": [subscription_document(r) for r in rows]}


@router.get("/{subscription_id}", summary="One subscription with its delivery counts")
async def get_subscription(request: Request, caller: CurrentCaller, subscription_id: uuid.UUID) -> dict[str, Any]:
    row = await _visible_subscription(request, caller, subscription_id)
    d = db.webhook_deliveries
    async with request.app.state.runtime.sessions() as session:
        counts = (
            await session.execute(
                select(d.c.status, func.count()).where(d.c.subscription_id == subscription_id).group_by(d.c.status)
            )
        ).all()
    return subscription_document(row) | {"deliveries": dict(counts)}


@router.delete("/{subscription_id}", status_code=204, summary="Remove a subscription; pending deliveries stop")
async def delete_subscription(request: Request, caller: CurrentCaller, subscription_id: uuid.UUID) -> Response:
    await _managed_subscription(request, caller, subscription_id)
    s, d = db.webhook_subscriptions, db.webhook_deliveries
    async with transaction(request.app.state.runtime.sessions) as session:
        await session.execute(
            update(s).where(s.c.subscription_id == subscription_id).values(active=False, deleted_at=datetime.now(UTC))
        )
        await session.execute(
            update(d).where(d.c.subscription_id == subscription_id, d.c.status == "pending").values(status="cancelled")
        )
    return Response(status_code=204)


@router.post(
    "/{subscription_id}/secret",
    summary="Rotate the signing secret (the new one is shown once; deliveries from now on are signed with it)",
)
async def rotate_secret(request: Request, caller: CurrentCaller, subscription_id: uuid.UUID) -> dict[str, Any]:
    await _managed_subscription(request, caller, subscription_id)
    s = db.webhook_subscriptions
    async with transaction(request.app.state.runtime.sessions) as session:
        row = (
            await session.execute(
                update(s)
                .where(s.c.subscription_id == subscription_id, s.c.deleted_at.is_(None))
                .values(secret=new_secret())
                .returning(*s.c)
            )
        ).one()
    return subscription_document(row, secret=True)


@router.get("/{subscription_id}/deliveries", summary="Delivery log: each delivery with its attempts")
async def deliveries(
    request: Request,
    caller: CurrentCaller,
    subscription_id: uuid.UUID,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    await _visible_subscription(request, caller, subscription_id)
    d, a = db.webhook_deliveries, db.webhook_attempts
    stmt = d.select().where(d.c.subscription_id == subscription_id).order_by(d.c.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(d.c.status == status)
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(stmt)).all()
        ids = [r.delivery_id for r in rows]
        attempts = (
            (await session.execute(a.select().where(a.c.delivery_id.in_(ids)).order_by(a.c.attempt))).all()
            if ids
            else []
        )
    by_delivery: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for at in attempts:
        by_delivery.setdefault(at.delivery_id, []).append(
            {
                "attempt": at.attempt,
                "attempted_at": at.attempted_at.isoformat(),
                "status_code": at.status_code,
                "error": at.error,
                "duration_ms": at.duration_ms,
            }
        )
    return {
        "items": [
            {
                "delivery_id": str(r.delivery_id),
                "message_id": f"msg_{r.delivery_id.hex}",
                "event_id": str(r.event_id),
                "event_type": r.event_type,
                "region_code": r.region_code,
                "status": r.status,
                "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None,
                "last_status_code": r.last_status_code,
                "last_error": r.last_error,
                "created_at": r.created_at.isoformat(),
                "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
                "log": by_delivery.get(r.delivery_id, []),
            }
            for r in rows
        ]
    }


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again (also a dead one), with a fresh attempt budget",
)
async def redeliver(
    request: Request, caller: CurrentCaller, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any]:
    await _managed_subscription(request, caller, subscription_id)
    settings = settings_of(request)
    d = db.webhook_deliveries
    async with transaction(request.app.state.runtime.sessions) as session:
        row = (
            await session.execute(
                update(d)
                .where(d.c.delivery_id == delivery_id, d.c.subscription_id == subscription_id)
                .values(
                    status="pending",
                    next_attempt_at=datetime.now(UTC),
                    dead_after=d.c.attempts + settings.webhook_max_attempts,
                )
                .returning(d.c.delivery_id, d.c.status)
            )
        ).first()
    if row is None:
        raise not_found("投递记录", "Delivery")
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
    return {"delivery_id": str(row.delivery_id), "status": row.status}
