"""The resolver's tables: enterprise profiles, activity resolutions, the source mapping, outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, UniqueConstraint, func, text
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


class Enterprise(Base):
    """An enterprise as its identifier node describes it; the id is uuid5 of the normalised prefix."""

    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    identifier_prefix: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    province_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    county_code: Mapped[str | None] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str] = mapped_column(String(4), index=True)
    industry_category: Mapped[str | None] = mapped_column(String(1))
    industry_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    activity_handle_pattern: Mapped[str | None] = mapped_column(String(255))
    node: Mapped[str] = mapped_column(String(255))
    node_kind: Mapped[str] = mapped_column(String(16))
    node_type: Mapped[str] = mapped_column(String(16))
    stale: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ActivityResolution(Base):
    """One request to resolve an enterprise's activity data for a period, with every step it went through."""

    __tablename__ = "activity_resolutions"
    __table_args__ = (Index("ix_activity_resolutions_enterprise_period", "enterprise_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("enterprises.id"))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    """queued | running | succeeded | failed"""
    requested_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceMapping(Base):
    """Metadata management: node template item (per industry) → platform emission source."""

    __tablename__ = "source_mappings"
    __table_args__ = (UniqueConstraint("industry_code", "item_code", name="uq_source_mappings_industry_item"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    industry_code: Mapped[str] = mapped_column(String(4))
    item_code: Mapped[str] = mapped_column(String(128))
    source_code: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(32))
    aggregation: Mapped[str] = mapped_column(String(16), default="sum")
    weight_item: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(String(500))
    updated_by: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EnterpriseBinding(Base):
    """Who acts for an enterprise: one owner (proven by a record on the enterprise's own node, or approved by an
    operator or a regulator of its region), and the colleagues the owner invited. A claim waits as ``pending``."""

    __tablename__ = "enterprise_bindings"
    __table_args__ = (
        # One open claim or binding per account and enterprise, one active owner per enterprise.
        Index(
            "uq_enterprise_bindings_open",
            "enterprise_id",
            "user_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'active')"),
        ),
        Index(
            "uq_enterprise_bindings_owner",
            "enterprise_id",
            unique=True,
            postgresql_where=text("status = 'active' AND role = 'owner'"),
        ),
        Index("ix_enterprise_bindings_status", "status", "requested_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("enterprises.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    username: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    """owner | member"""
    status: Mapped[str] = mapped_column(String(16))
    """pending | active | rejected | removed"""
    method: Mapped[str | None] = mapped_column(String(16))
    """node-record | approval | invitation (how it became active)"""
    challenge: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(128))


class BindingAudit(Base):
    """Every change of who acts for an enterprise: claimed, proven, approved, rejected, invited, removed."""

    __tablename__ = "binding_audit"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    binding_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    subject_user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
