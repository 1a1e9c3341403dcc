"""A certificate as an identifier record: Handle values in the Handle.Net REST shape.

``{"index": 1, "type": "URL", "data": {"format": "string", "value": …}, "ttl": 86400, "timestamp": "…Z"}``

| index | type | value |
|---|---|---|
| 1 | URL | public certificate page (what the QR code opens) |
| 2 | CARBONID.CERT.CODE | certificate code |
| 3 | CARBONID.CERT.GRADE | grade, ``1``…``5`` |
| 4 | CARBONID.CERT.LEVEL | ``low`` / ``medium`` / ``high`` |
| 5 | CARBONID.CERT.PERIOD | period code |
| 6 | CARBONID.CERT.HASH | sha256 (hex) of the canonical certificate |
| 7 | CARBONID.CERT.SIGNATURE | Ed25519 signature, base64url |
| 8 | CARBONID.CERT.KID | key id of the signature |
| 9 | CARBONID.CERT.CONTENT | the canonical certificate JSON (so anyone resolving can verify offline) |
| 10 | CARBONID.CERT.STATUS | ``valid`` / ``expired`` / ``revoked`` / ``superseded`` (optional; updated) |
| 1000 | TEMPLATE_ID | ``carbonid.certificate`` |
| 1001 | TEMPLATE | template version ``1`` |
All values have format ``string``. HS_ADMIN (index 100) is the identifier service's business, not this one's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from carbonid_certificates.domain.certificate import Certificate, CertificateStatus, canonical_bytes, content_hash
from carbonid_certificates.domain.errors import CertificateDomainError, HandleRecordError
from carbonid_certificates.domain.signing import ALGORITHM, SignedCertificate

DEFAULT_TTL = 86400
TEMPLATE_ID = "carbonid.certificate"
TEMPLATE_VERSION = "1"


class HandleType:
    URL = "URL"
    CODE = "CARBONID.CERT.CODE"
    GRADE = "CARBONID.CERT.GRADE"
    LEVEL = "CARBONID.CERT.LEVEL"
    PERIOD = "CARBONID.CERT.PERIOD"
    HASH = "CARBONID.CERT.HASH"
    SIGNATURE = "CARBONID.CERT.SIGNATURE"
    KID = "CARBONID.CERT.KID"
    CONTENT = "CARBONID.CERT.CONTENT"
    STATUS = "CARBONID.CERT.STATUS"
    TEMPLATE_ID = "TEMPLATE_ID"
    TEMPLATE = "TEMPLATE"


@dataclass(frozen=True, slots=True)
class HandleValue:
    index: int
    type: str
    value: str
    timestamp: datetime
    ttl: int = DEFAULT_TTL
    format: str = "string"

    def to_json(self) -> dict[str, Any]:
        """The Handle.Net REST JSON of this value (timestamp ISO-8601 UTC, seconds, ``Z``)."""
        return {
            "index": self.index,
            "type": self.type,
            "data": {"format": self.format, "value": self.value},
            "ttl": self.ttl,
            "timestamp": self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> HandleValue:
        try:
            data = raw["data"]
            if isinstance(data, str):  # the REST API accepts a bare string as shorthand
                fmt, value = "string", data
            else:
                fmt, value = data["format"], data["value"]
            stamp = datetime.strptime(raw["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            ttl = raw.get("ttl", DEFAULT_TTL)
            if not isinstance(raw["index"], int) or not isinstance(value, str) or not isinstance(ttl, int):
                raise TypeError("index, value or ttl")  # noqa: TRY301 - folded into the one error below
            return cls(raw["index"], str(raw["type"]), value, stamp, ttl, str(fmt))
        except (KeyError, TypeError, ValueError) as exc:
            raise HandleRecordError("标识值格式无效", f"malformed handle value: {exc}") from exc


def certificate_handle_values(
    signed: SignedCertificate,
    *,
    url: str,
    timestamp: datetime,
    ttl: int = DEFAULT_TTL,
    status: CertificateStatus | None = None,
) -> list[HandleValue]:
    """The Handle values of a signed certificate, ordered by index. ``timestamp`` must be timezone-aware."""
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware / 时间戳必须带时区")
    cert = signed.certificate
    entries: list[tuple[int, str, str]] = [
        (1, HandleType.URL, url),
        (2, HandleType.CODE, cert.code),
        (3, HandleType.GRADE, str(cert.grade)),
        (4, HandleType.LEVEL, cert.level),
        (5, HandleType.PERIOD, cert.period),
        (6, HandleType.HASH, content_hash(cert)),
        (7, HandleType.SIGNATURE, signed.signature),
        (8, HandleType.KID, signed.kid),
        (9, HandleType.CONTENT, canonical_bytes(cert).decode("utf-8")),
    ]
    if status is not None:
        entries.append((10, HandleType.STATUS, status.value))
    entries += [(1000, HandleType.TEMPLATE_ID, TEMPLATE_ID), (1001, HandleType.TEMPLATE, TEMPLATE_VERSION)]
    return [HandleValue(index, kind, value, timestamp, ttl) for index, kind, value in entries]


def handle_record(handle: str, values: Iterable[HandleValue]) -> dict[str, Any]:
    """A resolution response body: ``{"responseCode": 1, "handle": …, "values": [...]}``."""
    return {"responseCode": 1, "handle": handle, "values": [v.to_json() for v in values]}


def signed_certificate_from_values(values: Sequence[HandleValue]) -> SignedCertificate:
    """Rebuild the signed certificate from its Handle values and check they agree with each other.

    Checks that the content hashes to the HASH value and that code, grade, level and period match the content.
    The signature itself is checked by ``signing.verify_certificate`` with the trusted key set.
    """
    by_type: dict[str, str] = {}
    for value in values:
        if value.type in by_type:
            raise HandleRecordError(f"标识值类型重复：{value.type}", f"duplicate handle value type {value.type}")
        by_type[value.type] = value.value
    needed = [HandleType.CONTENT, HandleType.HASH, HandleType.SIGNATURE, HandleType.KID]
    missing = [t for t in needed if t not in by_type]
    if missing:
        raise HandleRecordError(f"缺少标识值：{', '.join(missing)}", f"missing handle values: {', '.join(missing)}")
    content = by_type[HandleType.CONTENT]
    if hashlib.sha256(content.encode("utf-8")).hexdigest() != by_type[HandleType.HASH]:
        raise HandleRecordError("证书内容与哈希不符", "the certificate content does not match its hash")
    try:
        certificate = Certificate.from_document(json.loads(content))
    except (ValueError, CertificateDomainError) as exc:
        raise HandleRecordError("证书内容无效", f"invalid certificate content: {exc}") from exc
    if canonical_bytes(certificate).decode("utf-8") != content:
        raise HandleRecordError("证书内容不是规范形式", "the certificate content is not in canonical form")
    expected = {
        HandleType.CODE: certificate.code,
        HandleType.GRADE: str(certificate.grade),
        HandleType.LEVEL: certificate.level,
        HandleType.PERIOD: certificate.period,
    }
    for kind, expected_value in expected.items():
        if kind in by_type and by_type[kind] != expected_value:
            raise HandleRecordError(f"标识值 {kind} 与证书内容不符", f"handle value {kind} differs from the content")
    return SignedCertificate(certificate, by_type[HandleType.KID], by_type[HandleType.SIGNATURE], ALGORITHM)
