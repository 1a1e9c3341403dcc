"""Applying events to the projections: one set-wise code path for the live consumer, rebuilds and replays.

The kit's consumer hands a batch's new events to ``apply_new`` in one transaction (``EventConsumers.
subscribe_batch``; after a failure of the whole batch, one event at a time, so that only the event at fault is
dead-lettered); ``apply_batch`` claims the inbox itself first, for bulk application without Kafka. Facts are
inserted with multi-row statements keyed by their id (``ON CONFLICT DO NOTHING``), ``is_current`` is recomputed
once per affected (enterprise, period) from all facts received so far, and the rollups are shifted by the
facts whose flag flipped and by the enterprises whose node type or park changed. Every step depends only on
the set of received events, so duplicates, delivery order and batching all converge to the same state
(``tests/service/test_batch_equivalence.py``).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics import db
from carbonid_analytics.domain.dimensions import industry_dims, period_dims, region_dims
from carbonid_analytics.metrics import observe_applied
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EmissionCalculated, EnterpriseResolved, EvaluationCompleted
from carbonid_kit.messaging import PermanentError

Key = tuple[uuid.UUID, str]
UNKNOWN_NODE_TYPE = "unknown"
"""The node type of an enterprise whose profile has not been received (as the dashboards' outer join has it)."""


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
    """How to find the current fact of an (enterprise, period) in one fact table, and what it rolls up into."""

    table: Table
    id_column: str
    time_column: str
    superseded: str
    """SQL predicate, over alias ``f``, true when a received fact supersedes ``f``."""
    rollups: tuple[Rollup, ...]


@dataclass(frozen=True)
class Rollup:
    """A rollup table over one fact table: its extra key columns and its measures, as SQL over alias ``f``."""

    table: Table
    join: str
    """Further tables joined to the fact ``f`` (e.g. the calculation's carriers)."""
    extra: dict[str, str]
    """Key columns besides the dimensions: column → SQL expression."""
    measures: dict[str, str]
    """Additive columns: column → SQL expression of one fact's contribution (multiplied by ±1)."""


DIMENSION_COLUMNS = (
    *("period_code", "period_kind", "period_year", "period_start", "period_end"),
    *("region_code", "province_code", "city_code", "county_code"),
    *("industry_code", "industry_section", "industry_division", "industry_group", "industry_class"),
)
"""The dimension columns a rollup row copies from its facts (all follow from the three codes)."""

CALCULATION_RULE = CurrentRule(
    db.calculations,
    "calculation_id",
    "confirmed_at",
    "EXISTS (SELECT 1 FROM calculations s WHERE s.supersedes = f.calculation_id)",
    (
        Rollup(
            db.calculation_rollups,
            "",
            {},
            {
                "facts": "1",
                "total_emissions_tco2": "f.total_emissions_tco2",
                "net_emissions_tco2": "f.net_emissions_tco2",
                "energy_tce": "f.energy_tce",
                "valued_facts": "CASE WHEN f.added_value_10k_cny > 0 THEN 1 ELSE 0 END",
                "valued_emissions_tco2": "CASE WHEN f.added_value_10k_cny > 0 THEN f.total_emissions_tco2 ELSE 0 END",
                "added_value_10k_cny": "CASE WHEN f.added_value_10k_cny > 0 THEN f.added_value_10k_cny ELSE 0 END",
            },
        ),
        Rollup(
            db.carrier_rollups,
            "JOIN calculation_carriers c ON c.calculation_id = f.calculation_id",
            {"carrier": "c.carrier"},
            {"facts": "1", "emissions_tco2": "c.emissions_tco2", "energy_tce": "c.energy_tce"},
        ),
    ),
)
EVALUATION_RULE = CurrentRule(
    db.evaluations,
    "evaluation_id",
    "completed_at",
    "EXISTS (SELECT 1 FROM evaluations s WHERE s.supersedes = f.evaluation_id)",
    (Rollup(db.evaluation_rollups, "", {"grade": "f.grade", "level": "f.level"}, {"facts": "1"}),),
)
CERTIFICATE_RULE = CurrentRule(
    db.certificates,
    "certificate_id",
    "issued_at",
    "EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.revoked_id = f.certificate_id)",
    (Rollup(db.certificate_rollups, "", {}, {"facts": "1"}),),
)
RULES = (CALCULATION_RULE, EVALUATION_RULE, CERTIFICATE_RULE)


@dataclass
class Shifts:
    """Facts entering (+1) or leaving (−1) the rollups in this transaction, applied together at the end.

    ``profile`` is the (node type, park) the fact leaves from when the enterprise moved; otherwise the
    enterprise's profile at the end of the transaction is used (the one it is counted under from then on).
    """

    ids: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    signs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    explicit: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    node_types: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    parks: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))

    def add(self, rule: CurrentRule, fact_id: uuid.UUID, sign: int, profile: tuple[str, str | None] | None) -> None:
        name = rule.table.name
        self.ids[name].append(fact_id)
        self.signs[name].append(sign)
        self.explicit[name].append(profile is not None)
        self.node_types[name].append(profile[0] if profile else None)
        self.parks[name].append(profile[1] if profile else None)


def _shift_statement(rule: CurrentRule, rollup: Rollup) -> Any:
    dims = ", ".join(f"f.{c}" for c in DIMENSION_COLUMNS)
    node_type = f"CASE WHEN d.explicit THEN d.node_type ELSE COALESCE(e.node_type, '{UNKNOWN_NODE_TYPE}') END"
    park = "CASE WHEN d.explicit THEN d.park ELSE e.park END"
    extra_names = "".join(f", {k}" for k in rollup.extra)
    extra_values = "".join(f", {v}" for v in rollup.extra.values())
    measure_names = ", ".join(rollup.measures)
    sums = ", ".join(f"SUM(d.sign * ({v}))" for v in rollup.measures.values())
    key = ", ".join((*db.ROLLUP_KEY, *rollup.extra))
    updates = ", ".join(f"{m} = {rollup.table.name}.{m} + EXCLUDED.{m}" for m in rollup.measures)
    group_size = len(DIMENSION_COLUMNS) + 2 + len(rollup.extra)
    return text(
        f"""
        INSERT INTO {rollup.table.name} ({", ".join(DIMENSION_COLUMNS)}, node_type, park{extra_names}, {measure_names})
        SELECT {dims}, {node_type}, {park}{extra_values}, {sums}
        FROM unnest(CAST(:ids AS uuid[]), CAST(:signs AS int[]), CAST(:explicit AS boolean[]),
                    CAST(:node_types AS varchar[]), CAST(:parks AS varchar[]))
             AS d(id, sign, explicit, node_type, park)
        JOIN {rule.table.name} f ON f.{rule.id_column} = d.id
        {rollup.join}
        LEFT JOIN enterprises e ON e.enterprise_id = f.enterprise_id
        GROUP BY {", ".join(str(i) for i in range(1, group_size + 1))}
        ORDER BY {", ".join(str(i) for i in range(1, group_size + 1))}
        ON CONFLICT ({key}) DO UPDATE SET {updates}
        RETURNING rollup_id, facts
        """  # noqa: S608 - names from constants, values bound
    )


SHIFT_STATEMENTS = {(r.table.name, u.table.name): _shift_statement(r, u) for r in RULES for u in r.rollups}


async def apply_shifts(session: AsyncSession, shifts: Shifts) -> None:
    """Add the shifted facts' measures to their rollup rows and drop the rows no current fact is left in.

    Each rollup table is written by one statement per transaction, its rows in key order, and only rows that
    statement locked are deleted, so concurrent consumers (replicas, a rebuild) lock rollup rows in one order
    and wait for each other rather than deadlock; the increments commute, so the result is the same.
    """
    for rule in RULES:
        name = rule.table.name
        if not shifts.ids[name]:
            continue
        params = {
            "ids": shifts.ids[name],
            "signs": shifts.signs[name],
            "explicit": shifts.explicit[name],
            "node_types": shifts.node_types[name],
            "parks": shifts.parks[name],
        }
        for rollup in rule.rollups:
            shifted = await session.execute(SHIFT_STATEMENTS[(name, rollup.table.name)], params)
            emptied = [rollup_id for rollup_id, facts in shifted.all() if facts == 0]
            if emptied:
                t = rollup.table
                await session.execute(t.delete().where(t.c.rollup_id.in_(emptied), t.c.facts == 0))


async def recompute_keys(session: AsyncSession, rule: CurrentRule, keys: set[Key], shifts: Shifts) -> None:
    """Set ``is_current`` for these (enterprise, period) keys; the facts whose flag flipped go to ``shifts``.

    Current = newest by time then id among the facts of the key that nothing supersedes; at most one per key.
    """
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
        RETURNING t.{idc}, t.is_current
        """  # noqa: S608 - names from constants, values bound
    )
    flipped = await session.execute(
        statement, {"enterprises": [k[0] for k in ordered], "periods": [k[1] for k in ordered]}
    )
    for fact_id, is_current in flipped.all():
        shifts.add(rule, fact_id, 1 if is_current else -1, None)


async def _keys_of(session: AsyncSession, rule: CurrentRule, ids: set[uuid.UUID]) -> set[Key]:
    if not ids:
        return set()
    t = rule.table
    rows = await session.execute(select(t.c.enterprise_id, t.c.period_code).where(t.c[rule.id_column].in_(ids)))
    return {(r.enterprise_id, r.period_code) for r in rows}


async def apply_batch(session: AsyncSession, events: Sequence[CloudEvent], *, dead_after: int) -> int:
    """Claim the events in the inbox and apply the ones not seen before; returns how many were new.

    For bulk application without the kit's consumer (which claims the inbox itself and calls ``apply_new``).
    """
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
    await apply_new(session, fresh, dead_after=dead_after)
    return len(fresh)


async def apply_new(session: AsyncSession, events: Sequence[CloudEvent], *, dead_after: int) -> None:
    """Apply events already claimed in the inbox (each once) to the projections, the rollups and the
    webhook queue, in the caller's transaction."""
    by_type: dict[type, list[CloudEvent]] = defaultdict(list)
    for event in events:
        by_type[type(event.data)].append(event)
    shifts = Shifts()
    await _enterprises(session, by_type[EnterpriseResolved], shifts)
    await _calculations(session, by_type[EmissionCalculated], shifts)
    await _evaluations(session, by_type[EvaluationCompleted], shifts)
    await _certificates(session, by_type[CertificateIssued], shifts)
    await apply_shifts(session, shifts)
    await enqueue_webhooks(
        session,
        [(e, e.data.region_code) for e in by_type[EvaluationCompleted] + by_type[CertificateIssued]],  # type: ignore[attr-defined]
        dead_after=dead_after,
    )
    for projection, kind in (
        ("enterprises", EnterpriseResolved),
        ("calculations", EmissionCalculated),
        ("evaluations", EvaluationCompleted),
        ("certificates", CertificateIssued),
    ):
        if by_type[kind]:
            observe_applied(projection, max(e.time for e in by_type[kind]))


async def _enterprises(session: AsyncSession, events: list[CloudEvent], shifts: Shifts) -> None:
    """Keep the newest profile per enterprise; an enterprise whose node type or park changes takes its
    current facts from the rollup rows of the old profile to those of the new one."""
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
    ids = sorted(newest)
    before = {
        row.enterprise_id: (row.node_type, row.park)
        for row in await session.execute(
            select(t.c.enterprise_id, t.c.node_type, t.c.park).where(t.c.enterprise_id.in_(ids)).with_for_update()
        )
    }
    stmt = insert(t)
    changed = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.enterprise_id],
            set_={k: stmt.excluded[k] for k in rows[0] if k != "enterprise_id"},
            where=tuple_(stmt.excluded.resolved_at, stmt.excluded.event_id) > tuple_(t.c.resolved_at, t.c.event_id),
        ).returning(t.c.enterprise_id, t.c.node_type, t.c.park),
        rows,
    )
    moved: dict[uuid.UUID, tuple[str, str | None]] = {}
    for enterprise_id, node_type, park in changed.all():
        old = before.get(enterprise_id, (UNKNOWN_NODE_TYPE, None))
        if old != (node_type, park):
            moved[enterprise_id] = old
    if not moved:
        return
    for rule in RULES:
        f = rule.table
        current = await session.execute(
            select(f.c[rule.id_column], f.c.enterprise_id).where(f.c.enterprise_id.in_(sorted(moved)), f.c.is_current)
        )
        for fact_id, enterprise_id in current.all():
            shifts.add(rule, fact_id, -1, moved[enterprise_id])  # out of the old profile's rows ...
            shifts.add(rule, fact_id, 1, None)  # ... into the new one's


async def _insert_new(session: AsyncSession, table: Any, rows: list[dict[str, Any]], id_column: str) -> set[Any]:
    if not rows:
        return set()
    result = await session.execute(insert(table).on_conflict_do_nothing().returning(table.c[id_column]), rows)
    return set(result.scalars())


async def _calculations(session: AsyncSession, events: list[CloudEvent], shifts: Shifts) -> None:
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
    await recompute_keys(session, CALCULATION_RULE, keys, shifts)


async def _evaluations(session: AsyncSession, events: list[CloudEvent], shifts: Shifts) -> None:
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
    await recompute_keys(session, EVALUATION_RULE, keys, shifts)


async def _certificates(session: AsyncSession, events: list[CloudEvent], shifts: Shifts) -> None:
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
    await recompute_keys(session, CERTIFICATE_RULE, keys, shifts)


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


async def enqueue_webhooks(session: AsyncSession, events: Iterable[tuple[CloudEvent, str]], *, dead_after: int) -> None:
    """Queue a delivery of each (event, region code) for every active subscription to its type whose region
    holds it and that existed when the event happened.

    Written in the projection's (or the publisher's) transaction; unique per (subscription, event), so a
    redelivery or a rebuild queues nothing twice.
    """
    pending = list(events)
    if not pending:
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
    for event, region in pending:
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
