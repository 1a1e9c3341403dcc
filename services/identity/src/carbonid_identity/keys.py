"""Token signing keys: Ed25519 pairs in the database, private halves sealed with AES-256-GCM.

The sealing key is derived (HKDF-SHA256, a random salt per key) from ``key_encryption_secret``; the key id is
bound in as associated data so that a sealed key cannot be swapped onto another row. Rotation retires the
active key (it stops signing) but keeps its public half in the JWKS until every token it signed has expired.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_identity.config import IdentitySettings
from carbonid_identity.db import SigningKey

ALGORITHM = "EdDSA"
_HKDF_INFO = b"carbonid-identity/signing-key/v1"
_ROTATION_LOCK = 0x1D_4B_E7  # advisory lock id: one rotation at a time across replicas


class KeyUnsealError(RuntimeError):
    """The sealed private key cannot be opened (wrong secret or tampered row)."""


def _sealing_key(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret)


def seal_private_key(key: Ed25519PrivateKey, kid: str, secret: bytes) -> bytes:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    salt, nonce = os.urandom(16), os.urandom(12)
    return salt + nonce + AESGCM(_sealing_key(secret, salt)).encrypt(nonce, raw, kid.encode())


def unseal_private_key(sealed: bytes, kid: str, secret: bytes) -> Ed25519PrivateKey:
    salt, nonce, box = sealed[:16], sealed[16:28], sealed[28:]
    try:
        raw = AESGCM(_sealing_key(secret, salt)).decrypt(nonce, box, kid.encode())
    except Exception as exc:  # cryptography raises InvalidTag; any failure means the key cannot be used
        raise KeyUnsealError(f"cannot unseal signing key {kid}: wrong key encryption secret?") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: Ed25519PrivateKey
    created_at: datetime


class SigningKeys:
    def __init__(self, settings: IdentitySettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self._secret = settings.key_encryption_secret.get_secret_value().encode()
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._public: dict[str, Ed25519PublicKey] = {}

    @property
    def retention(self) -> timedelta:
        """How long a retired key stays published: the longest a token it signed can live, plus clock skew."""
        return timedelta(seconds=self.settings.access_token_ttl_seconds + self.settings.jwks_grace_seconds)

    async def _newest(self, session: AsyncSession) -> SigningKey | None:
        query = select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
        return (await session.execute(query.limit(1))).scalar_one_or_none()

    async def active(self, session: AsyncSession) -> ActiveKey:
        """The key that signs now; made on first use and rotated once it is older than the maximum age."""
        row = await self._newest(session)
        if row is None or self._too_old(row):
            await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ROTATION_LOCK})
            row = await self._newest(session)  # another replica may have rotated meanwhile
            if row is None or self._too_old(row):
                row = await self._rotate(session)
        return ActiveKey(row.kid, self._open(row), row.created_at)

    def _too_old(self, row: SigningKey) -> bool:
        return self.clock() - row.created_at >= timedelta(seconds=self.settings.signing_key_max_age_seconds)

    def _open(self, row: SigningKey) -> Ed25519PrivateKey:
        key = self._private.get(row.kid)
        if key is None:
            key = self._private[row.kid] = unseal_private_key(row.private_key_sealed, row.kid, self._secret)
        return key

    async def rotate(self, session: AsyncSession) -> str:
        """Retire the signing key (it stays in the JWKS while its tokens live) and start signing with a new one."""
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ROTATION_LOCK})
        return (await self._rotate(session)).kid

    async def _rotate(self, session: AsyncSession) -> SigningKey:
        now = self.clock()
        for old in (await session.execute(select(SigningKey).where(SigningKey.retired_at.is_(None)))).scalars():
            old.retired_at = now
        key = Ed25519PrivateKey.generate()
        kid = secrets.token_hex(8)
        row = SigningKey(
            kid=kid,
            algorithm=ALGORITHM,
            public_jwk=public_jwk(key.public_key(), kid),
            private_key_sealed=seal_private_key(key, kid, self._secret),
            created_at=now,
        )
        session.add(row)
        await session.flush()
        self._private[kid] = key
        return row

    async def published(self, session: AsyncSession) -> list[SigningKey]:
        """Keys whose tokens may still be alive: the active one and those retired within the retention."""
        cutoff = self.clock() - self.retention
        query = (
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
            .order_by(SigningKey.created_at.desc())
        )
        return list((await session.execute(query)).scalars())

    async def jwks(self, session: AsyncSession) -> dict[str, Any]:
        return {"keys": [row.public_jwk for row in await self.published(session)]}

    async def public_key(self, session: AsyncSession, kid: str) -> Ed25519PublicKey | None:
        """The public key for ``kid`` while it is published (identity's own token checks)."""
        for row in await self.published(session):
            if row.kid == kid:
                key = self._public.get(kid)
                if key is None:
                    loaded = OKPAlgorithm.from_jwk(row.public_jwk)
                    assert isinstance(loaded, Ed25519PublicKey)
                    key = self._public[kid] = loaded
                return key
        return None
