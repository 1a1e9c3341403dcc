"""Ed25519 signatures: verification, tampering with any field, key ids, JWKS and rotation."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from certificates_builders import GRADE_COLOURS, certificate
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbonid_certificates.domain.certificate import Certificate
from carbonid_certificates.domain.errors import (
    CertificateInvalidError,
    KeyFormatError,
    SignatureInvalidError,
    UnknownKeyError,
)
from carbonid_certificates.domain.signing import (
    KeySet,
    SignedCertificate,
    SigningKey,
    VerificationKey,
    b64url_decode,
    b64url_encode,
    sign_certificate,
    verify_certificate,
)

KEY_2025 = SigningKey.from_seed("cert-2025-01", bytes(range(32)))
KEY_2026 = SigningKey.from_seed("cert-2026-01", bytes(range(1, 33)))


def _tampered_values(cert: Certificate) -> dict[str, Any]:
    """For every field, another value that still makes a well-formed certificate (so only the signature fails)."""
    regraded = certificate(grade=4, grade_colour=GRADE_COLOURS[4])
    moved = certificate(region_code="330503")
    later = certificate(period="2025Q4")
    return {
        "certificate_id": cert.certificate_id + "0",
        "code": [("code", regraded.code), ("grade", 4), ("grade_colour", GRADE_COLOURS[4])],
        "evaluation_id": cert.evaluation_id.replace("9d", "8d"),
        "enterprise_id": cert.enterprise_id + "x",
        "enterprise_name": cert.enterprise_name + "（分公司）",
        "uscc": None,
        "region_code": [("region_code", "330503"), ("code", moved.code)],
        "industry_code": "1714",
        "period": [("period", "2025Q4"), ("code", later.code)],
        "grade": [("code", regraded.code), ("grade", 4), ("grade_colour", GRADE_COLOURS[4])],
        "grade_colour": "#D4A72D",
        "level": "high",
        "intensity_tco2_per_10k_cny": Decimal("1.8726"),
        "benchmark_intensity_tco2_per_10k_cny": Decimal("1.70"),
        "efficiency_value_k": Decimal("1.1017"),
        "neutralisation_rate": Decimal("0.9104"),
        "total_emissions_tco2": Decimal("10000.0001"),
        "net_emissions_tco2": Decimal("8895.10"),
        "rule_set_version": "zhejiang-2022/v2",
        "benchmark_version": "bm-2025.2",
        "evaluation_input_hash": "cd" * 32,
        "issued_on": cert.issued_on - timedelta(days=1),
        "valid_until": cert.valid_until + timedelta(days=365),
    }


def test_sign_and_verify() -> None:
    signed = sign_certificate(certificate(), KEY_2025)
    assert signed.kid == "cert-2025-01"
    assert signed.alg == "EdDSA"
    assert len(b64url_decode(signed.signature)) == 64
    verify_certificate(signed, KeySet([KEY_2025.verification_key]))


def test_changing_any_field_fails_verification() -> None:
    cert = certificate()
    signed = sign_certificate(cert, KEY_2025)
    keys = KeySet([KEY_2025.verification_key])
    tampered = _tampered_values(cert)
    assert set(tampered) == {f.name for f in dataclasses.fields(Certificate)}
    for name, change in tampered.items():
        changes = dict(change) if isinstance(change, list) else {name: change}
        forged = dataclasses.replace(cert, **changes)
        assert forged.to_document()[name] != cert.to_document()[name], name
        with pytest.raises(SignatureInvalidError):
            verify_certificate(dataclasses.replace(signed, certificate=forged), keys)


def test_changing_the_serialised_document_fails_too() -> None:
    signed = sign_certificate(certificate(), KEY_2025)
    keys = KeySet([KEY_2025.verification_key])
    document = json.loads(json.dumps(signed.to_document()))
    verify_certificate(SignedCertificate.from_document(document), keys)
    for name in document["certificate"]:
        changed = json.loads(json.dumps(document))
        value = changed["certificate"][name]
        changed["certificate"][name] = value + "0" if isinstance(value, str) else 5
        try:
            forged = SignedCertificate.from_document(changed)
        except CertificateInvalidError:
            continue  # refused before the signature is even looked at
        with pytest.raises(SignatureInvalidError):
            verify_certificate(forged, keys)


def test_signature_bits_key_and_algorithm_matter() -> None:
    signed = sign_certificate(certificate(), KEY_2025)
    keys = KeySet([KEY_2025.verification_key, KEY_2026.verification_key])
    raw = bytearray(b64url_decode(signed.signature))
    raw[0] ^= 1
    with pytest.raises(SignatureInvalidError):
        verify_certificate(dataclasses.replace(signed, signature=b64url_encode(bytes(raw))), keys)
    with pytest.raises(SignatureInvalidError):
        verify_certificate(dataclasses.replace(signed, signature="not base64!"), keys)
    with pytest.raises(SignatureInvalidError):
        verify_certificate(dataclasses.replace(signed, kid="cert-2026-01"), keys)
    with pytest.raises(SignatureInvalidError, match="algorithm"):
        verify_certificate(dataclasses.replace(signed, alg="RS256"), keys)
    with pytest.raises(UnknownKeyError) as caught:
        verify_certificate(dataclasses.replace(signed, kid="nobody"), keys)
    assert "nobody" in caught.value.message_zh


def test_key_rotation_keeps_old_certificates_verifiable() -> None:
    old = sign_certificate(certificate(), KEY_2025)
    new = sign_certificate(certificate(issued_on=date(2026, 3, 1)), KEY_2026)
    published = KeySet.from_jwks(KeySet([KEY_2025.verification_key, KEY_2026.verification_key]).to_jwks())
    assert published.kids == ["cert-2025-01", "cert-2026-01"]
    verify_certificate(old, published)
    verify_certificate(new, published)
    only_new = KeySet([KEY_2026.verification_key])
    with pytest.raises(UnknownKeyError):
        verify_certificate(old, only_new)


def test_jwks_shape_and_refusals() -> None:
    jwk = KEY_2025.verification_key.to_jwk()
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["alg"] == "EdDSA"
    assert jwk["use"] == "sig"
    assert jwk["kid"] == "cert-2025-01"
    assert len(b64url_decode(jwk["x"])) == 32
    rsa = {"kty": "RSA", "kid": "old-rsa", "n": "AQAB", "e": "AQAB"}
    assert KeySet.from_jwks({"keys": [rsa, jwk]}).kids == ["cert-2025-01"]
    for bad in ({**jwk, "x": "AAAA"}, {**jwk, "d": "secret"}, {**jwk, "kid": ""}, {**jwk, "crv": "Ed448"}):
        with pytest.raises(KeyFormatError):
            VerificationKey.from_jwk(bad)
    with pytest.raises(KeyFormatError):
        KeySet.from_jwks({"keys": "none"})
    with pytest.raises(KeyFormatError):
        KeySet([KEY_2025.verification_key, VerificationKey("cert-2025-01", KEY_2026.private_key.public_key())])


def test_signing_keys_from_seed_and_pem() -> None:
    assert (
        SigningKey.from_seed("k", KEY_2025.seed()).verification_key.to_jwk()["x"]
        == (KEY_2025.verification_key.to_jwk()["x"])
    )
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = SigningKey.from_pem("pem-key", pem)
    verify_certificate(sign_certificate(certificate(), key), KeySet([key.verification_key]))
    with pytest.raises(KeyFormatError):
        SigningKey.from_seed("short", b"123")
    generated = SigningKey.generate("fresh")
    assert generated.kid == "fresh"
    assert len(generated.seed()) == 32
