"""Authenticated routes: an enterprise's certificates, the current one, downloads, and key rotation."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from carbonid_certificates.api.common import CertificateView, Context, certificate_not_found, certificate_view
from carbonid_certificates.db import CertificateRow
from carbonid_certificates.images import MEDIA_TYPES, grade_label
from carbonid_certificates.store import current_certificate, listing
from carbonid_contracts.codes.period import PERIOD_PATTERN
from carbonid_kit.auth import Caller, CurrentCaller, require_role
from carbonid_kit.problems import Problem, forbidden

router = APIRouter(prefix="/certificates", tags=["certificates"])


class CertificatePage(BaseModel):
    items: list[CertificateView]
    limit: int
    offset: int


class RotatedKey(BaseModel):
    kid: str
    published_kids: list[str]


@router.get("", summary="Certificates the caller may see, newest first")
async def list_certificates(  # noqa: PLR0917 - FastAPI passes query parameters by name
    caller: CurrentCaller,
    context: Context,
    enterprise_id: uuid.UUID | None = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    status: Annotated[Literal["valid", "superseded", "revoked"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CertificatePage:
    limit = min(limit, context.settings.list_max_limit)
    async with context.runtime.sessions() as session:
        rows = await listing(
            session, caller, enterprise_id=enterprise_id, period=period, status=status, limit=limit, offset=offset
        )
    return CertificatePage(items=[certificate_view(context, r) for r in rows], limit=limit, offset=offset)


@router.get(
    "/current",
    summary="The enterprise's current valid certificate (own enterprise when omitted)",
    responses={404: {"description": "no current certificate"}},
)
async def current(caller: CurrentCaller, context: Context, enterprise_id: uuid.UUID | None = None) -> CertificateView:
    enterprise = enterprise_id or caller.enterprise_id
    if enterprise is None:
        raise Problem(
            422,
            "enterprise-required",
            "缺少企业标识",
            "Enterprise id required",
            "请指定 enterprise_id",
            "Give enterprise_id",
        )
    async with context.runtime.sessions() as session:
        row = await current_certificate(session, enterprise, context.today())
    if caller.role == "enterprise" and caller.enterprise_id != enterprise:
        raise forbidden()
    if row is None:
        raise Problem(
            404,
            "no-current-certificate",
            "暂无有效证书",
            "No current certificate",
            "该企业目前没有有效的碳效评价证书",
            "The enterprise has no valid certificate now",
        )
    _authorise(caller, row)
    return certificate_view(context, row)


def _authorise(caller: Caller, row: CertificateRow) -> None:
    if not caller.may_see(enterprise_id=row.enterprise_id, region_code=row.region_code):
        raise forbidden()


async def _owned(context: Context, caller: Caller, certificate_id: uuid.UUID) -> CertificateRow:
    async with context.runtime.sessions() as session:
        row = await session.get(CertificateRow, certificate_id)
    if row is None:
        raise certificate_not_found()
    _authorise(caller, row)
    return row


@router.get("/{certificate_id}", summary="One certificate", responses={404: {}, 403: {}})
async def get_certificate(certificate_id: uuid.UUID, caller: CurrentCaller, context: Context) -> CertificateView:
    return certificate_view(context, await _owned(context, caller, certificate_id))


@router.get(
    "/{certificate_id}/download",
    response_class=Response,
    summary="Download the coloured code (PNG at print resolution, or SVG) as an attachment",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}, 404: {}, 403: {}},
)
async def download(
    certificate_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    format: Annotated[Literal["png", "svg"], Query()] = "png",
) -> Response:
    row = await _owned(context, caller, certificate_id)
    body, etag = await context.images.render(
        format, context.settings.public_url(row.code), row.grade_colour, grade_label(row.grade)
    )
    filename = f"carbon-efficiency-code-{row.code}.{format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "ETag": etag,
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.post(
    "/keys/rotate",
    summary="Rotate the certificate signing key (operators); the old public key stays published",
    dependencies=[require_role("operator")],
)
async def rotate_key(context: Context) -> RotatedKey:
    kid = await context.keys.rotate()
    keys = await context.keys.key_set()
    return RotatedKey(kid=kid, published_kids=keys.kids)
