"""Login throttles kept in PostgreSQL, so that they survive restarts and hold across replicas."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_identity.db import LoginThrottle
from carbonid_identity.domain.throttle import ThrottlePolicy, ThrottleState, after_failure, lock_remaining

ACCOUNT = "account"
ADDRESS = "address"
REGISTRATION = "register"


async def _state(session: AsyncSession, scope: str, subject: str, *, lock: bool) -> ThrottleState | None:
    query = select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.subject == subject)
    row = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        return None
    return ThrottleState(row.failures, row.window_started_at, row.locked_until)


async def locked_for(session: AsyncSession, scope: str, subject: str, now: datetime) -> timedelta | None:
    return lock_remaining(await _state(session, scope, subject, lock=False), now)


async def record_failure(
    session: AsyncSession, scope: str, subject: str, now: datetime, policy: ThrottlePolicy
) -> ThrottleState:
    await session.execute(
        insert(LoginThrottle)
        .values(scope=scope, subject=subject, failures=0, window_started_at=now, locked_until=None)
        .on_conflict_do_nothing()
    )
    state = after_failure(await _state(session, scope, subject, lock=True), now, policy)
    row = await session.get(LoginThrottle, (scope, subject))
    assert row is not None
    row.failures, row.window_started_at, row.locked_until = state.failures, state.window_started_at, state.locked_until
    return state


async def reserve_attempt(
    session: AsyncSession, scope: str, subject: str, now: datetime, policy: ThrottlePolicy
) -> tuple[timedelta | None, ThrottleState | None]:
    """Count an attempt as failed *before* the password is checked, under the subject's row lock.

    ``(locked, None)`` when the subject is locked (nothing counted, nothing may be checked), else
    ``(None, state)`` with the attempt counted. Concurrent attempts queue on the row, so no more than
    ``policy.max_failures`` passwords are ever checked per window, however many arrive at once; a success
    then takes its reservation back (``clear`` or ``release``).
    """
    await session.execute(
        insert(LoginThrottle)
        .values(scope=scope, subject=subject, failures=0, window_started_at=now, locked_until=None)
        .on_conflict_do_nothing()
    )
    locked = lock_remaining(await _state(session, scope, subject, lock=True), now)
    if locked is not None:
        return locked, None
    return None, await record_failure(session, scope, subject, now, policy)


async def release(session: AsyncSession, scope: str, subject: str) -> None:
    """Take back one reserved attempt that turned out to succeed (the count only; a lock stays)."""
    row = await session.get(LoginThrottle, (scope, subject), with_for_update=True)
    if row is not None and row.failures > 0:
        row.failures -= 1


async def clear(session: AsyncSession, scope: str, subject: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.subject == subject))
