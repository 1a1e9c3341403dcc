"""Creating accounts, changing their role or scope, binding an enterprise: rules first, then the rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_identity import audit
from carbonid_identity.context import Identity
from carbonid_identity.db import Session, User
from carbonid_identity.domain.accounts import Role, scope_violations
from carbonid_identity.domain.policy import RuleViolation, fold_username, password_violations, username_violations
from carbonid_identity.tokens import millisecond_floor


class RulesBrokenError(Exception):
    def __init__(self, violations: list[RuleViolation]) -> None:
        super().__init__("; ".join(v.en for v in violations))
        self.violations = violations


class UsernameTakenError(Exception):
    pass


class EnterpriseConflictError(Exception):
    def __init__(self, bound_to: uuid.UUID) -> None:
        super().__init__(f"already bound to enterprise {bound_to}")
        self.bound_to = bound_to


@dataclass(frozen=True)
class NewAccount:
    username: str
    password: str
    role: Role
    region_scope: str | None = None
    must_change_password: bool = True
    self_registered: bool = False


async def find_by_username(session: AsyncSession, username: str) -> User | None:
    query = select(User).where(User.username_folded == fold_username(username))
    return (await session.execute(query)).scalar_one_or_none()


async def create_account(
    identity: Identity,
    session: AsyncSession,
    account: NewAccount,
    *,
    actor: uuid.UUID | None = None,
    client_address: str | None = None,
) -> User:
    """Create an account after checking every rule; raises RulesBrokenError or UsernameTakenError."""
    violations = [
        *username_violations(account.username),
        *password_violations(account.password),
        *scope_violations(account.role, account.region_scope),
    ]
    if violations:
        raise RulesBrokenError(violations)
    if await find_by_username(session, account.username) is not None:
        raise UsernameTakenError(account.username)
    now = identity.clock()
    user = User(
        id=uuid.uuid4(),
        username=account.username,
        username_folded=fold_username(account.username),
        password_hash=await identity.passwords.hash(account.password),
        role=account.role,
        region_scope=account.region_scope,
        must_change_password=account.must_change_password,
        disabled=False,
        self_registered=account.self_registered,
        tokens_valid_after=millisecond_floor(now),
        created_at=now,
    )
    session.add(user)
    await session.flush()  # the unique index settles a race between two registrations of one name
    await audit.record(
        session,
        "user.registered" if account.self_registered else "user.created",
        now=now,
        subject=user.id,
        actor=actor,
        client_address=client_address,
        username=user.username,
        role=user.role,
        region_scope=user.region_scope,
    )
    return user


async def revoke_all_sessions(identity: Identity, session: AsyncSession, user: User, reason: str) -> None:
    """End every session (their refresh tokens die with them) and refuse access tokens issued until now."""
    now = identity.clock()
    await session.execute(
        update(Session)
        .where(Session.user_id == user.id, Session.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason)
    )
    user.tokens_valid_after = millisecond_floor(now)


async def change_role_or_scope(
    identity: Identity,
    session: AsyncSession,
    user: User,
    *,
    role: Role,
    region_scope: str | None,
    actor: uuid.UUID | None,
    client_address: str | None = None,
) -> None:
    """Operators move built-in accounts between roles and scopes; enterprise accounts stay enterprise."""
    if (user.role == "enterprise") != (role == "enterprise"):
        raise RulesBrokenError(
            [
                RuleViolation(
                    "role",
                    "role-change-not-allowed",
                    "企业用户与内置账号之间不能互相转换",
                    "Enterprise accounts and built-in accounts cannot be converted into each other",
                )
            ]
        )
    violations = scope_violations(role, region_scope)
    if violations:
        raise RulesBrokenError(violations)
    now = identity.clock()
    if role != user.role:
        await audit.record(
            session, "user.role_changed", now=now, subject=user.id, actor=actor, client_address=client_address,
            before=user.role, after=role,
        )  # fmt: skip
    if region_scope != user.region_scope:
        await audit.record(
            session, "user.scope_changed", now=now, subject=user.id, actor=actor, client_address=client_address,
            before=user.region_scope, after=region_scope,
        )  # fmt: skip
    if role != user.role or region_scope != user.region_scope:
        user.role, user.region_scope = role, region_scope
        # The old claims must not be refreshed into new tokens: the user logs in again.
        await revoke_all_sessions(identity, session, user, "role-or-scope-changed")


async def bind_enterprise(
    identity: Identity,
    session: AsyncSession,
    user: User,
    *,
    enterprise_id: uuid.UUID,
    identifier_prefix: str,
    region_code: str,
) -> bool:
    """Bind an enterprise user to its enterprise (at most one). True when newly bound, False when it already was."""
    if user.role != "enterprise":
        raise RulesBrokenError(
            [RuleViolation("role", "not-enterprise-user", "只有企业用户可以绑定企业", "Only enterprise users bind")]
        )
    if user.enterprise_id is not None:
        if user.enterprise_id != enterprise_id:
            raise EnterpriseConflictError(user.enterprise_id)
        return False
    user.enterprise_id = enterprise_id
    user.identifier_prefix = identifier_prefix
    user.enterprise_region_code = region_code
    await audit.record(
        session,
        "user.enterprise_bound",
        now=identity.clock(),
        subject=user.id,
        enterprise_id=str(enterprise_id),
        identifier_prefix=identifier_prefix,
        region_code=region_code,
    )
    return True


async def unbind_enterprise(
    identity: Identity, session: AsyncSession, user: User, *, enterprise_id: uuid.UUID, actor: uuid.UUID | None
) -> bool:
    """Unbind a user from its enterprise and end its sessions; False when it was not bound to that one."""
    if user.enterprise_id != enterprise_id:
        return False
    await audit.record(
        session,
        "user.enterprise_unbound",
        now=identity.clock(),
        subject=user.id,
        enterprise_id=str(enterprise_id),
        actor=actor,
        identifier_prefix=user.identifier_prefix,
    )
    user.enterprise_id = None
    user.identifier_prefix = None
    user.enterprise_region_code = None
    # A token carrying ``ent`` must not be refreshed into another one.
    await revoke_all_sessions(identity, session, user, "enterprise-unbound")
    return True
