"""Operators: built-in accounts (government, operator), role and scope changes, key rotation, the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carbonid_identity import audit
from carbonid_identity.accounts import (
    NewAccount,
    RulesBrokenError,
    UsernameTakenError,
    change_role_or_scope,
    create_account,
    revoke_all_sessions,
)
from carbonid_identity.api.deps import ClientAddress, IdentityDep, JsonBody, OperatorCaller, rules_problem
from carbonid_identity.api.schemas import AccountChangeRequest, AuditView, BuiltInAccountRequest, KeyRotated, UserView
from carbonid_identity.db import AuditEntry, User
from carbonid_identity.domain.accounts import Role
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem, not_found

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/users",
    status_code=201,
    response_model=UserView,
    dependencies=[JsonBody],
    summary="Create a built-in account (government with a region scope, or operator)",
)
async def create_built_in(
    body: BuiltInAccountRequest, caller: OperatorCaller, identity: IdentityDep, address: ClientAddress
) -> UserView:
    account = NewAccount(body.username, body.password, body.role, body.region_scope, body.must_change_password)
    try:
        async with transaction(identity.sessions) as session:
            user = await create_account(identity, session, account, actor=caller.user.id, client_address=address)
    except RulesBrokenError as exc:
        raise rules_problem(exc.violations) from exc
    except (UsernameTakenError, IntegrityError) as exc:
        raise Problem(
            409, "username-taken", "用户名已被注册", "Username taken",
            errors=[FieldError("/username", "username-taken", "用户名已被注册", "Username taken")],
        ) from exc  # fmt: skip
    return UserView.of(user)


@router.get("/users", response_model=list[UserView], summary="List accounts")
async def list_users(
    caller: OperatorCaller,
    identity: IdentityDep,
    role: Literal["enterprise", "government", "operator"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[UserView]:
    query = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    if role is not None:
        query = query.where(User.role == role)
    async with transaction(identity.sessions) as session:
        return [UserView.of(u) for u in (await session.execute(query)).scalars()]


@router.patch(
    "/users/{user_id}",
    response_model=UserView,
    dependencies=[JsonBody],
    summary="Change an account's role, region scope or disabled flag (audited; its sessions end)",
)
async def change_user(
    user_id: uuid.UUID,
    body: AccountChangeRequest,
    caller: OperatorCaller,
    identity: IdentityDep,
    address: ClientAddress,
) -> UserView:
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise not_found("用户", "User")
        role: Role = body.role or cast(Role, user.role)
        scope = body.region_scope if "region_scope" in body.model_fields_set else user.region_scope
        if body.role is not None and body.role != "government" and "region_scope" not in body.model_fields_set:
            scope = None  # leaving the government role drops the scope
        try:
            await change_role_or_scope(
                identity, session, user, role=role, region_scope=scope, actor=caller.user.id, client_address=address
            )
        except RulesBrokenError as exc:
            raise rules_problem(exc.violations) from exc
        if body.disabled is not None and body.disabled != user.disabled:
            user.disabled = body.disabled
            await audit.record(
                session, "user.disabled" if body.disabled else "user.enabled", now=identity.clock(), subject=user.id,
                actor=caller.user.id, client_address=address,
            )  # fmt: skip
            if body.disabled:
                await revoke_all_sessions(identity, session, user, "disabled")
        return UserView.of(user)


@router.post("/keys/rotate", response_model=KeyRotated, summary="Rotate the token signing key")
async def rotate_keys(caller: OperatorCaller, identity: IdentityDep, address: ClientAddress) -> KeyRotated:
    async with transaction(identity.sessions) as session:
        kid = await identity.keys.rotate(session)
        await audit.record(
            session, "keys.rotated", now=identity.clock(), actor=caller.user.id, client_address=address, kid=kid
        )
    return KeyRotated(kid=kid)


@router.get("/audit", response_model=list[AuditView], summary="The audit log, newest first")
async def audit_log(
    caller: OperatorCaller,
    identity: IdentityDep,
    subject: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditView]:
    query = select(AuditEntry).order_by(AuditEntry.occurred_at.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntry.subject_user_id == subject)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    async with transaction(identity.sessions) as session:
        return [AuditView.model_validate(e, from_attributes=True) for e in (await session.execute(query)).scalars()]
