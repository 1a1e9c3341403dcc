"""One code path, any batching: the projections and rollups depend only on the set of received events.

The live consumer hands ``apply_new`` whole batches, and falls back to one-element batches when a batch fails;
a rebuild replays everything in other batches and another order. Applying the same events one per transaction
in delivery order, and in random batches of another order with many duplicates, must give identical tables,
and the incrementally maintained rollups must equal the rollups recomputed from scratch from the facts.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from analytics_synthetic import deliveries, generate
from sqlalchemy import select, text

from carbonid_analytics import db
from carbonid_analytics.batch import apply_batch
from carbonid_contracts.events import EnterpriseResolved
from carbonid_kit.db import create_engine, session_factory, transaction
from carbonid_kit.migrations import alembic_config, upgrade_async

pytestmark = pytest.mark.integration

VALUED = "FILTER (WHERE f.added_value_10k_cny > 0)"
FACT_TABLES = tuple(t for t in db.PROJECTION_TABLES if t not in db.ROLLUP_TABLES)
ROLLUP_SOURCES = {
    "calculation_rollups": (
        "calculations f",
        {},
        {
            "facts": "count(*)",
            "total_emissions_tco2": "sum(f.total_emissions_tco2)",
            "net_emissions_tco2": "sum(f.net_emissions_tco2)",
            "energy_tce": "sum(f.energy_tce)",
            "valued_facts": f"count(*) {VALUED}",
            "valued_emissions_tco2": f"coalesce(sum(f.total_emissions_tco2) {VALUED}, 0)",
            "added_value_10k_cny": f"coalesce(sum(f.added_value_10k_cny) {VALUED}, 0)",
        },
    ),
    "carrier_rollups": (
        "calculations f JOIN calculation_carriers c ON c.calculation_id = f.calculation_id",
        {"carrier": "c.carrier"},
        {"facts": "count(*)", "emissions_tco2": "sum(c.emissions_tco2)", "energy_tce": "sum(c.energy_tce)"},
    ),
    "evaluation_rollups": ("evaluations f", {"grade": "f.grade", "level": "f.level"}, {"facts": "count(*)"}),
    "certificate_rollups": ("certificates f", {}, {"facts": "count(*)"}),
}
DIMENSIONS = ("period_code", "period_kind", "period_year", "period_start", "period_end", "region_code",
              "province_code", "city_code", "county_code", "industry_code", "industry_section",
              "industry_division", "industry_group", "industry_class")  # fmt: skip


async def facts(sessions: Any) -> dict[str, list[tuple[Any, ...]]]:
    async with sessions() as session:
        return {
            t.name: sorted((tuple(r) for r in (await session.execute(select(t))).all()), key=repr) for t in FACT_TABLES
        }


async def rollups(sessions: Any) -> dict[str, dict[tuple[Any, ...], tuple[Decimal, ...]]]:
    """Every rollup row by its key (dimensions, node type, park, extra key) → its measures."""
    out = {}
    async with sessions() as session:
        for name, (_, extra, measures) in ROLLUP_SOURCES.items():
            keys = (*DIMENSIONS, "node_type", "park", *extra)
            rows = (await session.execute(text(f"SELECT {', '.join(keys)}, {', '.join(measures)} FROM {name}"))).all()
            out[name] = {tuple(r[: len(keys)]): tuple(Decimal(v) for v in r[len(keys) :]) for r in rows}
            assert len(out[name]) == len(rows)
    return out


async def recomputed_rollups(sessions: Any) -> dict[str, dict[tuple[Any, ...], tuple[Decimal, ...]]]:
    """The rollups recomputed from scratch: the current facts grouped under their enterprise's profile now."""
    out = {}
    async with sessions() as session:
        for name, (source, extra, measures) in ROLLUP_SOURCES.items():
            keys = [*(f"f.{d}" for d in DIMENSIONS), "coalesce(e.node_type, 'unknown')", "e.park", *extra.values()]
            statement = (
                f"SELECT {', '.join(keys)}, {', '.join(measures.values())} FROM {source} "
                "LEFT JOIN enterprises e ON e.enterprise_id = f.enterprise_id "
                f"WHERE f.is_current GROUP BY {', '.join(keys)}"
            )
            rows = (await session.execute(text(statement))).all()
            out[name] = {tuple(r[: len(keys)]): tuple(Decimal(v) for v in r[len(keys) :]) for r in rows}
    return out


async def test_any_batching_and_order_gives_the_same_projections_and_rollups(new_database: Any) -> None:
    events = generate(77, 150)
    engines = []
    try:
        single_url, batch_url = await new_database("an_single"), await new_database("an_batch")
        for url in (single_url, batch_url):
            await upgrade_async(db.MIGRATIONS, url)
        single = create_engine(single_url, pool_size=1)
        batched = create_engine(batch_url, pool_size=1)
        engines += [single, batched]

        # one event per transaction, as the consumer's fallback applies them
        sessions = session_factory(single)
        for event in deliveries(events, 1):
            async with transaction(sessions) as session:
                await apply_batch(session, [event], dead_after=3)

        # random batches of another order, with many duplicates (within and across batches)
        rng = random.Random(2)
        stream = deliveries(events, 9, duplicate_share=0.3)
        batch_sessions = session_factory(batched)
        applied = 0
        while stream:
            size = rng.randint(1, 400)
            async with transaction(batch_sessions) as session:
                applied += await apply_batch(session, stream[:size], dead_after=3)
            stream = stream[size:]
        assert applied == len({e.id for e in events})

        reference = await facts(sessions)
        assert sum(1 for r in reference["calculations"] if r[3]) > 100  # current calculations
        assert await facts(batch_sessions) == reference
        expected = await recomputed_rollups(sessions)
        assert await rollups(sessions) == expected
        assert await rollups(batch_sessions) == expected
        # the feed exercises what the rollups must follow: superseded facts, enterprises that change node type
        # or park after their facts arrived, facts of enterprises whose profile never arrived
        assert len(expected["calculation_rollups"]) > 100
        assert all(v[0] > 0 for table in expected.values() for v in table.values())
        assert {k[14] for k in expected["calculation_rollups"]} >= {"unknown", "secondary"}
        profiles = Counter(e.data.enterprise_id for e in events if isinstance(e.data, EnterpriseResolved))
        assert max(profiles.values()) > 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_migration_fills_the_rollups_from_the_facts_already_received(new_database: Any) -> None:
    """A database upgraded with facts in it gets rollups equal to the recomputation."""
    url = await new_database("an_migrate")
    await upgrade_async(db.MIGRATIONS, url)
    engine = create_engine(url, pool_size=1)
    try:
        sessions = session_factory(engine)
        async with transaction(sessions) as session:
            await apply_batch(session, deliveries(generate(5, 60), 3), dead_after=3)
        expected = await recomputed_rollups(sessions)
        await asyncio.to_thread(command.downgrade, alembic_config(db.MIGRATIONS, url), "0001")
        await upgrade_async(db.MIGRATIONS, url)
        assert await rollups(sessions) == expected
        assert len(expected["evaluation_rollups"]) > 10
    finally:
        await engine.dispose()
