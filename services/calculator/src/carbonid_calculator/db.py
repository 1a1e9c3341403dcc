"""The calculator's tables: enterprise view, resolved activity sets, factor sets, calculations, evidence."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
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


class EnterpriseView(Base):
    """What ``enterprise.resolved`` says about an enterprise: enough to scope and title its calculations."""

    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    identifier_prefix: Mapped[str] = mapped_column(String(128))
    uscc: Mapped[str] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    province_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    county_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str] = mapped_column(String(4))
    resolved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResolvedActivity(Base):
    """One ``activity.resolved`` event: the activity lines of an enterprise and period (read-only)."""

    __tablename__ = "resolved_activities"
    __table_args__ = (Index("ix_resolved_activities_enterprise_period", "enterprise_id", "period", "resolved_at"),)

    resolution_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    period: Mapped[str] = mapped_column(String(8))
    identifier_prefix: Mapped[str] = mapped_column(String(128))
    template_id: Mapped[str] = mapped_column(String(200))
    template_version: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    stale: Mapped[bool] = mapped_column(Boolean)
    resolved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FactorSetRecord(Base):
    """A factor set as the texts it was parsed from (one manifest entry plus its CSV tables); immutable."""

    __tablename__ = "factor_sets"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    family: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16))  # packaged | operator
    texts: Mapped[dict[str, str]] = mapped_column(JSONB)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Calculation(Base):
    """One emission calculation of an enterprise and period: draft → computed → confirmed."""

    __tablename__ = "calculations"
    __table_args__ = (
        Index("ix_calculations_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_calculations_enterprise_period_state", "enterprise_id", "period", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    identifier_prefix: Mapped[str | None] = mapped_column(String(128))
    sub_industry_code: Mapped[str] = mapped_column(String(4))
    period: Mapped[str] = mapped_column(String(8))
    added_value_10k_cny: Mapped[Decimal] = mapped_column(Numeric)
    factor_set_id: Mapped[str] = mapped_column(ForeignKey("factor_sets.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    reductions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    resolution_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    input_hash: Mapped[str | None] = mapped_column(String(64))
    grid_factor: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    supersedes: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recalculated_from: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class CalculationLine(Base):
    """An activity line of a calculation: resolved (locked, from ``activity.resolved``) or manual (新建指标)."""

    __tablename__ = "calculation_lines"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    calculation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calculations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    source_code: Mapped[str] = mapped_column(String(100))
    item_name: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric)
    unit: Mapped[str] = mapped_column(String(32))
    measured: Mapped[dict[str, str | None] | None] = mapped_column(JSONB)
    steam_enthalpy_kj_per_kg: Mapped[Decimal | None] = mapped_column(Numeric)
    handle: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EvidenceFile(Base):
    """A stored evidence file, addressed by the sha256 of its content (stored once however often uploaded)."""

    __tablename__ = "evidence_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # None when kept in the files directory
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalculationEvidence(Base):
    """Which evidence file supports which reduction of which calculation."""

    __tablename__ = "calculation_evidence"
    __table_args__ = (UniqueConstraint("calculation_id", "sha256", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    calculation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calculations.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
