"""Verifying a stored certificate: its signed document against the published keys, and its status today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from carbonid_certificates.db import CertificateRow
from carbonid_certificates.domain.certificate import (
    Certificate,
    CertificateStatus,
    Revocation,
    RevocationReason,
    certificate_status,
    content_hash,
)
from carbonid_certificates.domain.errors import CertificateDomainError
from carbonid_certificates.domain.signing import KeySet, SignedCertificate, verify_certificate


@dataclass(frozen=True, slots=True)
class Verification:
    """What the public page and the JSON endpoint report about one certificate."""

    row: CertificateRow
    status: CertificateStatus
    signature_valid: bool
    certificate: Certificate | None
    """The signed content, when the document could be read at all."""
    content_hash: str | None
    """sha256 of the canonical content as stored now (recomputed, never read from a column)."""
    reason_zh: str | None = None
    reason_en: str | None = None

    def as_json(self, *, url: str, handle: str) -> dict[str, Any]:
        row = self.row
        return {
            "certificate_id": str(row.id),
            "certificate_code": row.code,
            "status": self.status.value,
            "signature_valid": self.signature_valid,
            "reason": (None if self.signature_valid else {"zh": self.reason_zh, "en": self.reason_en}),
            "alg": "EdDSA",
            "kid": row.document.get("signature", {}).get("kid") if isinstance(row.document, dict) else None,
            "content_hash": self.content_hash,
            "issued_content_hash": row.content_hash,
            "revoked_on": row.revoked_on.isoformat() if row.revoked_on else None,
            "superseded_by": str(row.superseded_by) if row.superseded_by else None,
            "url": url,
            "handle": handle,
            "keys_url": "/.well-known/certificate-keys.json",
            "document": row.document,
        }


def revocation_of(row: CertificateRow) -> Revocation | None:
    if row.revoked_on is None or row.revocation_reason is None:
        return None
    superseded_by = str(row.superseded_by) if row.superseded_by else None
    return Revocation(row.revoked_on, RevocationReason(row.revocation_reason), superseded_by)


def status_of(row: CertificateRow, today: date) -> CertificateStatus:
    """Revocation first, then expiry; a day before the issue day (clock skew) counts as the issue day."""
    revocation = revocation_of(row)
    day = max(today, row.issued_on)
    if revocation is not None and revocation.revoked_on <= day:
        return (
            CertificateStatus.SUPERSEDED
            if revocation.reason is RevocationReason.SUPERSEDED
            else CertificateStatus.REVOKED
        )
    return CertificateStatus.EXPIRED if day > row.valid_until else CertificateStatus.VALID


def verify_row(row: CertificateRow, keys: KeySet, today: date) -> Verification:
    """Check the stored signed document: readable, signed by a published key, and about this very certificate."""
    status = status_of(row, today)
    try:
        signed = SignedCertificate.from_document(row.document)
    except CertificateDomainError as exc:
        return Verification(row, status, False, None, None, f"证书文档无效：{exc.message_zh}", exc.message_en)
    certificate = signed.certificate
    digest = content_hash(certificate)
    try:
        verify_certificate(signed, keys)
    except CertificateDomainError as exc:
        return Verification(row, status, False, certificate, digest, exc.message_zh, exc.message_en)
    if certificate.certificate_id != str(row.id) or certificate.code != row.code:
        # a validly signed document of another certificate copied onto this one
        return Verification(
            row,
            status,
            False,
            certificate,
            digest,
            "签名文档属于另一份证书",
            "the signed document belongs to another certificate",
        )
    # With a valid signature the signed dates are authoritative for expiry.
    status = certificate_status(certificate, max(today, certificate.issued_on), revocation_of(row))
    return Verification(row, status, True, certificate, digest)
