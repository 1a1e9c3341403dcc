"""Tables of the certificates service: certificates, signing keys, enterprise profiles, outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Index, LargeBinary, SmallInteger, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from carbonid_kit.db import ServiceBase, new_metadata
from carbonid_kit.messaging import inbox_table, outbox_table

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class CertificateRow(Base):
    """One issued certificate: the signed document as issued, plus columns to find and filter it.

    ``document`` is the signed document (``{"certificate": …, "signature": …}``) exactly as signed; the other
    content columns are copies for queries and are never trusted for verification.
    """

    __tablename__ = "certificates"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    industry_code: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    grade: Mapped[int] = mapped_column(SmallInteger)
    grade_colour: Mapped[str] = mapped_column(String(7))
    level: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    content_hash: Mapped[str] = mapped_column(String(64))
    kid: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'valid'"))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_reason: Mapped[str | None] = mapped_column(String(16))
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_certificates_enterprise_period", "enterprise_id", "period"),
        Index("ix_certificates_enterprise_issued", "enterprise_id", "issued_at"),
        Index("ix_certificates_region_issued", "region_code", "issued_at"),
        Index("ix_certificates_issued_at", "issued_at"),
    )


class SigningKeyRow(Base):
    """An Ed25519 certificate-signing key; the private half sealed (AES-256-GCM), the public half in the clear.

    Exactly one key is active (signs new certificates); retired keys stay published so old certificates verify.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("uq_signing_keys_one_active", "active", unique=True, postgresql_where=text("active")),)


class EnterpriseProfile(Base):
    """Name and USCC of an enterprise as last resolved (``enterprise.resolved``), printed on its certificates."""

    __tablename__ = "enterprise_profiles"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    resolved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
