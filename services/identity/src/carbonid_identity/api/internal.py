"""Service-to-service endpoints (header ``X-Carbonid-Service-Token``); the gateway never routes to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from carbonid_identity.accounts import (
    EnterpriseConflictError,
    RulesBrokenError,
    bind_enterprise,
    find_by_username,
    unbind_enterprise,
)
from carbonid_identity.api.deps import IdentityDep, JsonBody, rules_problem
from carbonid_identity.api.schemas import BindingResult, EnterpriseBinding, EnterpriseUnbinding, UserView
from carbonid_identity.db import User
from carbonid_kit.auth import require_service
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem, conflict, not_found

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[Depends(require_service)])


@router.get("/users/{user_id}", response_model=UserView, summary="An account, for other services")
async def get_user(user_id: uuid.UUID, identity: IdentityDep) -> UserView:
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id)
    if user is None:
        raise not_found("用户", "User")
    return UserView.of(user)


@router.get("/users", response_model=UserView, summary="An account by its username, for other services")
async def user_by_name(username: Annotated[str, Query(min_length=1, max_length=15)], identity: IdentityDep) -> UserView:
    async with transaction(identity.sessions) as session:
        user = await find_by_username(session, username)
    if user is None:
        raise not_found("用户", "User")
    return UserView.of(user)


REVOCATIONS_PAGE = 10_000


@router.get(
    "/revocations",
    summary="Per-user valid-after times changed since a time: every service refuses older access tokens",
    description=(
        "Each service's token verifier polls this (every two seconds by default): a password change, logout "
        "everywhere, disabling, re-scoping or unbinding ends the user's access tokens everywhere within seconds, "
        "not when they expire. `next` is the `since` of the next poll (a page holds at most 10,000 users)."
    ),
)
async def revocations(
    identity: IdentityDep, since: Annotated[datetime, Query(description="ISO-8601 with offset")]
) -> dict[str, Any]:
    if since.tzinfo is None:
        raise invalid_since()
    async with transaction(identity.sessions) as session:
        now = identity.clock()
        rows = (
            await session.execute(
                select(User.id, User.tokens_valid_after)
                .where(User.tokens_valid_after > since)
                .order_by(User.tokens_valid_after)
                .limit(REVOCATIONS_PAGE)
            )
        ).all()
    items = [{"user_id": str(user_id), "valid_after": valid_after.timestamp()} for user_id, valid_after in rows]
    following = rows[-1][1] if len(rows) == REVOCATIONS_PAGE else now
    return {"items": items, "next": following.isoformat()}


def invalid_since() -> Problem:
    return Problem(
        422,
        "validation-failed",
        "输入校验失败",
        "Validation failed",
        "since 必须带时区",
        "since must carry a UTC offset",
        errors=[FieldError("/since", "timezone-required", "必须带时区", "must carry a UTC offset")],
    )


@router.post(
    "/users/{user_id}/enterprise",
    response_model=BindingResult,
    dependencies=[JsonBody],
    summary="Bind an enterprise user to its enterprise (at most one; idempotent for the same enterprise)",
    responses={409: {"description": "bound to another enterprise"}},
)
async def bind(user_id: uuid.UUID, body: EnterpriseBinding, identity: IdentityDep, response: Response) -> BindingResult:
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise not_found("用户", "User")
        try:
            newly = await bind_enterprise(
                identity,
                session,
                user,
                enterprise_id=body.enterprise_id,
                identifier_prefix=body.identifier_prefix,
                region_code=body.region_code,
            )
        except EnterpriseConflictError as exc:
            raise conflict(
                "enterprise-already-bound", "该用户已绑定其他企业", "The user is already bound to another enterprise"
            ) from exc
        except RulesBrokenError as exc:
            raise rules_problem(exc.violations) from exc
    response.status_code = 201 if newly else 200
    return BindingResult(user_id=user_id, enterprise_id=body.enterprise_id, newly_bound=newly)


@router.post(
    "/users/{user_id}/enterprise/unbind",
    status_code=204,
    dependencies=[JsonBody],
    summary="Unbind a user from its enterprise (idempotent) and end its sessions",
)
async def unbind(user_id: uuid.UUID, body: EnterpriseUnbinding, identity: IdentityDep) -> Response:
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise not_found("用户", "User")
        await unbind_enterprise(identity, session, user, enterprise_id=body.enterprise_id, actor=body.actor)
    return Response(status_code=204)
