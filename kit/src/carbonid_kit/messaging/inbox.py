"""Inbox: each consumed event id is recorded in the same transaction as the consumer's effect.

A redelivered event finds its id already there and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

INBOX_TABLE = "inbox_events"


def inbox_table(metadata: MetaData) -> Table:
    """Add the inbox table to a service's metadata (its migrations then create it)."""
    return Table(
        INBOX_TABLE,
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(128), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim(session: AsyncSession, table: Table, event_id: object, event_type: str) -> bool:
    """Record the event id; False when it was recorded before (a redelivery: skip the effect)."""
    stmt = insert(table).values(event_id=event_id, event_type=event_type).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(table.c.event_id))
    return result.first() is not None


async def claim_many(session: AsyncSession, table: Table, events: list[tuple[object, str]]) -> set[object]:
    """Record many event ids with one statement; returns the ids that were new."""
    if not events:
        return set()
    rows = [{"event_id": event_id, "event_type": event_type} for event_id, event_type in events]
    stmt = insert(table).values(rows).on_conflict_do_nothing().returning(table.c.event_id)
    return {row[0] for row in (await session.execute(stmt)).all()}
