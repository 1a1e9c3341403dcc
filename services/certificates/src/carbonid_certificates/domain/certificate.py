"""The carbon-efficiency certificate (企业碳效评价证书): its content, canonical form and status.

The canonical form is the RFC 8785 (JCS) serialisation of ``Certificate.to_document()``: sorted keys, no
whitespace, UTF-8; decimals are strings exactly as issued (``"0.1104"`` keeps its places), dates ISO
``YYYY-MM-DD``, absent optional values ``null``. The signature and the content hash cover these bytes.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from carbonid_certificates.domain.canonical import canonical_json
from carbonid_certificates.domain.code import CertificateCode, serial_from_uuid
from carbonid_certificates.domain.errors import CertificateCodeError, CertificateInvalidError
from carbonid_contracts.codes.uscc import uscc_is_valid

CERTIFICATE_SCHEMA = "carbonid.certificate/1"
LEVELS = ("low", "medium", "high")
_COLOUR = re.compile(r"^#[0-9A-F]{6}$")
_INDUSTRY = re.compile(r"^([A-T]|\d{2}|\d{3}|\d{4})$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_DECIMAL_FIELDS = (
    "intensity_tco2_per_10k_cny",
    "benchmark_intensity_tco2_per_10k_cny",
    "efficiency_value_k",
    "neutralisation_rate",
    "total_emissions_tco2",
    "net_emissions_tco2",
)


class CertificateStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class RevocationReason(StrEnum):
    SUPERSEDED = "superseded"
    """A later evaluation of the same enterprise and period replaced it."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by an administrator or regulator (wrong data, fraud, request)."""


@dataclass(frozen=True, slots=True)
class Revocation:
    revoked_on: date
    reason: RevocationReason
    superseded_by: str | None = None
    """Certificate id of the replacement, for ``SUPERSEDED``."""


@dataclass(frozen=True, slots=True)
class Certificate:
    """The signed content of a certificate. Construction validates consistency (``CertificateInvalidError``)."""

    certificate_id: str
    code: str
    evaluation_id: str
    enterprise_id: str
    enterprise_name: str
    uscc: str | None
    region_code: str
    industry_code: str
    period: str
    grade: int
    grade_colour: str
    level: str
    intensity_tco2_per_10k_cny: Decimal
    benchmark_intensity_tco2_per_10k_cny: Decimal
    efficiency_value_k: Decimal
    neutralisation_rate: Decimal
    total_emissions_tco2: Decimal
    net_emissions_tco2: Decimal
    rule_set_version: str
    benchmark_version: str
    evaluation_input_hash: str
    issued_on: date
    valid_until: date
    """Last day of validity (inclusive)."""

    def __post_init__(self) -> None:
        def bad(zh: str, en: str) -> CertificateInvalidError:
            return CertificateInvalidError(zh, en)

        try:
            code = CertificateCode.parse(self.code)
        except CertificateCodeError as exc:
            raise bad(f"证书编号无效：{exc.message_zh}", f"invalid certificate code: {exc.message_en}") from exc
        if str(code) != self.code:
            raise bad("证书编号应为规范的大写形式", "the certificate code must be in its canonical upper-case form")
        if (code.region_code, code.period_code, code.grade) != (self.region_code, self.period, self.grade):
            raise bad("证书编号与地区、周期或等级不一致", "the code does not match the region, period or grade")
        if not self.enterprise_name.strip() or not self.enterprise_id.strip() or not self.certificate_id.strip():
            raise bad(
                "企业名称、企业标识和证书标识不能为空", "enterprise name, enterprise id and certificate id are required"
            )
        if self.uscc is not None and not uscc_is_valid(self.uscc):
            raise bad("统一社会信用代码无效", "invalid unified social credit code (GB 32100-2015)")
        if not _INDUSTRY.fullmatch(self.industry_code):
            raise bad("行业代码无效（GB/T 4754-2017）", "invalid industry code (GB/T 4754-2017)")
        if not _COLOUR.fullmatch(self.grade_colour):
            raise bad("等级颜色应为 #RRGGBB（大写）", "grade colour must be #RRGGBB in upper case")
        if self.level not in LEVELS:
            raise bad("碳排放水平应为 low、medium 或 high", "level must be low, medium or high")
        for name in _DECIMAL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise bad(f"{name} 应为非负十进制数", f"{name} must be a non-negative decimal")
        if self.neutralisation_rate > 1:
            raise bad("碳中和率不能超过 1（100%）", "the neutralisation rate cannot exceed 1 (100 %)")
        if not _HASH.fullmatch(self.evaluation_input_hash):
            raise bad("评价输入哈希应为 64 位十六进制", "the evaluation input hash must be 64 lower-case hex digits")
        if self.valid_until < self.issued_on:
            raise bad("有效期截止日不能早于签发日", "valid_until cannot be before the issue date")
        if not self.rule_set_version or not self.benchmark_version:
            raise bad("规则集和基准版本不能为空", "rule-set and benchmark versions are required")

    def to_document(self) -> dict[str, Any]:
        """The JSON document that is canonicalised, hashed and signed."""
        document: dict[str, Any] = {"schema": CERTIFICATE_SCHEMA}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = format(value, "f")
            elif isinstance(value, date):
                value = value.isoformat()
            document[f.name] = value
        return document

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Certificate:
        """Rebuild a certificate from ``to_document()`` output; raises ``CertificateInvalidError``."""
        if document.get("schema") != CERTIFICATE_SCHEMA:
            raise CertificateInvalidError(f"证书格式应为 {CERTIFICATE_SCHEMA}", f"schema must be {CERTIFICATE_SCHEMA}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(document) - names - {"schema"}
        missing = names - set(document)
        if unknown or missing:
            raise CertificateInvalidError(
                f"证书字段不符：缺少 {sorted(missing)}，多余 {sorted(unknown)}",
                f"certificate fields differ: missing {sorted(missing)}, unknown {sorted(unknown)}",
            )
        try:
            values: dict[str, Any] = {name: _field_value(name, document[name]) for name in names}
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise CertificateInvalidError("证书字段类型或格式无效", f"invalid certificate field: {exc}") from exc
        return cls(**values)


def _field_value(name: str, raw: object) -> object:
    """A document field as the dataclass holds it; TypeError/ValueError when it has the wrong type."""
    if name in _DECIMAL_FIELDS:
        if not isinstance(raw, str):
            raise TypeError(f"{name} must be a decimal string")
        return Decimal(raw)
    if name in {"issued_on", "valid_until"}:
        if not isinstance(raw, str):
            raise TypeError(f"{name} must be a date string")
        return date.fromisoformat(raw)
    if name == "grade":
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise TypeError("grade must be an integer")
        return raw
    if name == "uscc" and raw is None:
        return None
    if not isinstance(raw, str):
        raise TypeError(f"{name} must be a string")
    return raw


def canonical_bytes(certificate: Certificate) -> bytes:
    """JCS (RFC 8785) bytes of the certificate document: what is hashed and signed."""
    return canonical_json(certificate.to_document())


def content_hash(certificate: Certificate) -> str:
    """sha256 (hex) of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(certificate)).hexdigest()


def valid_until_for(issued_on: date, validity_months: int) -> date:
    """Last day of validity: the day before the same day ``validity_months`` later (clamped to month end).

    2025-10-01 + 12 months → 2026-09-30; 2024-02-29 + 12 months → 2025-02-27 (2025-02-28 minus a day).
    """
    if validity_months < 1:
        raise ValueError("validity must be at least one month / 有效期至少一个月")
    month_index = issued_on.month - 1 + validity_months
    year, month = issued_on.year + month_index // 12, month_index % 12 + 1
    day = min(issued_on.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() - 1)


def issue_certificate(
    *,
    certificate_id: uuid.UUID,
    evaluation_id: uuid.UUID | str,
    enterprise_id: uuid.UUID | str,
    enterprise_name: str,
    uscc: str | None,
    region_code: str,
    industry_code: str,
    period: str,
    grade: int,
    grade_colour: str,
    level: str,
    intensity_tco2_per_10k_cny: Decimal,
    benchmark_intensity_tco2_per_10k_cny: Decimal,
    efficiency_value_k: Decimal,
    neutralisation_rate: Decimal,
    total_emissions_tco2: Decimal,
    net_emissions_tco2: Decimal,
    rule_set_version: str,
    benchmark_version: str,
    evaluation_input_hash: str,
    issued_on: date,
    validity_months: int,
) -> Certificate:
    """Build a certificate: its code from region, period, grade and the id's serial; validity from months."""
    code = CertificateCode(region_code, period, grade, serial_from_uuid(certificate_id))
    return Certificate(
        certificate_id=str(certificate_id),
        code=str(code),
        evaluation_id=str(evaluation_id),
        enterprise_id=str(enterprise_id),
        enterprise_name=enterprise_name,
        uscc=uscc,
        region_code=region_code,
        industry_code=industry_code,
        period=period,
        grade=grade,
        grade_colour=grade_colour.upper(),
        level=level,
        intensity_tco2_per_10k_cny=intensity_tco2_per_10k_cny,
        benchmark_intensity_tco2_per_10k_cny=benchmark_intensity_tco2_per_10k_cny,
        efficiency_value_k=efficiency_value_k,
        neutralisation_rate=neutralisation_rate,
        total_emissions_tco2=total_emissions_tco2,
        net_emissions_tco2=net_emissions_tco2,
        rule_set_version=rule_set_version,
        benchmark_version=benchmark_version,
        evaluation_input_hash=evaluation_input_hash,
        issued_on=issued_on,
        valid_until=valid_until_for(issued_on, validity_months),
    )


def certificate_status(certificate: Certificate, on: date, revocation: Revocation | None = None) -> CertificateStatus:
    """Status on a day: a revocation in effect wins (``SUPERSEDED`` or ``REVOKED``), then expiry after
    ``valid_until``; otherwise ``VALID``. Asking about a day before issue is a caller error (``ValueError``)."""
    if on < certificate.issued_on:
        raise ValueError("the certificate was not yet issued on that day / 该日期证书尚未签发")
    if revocation is not None and revocation.revoked_on <= on:
        if revocation.reason is RevocationReason.SUPERSEDED:
            return CertificateStatus.SUPERSEDED
        return CertificateStatus.REVOKED
    if on > certificate.valid_until:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID
