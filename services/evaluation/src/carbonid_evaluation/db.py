"""Tables of the evaluation service: its view of calculations, enterprises and benchmarks (from events),
rule sets, evaluations and their evidence files, plus the kit's outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
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


class Calculation(Base):
    """A confirmed emission calculation (from ``emission.calculated``). All are kept; one per enterprise and
    period is current: not superseded by another, and the latest confirmed of those."""

    __tablename__ = "calculations"
    __table_args__ = (Index("ix_calculations_enterprise_period", "enterprise_id", "period"),)

    calculation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    supersedes: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    identifier_prefix: Mapped[str | None] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    industry_code: Mapped[str] = mapped_column(String(8), nullable=False)
    added_value_10k_cny: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    total_emissions_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    net_emissions_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    intensity_tco2_per_10k_cny: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    energy_tce: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    ccer_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    green_certificates_mwh: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    own_renewable_mwh: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    sinks_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    neutralisation_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    factor_set_version: Mapped[str] = mapped_column(String(64), nullable=False)
    input_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Enterprise(Base):
    """Names of enterprises (from ``enterprise.resolved``), for ``evaluation.completed``."""

    __tablename__ = "enterprises"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    identifier_prefix: Mapped[str] = mapped_column(String(128), nullable=False)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    industry_code: Mapped[str] = mapped_column(String(8), nullable=False)
    resolved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class BenchmarkSet(Base):
    """A published benchmark set (from ``benchmark.published``); every version is kept."""

    __tablename__ = "benchmark_sets"

    benchmark_set_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), nullable=False)
    region_scope: Mapped[str] = mapped_column(String(6), nullable=False)
    published_by: Mapped[str] = mapped_column(String(200), nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class BenchmarkEntry(Base):
    __tablename__ = "benchmark_entries"
    __table_args__ = (Index("ix_benchmark_entries_year_industry", "year", "industry_code"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    benchmark_set_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("benchmark_sets.benchmark_set_id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[str] = mapped_column(String(64), nullable=False)
    industry_code: Mapped[str] = mapped_column(String(8), nullable=False)
    region_scope: Mapped[str] = mapped_column(String(6), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    intensity_tco2_per_10k_cny: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    sample_size: Mapped[int] = mapped_column(Integer, nullable=False)
    total_emissions_tco2: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    total_added_value_10k_cny: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    method: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class RuleSetRecord(Base):
    """A published rule-set version: the document as published, never changed; one is active."""

    __tablename__ = "rule_sets"
    __table_args__ = (Index("uq_rule_sets_single_active", "active", unique=True, postgresql_where=text("active")),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    rule_set_id: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    title_zh: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    bundled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    published_by: Mapped[str] = mapped_column(String(200), nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Evaluation(Base):
    """One evaluation of one enterprise and period, through its four steps."""

    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_evaluations_region_code", "region_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    industry_code: Mapped[str] = mapped_column(String(8), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    calculation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("calculations.calculation_id"), nullable=False
    )
    rule_set_key: Mapped[str] = mapped_column(String(80), ForeignKey("rule_sets.key"), nullable=False)
    grid_factor_tco2_per_mwh: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    grid_factor_source: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    questionnaire_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    neutralisation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    neutralisation_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    computation_steps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    input_document: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    input_hash: Mapped[str | None] = mapped_column(String(64))
    rule_set_digest: Mapped[str | None] = mapped_column(String(64))
    benchmark_version: Mapped[str | None] = mapped_column(String(64))
    grade: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(8))
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supersedes: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class EvidenceBlob(Base):
    """Evidence content, addressed by its sha256: the same file uploaded twice is stored once."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """None when the content lives in the files directory (``evidence_dir``)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class EvidenceFile(Base):
    """An evidence upload linked to one question of one evaluation."""

    __tablename__ = "evidence_files"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    question_id: Mapped[str] = mapped_column(String(64), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("evidence_blobs.sha256"), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
