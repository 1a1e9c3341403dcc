"""Helpers shared by the routers: looking certificates up, their public addresses, their JSON views."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, Field

from carbonid_certificates.context import CertificatesContext, get_context
from carbonid_certificates.db import CertificateRow
from carbonid_certificates.domain.code import CertificateCode
from carbonid_certificates.domain.errors import CertificateCodeError
from carbonid_certificates.handles import certificate_handle
from carbonid_certificates.verification import status_of
from carbonid_kit.problems import Problem

Context = Annotated[CertificatesContext, Depends(get_context)]


def certificate_not_found() -> Problem:
    return Problem(
        404, "certificate-not-found", "证书不存在", "Certificate not found", "未找到该证书", "No such certificate"
    )


def canonical_code(text: str) -> str | None:
    """The canonical code for a code as typed or scanned (case, spaces), or None when it is not a valid code."""
    try:
        return str(CertificateCode.parse(text))
    except CertificateCodeError:
        return None


class CertificateView(BaseModel):
    """A certificate as the console lists it."""

    id: uuid.UUID
    code: str
    evaluation_id: uuid.UUID
    enterprise_id: uuid.UUID
    enterprise_name: str
    region_code: str
    industry_code: str
    period: str
    grade: int
    grade_colour: str
    level: str
    intensity_tco2_per_10k_cny: str | None = None
    benchmark_intensity_tco2_per_10k_cny: str | None = None
    efficiency_value_k: str | None = None
    neutralisation_rate: str | None = None
    rule_set_version: str | None = None
    benchmark_version: str | None = None
    status: str = Field(description="valid | expired | superseded | revoked")
    issued_at: str
    issued_on: date
    valid_until: date
    revoked_on: date | None
    superseded_by: uuid.UUID | None
    handle: str
    url: str = Field(description="public certificate URL (what the QR code encodes)")
    public_page: str
    qr_png: str
    qr_svg: str
    content_hash: str
    kid: str


def certificate_view(context: CertificatesContext, row: CertificateRow) -> CertificateView:
    content: dict[str, Any] = row.document.get("certificate", {}) if isinstance(row.document, dict) else {}

    def text(name: str) -> str | None:
        value = content.get(name)
        return value if isinstance(value, str) else None

    base = f"/public/certificates/{row.code}"
    return CertificateView(
        id=row.id,
        code=row.code,
        evaluation_id=row.evaluation_id,
        enterprise_id=row.enterprise_id,
        enterprise_name=row.enterprise_name,
        region_code=row.region_code,
        industry_code=row.industry_code,
        period=row.period,
        grade=row.grade,
        grade_colour=row.grade_colour,
        level=row.level,
        intensity_tco2_per_10k_cny=text("intensity_tco2_per_10k_cny"),
        benchmark_intensity_tco2_per_10k_cny=text("benchmark_intensity_tco2_per_10k_cny"),
        efficiency_value_k=text("efficiency_value_k"),
        neutralisation_rate=text("neutralisation_rate"),
        rule_set_version=text("rule_set_version"),
        benchmark_version=text("benchmark_version"),
        status=status_of(row, context.today()).value,
        issued_at=row.issued_at.isoformat().replace("+00:00", "Z"),
        issued_on=row.issued_on,
        valid_until=row.valid_until,
        revoked_on=row.revoked_on,
        superseded_by=row.superseded_by,
        handle=certificate_handle(context.settings, row.code),
        url=context.settings.public_url(row.code),
        public_page=base,
        qr_png=f"{base}/qr.png",
        qr_svg=f"{base}/qr.svg",
        content_hash=row.content_hash,
        kid=row.kid,
    )
