"""Logging in, refreshing, logging out and changing the password: sessions and their refresh tokens.

A failed or refused login always gives the same answer, whether the username exists, the password is wrong
or the account is locked; an unknown username costs the same Argon2 work as a known one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_identity import audit, throttle_store
from carbonid_identity.accounts import find_by_username, revoke_all_sessions
from carbonid_identity.context import Identity
from carbonid_identity.db import RefreshToken, Session, User
from carbonid_identity.domain.policy import RuleViolation, fold_username, new_password_violations
from carbonid_identity.tokens import access_claims, new_refresh_token, refresh_digest, sign
from carbonid_kit.db import transaction


class InvalidCredentialsError(Exception):
    """Wrong username or password, or a locked account: deliberately indistinguishable."""


@dataclass
class AddressThrottledError(Exception):
    retry_after: timedelta


class RefreshRefusedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class PasswordRulesBrokenError(Exception):
    violations: list[RuleViolation]


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    must_change_password: bool
    user_id: uuid.UUID


async def _issue(identity: Identity, session: AsyncSession, user: User, login: Session) -> IssuedTokens:
    now = identity.clock()
    key = await identity.keys.active(session)
    claims = access_claims(
        user, issuer=identity.settings.jwt_issuer, audience=identity.settings.jwt_audience, now=now,
        ttl=identity.access_ttl,
    )  # fmt: skip
    token, digest = new_refresh_token()
    refresh_expires = min(now + timedelta(seconds=identity.settings.refresh_token_ttl_seconds), login.expires_at)
    session.add(
        RefreshToken(id=uuid.uuid4(), session_id=login.id, token_hash=digest, issued_at=now, expires_at=refresh_expires)
    )
    return IssuedTokens(
        access_token=sign(claims, key),
        expires_in=identity.settings.access_token_ttl_seconds,
        refresh_token=token,
        refresh_expires_in=max(0, int((refresh_expires - now).total_seconds())),
        must_change_password=user.must_change_password,
        user_id=user.id,
    )


async def login(identity: Identity, username: str, password: str, client_address: str) -> IssuedTokens:
    account_key = fold_username(username)[:128]
    now = identity.clock()
    async with transaction(identity.sessions) as session:
        address_lock = await throttle_store.locked_for(session, throttle_store.ADDRESS, client_address, now)
        if address_lock is not None:
            await audit.record(session, "login.throttled", now=now, client_address=client_address)
            raise AddressThrottledError(address_lock)
        # The attempt is counted before the password is checked (and taken back on success): a burst of
        # concurrent guesses cannot all be checked while the counter still reads "not locked".
        account_locked, reserved = await throttle_store.reserve_attempt(
            session, throttle_store.ACCOUNT, account_key, now, identity.account_policy
        )
        address_state = None
        if account_locked is None:
            address_state = await throttle_store.record_failure(
                session, throttle_store.ADDRESS, client_address, now, identity.address_policy
            )
        user = await find_by_username(session, username)
    locked_by_this_attempt = reserved is not None and reserved.locked_until is not None
    usable = user is not None and not user.disabled and account_locked is None
    matches = await identity.passwords.verify(user.password_hash if usable and user else None, password)
    now = identity.clock()
    if not matches or user is None or not usable:
        async with transaction(identity.sessions) as session:
            if account_locked is not None:
                await audit.record(
                    session, "login.locked", now=now, subject=user.id if user else None, client_address=client_address
                )
            else:
                await audit.record(
                    session, "login.failed", now=now, subject=user.id if user else None,
                    client_address=client_address, username_attempted=username[:64],
                    address_locked=address_state is not None and address_state.locked_until is not None,
                )  # fmt: skip
        raise InvalidCredentialsError
    async with transaction(identity.sessions) as session:
        # The lock is checked again on success: concurrent attempts may have locked the account meanwhile
        # (unless this attempt's own reservation was the one that locked it).
        locked_now = await throttle_store.locked_for(session, throttle_store.ACCOUNT, account_key, now)
        refused = locked_now is not None and not locked_by_this_attempt
        if refused:
            await audit.record(session, "login.locked", now=now, subject=user.id, client_address=client_address)
        else:
            await throttle_store.release(session, throttle_store.ADDRESS, client_address)
    if refused:
        raise InvalidCredentialsError
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user.id, with_for_update=True)
        if user is None or user.disabled:
            raise InvalidCredentialsError
        await throttle_store.clear(session, throttle_store.ACCOUNT, account_key)
        if identity.passwords.needs_rehash(user.password_hash):
            user.password_hash = await identity.passwords.hash(password)
        user.last_login_at = now
        login_session = Session(
            id=uuid.uuid4(),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=identity.settings.session_max_age_seconds),
            client_address=client_address,
        )
        session.add(login_session)
        await session.flush()
        issued = await _issue(identity, session, user, login_session)
        await audit.record(
            session, "login.succeeded", now=now, subject=user.id, client_address=client_address,
            session_id=str(login_session.id), must_change_password=user.must_change_password,
        )  # fmt: skip
    return issued


async def refresh(identity: Identity, refresh_token: str, client_address: str) -> IssuedTokens:
    """Rotate a refresh token. Presenting one that was already rotated revokes its whole session."""
    now = identity.clock()
    async with transaction(identity.sessions) as session:
        query = select(RefreshToken).where(RefreshToken.token_hash == refresh_digest(refresh_token))
        token = (await session.execute(query.with_for_update())).scalar_one_or_none()
        if token is None:
            raise RefreshRefusedError("unknown")
        login_session = await session.get(Session, token.session_id, with_for_update=True)
        assert login_session is not None
        if login_session.revoked_at is not None:
            raise RefreshRefusedError("revoked")
        if token.rotated_at is not None:
            login_session.revoked_at, login_session.revoke_reason = now, "refresh-token-reuse"
            await audit.record(
                session, "session.refresh_reuse_detected", now=now, subject=login_session.user_id,
                client_address=client_address, session_id=str(login_session.id),
            )  # fmt: skip
            # Commit the revocation, then refuse: the exception must not roll it back.
            reuse = True
        else:
            reuse = False
            if token.expires_at <= now or login_session.expires_at <= now:
                raise RefreshRefusedError("expired")
            user = await session.get(User, login_session.user_id)
            if user is None or user.disabled:
                raise RefreshRefusedError("revoked")
            token.rotated_at = now
            issued = await _issue(identity, session, user, login_session)
    if reuse:
        raise RefreshRefusedError("reused")
    return issued


async def logout(identity: Identity, refresh_token: str | None, user_id: uuid.UUID | None, client_address: str) -> None:
    """End the session of ``refresh_token``; with only an access token, end every session of its user."""
    now = identity.clock()
    async with transaction(identity.sessions) as session:
        if refresh_token is not None:
            query = select(RefreshToken).where(RefreshToken.token_hash == refresh_digest(refresh_token))
            token = (await session.execute(query)).scalar_one_or_none()
            if token is None:
                return
            login_session = await session.get(Session, token.session_id, with_for_update=True)
            if login_session is None or login_session.revoked_at is not None:
                return
            if user_id is not None and login_session.user_id != user_id:
                return  # someone else's token: do nothing, say nothing
            login_session.revoked_at, login_session.revoke_reason = now, "logout"
            await audit.record(
                session, "logout", now=now, subject=login_session.user_id, client_address=client_address,
                session_id=str(login_session.id),
            )  # fmt: skip
        elif user_id is not None:
            user = await session.get(User, user_id, with_for_update=True)
            if user is not None:
                await revoke_all_sessions(identity, session, user, "logout-everywhere")
                await audit.record(
                    session, "logout.everywhere", now=now, subject=user.id, client_address=client_address
                )


async def change_password(
    identity: Identity,
    user_id: uuid.UUID,
    *,
    current_password: str,
    new_password: str,
    confirmation: str,
    client_address: str,
) -> None:
    """Change the password; every session of the user ends and the user logs in again."""
    violations = new_password_violations(new_password, confirmation)
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id)
        if user is None or user.disabled:
            raise InvalidCredentialsError
        stored_hash = user.password_hash
        # A stolen access token must not become a way round the lockout: the current password is checked
        # under the same counter as logins, reserved before the check.
        account_locked, _ = await throttle_store.reserve_attempt(
            session, throttle_store.ACCOUNT, user.username_folded, identity.clock(), identity.account_policy
        )
    if account_locked is not None:
        raise PasswordRulesBrokenError(
            [RuleViolation("current_password", "account-locked", "尝试次数过多，账号已暂时锁定",
                           "Too many attempts: the account is locked for a while")]
        )  # fmt: skip
    if not await identity.passwords.verify(stored_hash, current_password):
        async with transaction(identity.sessions) as session:
            await audit.record(
                session, "password.change_failed", now=identity.clock(), subject=user_id, client_address=client_address
            )
        raise PasswordRulesBrokenError(
            [RuleViolation("current_password", "wrong-password", "原密码不正确", "The current password is wrong"),
             *violations]
        )  # fmt: skip
    async with transaction(identity.sessions) as session:  # the current password is proven: no failure
        await throttle_store.clear(session, throttle_store.ACCOUNT, user.username_folded)
    if not violations and await identity.passwords.verify(stored_hash, new_password):
        violations.append(
            RuleViolation(
                "new_password", "password-unchanged", "新密码不能与原密码相同", "The new password must differ"
            )
        )
    if violations:
        raise PasswordRulesBrokenError(violations)
    new_hash = await identity.passwords.hash(new_password)
    async with transaction(identity.sessions) as session:
        user = await session.get(User, user_id, with_for_update=True)
        if user is None or user.password_hash != stored_hash:
            raise PasswordRulesBrokenError(
                [RuleViolation("current_password", "wrong-password", "原密码不正确", "The current password is wrong")]
            )  # changed concurrently by another request
        now = identity.clock()
        was_forced = user.must_change_password
        user.password_hash, user.must_change_password, user.password_changed_at = new_hash, False, now
        await revoke_all_sessions(identity, session, user, "password-changed")
        await audit.record(
            session, "password.changed", now=now, subject=user.id, client_address=client_address, forced=was_forced
        )


def issued_before_revocation(user: User, issued_at: float) -> bool:
    """Whether a token issued at ``issued_at`` predates the user's last password change or revocation."""
    return issued_at < user.tokens_valid_after.timestamp()
