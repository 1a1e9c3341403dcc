"""Public routes (no login): the certificate page a scan opens, its JSON verification, the code images and the
published verification keys.

Links in the page are relative, so that it works both directly and behind the gateway's ``/api/certificates``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from carbonid_certificates.api.common import Context, canonical_code, certificate_not_found
from carbonid_certificates.api.page import render_certificate_page, render_not_found_page
from carbonid_certificates.context import CertificatesContext
from carbonid_certificates.db import CertificateRow
from carbonid_certificates.handles import certificate_handle
from carbonid_certificates.images import MEDIA_TYPES, grade_label
from carbonid_certificates.store import by_code
from carbonid_certificates.verification import Verification, verify_row

router = APIRouter(tags=["public"])


async def _verified(context: CertificatesContext, code: str) -> tuple[Verification, str | None] | None:
    """The certificate's verification and the code of the certificate that superseded it, if any."""
    canonical = canonical_code(code)
    if canonical is None:
        return None
    async with context.runtime.sessions() as session:
        row = await by_code(session, canonical)
        replacement = None
        if row is not None and row.superseded_by is not None:
            replacement = await session.get(CertificateRow, row.superseded_by)
    if row is None:
        return None
    keys = await context.keys.key_set(needs=row.kid)
    return verify_row(row, keys, context.today()), (replacement.code if replacement else None)


@router.get(
    "/public/certificates/{code}",
    response_class=HTMLResponse,
    summary="Public certificate page (企业碳效评价证书): content, validity and signature verification",
    responses={404: {"description": "no such certificate (an HTML page)"}},
)
async def certificate_page(code: str, context: Context) -> HTMLResponse:
    found = await _verified(context, code)
    headers = {"Cache-Control": "no-cache", "X-Robots-Tag": "noindex", "Content-Language": "zh-CN"}
    if found is None:
        return HTMLResponse(render_not_found_page(code), status_code=404, headers=headers)
    verification, replacement = found
    row = verification.row
    html = render_certificate_page(
        verification,
        handle=certificate_handle(context.settings, row.code),
        verification_url=f"{row.code}/verification",
        qr_url=f"{row.code}/qr.png",
        replacement_url=replacement,
    )
    return HTMLResponse(html, headers=headers)


@router.get(
    "/public/certificates/{code}/verification",
    summary="Machine verification: status, signature validity, key id, content hash and the signed document",
    responses={404: {"description": "no such certificate"}},
)
async def certificate_verification(code: str, context: Context) -> JSONResponse:
    found = await _verified(context, code)
    if found is None:
        raise certificate_not_found()
    verification, replacement = found
    row = verification.row
    body: dict[str, Any] = verification.as_json(
        url=context.settings.public_url(row.code), handle=certificate_handle(context.settings, row.code)
    )
    body["superseded_by_code"] = replacement
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


async def _image(context: CertificatesContext, request: Request, code: str, fmt: Literal["png", "svg"]) -> Response:
    canonical = canonical_code(code)
    row = None
    if canonical is not None:
        async with context.runtime.sessions() as session:
            row = await by_code(session, canonical)
    if row is None:
        raise certificate_not_found()
    url = context.settings.public_url(row.code)
    label = grade_label(row.grade)
    etag = context.images.etag(fmt, url, row.grade_colour, label)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    body, _ = await context.images.render(fmt, url, row.grade_colour, label)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/public/certificates/{code}/qr.png",
    response_class=Response,
    summary="The coloured carbon-efficiency code as PNG (≥1200 px, 300 dpi), encoding the public certificate URL",
    responses={200: {"content": {"image/png": {}}}, 304: {"description": "not modified"}, 404: {}},
)
async def certificate_qr_png(code: str, request: Request, context: Context) -> Response:
    return await _image(context, request, code, "png")


@router.get(
    "/public/certificates/{code}/qr.svg",
    response_class=Response,
    summary="The coloured carbon-efficiency code as SVG",
    responses={200: {"content": {"image/svg+xml": {}}}, 304: {"description": "not modified"}, 404: {}},
)
async def certificate_qr_svg(code: str, request: Request, context: Context) -> Response:
    return await _image(context, request, code, "svg")


@router.get(
    "/.well-known/certificate-keys.json",
    summary="Published certificate verification keys (JWKS, Ed25519); retired keys stay so old certificates verify",
)
async def certificate_keys(context: Context) -> JSONResponse:
    keys = await context.keys.key_set()
    return JSONResponse(keys.to_jwks(), headers={"Cache-Control": "public, max-age=300"})
