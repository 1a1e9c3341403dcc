"""Certificate-signing keys: Ed25519 pairs in the service database, private halves sealed with AES-256-GCM.

The sealing key is derived (HKDF-SHA256, a random salt per key) from ``signing_key_secret``; the key id is bound
in as associated data, so a sealed key cannot be moved onto another row. The first start generates a key;
rotation (an operator endpoint) retires the active key, which stays published in the JWKS for ever: a
certificate must verify for as long as anyone holds it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_certificates.db import SigningKeyRow
from carbonid_certificates.domain.signing import KeySet, SigningKey, VerificationKey

_HKDF_INFO = b"carbonid-certificates/signing-key/v1"
_KEY_LOCK = 0x43_45_52_54  # advisory lock: one key generation or rotation at a time across replicas


class KeyUnsealError(RuntimeError):
    """A sealed private key cannot be opened (wrong secret or a tampered row)."""


def _sealing_key(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret)


def seal_private_key(key: SigningKey, secret: bytes) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    return salt + nonce + AESGCM(_sealing_key(secret, salt)).encrypt(nonce, key.seed(), key.kid.encode())


def unseal_private_key(sealed: bytes, kid: str, secret: bytes) -> SigningKey:
    salt, nonce, box = sealed[:16], sealed[16:28], sealed[28:]
    try:
        seed = AESGCM(_sealing_key(secret, salt)).decrypt(nonce, box, kid.encode())
    except Exception as exc:  # InvalidTag or a short row: either way the key cannot be used
        raise KeyUnsealError(f"cannot unseal certificate signing key {kid}: wrong signing key secret?") from exc
    return SigningKey.from_seed(kid, seed)


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_kid(now: datetime) -> str:
    return f"cert-{now:%Y%m%d}-{secrets.token_hex(4)}"


class CertificateKeys:
    """The active signing key and every published verification key, cached, read from the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], secret: str, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self._secret = secret.encode()
        self.clock = clock
        self._unsealed: dict[str, SigningKey] = {}
        self._key_set = KeySet([])
        self._lock = asyncio.Lock()

    async def ensure_active_key(self) -> str:
        """Generate the first key when the database has none (at start-up); returns the active kid."""
        async with self.sessions() as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _KEY_LOCK})
            active = (await session.execute(select(SigningKeyRow).where(SigningKeyRow.active))).scalar_one_or_none()
            kid = active.kid if active is not None else await self._insert_new(session)
        await self.reload()
        return kid

    async def rotate(self) -> str:
        """Retire the active key and make a new one active; returns the new kid."""
        async with self.sessions() as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _KEY_LOCK})
            await session.execute(
                update(SigningKeyRow).where(SigningKeyRow.active).values(active=False, retired_at=self.clock())
            )
            kid = await self._insert_new(session)
        await self.reload()
        return kid

    async def _insert_new(self, session: AsyncSession) -> str:
        now = self.clock()
        key = SigningKey.generate(new_kid(now))
        session.add(
            SigningKeyRow(
                kid=key.kid,
                public_key=_raw_public(key.private_key.public_key()),
                sealed_private_key=seal_private_key(key, self._secret),
                active=True,
                created_at=now,
            )
        )
        await session.flush()
        self._unsealed[key.kid] = key
        return key.kid

    async def active_signing_key(self, session: AsyncSession) -> SigningKey:
        """The key that signs now, read in the caller's transaction (another replica may have rotated)."""
        row = (await session.execute(select(SigningKeyRow).where(SigningKeyRow.active))).scalar_one_or_none()
        if row is None:
            raise KeyUnsealError("no active certificate signing key: the service has not started properly")
        key = self._unsealed.get(row.kid)
        if key is None:
            key = unseal_private_key(row.sealed_private_key, row.kid, self._secret)
            self._unsealed[row.kid] = key
        return key

    async def reload(self) -> KeySet:
        async with self._lock, self.sessions() as session:
            rows = (await session.execute(select(SigningKeyRow.kid, SigningKeyRow.public_key))).all()
        self._key_set = KeySet(VerificationKey(kid, Ed25519PublicKey.from_public_bytes(public)) for kid, public in rows)
        return self._key_set

    async def key_set(self, *, needs: str | None = None) -> KeySet:
        """The published keys; reloaded when ``needs`` (a kid) is unknown, e.g. after another replica rotated."""
        if needs is not None and self._key_set.get(needs) is None:
            return await self.reload()
        return self._key_set
