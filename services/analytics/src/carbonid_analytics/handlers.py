"""Event handlers: each applies one event to the projections inside the consumer's inbox transaction.

Every handler is idempotent on its own (inserts keyed by the fact's id, ``ON CONFLICT DO NOTHING``) besides
the inbox, and order-independent: after inserting a fact it recomputes ``is_current`` for the enterprise and
period the fact (and anything it supersedes) belongs to, from all facts received so far.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics import db
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.domain.dimensions import industry_dims, period_dims, region_dims
from carbonid_analytics.metrics import observe_applied
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EmissionCalculated, EnterpriseResolved, EvaluationCompleted
from carbonid_contracts.topics import EventType
from carbonid_kit.messaging import PermanentError

PUBLIC_EVENT_TYPES: tuple[EventType, ...] = (
    EventType.EVALUATION_COMPLETED,
    EventType.CERTIFICATE_ISSUED,
    EventType.BENCHMARK_PUBLISHED,
)
"""Events a regulator may subscribe to (webhooks). Emission calculations stay private to the platform."""


def dimension_values(region_code: str, industry_code: str, period_code: str) -> dict[str, Any]:
    """The dimension columns shared by the fact tables."""
    region = region_dims(region_code)
    industry = industry_dims(industry_code)
    try:
        period = period_dims(period_code)
    except ValueError as exc:
        raise PermanentError(str(exc)) from exc
    return {
        "region_code": region_code,
        "province_code": region.province,
        "city_code": region.city,
        "county_code": region.county,
        "industry_code": industry_code,
        "industry_section": industry.section,
        "industry_division": industry.division,
        "industry_group": industry.group,
        "industry_class": industry.klass,
        "period_code": period.code,
        "period_kind": period.kind,
        "period_year": period.year,
        "period_start": period.start,
        "period_end": period.end,
    }


@dataclass(frozen=True)
class CurrentRule:
    """How to find the current fact of an (enterprise, period) in one fact table."""

    table: Table
    id_column: str
    time_column: str
    superseded: str
    """SQL predicate, over alias ``f``, true when a received fact supersedes ``f``."""


CALCULATION_RULE = CurrentRule(
    db.calculations,
    "calculation_id",
    "confirmed_at",
    "EXISTS (SELECT 1 FROM calculations s WHERE s.supersedes = f.calculation_id)",
)
EVALUATION_RULE = CurrentRule(
    db.evaluations,
    "evaluation_id",
    "completed_at",
    "EXISTS (SELECT 1 FROM evaluations s WHERE s.supersedes = f.evaluation_id)",
)
CERTIFICATE_RULE = CurrentRule(
    db.certificates,
    "certificate_id",
    "issued_at",
    "EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.revoked_id = f.certificate_id)",
)


async def recompute_current(
    session: AsyncSession, rule: CurrentRule, key: tuple[uuid.UUID, str], others: Iterable[uuid.UUID] = ()
) -> None:
    """Set ``is_current`` for the (enterprise, period) ``key`` and for the keys of the facts ``others``.

    Current = newest by time then id among the facts of the key that nothing supersedes; at most one per key.
    Keys are bound as equalities so that every statement runs on the (enterprise, period) index.
    """
    keys = {key}
    other_ids = list(dict.fromkeys(others))
    if other_ids:
        id_column = rule.table.c[rule.id_column]
        found = await session.execute(
            select(rule.table.c.enterprise_id, rule.table.c.period_code).where(id_column.in_(other_ids))
        )
        keys |= {(row.enterprise_id, row.period_code) for row in found}
    name, idc, timec = rule.table.name, rule.id_column, rule.time_column
    statement = text(
        f"""
        WITH winner AS (
            SELECT f.{idc} AS id FROM {name} f
            WHERE f.enterprise_id = :enterprise_id AND f.period_code = :period_code AND NOT {rule.superseded}
            ORDER BY f.{timec} DESC, f.{idc} DESC
            LIMIT 1
        )
        UPDATE {name} t SET is_current = COALESCE(t.{idc} = (SELECT id FROM winner), false)
        WHERE t.enterprise_id = :enterprise_id AND t.period_code = :period_code
          AND t.is_current IS DISTINCT FROM COALESCE(t.{idc} = (SELECT id FROM winner), false)
        """  # noqa: S608 - table and column names come from the constants above, values are bound
    )
    for enterprise_id, period_code in sorted(keys):
        await session.execute(statement, {"enterprise_id": enterprise_id, "period_code": period_code})


class ProjectionHandlers:
    """The four consumers of analytics; the settings decide how webhook deliveries are queued."""

    def __init__(self, settings: AnalyticsSettings) -> None:
        self.settings = settings

    def register(self, consumers: Any) -> None:
        consumers.on(EventType.ENTERPRISE_RESOLVED, self.on_enterprise_resolved)
        consumers.on(EventType.EMISSION_CALCULATED, self.on_emission_calculated)
        consumers.on(EventType.EVALUATION_COMPLETED, self.on_evaluation_completed)
        consumers.on(EventType.CERTIFICATE_ISSUED, self.on_certificate_issued)

    async def on_enterprise_resolved(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EnterpriseResolved)
        values = {
            "enterprise_id": data.enterprise_id,
            "name": data.name,
            "identifier_prefix": data.identifier_prefix,
            "uscc": data.uscc,
            "region_code": data.region_code,
            "industry_code": data.industry_code,
            "node_type": data.node_type,
            "park": data.park,
            "resolved_at": data.resolved_at,
            "event_id": event.id,
        }
        t = db.enterprises
        stmt = insert(t).values(**values)
        newer = (stmt.excluded.resolved_at, stmt.excluded.event_id)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.c.enterprise_id],
                set_={k: stmt.excluded[k] for k in values if k != "enterprise_id"},
                where=_row_gt(newer, (t.c.resolved_at, t.c.event_id)),
            )
        )
        observe_applied("enterprises", event.time)

    async def on_emission_calculated(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EmissionCalculated)
        values = {
            "calculation_id": data.calculation_id,
            "enterprise_id": data.enterprise_id,
            "supersedes": data.supersedes,
            **dimension_values(data.region_code, data.industry_code, data.period),
            "added_value_10k_cny": data.added_value_10k_cny,
            "total_emissions_tco2": data.total_emissions_tco2,
            "net_emissions_tco2": data.net_emissions_tco2,
            "intensity_tco2_per_10k_cny": data.intensity_tco2_per_10k_cny,
            "energy_tce": data.energy_tce,
            "neutralisation_tco2": data.reductions.neutralisation_tco2,
            "factor_set_version": data.factor_set_version,
            "confirmed_at": data.confirmed_at,
        }
        inserted = await session.execute(
            insert(db.calculations)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(db.calculations.c.calculation_id)
        )
        if inserted.first() is not None:
            carriers: dict[str, list[Decimal]] = {}
            for line in data.by_carrier:
                acc = carriers.setdefault(line.carrier, [Decimal(0), Decimal(0)])
                acc[0] += line.emissions_tco2
                acc[1] += line.energy_tce
            if carriers:
                await session.execute(
                    insert(db.calculation_carriers),
                    [
                        {"calculation_id": data.calculation_id, "carrier": c, "emissions_tco2": e, "energy_tce": tce}
                        for c, (e, tce) in carriers.items()
                    ],
                )
        others = [data.supersedes] if data.supersedes else []
        await recompute_current(session, CALCULATION_RULE, (data.enterprise_id, data.period), others)
        observe_applied("calculations", event.time)

    async def on_evaluation_completed(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EvaluationCompleted)
        values = {
            "evaluation_id": data.evaluation_id,
            "enterprise_id": data.enterprise_id,
            "supersedes": data.supersedes,
            "calculation_id": data.calculation_id,
            "enterprise_name": data.enterprise_name,
            **dimension_values(data.region_code, data.industry_code, data.period),
            "total_emissions_tco2": data.total_emissions_tco2,
            "net_emissions_tco2": data.net_emissions_tco2,
            "intensity_tco2_per_10k_cny": data.intensity_tco2_per_10k_cny,
            "benchmark_intensity_tco2_per_10k_cny": data.benchmark_intensity_tco2_per_10k_cny,
            "efficiency_value_k": data.efficiency_value_k,
            "grade": data.grade,
            "level": data.level,
            "neutralisation_rate": data.neutralisation_rate,
            "rule_set_version": data.rule_set_version,
            "benchmark_version": data.benchmark_version,
            "completed_at": data.completed_at,
        }
        await session.execute(insert(db.evaluations).values(**values).on_conflict_do_nothing())
        others = [data.supersedes] if data.supersedes else []
        await recompute_current(session, EVALUATION_RULE, (data.enterprise_id, data.period), others)
        await self.enqueue_webhooks(session, event, data.region_code)
        observe_applied("evaluations", event.time)

    async def on_certificate_issued(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, CertificateIssued)
        values = {
            "certificate_id": data.certificate_id,
            "enterprise_id": data.enterprise_id,
            "evaluation_id": data.evaluation_id,
            "certificate_code": data.certificate_code,
            **dimension_values(data.region_code, data.industry_code, data.period),
            "grade": data.grade,
            "level": data.level,
            "handle": data.handle,
            "url": data.url,
            "issued_at": data.issued_at,
            "valid_until": data.valid_until,
        }
        await session.execute(insert(db.certificates).values(**values).on_conflict_do_nothing())
        if data.revokes:
            await session.execute(
                insert(db.certificate_revocations).on_conflict_do_nothing(),
                [{"revoked_id": r, "revoking_id": data.certificate_id} for r in data.revokes],
            )
        await recompute_current(session, CERTIFICATE_RULE, (data.enterprise_id, data.period), data.revokes)
        await self.enqueue_webhooks(session, event, data.region_code)
        observe_applied("certificates", event.time)

    async def enqueue_webhooks(self, session: AsyncSession, event: CloudEvent, region_code: str) -> None:
        """Queue a delivery for every active subscription to this event type whose region holds the event.

        Written in the projection's transaction; unique per (subscription, event), so a redelivery or a
        rebuild queues nothing twice; subscriptions made after the event happened do not get it.
        """
        await enqueue_deliveries(session, event, region_code, dead_after=self.settings.webhook_max_attempts)


def webhook_body(event: CloudEvent) -> bytes:
    """The Standard Webhooks payload: ``{"type", "timestamp", "data"}`` (plus the CloudEvents id and source)."""
    document = {
        "type": event.type.value,
        "timestamp": event.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "id": str(event.id),
        "source": event.source,
        "subject": event.subject,
        "data": json.loads(event.value()),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


async def enqueue_deliveries(session: AsyncSession, event: CloudEvent, region_code: str, *, dead_after: int) -> None:
    s = db.webhook_subscriptions
    d = db.webhook_deliveries
    now = datetime.now(UTC)
    candidates = select(s.c.subscription_id).where(
        s.c.active,
        s.c.event_types.contains([event.type.value]),
        literal(region_code).startswith(s.c.region_prefix),
        s.c.created_at <= event.time,
    )
    rows = (await session.execute(candidates)).all()
    if not rows:
        return
    body = webhook_body(event)
    await session.execute(
        insert(d).on_conflict_do_nothing(),
        [
            {
                "delivery_id": uuid.uuid4(),
                "subscription_id": row.subscription_id,
                "event_id": event.id,
                "event_type": event.type.value,
                "region_code": region_code,
                "body": body,
                "status": "pending",
                "attempts": 0,
                "dead_after": dead_after,
                "next_attempt_at": now,
            }
            for row in rows
        ],
    )


def _row_gt(left: tuple[Any, Any], right: tuple[Any, Any]) -> Any:
    return tuple_(*left) > tuple_(*right)
