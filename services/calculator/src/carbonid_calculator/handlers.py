"""Event consumers: ``enterprise.resolved`` keeps the enterprise view, ``activity.resolved`` stores activity sets.

Both run inside the transaction that records the event in the inbox, so a redelivery changes nothing; both
are also idempotent on their own (upsert by enterprise id, insert-once by resolution id).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_calculator.db import EnterpriseView, ResolvedActivity
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import ActivityResolved, EnterpriseResolved
from carbonid_kit.messaging import PermanentError


async def on_enterprise_resolved(session: AsyncSession, event: CloudEvent) -> None:
    """Upsert the enterprise view; an older resolution never overwrites a newer one (events may reorder)."""
    data = event.data
    if not isinstance(data, EnterpriseResolved):
        raise PermanentError(f"expected enterprise.resolved, got {type(data).__name__}")
    values = {
        "name": data.name,
        "identifier_prefix": data.identifier_prefix,
        "uscc": data.uscc,
        "region_code": data.region_code,
        "province_code": data.province_code,
        "city_code": data.city_code,
        "county_code": data.county_code,
        "industry_code": data.industry_code,
        "resolved_at": data.resolved_at,
    }
    stmt = insert(EnterpriseView).values(id=data.enterprise_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[EnterpriseView.id],
            set_={**values, "updated_at": func.now()},
            where=EnterpriseView.resolved_at <= stmt.excluded.resolved_at,
        )
    )


async def on_activity_resolved(session: AsyncSession, event: CloudEvent) -> None:
    """Store the resolved activity set once per resolution id (it stays read-only afterwards)."""
    data = event.data
    if not isinstance(data, ActivityResolved):
        raise PermanentError(f"expected activity.resolved, got {type(data).__name__}")
    lines = [
        {
            "source_code": line.source_code,
            "item_name": line.item_name,
            "quantity": format(line.quantity, "f"),
            "unit": line.unit,
            "handle": line.handle,
        }
        for line in data.lines
    ]
    await session.execute(
        insert(ResolvedActivity)
        .values(
            resolution_id=data.resolution_id,
            enterprise_id=data.enterprise_id,
            period=data.period,
            identifier_prefix=data.identifier_prefix,
            template_id=data.template_id,
            template_version=data.template_version,
            lines=lines,
            stale=data.stale,
            resolved_at=data.resolved_at,
        )
        .on_conflict_do_nothing(index_elements=[ResolvedActivity.resolution_id])
    )
