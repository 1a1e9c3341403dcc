"""Event handlers: the service's own view of calculations, enterprise names and published benchmarks.

Each runs inside the consumer's transaction together with the inbox row, so a redelivered event changes
nothing; the handlers are idempotent on their own ids as well (a replayed topic into a fresh inbox is safe).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.codes.period import Period
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import BenchmarkPublished, EmissionCalculated, EnterpriseResolved
from carbonid_evaluation.db import BenchmarkEntry, BenchmarkSet, Calculation, Enterprise
from carbonid_kit.messaging import PermanentError


async def on_emission_calculated(session: AsyncSession, event: CloudEvent) -> None:
    """Keep every confirmed calculation; mark the current one of its enterprise and period.

    The current one is not superseded by any other received calculation and, of those, the latest confirmed:
    so the outcome is the same whatever order the events arrive in.
    """
    data = event.data
    if not isinstance(data, EmissionCalculated):
        raise PermanentError(f"expected emission.calculated, got {type(data).__name__}")
    if data.supersedes == data.calculation_id:
        raise PermanentError("a calculation cannot supersede itself")
    red = data.reductions
    row = {
        "calculation_id": data.calculation_id,
        "enterprise_id": data.enterprise_id,
        "period": data.period,
        "period_end": Period.parse(data.period).end,
        "supersedes": data.supersedes,
        "is_current": False,
        "identifier_prefix": data.identifier_prefix,
        "region_code": data.region_code,
        "industry_code": data.industry_code,
        "added_value_10k_cny": data.added_value_10k_cny,
        "total_emissions_tco2": data.total_emissions_tco2,
        "net_emissions_tco2": data.net_emissions_tco2,
        "intensity_tco2_per_10k_cny": data.intensity_tco2_per_10k_cny,
        "energy_tce": data.energy_tce,
        "ccer_tco2": red.ccer_tco2,
        "green_certificates_mwh": red.green_certificates_mwh,
        "own_renewable_mwh": red.own_renewable_mwh,
        "sinks_tco2": red.sinks_tco2,
        "neutralisation_tco2": red.neutralisation_tco2,
        "factor_set_version": data.factor_set_version,
        "input_hash": data.input_hash,
        "confirmed_at": data.confirmed_at,
        "event_id": event.id,
    }
    inserted = await session.execute(
        insert(Calculation).values(row).on_conflict_do_nothing().returning(Calculation.calculation_id)
    )
    if inserted.first() is None:
        return  # the same calculation again (another event id): nothing changes
    await refresh_current(session, data.enterprise_id, data.period)


async def refresh_current(session: AsyncSession, enterprise_id: uuid.UUID, period: str) -> None:
    rows = (
        await session.execute(
            select(Calculation.calculation_id, Calculation.supersedes, Calculation.confirmed_at)
            .where(Calculation.enterprise_id == enterprise_id, Calculation.period == period)
            .with_for_update()
        )
    ).all()
    superseded = {r.supersedes for r in rows if r.supersedes is not None}
    candidates = [r for r in rows if r.calculation_id not in superseded] or list(rows)
    current = max(candidates, key=lambda r: (r.confirmed_at, str(r.calculation_id))).calculation_id
    await session.execute(
        update(Calculation)
        .where(Calculation.enterprise_id == enterprise_id, Calculation.period == period)
        .values(is_current=Calculation.calculation_id == current)
    )


async def on_enterprise_resolved(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the latest resolved name of each enterprise (older resolutions never overwrite newer ones)."""
    data = event.data
    if not isinstance(data, EnterpriseResolved):
        raise PermanentError(f"expected enterprise.resolved, got {type(data).__name__}")
    values = {
        "enterprise_id": data.enterprise_id,
        "name": data.name,
        "identifier_prefix": data.identifier_prefix,
        "region_code": data.region_code,
        "industry_code": data.industry_code,
        "resolved_at": data.resolved_at,
    }
    stmt = insert(Enterprise).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Enterprise.enterprise_id],
        set_={k: stmt.excluded[k] for k in values if k != "enterprise_id"},
        where=Enterprise.resolved_at <= stmt.excluded.resolved_at,
    )
    await session.execute(stmt)


async def on_benchmark_published(session: AsyncSession, event: CloudEvent) -> None:
    """Store a published benchmark set with its entries; every version is kept."""
    data = event.data
    if not isinstance(data, BenchmarkPublished):
        raise PermanentError(f"expected benchmark.published, got {type(data).__name__}")
    inserted = await session.execute(
        insert(BenchmarkSet)
        .values(
            benchmark_set_id=data.benchmark_set_id,
            version=data.version,
            region_scope=data.region_scope,
            published_by=data.published_by,
            published_at=data.published_at,
        )
        .on_conflict_do_nothing()
        .returning(BenchmarkSet.benchmark_set_id)
    )
    if inserted.first() is None:
        return
    await session.execute(
        insert(BenchmarkEntry),
        [
            {
                "benchmark_set_id": data.benchmark_set_id,
                "version": data.version,
                "industry_code": e.industry_code,
                "region_scope": e.region_scope,
                "year": e.year,
                "intensity_tco2_per_10k_cny": e.intensity_tco2_per_10k_cny,
                "sample_size": e.sample_size,
                "total_emissions_tco2": e.total_emissions_tco2,
                "total_added_value_10k_cny": e.total_added_value_10k_cny,
                "method": e.method,
                "published_at": data.published_at,
            }
            for e in data.entries
        ],
    )
