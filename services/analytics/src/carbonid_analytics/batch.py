"""Set-wise application of many events in one transaction: the fast path for rebuilds and bulk replays.

It produces exactly the state the per-event handlers produce (the state is a function of the set of received
events; ``tests/service/test_batch_equivalence.py`` checks it table by table): the inbox is claimed for the
whole batch in one statement, facts are inserted with multi-row statements, and ``is_current`` is recomputed
once per affected (enterprise, period). The kit's consumer hands records to per-event handlers only; a batch
handler hook in ``EventConsumers`` would let the live consumer use this path too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics import db
from carbonid_analytics.handlers import (
    CALCULATION_RULE,
    CERTIFICATE_RULE,
    EVALUATION_RULE,
    CurrentRule,
    dimension_values,
    webhook_body,
)
from carbonid_analytics.metrics import observe_applied
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EmissionCalculated, EnterpriseResolved, EvaluationCompleted

Key = tuple[uuid.UUID, str]


async def recompute_keys(session: AsyncSession, rule: CurrentRule, keys: set[Key]) -> None:
    if not keys:
        return
    name, idc, timec = rule.table.name, rule.id_column, rule.time_column
    ordered = sorted(keys)
    statement = text(
        f"""
        WITH keys AS (
            SELECT * FROM unnest(CAST(:enterprises AS uuid[]), CAST(:periods AS varchar[]))
                AS k(enterprise_id, period_code)
        ), winners AS (
            SELECT DISTINCT ON (f.enterprise_id, f.period_code) f.enterprise_id, f.period_code, f.{idc} AS winner
            FROM {name} f JOIN keys k ON f.enterprise_id = k.enterprise_id AND f.period_code = k.period_code
            WHERE NOT {rule.superseded}
            ORDER BY f.enterprise_id, f.period_code, f.{timec} DESC, f.{idc} DESC
        )
        UPDATE {name} t SET is_current = COALESCE(t.{idc} = w.winner, false)
        FROM keys k LEFT JOIN winners w ON w.enterprise_id = k.enterprise_id AND w.period_code = k.period_code
        WHERE t.enterprise_id = k.enterprise_id AND t.period_code = k.period_code
          AND t.is_current IS DISTINCT FROM COALESCE(t.{idc} = w.winner, false)
        """  # noqa: S608 - names from constants, values bound
    )
    await session.execute(statement, {"enterprises": [k[0] for k in ordered], "periods": [k[1] for k in ordered]})


async def _keys_of(session: AsyncSession, rule: CurrentRule, ids: set[uuid.UUID]) -> set[Key]:
    if not ids:
        return set()
    t = rule.table
    rows = await session.execute(select(t.c.enterprise_id, t.c.period_code).where(t.c[rule.id_column].in_(ids)))
    return {(r.enterprise_id, r.period_code) for r in rows}


async def apply_batch(session: AsyncSession, events: Sequence[CloudEvent], *, dead_after: int) -> int:
    """Apply the events not yet in the inbox; returns how many were new."""
    unique = {e.id: e for e in events}
    if not unique:
        return 0
    # executemany form throughout: SQLAlchemy batches it ("insertmanyvalues") with a cached statement,
    # where a multi-row .values() would be compiled anew for every batch.
    claimed = await session.execute(
        insert(db.inbox).on_conflict_do_nothing().returning(db.inbox.c.event_id),
        [{"event_id": e.id, "event_type": e.type.value} for e in unique.values()],
    )
    fresh = [unique[i] for i in claimed.scalars()]
    by_type: dict[type, list[CloudEvent]] = defaultdict(list)
    for event in fresh:
        by_type[type(event.data)].append(event)
    await _enterprises(session, by_type[EnterpriseResolved])
    await _calculations(session, by_type[EmissionCalculated])
    await _evaluations(session, by_type[EvaluationCompleted])
    await _certificates(session, by_type[CertificateIssued])
    await _webhooks(session, by_type[EvaluationCompleted] + by_type[CertificateIssued], dead_after)
    for projection, kind in (
        ("enterprises", EnterpriseResolved),
        ("calculations", EmissionCalculated),
        ("evaluations", EvaluationCompleted),
        ("certificates", CertificateIssued),
    ):
        if by_type[kind]:
            observe_applied(projection, max(e.time for e in by_type[kind]))
    return len(fresh)


async def _enterprises(session: AsyncSession, events: list[CloudEvent]) -> None:
    newest: dict[uuid.UUID, CloudEvent] = {}
    for event in events:
        data = event.data
        assert isinstance(data, EnterpriseResolved)
        held = newest.get(data.enterprise_id)
        if held is None or (data.resolved_at, event.id) > (held.data.resolved_at, held.id):  # type: ignore[attr-defined]
            newest[data.enterprise_id] = event
    if not newest:
        return
    rows = []
    for event in newest.values():
        data = event.data
        assert isinstance(data, EnterpriseResolved)
        rows.append(
            {
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
        )
    t = db.enterprises
    stmt = insert(t)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.enterprise_id],
            set_={k: stmt.excluded[k] for k in rows[0] if k != "enterprise_id"},
            where=tuple_(stmt.excluded.resolved_at, stmt.excluded.event_id) > tuple_(t.c.resolved_at, t.c.event_id),
        ),
        rows,
    )


async def _insert_new(session: AsyncSession, table: Any, rows: list[dict[str, Any]], id_column: str) -> set[Any]:
    if not rows:
        return set()
    result = await session.execute(insert(table).on_conflict_do_nothing().returning(table.c[id_column]), rows)
    return set(result.scalars())


async def _calculations(session: AsyncSession, events: list[CloudEvent]) -> None:
    datas = [e.data for e in events if isinstance(e.data, EmissionCalculated)]
    rows = [
        {
            "calculation_id": d.calculation_id,
            "enterprise_id": d.enterprise_id,
            "supersedes": d.supersedes,
            **dimension_values(d.region_code, d.industry_code, d.period),
            "added_value_10k_cny": d.added_value_10k_cny,
            "total_emissions_tco2": d.total_emissions_tco2,
            "net_emissions_tco2": d.net_emissions_tco2,
            "intensity_tco2_per_10k_cny": d.intensity_tco2_per_10k_cny,
            "energy_tce": d.energy_tce,
            "neutralisation_tco2": d.reductions.neutralisation_tco2,
            "factor_set_version": d.factor_set_version,
            "confirmed_at": d.confirmed_at,
        }
        for d in {d.calculation_id: d for d in datas}.values()
    ]
    inserted = await _insert_new(session, db.calculations, rows, "calculation_id")
    carriers = []
    for d in datas:
        if d.calculation_id not in inserted:
            continue
        inserted.discard(d.calculation_id)  # once per calculation
        acc: dict[str, list[Decimal]] = {}
        for line in d.by_carrier:
            pair = acc.setdefault(line.carrier, [Decimal(0), Decimal(0)])
            pair[0] += line.emissions_tco2
            pair[1] += line.energy_tce
        carriers += [
            {"calculation_id": d.calculation_id, "carrier": c, "emissions_tco2": e, "energy_tce": tce}
            for c, (e, tce) in acc.items()
        ]
    if carriers:
        await session.execute(insert(db.calculation_carriers).on_conflict_do_nothing(), carriers)
    keys = {(d.enterprise_id, d.period) for d in datas}
    keys |= await _keys_of(session, CALCULATION_RULE, {d.supersedes for d in datas if d.supersedes})
    await recompute_keys(session, CALCULATION_RULE, keys)


async def _evaluations(session: AsyncSession, events: list[CloudEvent]) -> None:
    datas = [e.data for e in events if isinstance(e.data, EvaluationCompleted)]
    rows = [
        {
            "evaluation_id": d.evaluation_id,
            "enterprise_id": d.enterprise_id,
            "supersedes": d.supersedes,
            "calculation_id": d.calculation_id,
            "enterprise_name": d.enterprise_name,
            **dimension_values(d.region_code, d.industry_code, d.period),
            "total_emissions_tco2": d.total_emissions_tco2,
            "net_emissions_tco2": d.net_emissions_tco2,
            "intensity_tco2_per_10k_cny": d.intensity_tco2_per_10k_cny,
            "benchmark_intensity_tco2_per_10k_cny": d.benchmark_intensity_tco2_per_10k_cny,
            "efficiency_value_k": d.efficiency_value_k,
            "grade": d.grade,
            "level": d.level,
            "neutralisation_rate": d.neutralisation_rate,
            "rule_set_version": d.rule_set_version,
            "benchmark_version": d.benchmark_version,
            "completed_at": d.completed_at,
        }
        for d in {d.evaluation_id: d for d in datas}.values()
    ]
    await _insert_new(session, db.evaluations, rows, "evaluation_id")
    keys = {(d.enterprise_id, d.period) for d in datas}
    keys |= await _keys_of(session, EVALUATION_RULE, {d.supersedes for d in datas if d.supersedes})
    await recompute_keys(session, EVALUATION_RULE, keys)


async def _certificates(session: AsyncSession, events: list[CloudEvent]) -> None:
    datas = [e.data for e in events if isinstance(e.data, CertificateIssued)]
    rows = [
        {
            "certificate_id": d.certificate_id,
            "enterprise_id": d.enterprise_id,
            "evaluation_id": d.evaluation_id,
            "certificate_code": d.certificate_code,
            **dimension_values(d.region_code, d.industry_code, d.period),
            "grade": d.grade,
            "level": d.level,
            "handle": d.handle,
            "url": d.url,
            "issued_at": d.issued_at,
            "valid_until": d.valid_until,
        }
        for d in {d.certificate_id: d for d in datas}.values()
    ]
    await _insert_new(session, db.certificates, rows, "certificate_id")
    revocations = {(r, d.certificate_id) for d in datas for r in d.revokes}
    if revocations:
        await session.execute(
            insert(db.certificate_revocations).on_conflict_do_nothing(),
            [{"revoked_id": r, "revoking_id": c} for r, c in sorted(revocations)],
        )
    keys = {(d.enterprise_id, d.period) for d in datas}
    keys |= await _keys_of(session, CERTIFICATE_RULE, {r for r, _ in revocations})
    await recompute_keys(session, CERTIFICATE_RULE, keys)


async def _webhooks(session: AsyncSession, events: list[CloudEvent], dead_after: int) -> None:
    if not events:
        return
    s = db.webhook_subscriptions
    subscriptions = (
        await session.execute(
            select(s.c.subscription_id, s.c.event_types, s.c.region_prefix, s.c.created_at).where(s.c.active)
        )
    ).all()
    if not subscriptions:
        return
    now = datetime.now(UTC)
    rows = []
    for event in events:
        region = getattr(event.data, "region_code", "")
        for sub in subscriptions:
            if (
                event.type.value in sub.event_types
                and region.startswith(sub.region_prefix)
                and sub.created_at <= event.time
            ):
                rows.append(
                    {
                        "delivery_id": uuid.uuid4(),
                        "subscription_id": sub.subscription_id,
                        "event_id": event.id,
                        "event_type": event.type.value,
                        "region_code": region,
                        "body": webhook_body(event),
                        "status": "pending",
                        "attempts": 0,
                        "dead_after": dead_after,
                        "next_attempt_at": now,
                    }
                )
    if rows:
        await session.execute(insert(db.webhook_deliveries).on_conflict_do_nothing(), rows)
