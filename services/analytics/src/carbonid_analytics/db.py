"""Analytics tables: projection facts (rebuildable from the topics), benchmark sets, webhook subscriptions.

Projection tables hold every received fact with an ``is_current`` flag: the current fact of an enterprise and
period is the newest one (``confirmed_at``/``completed_at``/``issued_at``, tie-broken by id) that no received
fact supersedes (``supersedes`` / ``revokes``). The flag is a function of the *set* of received events, so
duplicates and any delivery order converge to the same state, and a rebuild from the topics reproduces it.

Rollups (``*_rollups``) hold the sums of the current facts per period × region × industry × identifier node
type × park (the finest grain of every dashboard filter), maintained in the transaction that flips
``is_current`` or moves an enterprise to another node type or park; dashboards aggregate them instead of the
facts. They are projections too: a function of the facts and the enterprise profiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from carbonid_kit.db import ServiceBase, new_metadata
from carbonid_kit.messaging import inbox_table, outbox_table

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Base(ServiceBase):
    __abstract__ = True  # the tables are Core tables on this metadata; no mapped classes
    metadata = new_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
md = Base.metadata


def _region_columns() -> list[Column[str]]:
    return [
        Column("region_code", String(6), nullable=False),
        Column("province_code", String(6), nullable=False),
        Column("city_code", String(6)),
        Column("county_code", String(6)),
    ]


def _industry_columns() -> list[Column[str]]:
    return [
        Column("industry_code", String(4), nullable=False),
        Column("industry_section", String(1)),
        Column("industry_division", String(2)),
        Column("industry_group", String(3)),
        Column("industry_class", String(4)),
    ]


def _period_columns() -> list[Column[object]]:
    return [
        Column("period_code", String(7), nullable=False),
        Column("period_kind", String(8), nullable=False),
        Column("period_year", Integer, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
    ]


enterprises = Table(
    "enterprises",
    md,
    Column("enterprise_id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("identifier_prefix", String(128), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry_code", String(4), nullable=False),
    Column("node_type", String(16), nullable=False),
    Column("park", String(200)),
    Column("resolved_at", DateTime(timezone=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Index("ix_enterprises_node_type", "node_type"),
    Index("ix_enterprises_park", "park"),
)

calculations = Table(
    "calculations",
    md,
    Column("calculation_id", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False),
    Column("supersedes", UUID(as_uuid=True)),
    Column("is_current", Boolean, nullable=False, server_default=text("false")),
    *_region_columns(),
    *_industry_columns(),
    *_period_columns(),
    Column("added_value_10k_cny", Numeric, nullable=False),
    Column("total_emissions_tco2", Numeric, nullable=False),
    Column("net_emissions_tco2", Numeric, nullable=False),
    Column("intensity_tco2_per_10k_cny", Numeric, nullable=False),
    Column("energy_tce", Numeric, nullable=False),
    Column("neutralisation_tco2", Numeric, nullable=False),
    Column("factor_set_version", String(64), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=False),
    Index("ix_calculations_enterprise_period", "enterprise_id", "period_code"),
    Index("ix_calculations_supersedes", "supersedes"),
    Index(
        "ix_calculations_current_period",
        "period_kind",
        "period_code",
        "region_code",
        postgresql_where=text("is_current"),
    ),
    Index("ix_calculations_current_year", "period_year", "region_code", postgresql_where=text("is_current")),
    # region scopes are prefixes (LIKE '33%'): only a pattern-ops btree serves them under a non-C collation
    Index(
        "ix_calculations_current_period_region_prefix",
        "period_code",
        text("region_code varchar_pattern_ops"),
        postgresql_where=text("is_current"),
    ),
)

calculation_carriers = Table(
    "calculation_carriers",
    md,
    Column("calculation_id", UUID(as_uuid=True), primary_key=True),
    Column("carrier", String(32), primary_key=True),
    Column("emissions_tco2", Numeric, nullable=False),
    Column("energy_tce", Numeric, nullable=False),
)

evaluations = Table(
    "evaluations",
    md,
    Column("evaluation_id", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False),
    Column("supersedes", UUID(as_uuid=True)),
    Column("calculation_id", UUID(as_uuid=True), nullable=False),
    Column("is_current", Boolean, nullable=False, server_default=text("false")),
    Column("enterprise_name", String(200)),
    *_region_columns(),
    *_industry_columns(),
    *_period_columns(),
    Column("total_emissions_tco2", Numeric, nullable=False),
    Column("net_emissions_tco2", Numeric, nullable=False),
    Column("intensity_tco2_per_10k_cny", Numeric, nullable=False),
    Column("benchmark_intensity_tco2_per_10k_cny", Numeric, nullable=False),
    Column("efficiency_value_k", Numeric, nullable=False),
    Column("grade", SmallInteger, nullable=False),
    Column("level", String(8), nullable=False),
    Column("neutralisation_rate", Numeric, nullable=False),
    Column("rule_set_version", String(64), nullable=False),
    Column("benchmark_version", String(64), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    Index("ix_evaluations_enterprise_period", "enterprise_id", "period_code"),
    Index("ix_evaluations_supersedes", "supersedes"),
    Index(
        "ix_evaluations_current_period",
        "period_kind",
        "period_code",
        "region_code",
        postgresql_where=text("is_current"),
    ),
    Index(
        "ix_evaluations_current_period_region_prefix",
        "period_code",
        text("region_code varchar_pattern_ops"),
        postgresql_where=text("is_current"),
    ),
)

certificates = Table(
    "certificates",
    md,
    Column("certificate_id", UUID(as_uuid=True), primary_key=True),
    Column("enterprise_id", UUID(as_uuid=True), nullable=False),
    Column("evaluation_id", UUID(as_uuid=True), nullable=False),
    Column("certificate_code", String(128), nullable=False),
    Column("is_current", Boolean, nullable=False, server_default=text("false")),
    *_region_columns(),
    *_industry_columns(),
    *_period_columns(),
    Column("grade", SmallInteger, nullable=False),
    Column("level", String(8), nullable=False),
    Column("handle", String(255), nullable=False),
    Column("url", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("valid_until", Date, nullable=False),
    Index("ix_certificates_enterprise_period", "enterprise_id", "period_code"),
    Index(
        "ix_certificates_current_period",
        "period_kind",
        "period_code",
        "region_code",
        postgresql_where=text("is_current"),
    ),
)

certificate_revocations = Table(
    "certificate_revocations",
    md,
    Column("revoked_id", UUID(as_uuid=True), primary_key=True),
    Column("revoking_id", UUID(as_uuid=True), primary_key=True),
)

# Which consumer group generation this deployment reads with; a rebuild moves to the next one (fresh group
# id, so the broker replays every topic from the earliest offset). Survives rebuilds; one row.
consumer_generation = Table(
    "consumer_generation",
    md,
    Column("id", SmallInteger, primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_by", String(200)),
)


def _rollup_key_columns() -> list[Column[Any]]:
    """The grain of the rollups: the dimension columns of the facts, plus the enterprise's node type and park
    (``unknown`` / NULL while no ``enterprise.resolved`` was received, as the dashboards' outer join has it)."""
    return [
        *_period_columns(),
        *_region_columns(),
        *_industry_columns(),
        Column("node_type", String(16), nullable=False),
        Column("park", String(200)),
    ]


ROLLUP_KEY = ("period_code", "region_code", "industry_code", "node_type", "park")
"""The columns that identify a rollup row (the other dimension columns follow from the codes)."""


def _rollup_indexes(name: str, *extra: str) -> list[Index]:
    return [Index(f"ux_{name}_key", *ROLLUP_KEY, *extra, unique=True, postgresql_nulls_not_distinct=True)]


def _rollup_id() -> Column[int]:
    return Column("rollup_id", BigInteger, Identity(always=True), primary_key=True)


calculation_rollups = Table(
    "calculation_rollups",
    md,
    _rollup_id(),
    *_rollup_key_columns(),
    Column("facts", Integer, nullable=False, doc="current calculations = enterprises (one per period)"),
    Column("total_emissions_tco2", Numeric, nullable=False),
    Column("net_emissions_tco2", Numeric, nullable=False),
    Column("energy_tce", Numeric, nullable=False),
    Column("valued_facts", Integer, nullable=False, doc="current calculations with a positive added value"),
    Column("valued_emissions_tco2", Numeric, nullable=False, doc="Σ gross emissions where added value > 0"),
    Column("added_value_10k_cny", Numeric, nullable=False, doc="Σ added value where added value > 0"),
    *_rollup_indexes("calculation_rollups"),
)

carrier_rollups = Table(
    "carrier_rollups",
    md,
    _rollup_id(),
    *_rollup_key_columns(),
    Column("carrier", String(32), nullable=False),
    Column("facts", Integer, nullable=False),
    Column("emissions_tco2", Numeric, nullable=False),
    Column("energy_tce", Numeric, nullable=False),
    *_rollup_indexes("carrier_rollups", "carrier"),
)

evaluation_rollups = Table(
    "evaluation_rollups",
    md,
    _rollup_id(),
    *_rollup_key_columns(),
    Column("grade", SmallInteger, nullable=False),
    Column("level", String(8), nullable=False),
    Column("facts", Integer, nullable=False),
    *_rollup_indexes("evaluation_rollups", "grade", "level"),
)

certificate_rollups = Table(
    "certificate_rollups",
    md,
    _rollup_id(),
    *_rollup_key_columns(),
    Column("facts", Integer, nullable=False),
    *_rollup_indexes("certificate_rollups"),
)

ROLLUP_TABLES: tuple[Table, ...] = (calculation_rollups, carrier_rollups, evaluation_rollups, certificate_rollups)

PROJECTION_TABLES: tuple[Table, ...] = (
    enterprises,
    calculations,
    calculation_carriers,
    evaluations,
    certificates,
    certificate_revocations,
    *ROLLUP_TABLES,
)

benchmark_sets = Table(
    "benchmark_sets",
    md,
    Column("benchmark_set_id", UUID(as_uuid=True), primary_key=True),
    Column("version", String(64), nullable=False, unique=True),
    Column("region_scope", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("industry_levels", ARRAY(String(16)), nullable=False),
    Column("min_sample", Integer, nullable=False),
    Column("method", String(64), nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_by_user", UUID(as_uuid=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Index("ix_benchmark_sets_scope_year", "region_scope", "year", "sequence", unique=True),
)

benchmark_entries = Table(
    "benchmark_entries",
    md,
    Column(
        "benchmark_set_id",
        UUID(as_uuid=True),
        ForeignKey("benchmark_sets.benchmark_set_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("industry_code", String(4), primary_key=True),
    Column("region_scope", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("intensity_tco2_per_10k_cny", Numeric, nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("total_emissions_tco2", Numeric, nullable=False),
    Column("total_added_value_10k_cny", Numeric, nullable=False),
    Column("method", String(64), nullable=False),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    md,
    Column("subscription_id", UUID(as_uuid=True), primary_key=True),
    Column("owner_user_id", UUID(as_uuid=True), nullable=False),
    Column("owner_name", String(200), nullable=False),
    Column("region_scope", String(6), nullable=False),
    Column("region_prefix", String(6), nullable=False, doc="'' for the national scope"),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(String(128)), nullable=False),
    Column("description", String(500)),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Index("ix_webhook_subscriptions_region_scope", "region_scope"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    md,
    Column("delivery_id", UUID(as_uuid=True), primary_key=True),
    Column(
        "subscription_id",
        UUID(as_uuid=True),
        ForeignKey("webhook_subscriptions.subscription_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", String(128), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, doc="pending | delivered | dead | cancelled"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("dead_after", Integer, nullable=False, doc="attempt count at which the delivery is dead"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_subscription_event", "subscription_id", "event_id", unique=True),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)

webhook_attempts = Table(
    "webhook_attempts",
    md,
    Column(
        "delivery_id",
        UUID(as_uuid=True),
        ForeignKey("webhook_deliveries.delivery_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("attempt", Integer, primary_key=True),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)
