"""Metering tables: gateways, devices, readings, quarantine, hourly and daily aggregates, days to publish.

``readings`` is keyed by (device, device timestamp): the natural key makes a replay or a duplicate change
nothing, whatever channel it came through. A cumulative register's reading keeps its canonical register value
(``register``) and the consumption since the previous reading (``quantity``); an interval reading's quantity
is its value converted. Aggregates are recomputed from ``readings`` for exactly the hours and days a batch
touched, in the batch's transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from carbonid_kit.db import ServiceBase, new_metadata
from carbonid_kit.messaging import inbox_table, outbox_table

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


metadata = Base.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

gateways = Table(
    "gateways",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("enterprise_prefix", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_sha256", LargeBinary(32), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("created_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True)),
)

devices = Table(
    "devices",
    metadata,
    Column("identifier", String(256), primary_key=True),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("enterprise_prefix", String(128), nullable=False),
    Column("enterprise_name", String(200), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("source_code", String(64), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("canonical_unit", String(16), nullable=False),
    Column("multiplier", Numeric, nullable=False),
    Column("register_kind", String(16), nullable=False),
    Column("register_max", Numeric, comment="a cumulative register's rollover value, canonical unit"),
    Column("rated_max_per_hour", Numeric, nullable=False, comment="canonical unit per hour"),
    Column("interval_seconds", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("node", String(255), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=False),
)

readings = Table(
    "readings",
    metadata,
    Column("device", String(256), primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("value", Numeric, nullable=False, comment="as reported"),
    Column("unit", String(16), nullable=False),
    Column("quality", String(16), nullable=False),
    Column("register", Numeric, comment="cumulative registers: the value in the canonical unit"),
    Column("quantity", Numeric, comment="consumption of the interval ending at ts, canonical unit"),
    Column("flag", String(16), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("device", String(256), nullable=False),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("value", Numeric, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quality", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", Text),
    Column("channel", String(8), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("device", "ts", "reason", "value", "unit"),
    Index("ix_quarantine_enterprise_ts", "enterprise_id", "ts"),
    Index("ix_quarantine_region_ts", "region_code", "ts"),
)

device_hours = Table(
    "device_hours",
    metadata,
    Column("device", String(256), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True, comment="start of the hour (UTC)"),
    Column("quantity", Numeric, nullable=False),
    Column("readings", Integer, nullable=False),
)

device_days = Table(
    "device_days",
    metadata,
    Column("device", String(256), primary_key=True),
    Column("day", Date, primary_key=True, comment="China Standard Time day"),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("source_code", String(64), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("readings", Integer, nullable=False),
    Column("expected", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_device_days_enterprise_day", "enterprise_id", "day"),
    Index("ix_device_days_region_day", "region_code", "day"),
)

days_to_publish = Table(
    "days_to_publish",
    metadata,
    Column("enterprise_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

day_revisions = Table(
    "day_revisions",
    metadata,
    Column("enterprise_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)
