"""Ed25519 signatures over a certificate's canonical bytes, key ids, JWKS and key rotation.

A signed certificate carries ``alg`` (``EdDSA``), ``kid`` and ``signature`` (base64url without padding of the
64-byte Ed25519 signature of ``canonical_bytes(certificate)``). Verification looks the ``kid`` up in a key set
(JWKS: ``{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": …, "kid": …}]}``). Rotation: sign with the new key,
keep publishing the old public keys, so certificates signed before still verify.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from carbonid_certificates.domain.certificate import Certificate, canonical_bytes
from carbonid_certificates.domain.errors import KeyFormatError, SignatureInvalidError, UnknownKeyError

ALGORITHM = "EdDSA"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise ValueError("base64url without padding expected")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str
    public_key: Ed25519PublicKey

    def to_jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(_raw_public(self.public_key)),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerificationKey:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise KeyFormatError("公钥应为 OKP/Ed25519", "the key must be OKP/Ed25519")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise KeyFormatError("公钥缺少 kid", "the key has no kid")
        if "d" in jwk:
            raise KeyFormatError("公钥集中不得包含私钥", "a public key set must not contain private keys")
        try:
            raw = b64url_decode(jwk["x"])
            return cls(kid, Ed25519PublicKey.from_public_bytes(raw))
        except (KeyError, ValueError) as exc:
            raise KeyFormatError("公钥 x 值无效", "invalid x value of the key") from exc


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        return cls(kid, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, kid: str, seed: bytes) -> SigningKey:
        """From the 32-byte private seed (e.g. decoded from a setting)."""
        try:
            return cls(kid, Ed25519PrivateKey.from_private_bytes(seed))
        except ValueError as exc:
            raise KeyFormatError("私钥应为 32 字节", "an Ed25519 private seed has 32 bytes") from exc

    @classmethod
    def from_pem(cls, kid: str, pem: bytes, password: bytes | None = None) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("私钥应为 Ed25519", "the private key must be Ed25519")
        return cls(kid, key)

    def seed(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    @property
    def verification_key(self) -> VerificationKey:
        return VerificationKey(self.kid, self.private_key.public_key())


class KeySet:
    """Public keys by kid (the current one and every retired one still trusted)."""

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        self._keys: dict[str, VerificationKey] = {}
        for key in keys:
            known = self._keys.get(key.kid)
            if known is not None and _raw_public(known.public_key) != _raw_public(key.public_key):
                raise KeyFormatError(f"kid {key.kid} 对应多个不同公钥", f"kid {key.kid} names two different keys")
            self._keys[key.kid] = key

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> KeySet:
        """Read a JWKS document; keys of other types (RSA, EC…) are skipped, malformed Ed25519 keys refused."""
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise KeyFormatError("JWKS 应包含 keys 数组", "a JWKS has a keys array")
        return cls(
            VerificationKey.from_jwk(jwk)
            for jwk in keys
            if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"
        )

    def to_jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self._keys[kid].to_jwk() for kid in sorted(self._keys)]}

    def get(self, kid: str) -> VerificationKey | None:
        return self._keys.get(kid)

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)


@dataclass(frozen=True, slots=True)
class SignedCertificate:
    certificate: Certificate
    kid: str
    signature: str
    """base64url (no padding) of the Ed25519 signature of ``canonical_bytes(certificate)``."""
    alg: str = ALGORITHM

    def to_document(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate.to_document(),
            "signature": {"alg": self.alg, "kid": self.kid, "value": self.signature},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> SignedCertificate:
        signature = document.get("signature")
        certificate = document.get("certificate")
        if not isinstance(signature, Mapping) or not isinstance(certificate, Mapping):
            raise SignatureInvalidError("签名证书应包含 certificate 和 signature", "expected certificate and signature")
        kid, value, alg = signature.get("kid"), signature.get("value"), signature.get("alg")
        if not isinstance(kid, str) or not isinstance(value, str) or not isinstance(alg, str):
            raise SignatureInvalidError("签名字段无效", "invalid signature fields")
        return cls(Certificate.from_document(certificate), kid, value, alg)


def sign_certificate(certificate: Certificate, key: SigningKey) -> SignedCertificate:
    """Sign the canonical bytes of ``certificate`` with ``key``."""
    return SignedCertificate(certificate, key.kid, b64url_encode(key.private_key.sign(canonical_bytes(certificate))))


def verify_certificate(signed: SignedCertificate, keys: KeySet) -> None:
    """Verify the signature with the key named by ``kid``.

    Raises ``UnknownKeyError`` when the kid is not trusted, ``SignatureInvalidError`` when the signature does not
    match the canonical bytes (any changed field) or the algorithm is not EdDSA.
    """
    if signed.alg != ALGORITHM:
        raise SignatureInvalidError(f"不支持的签名算法 {signed.alg}", f"unsupported algorithm {signed.alg!r}")
    key = keys.get(signed.kid)
    if key is None:
        raise UnknownKeyError(f"未知的签名密钥 {signed.kid}", f"unknown signing key {signed.kid!r}")
    try:
        key.public_key.verify(b64url_decode(signed.signature), canonical_bytes(signed.certificate))
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalidError(
            "证书签名无效：内容已被修改或签名不符", "the certificate signature does not verify"
        ) from exc
