"""``GET /api/handles/{handle}``: certificate identifiers in the Handle.Net REST shape (see ``handles.py``)."""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from carbonid_certificates.api.common import Context
from carbonid_certificates.context import CertificatesContext
from carbonid_certificates.db import CertificateRow
from carbonid_certificates.domain.errors import CertificateDomainError
from carbonid_certificates.domain.identifier import HandleType, HandleValue, certificate_handle_values
from carbonid_certificates.domain.signing import SignedCertificate
from carbonid_certificates.handles import (
    CERTIFICATE_HANDLE_INDEX,
    CERTIFICATE_HANDLE_TYPE,
    CertificateName,
    EnterpriseName,
    certificate_handle,
    handle_response,
    parse_handle,
    select_values,
)
from carbonid_certificates.store import by_code, current_certificate
from carbonid_certificates.verification import status_of

router = APIRouter(tags=["identifier"])

RC_PROTOCOL_ERROR = 4


def certificate_values(context: CertificatesContext, row: CertificateRow) -> list[HandleValue]:
    """The record of one certificate; a document that no longer reads still gets its stored values."""
    settings = context.settings
    stamp = row.updated_at.astimezone(UTC)
    status = status_of(row, context.today())
    url = settings.public_url(row.code)
    try:
        signed = SignedCertificate.from_document(row.document)
    except CertificateDomainError:
        entries = [
            (1, HandleType.URL, url),
            (2, HandleType.CODE, row.code),
            (3, HandleType.GRADE, str(row.grade)),
            (4, HandleType.LEVEL, row.level),
            (5, HandleType.PERIOD, row.period),
            (6, HandleType.HASH, row.content_hash),
            (7, HandleType.SIGNATURE, row.signature),
            (8, HandleType.KID, row.kid),
            (10, HandleType.STATUS, status.value),
        ]
        return [HandleValue(i, t, v, stamp, settings.handle_ttl_seconds) for i, t, v in entries]
    return certificate_handle_values(signed, url=url, timestamp=stamp, ttl=settings.handle_ttl_seconds, status=status)


@router.get(
    "/api/handles/{handle:path}",
    summary="Resolve a certificate identifier ({prefix}/{code}) or an enterprise's current one ({prefix}/ent.{id})",
    description="Handle.Net REST shape: responseCode 1 (200), 100 not found (404), 200 no matching values (200). "
    "Filters `index` and `type` are repeatable; a value matches when its index OR its type does; `type=X.` "
    "matches the subtypes `X.*`.",
)
async def resolve_handle(handle: str, request: Request, context: Context) -> JSONResponse:
    raw_indexes = request.query_params.getlist("index")
    types = [t for t in request.query_params.getlist("type") if t]
    try:
        indexes = [int(i) for i in raw_indexes if i]
    except ValueError:
        return JSONResponse(
            {"responseCode": RC_PROTOCOL_ERROR, "handle": handle, "message": "index must be an integer"},
            status_code=400,
        )
    name = parse_handle(context.settings, handle)
    values: list[HandleValue] | None = None
    if name is not None:
        async with context.runtime.sessions() as session:
            if isinstance(name, CertificateName):
                row = await by_code(session, name.code)
                values = certificate_values(context, row) if row is not None else None
            else:
                assert isinstance(name, EnterpriseName)
                row = await current_certificate(session, name.enterprise_id, context.today())
                if row is not None:
                    values = certificate_values(context, row)
                    values.append(
                        HandleValue(
                            CERTIFICATE_HANDLE_INDEX,
                            CERTIFICATE_HANDLE_TYPE,
                            certificate_handle(context.settings, row.code),
                            row.updated_at.astimezone(UTC),
                            context.settings.handle_ttl_seconds,
                        )
                    )
                    values.sort(key=lambda v: v.index)
    filtered = bool(indexes or types)
    if values is not None:
        values = select_values(values, indexes, types)
    status, body = handle_response(handle, values, filtered=filtered)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-cache"})
