"""Industry benchmarks: preview from the projections, and publishing a set (government, within its scope)."""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics import db, queries
from carbonid_analytics.api.common import dec, settings_of
from carbonid_analytics.api.scope import REGION_PATTERN, caller_scope, effective_scope
from carbonid_analytics.batch import enqueue_webhooks
from carbonid_analytics.domain.benchmarks import (
    IndustryBenchmark,
    PeriodFigure,
    annual_figures,
    benchmark_version,
    industry_benchmarks,
)
from carbonid_analytics.domain.dimensions import INDUSTRY_LEVELS, scope_prefix, within_scope
from carbonid_contracts.events import BenchmarkEntry, BenchmarkPublished
from carbonid_kit.auth import Caller, CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import forbidden, invalid, not_found

router = APIRouter(tags=["benchmarks"])

IndustryLevelName = Literal["section", "division", "group", "class"]
METHOD = "ratio-of-sums"


def _government_or_operator(caller: Caller) -> str:
    return caller_scope(caller)  # enterprise users are refused there


async def compute(
    session: AsyncSession, *, scope: str, year: int, levels: list[str], min_sample: int, places: int
) -> list[IndustryBenchmark]:
    rows = await queries.annual_period_figures(session, scope, year)
    figures = annual_figures(PeriodFigure(**row._mapping) for row in rows)
    return industry_benchmarks(figures, levels=levels, min_sample=min_sample, places=places)


def entry_document(b: IndustryBenchmark) -> dict[str, Any]:
    return {
        "industry_code": b.industry_code,
        "industry_level": b.level,
        "intensity_tco2_per_10k_cny": dec(b.intensity_tco2_per_10k_cny),
        "sample_size": b.sample_size,
        "total_emissions_tco2": dec(b.intensity_emissions_tco2),
        "total_added_value_10k_cny": dec(b.total_added_value_10k_cny),
        "meets_minimum_sample": b.meets_minimum_sample,
        "method": METHOD,
    }


def _levels(levels: list[IndustryLevelName] | None) -> list[str]:
    return list(levels) if levels else list(INDUSTRY_LEVELS)


@router.get("/benchmarks/preview", summary="Industry intensities (ratio of sums) of a year within a region scope")
async def preview(
    request: Request,
    caller: CurrentCaller,
    year: Annotated[int, Query(ge=1900, le=2999)],
    region_scope: Annotated[str | None, Query(pattern=REGION_PATTERN)] = None,
    levels: Annotated[list[IndustryLevelName] | None, Query(description="industry levels; default all")] = None,
) -> dict[str, Any]:
    settings = settings_of(request)
    scope = effective_scope(caller, region_scope, pointer="/region_scope")
    async with request.app.state.runtime.sessions() as session:
        entries = await compute(
            session,
            scope=scope,
            year=year,
            levels=_levels(levels),
            min_sample=settings.benchmark_min_sample,
            places=settings.benchmark_intensity_places,
        )
    return {
        "region_scope": scope,
        "year": year,
        "method": METHOD,
        "basis": "annual calculation, else halves/quarters/months covering the whole year",
        "min_sample": settings.benchmark_min_sample,
        "entries": [entry_document(e) for e in entries],
    }


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2999)
    region_scope: str | None = Field(default=None, pattern=REGION_PATTERN, description="default: your scope")
    levels: list[IndustryLevelName] | None = None
    include_small_samples: bool = Field(
        default=False, description="also publish entries below the minimum sample (evaluation sets them aside)"
    )


def set_document(row: Any, entries: list[Any]) -> dict[str, Any]:
    return {
        "benchmark_set_id": str(row.benchmark_set_id),
        "version": row.version,
        "region_scope": row.region_scope,
        "year": row.year,
        "industry_levels": list(row.industry_levels),
        "min_sample": row.min_sample,
        "method": row.method,
        "published_by": row.published_by,
        "published_at": row.published_at.isoformat(),
        "entries": [
            {
                "industry_code": e.industry_code,
                "intensity_tco2_per_10k_cny": dec(e.intensity_tco2_per_10k_cny),
                "sample_size": e.sample_size,
                "total_emissions_tco2": dec(e.total_emissions_tco2),
                "total_added_value_10k_cny": dec(e.total_added_value_10k_cny),
                "method": e.method,
            }
            for e in entries
        ],
    }


@router.post("/benchmark-sets", status_code=201, summary="Publish a benchmark set (emits benchmark.published)")
async def publish(request: Request, caller: CurrentCaller, body: PublishRequest) -> dict[str, Any]:
    # Operators publish national sets (their scope is the whole country); government users their region's.
    if caller.role not in ("government", "operator"):
        raise forbidden("仅政府用户和运营人员可发布行业基准", "Only government users and operators publish benchmarks")
    settings = settings_of(request)
    runtime = request.app.state.runtime
    scope = effective_scope(caller, body.region_scope, pointer="/region_scope")
    levels = _levels(body.levels)
    async with transaction(runtime.sessions) as session:
        lock = zlib.crc32(f"benchmark:{scope}:{body.year}".encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        computed = await compute(
            session,
            scope=scope,
            year=body.year,
            levels=levels,
            min_sample=settings.benchmark_min_sample,
            places=settings.benchmark_intensity_places,
        )
        chosen = [b for b in computed if b.meets_minimum_sample or body.include_small_samples]
        if not chosen:
            raise invalid(
                "no-benchmark-entries",
                f"{scope} 在 {body.year} 年没有满足最小样本量（{settings.benchmark_min_sample}）的行业",
                f"No industry in {scope} for {body.year} meets the minimum sample of {settings.benchmark_min_sample}",
                pointer="/year",
            )
        s = db.benchmark_sets
        last = (
            await session.execute(
                select(func.max(s.c.sequence)).where(s.c.region_scope == scope, s.c.year == body.year)
            )
        ).scalar_one()
        sequence = int(last or 0) + 1
        set_id = uuid.uuid4()
        now = datetime.now(UTC)
        values = {
            "benchmark_set_id": set_id,
            "version": benchmark_version(scope, body.year, sequence),
            "region_scope": scope,
            "year": body.year,
            "sequence": sequence,
            "industry_levels": levels,
            "min_sample": settings.benchmark_min_sample,
            "method": METHOD,
            "published_by": caller.username or str(caller.user_id),
            "published_by_user": caller.user_id,
            "published_at": now,
        }
        await session.execute(s.insert().values(**values))
        entries = [
            {
                "benchmark_set_id": set_id,
                "industry_code": b.industry_code,
                "region_scope": scope,
                "year": body.year,
                "intensity_tco2_per_10k_cny": b.intensity_tco2_per_10k_cny,
                "sample_size": b.sample_size,
                "total_emissions_tco2": b.intensity_emissions_tco2,
                "total_added_value_10k_cny": b.total_added_value_10k_cny,
                "method": METHOD,
            }
            for b in chosen
        ]
        await session.execute(db.benchmark_entries.insert(), entries)
        event = await runtime.outbox.add(
            session,
            BenchmarkPublished(
                benchmark_set_id=set_id,
                version=values["version"],
                region_scope=scope,
                published_by=values["published_by"],
                entries=[BenchmarkEntry(**{k: v for k, v in e.items() if k != "benchmark_set_id"}) for e in entries],
                published_at=now,
            ),
        )
        await enqueue_webhooks(session, [(event, scope)], dead_after=settings.webhook_max_attempts)
        row = (await session.execute(s.select().where(s.c.benchmark_set_id == set_id))).one()
        stored = (
            await session.execute(
                db.benchmark_entries.select()
                .where(db.benchmark_entries.c.benchmark_set_id == set_id)
                .order_by(db.benchmark_entries.c.industry_code)
            )
        ).all()
    return set_document(row, list(stored))


def _visible(caller: Caller, region_scope: str) -> bool:
    return within_scope(_government_or_operator(caller), region_scope)


@router.get("/benchmark-sets", summary="Published benchmark sets within your scope")
async def list_sets(
    request: Request,
    caller: CurrentCaller,
    year: Annotated[int | None, Query(ge=1900, le=2999)] = None,
    region_scope: Annotated[str | None, Query(pattern=REGION_PATTERN)] = None,
) -> dict[str, Any]:
    scope = effective_scope(caller, region_scope, pointer="/region_scope")
    s = db.benchmark_sets
    stmt = s.select().order_by(s.c.year.desc(), s.c.region_scope, s.c.sequence.desc())
    if prefix := scope_prefix(scope):
        stmt = stmt.where(s.c.region_scope.startswith(prefix))
    if year is not None:
        stmt = stmt.where(s.c.year == year)
    async with request.app.state.runtime.sessions() as session:
        rows = (await session.execute(stmt.limit(500))).all()
    return {"items": [set_document(r, []) | {"entries": None} for r in rows]}


@router.get("/benchmark-sets/{benchmark_set_id}", summary="One published benchmark set with its entries")
async def get_set(request: Request, caller: CurrentCaller, benchmark_set_id: uuid.UUID) -> dict[str, Any]:
    s, e = db.benchmark_sets, db.benchmark_entries
    async with request.app.state.runtime.sessions() as session:
        row = (await session.execute(s.select().where(s.c.benchmark_set_id == benchmark_set_id))).first()
        if row is None or not _visible(caller, row.region_scope):
            raise not_found("基准集", "Benchmark set")
        entries = (
            await session.execute(
                e.select().where(e.c.benchmark_set_id == benchmark_set_id).order_by(e.c.industry_code)
            )
        ).all()
    return set_document(row, list(entries))
