"""Access tokens (JWT, EdDSA) as every service verifies them, and opaque rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt

from carbonid_identity.db import User
from carbonid_identity.keys import ALGORITHM, ActiveKey


def access_claims(user: User, *, issuer: str, audience: str, now: datetime, ttl: timedelta) -> dict[str, Any]:
    """The claims of docs/ENGINEERING.md. ``iat`` keeps milliseconds (RFC 7519 NumericDate may be fractional)
    so that identity can refuse every token issued before a password change, even within the same second."""
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "name": user.username,
        "role": user.role,
        "pwd_change": user.must_change_password,
        "typ": "access",
        "iss": issuer,
        "aud": audience,
        "iat": millisecond_floor(now).timestamp(),
        "exp": int((now + ttl).timestamp()),
    }
    if user.region_scope:
        claims["region"] = user.region_scope
    if user.enterprise_id:
        claims["ent"] = str(user.enterprise_id)
    return claims


def millisecond_floor(moment: datetime) -> datetime:
    """Token times and revocation instants compare at millisecond precision."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def sign(claims: dict[str, Any], key: ActiveKey) -> str:
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def new_refresh_token() -> tuple[str, str]:
    """A refresh token to hand out and the digest to store (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, refresh_digest(token)


def refresh_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
