"""Certificates as identifier records, served in the Handle.Net REST shape (``GET /api/handles/{handle}``).

- ``{prefix}/{certificate code}``: the certificate itself (``domain.identifier`` values, with its status).
- ``{prefix}/ent.{enterprise id}``: an alias record whose values are those of the enterprise's CURRENT
  certificate, plus ``CARBONID.CERT.HANDLE`` (index 11) naming that certificate's own handle, so that an
  identifier-resolution client resolves "the enterprise's green low-carbon code" without knowing the code.
Handles are case-insensitive in ASCII (as the Global Handle Registry guarantees); the response echoes the
handle exactly as asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.domain.code import CertificateCode
from carbonid_certificates.domain.errors import CertificateCodeError
from carbonid_certificates.domain.identifier import HandleValue

ENTERPRISE_ALIAS_PREFIX = "ent."
CERTIFICATE_HANDLE_TYPE = "CARBONID.CERT.HANDLE"
CERTIFICATE_HANDLE_INDEX = 11

# Handle.Net response codes this server answers with, and their HTTP statuses on resolution.
RC_SUCCESS = 1
RC_HANDLE_NOT_FOUND = 100
RC_VALUES_NOT_FOUND = 200
HTTP_STATUS = {RC_SUCCESS: 200, RC_HANDLE_NOT_FOUND: 404, RC_VALUES_NOT_FOUND: 200}


def certificate_handle(settings: CertificatesSettings, code: str) -> str:
    return f"{settings.certificate_prefix}/{code}"


def enterprise_handle(settings: CertificatesSettings, enterprise_id: uuid.UUID) -> str:
    return f"{settings.certificate_prefix}/{ENTERPRISE_ALIAS_PREFIX}{enterprise_id}"


@dataclass(frozen=True, slots=True)
class CertificateName:
    code: str


@dataclass(frozen=True, slots=True)
class EnterpriseName:
    enterprise_id: uuid.UUID


def parse_handle(settings: CertificatesSettings, handle: str) -> CertificateName | EnterpriseName | None:
    """What a handle names here, or None when it is not one of ours (answered as not found)."""
    prefix, slash, suffix = handle.partition("/")
    if not slash or prefix.lower() != settings.certificate_prefix.lower() or not suffix:
        return None
    if suffix.lower().startswith(ENTERPRISE_ALIAS_PREFIX):
        try:
            return EnterpriseName(uuid.UUID(suffix[len(ENTERPRISE_ALIAS_PREFIX) :]))
        except ValueError:
            return None
    try:
        return CertificateName(str(CertificateCode.parse(suffix)))
    except CertificateCodeError:
        return None


def select_values(values: Sequence[HandleValue], indexes: Sequence[int], types: Sequence[str]) -> list[HandleValue]:
    """Values whose index OR type matches (Handle.Net semantics); ``type=foo.`` matches ``foo.*``; no filter: all."""
    if not indexes and not types:
        return list(values)
    wanted_types = [t.upper() for t in types]

    def type_matches(kind: str) -> bool:
        kind = kind.upper()
        return any(kind == t or (t.endswith(".") and kind.startswith(t)) for t in wanted_types)

    return [v for v in values if v.index in indexes or type_matches(v.type)]


def handle_response(handle: str, values: list[HandleValue] | None, *, filtered: bool) -> tuple[int, dict[str, object]]:
    """``(http status, body)``: 100 when the handle does not exist; 200 (values []) when filters match none."""
    if values is None:
        return HTTP_STATUS[RC_HANDLE_NOT_FOUND], {"responseCode": RC_HANDLE_NOT_FOUND, "handle": handle}
    if not values and filtered:
        return HTTP_STATUS[RC_VALUES_NOT_FOUND], {"responseCode": RC_VALUES_NOT_FOUND, "handle": handle, "values": []}
    return HTTP_STATUS[RC_SUCCESS], {
        "responseCode": RC_SUCCESS,
        "handle": handle,
        "values": [v.to_json() for v in values],
    }
