"""Dashboard queries: SQL aggregates of the current facts, within a region scope and filters.

Sums, counts and distributions of whole periods read the rollups (``db.*_rollups``: the current facts summed
per period × region × industry × node type × park, kept in step with the facts by the consumer), so their cost
follows the number of rollup rows, not of facts. What needs single facts reads the facts themselves, filtered
on ``is_current`` (the latest, non-superseded fact per enterprise and period): rankings of enterprises,
typical cases, benchmark figures and day buckets (reporting activity by the date a fact was confirmed).
Both filter the caller's effective region scope with ``region_code LIKE '<prefix>%'`` (the same rule as
``region_within``). Sums are exact ``numeric``; ratios are made from them by ``domain.measures``. Within one
period an enterprise has one current fact, so the enterprise count of a period is its number of current facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, FromClause, Select, Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics import db
from carbonid_analytics.domain.dimensions import industry_level, scope_prefix
from carbonid_analytics.domain.measures import ZERO
from carbonid_contracts.codes.period import Period

Granularity = Literal["day", "month", "quarter", "half", "year"]
RegionLevel = Literal["province", "city", "county"]
IndustryLevel = Literal["section", "division", "group", "class"]


@dataclass(frozen=True, slots=True)
class Slice:
    """Which facts a query sees: the effective region scope and the optional filters."""

    scope: str
    industry: str | None = None
    node_type: str | None = None
    park: str | None = None

    @property
    def needs_enterprise(self) -> bool:
        return self.node_type is not None or self.park is not None


@dataclass(frozen=True, slots=True)
class PeriodSelection:
    """Facts of one period code, or of a granularity over a date range (``day`` buckets by fact time)."""

    granularity: Granularity
    code: str | None = None
    start: date | None = None
    end: date | None = None


E = db.enterprises
R = db.calculation_rollups
ROLLUPS = frozenset(t.name for t in db.ROLLUP_TABLES)


def for_period(code: str) -> PeriodSelection:
    """The facts of exactly this period code (its kind is the granularity)."""
    kind = Period.parse(code).kind.value
    granularity: Granularity = cast(Granularity, kind)
    return PeriodSelection(granularity, code=code)


def _industry_column(t: Table, code: str) -> Any:
    return {
        "section": t.c.industry_section,
        "division": t.c.industry_division,
        "group": t.c.industry_group,
        "class": t.c.industry_class,
    }[industry_level(code)]


def _time_column(t: Table) -> Any:
    column = {"calculations": "confirmed_at", "evaluations": "completed_at", "certificates": "issued_at"}[t.name]
    return t.c[column]


def day_bucket(t: Table) -> Any:
    return func.date(func.timezone("UTC", _time_column(t)))


def conditions(t: Table, sl: Slice, period: PeriodSelection | None) -> list[ColumnElement[bool]]:
    """The slice and period as conditions on a fact table (joined to the enterprises when the slice filters
    on their profile, see ``source``) or on a rollup table (which carries the profile itself)."""
    rollup = t.name in ROLLUPS
    conds: list[ColumnElement[bool]] = [] if rollup else [t.c.is_current]
    prefix = scope_prefix(sl.scope)
    if prefix:
        conds.append(t.c.region_code.startswith(prefix, autoescape=True))
    if sl.industry:
        conds.append(_industry_column(t, sl.industry) == sl.industry)
    if sl.node_type:
        conds.append((t.c.node_type if rollup else func.coalesce(E.c.node_type, "unknown")) == sl.node_type)
    if sl.park:
        conds.append((t.c.park if rollup else E.c.park) == sl.park)
    if period is not None:
        if period.code is not None:
            # the kind too, so that the partial (period_kind, period_code, region_code) index applies
            conds += [t.c.period_kind == period.granularity, t.c.period_code == period.code]
        elif period.granularity == "day":
            if rollup:
                raise ValueError("day buckets are made from the facts' times; rollups are per period")
            bucket = day_bucket(t)
            if period.start is not None:
                conds.append(bucket >= period.start)
            if period.end is not None:
                conds.append(bucket <= period.end)
        else:
            conds.append(t.c.period_kind == period.granularity)
            if period.start is not None:
                conds.append(t.c.period_start >= period.start)
            if period.end is not None:
                conds.append(t.c.period_end <= period.end)
    return conds


def source(t: Table, sl: Slice, *, with_enterprise: bool = False) -> FromClause:
    if t.name in ROLLUPS:
        return t
    if sl.needs_enterprise or with_enterprise:
        return t.outerjoin(E, E.c.enterprise_id == t.c.enterprise_id)
    return t


def calculation_measures(t: Table = db.calculations) -> list[Any]:
    with_value = t.c.added_value_10k_cny > 0
    return [
        func.coalesce(func.sum(t.c.total_emissions_tco2), ZERO).label("total"),
        func.coalesce(func.sum(t.c.net_emissions_tco2), ZERO).label("net"),
        func.coalesce(func.sum(t.c.energy_tce), ZERO).label("energy"),
        func.sum(t.c.total_emissions_tco2).filter(with_value).label("total_with_value"),
        func.sum(t.c.added_value_10k_cny).filter(with_value).label("added_value"),
        func.count(func.distinct(t.c.enterprise_id)).label("enterprises"),
    ]


def rollup_measures() -> list[Any]:
    """``calculation_measures`` from the calculation rollups (same values: sums of the same current facts)."""
    valued = func.sum(R.c.valued_facts) > 0
    return [
        func.coalesce(func.sum(R.c.total_emissions_tco2), ZERO).label("total"),
        func.coalesce(func.sum(R.c.net_emissions_tco2), ZERO).label("net"),
        func.coalesce(func.sum(R.c.energy_tce), ZERO).label("energy"),
        case((valued, func.sum(R.c.valued_emissions_tco2))).label("total_with_value"),
        case((valued, func.sum(R.c.added_value_10k_cny))).label("added_value"),
        func.coalesce(func.sum(R.c.facts), 0).label("enterprises"),
    ]


@dataclass(frozen=True, slots=True)
class CalculationSums:
    total: Decimal
    net: Decimal
    energy: Decimal
    total_with_value: Decimal | None
    added_value: Decimal | None
    enterprises: int

    @classmethod
    def empty(cls) -> CalculationSums:
        return cls(ZERO, ZERO, ZERO, None, None, 0)

    @classmethod
    def of(cls, row: Any) -> CalculationSums:
        return cls(row.total, row.net, row.energy, row.total_with_value, row.added_value, int(row.enterprises))


async def calculation_sums(session: AsyncSession, sl: Slice, period: PeriodSelection) -> CalculationSums:
    if period.granularity == "day":
        t = db.calculations
        stmt = select(*calculation_measures(t)).select_from(source(t, sl)).where(*conditions(t, sl, period))
    else:
        stmt = select(*rollup_measures()).where(*conditions(R, sl, period))
    return CalculationSums.of((await session.execute(stmt)).one())


async def calculation_series(
    session: AsyncSession, sl: Slice, period: PeriodSelection
) -> list[tuple[str, CalculationSums]]:
    """Sums per period code (or per day), in time order."""
    t = db.calculations
    if period.granularity == "day":
        bucket: Any = day_bucket(t)
        stmt: Select[Any] = (
            select(bucket.label("bucket"), *calculation_measures(t))
            .select_from(source(t, sl))
            .where(*conditions(t, sl, period))
            .group_by(bucket)
            .order_by(bucket)
        )
        rows = (await session.execute(stmt)).all()
        return [(row.bucket.isoformat(), CalculationSums.of(row)) for row in rows]
    stmt = (
        select(R.c.period_code.label("bucket"), func.min(R.c.period_start).label("start"), *rollup_measures())
        .where(*conditions(R, sl, period))
        .group_by(R.c.period_code)
        .order_by(func.min(R.c.period_start), R.c.period_code)
    )
    rows = (await session.execute(stmt)).all()
    return [(row.bucket, CalculationSums.of(row)) for row in rows]


def region_key(t: Table, level: RegionLevel) -> Any:
    return {"province": t.c.province_code, "city": t.c.city_code, "county": t.c.county_code}[level]


def industry_key(t: Table, level: IndustryLevel) -> Any:
    return {
        "section": t.c.industry_section,
        "division": t.c.industry_division,
        "group": t.c.industry_group,
        "class": t.c.industry_class,
    }[level]


GroupBy = Literal[
    "province", "city", "county", "section", "division", "group", "class", "node_type", "park", "enterprise"
]


async def calculation_groups(
    session: AsyncSession, sl: Slice, period: PeriodSelection, by: GroupBy
) -> list[tuple[str, CalculationSums]]:
    """Sums per region, industry, node type, park (rollups) or enterprise (facts) of one period; rows where
    the key is unknown are left out."""
    if by == "enterprise":
        t = db.calculations
        key: Any = t.c.enterprise_id
        stmt = (
            select(key.label("key"), *calculation_measures(t))
            .select_from(source(t, sl))
            .where(*conditions(t, sl, period))
            .group_by(key)
        )
    else:
        if by in ("province", "city", "county"):
            key = region_key(R, by)
        elif by in ("section", "division", "group", "class"):
            key = industry_key(R, by)
        else:
            key = R.c[by]
        stmt = (
            select(key.label("key"), *rollup_measures())
            .where(*conditions(R, sl, period), key.is_not(None))
            .group_by(key)
        )
    rows = (await session.execute(stmt)).all()
    return [(str(row.key), CalculationSums.of(row)) for row in rows]


async def enterprise_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(E.c.enterprise_id, E.c.name).where(E.c.enterprise_id.in_(ids)))).all()
    names = {row.enterprise_id: row.name for row in rows}
    missing = [i for i in ids if i not in names]
    if missing:
        v = db.evaluations
        fallback = (
            await session.execute(
                select(v.c.enterprise_id, v.c.enterprise_name)
                .where(v.c.enterprise_id.in_(missing), v.c.enterprise_name.is_not(None))
                .order_by(v.c.enterprise_id, v.c.completed_at.desc(), v.c.evaluation_id.desc())
                .distinct(v.c.enterprise_id)
            )
        ).all()
        names |= {row.enterprise_id: row.enterprise_name for row in fallback}
    return names


async def carrier_sums(session: AsyncSession, sl: Slice, period: PeriodSelection) -> list[tuple[str, Decimal, Decimal]]:
    c = db.carrier_rollups
    stmt = (
        select(c.c.carrier, func.sum(c.c.emissions_tco2).label("emissions"), func.sum(c.c.energy_tce).label("tce"))
        .where(*conditions(c, sl, period))
        .group_by(c.c.carrier)
        .order_by(c.c.carrier)
    )
    return [(row.carrier, row.emissions, row.tce) for row in (await session.execute(stmt)).all()]


async def grade_counts(session: AsyncSession, sl: Slice, period: PeriodSelection) -> list[tuple[int, str, int]]:
    """(grade, level, number of current evaluations)."""
    v = db.evaluation_rollups
    stmt = (
        select(v.c.grade, v.c.level, func.sum(v.c.facts).label("n"))
        .where(*conditions(v, sl, period))
        .group_by(v.c.grade, v.c.level)
    )
    return [(int(r.grade), r.level, int(r.n)) for r in (await session.execute(stmt)).all()]


async def certificate_count(session: AsyncSession, sl: Slice, period: PeriodSelection) -> int:
    c = db.certificate_rollups
    stmt = select(func.coalesce(func.sum(c.c.facts), 0)).where(*conditions(c, sl, period))
    return int((await session.execute(stmt)).scalar_one())


async def latest_period(session: AsyncSession, sl: Slice) -> str | None:
    """The newest annual period with data in the slice, else the newest period of any kind."""
    base = select(R.c.period_code).where(*conditions(R, sl, None))
    for stmt in (
        base.where(R.c.period_kind == "year").order_by(R.c.period_start.desc()).limit(1),
        base.order_by(R.c.period_end.desc(), R.c.period_start.desc()).limit(1),
    ):
        code = (await session.execute(stmt)).scalar_one_or_none()
        if code is not None:
            return str(code)
    return None


async def typical_cases(session: AsyncSession, sl: Slice, period: PeriodSelection, limit: int) -> list[Any]:
    """Best-graded current evaluations: grade, then K, then intensity, then enterprise id (deterministic)."""
    v, c = db.evaluations, db.certificates
    cert = and_(c.c.enterprise_id == v.c.enterprise_id, c.c.period_code == v.c.period_code, c.c.is_current)
    stmt = (
        select(
            v.c.enterprise_id,
            func.coalesce(E.c.name, v.c.enterprise_name).label("name"),
            v.c.region_code,
            v.c.industry_code,
            v.c.period_code,
            v.c.grade,
            v.c.level,
            v.c.efficiency_value_k,
            v.c.intensity_tco2_per_10k_cny,
            v.c.total_emissions_tco2,
            v.c.net_emissions_tco2,
            v.c.neutralisation_rate,
            c.c.certificate_code,
            c.c.url,
        )
        .select_from(source(v, sl, with_enterprise=True).outerjoin(c, cert))
        .where(*conditions(v, sl, period))
        .order_by(v.c.grade, v.c.efficiency_value_k, v.c.intensity_tco2_per_10k_cny, v.c.enterprise_id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def annual_period_figures(session: AsyncSession, scope: str, year: int) -> list[Any]:
    """The current calculations of a year within a scope, for the benchmark figures."""
    t = db.calculations
    conds = conditions(t, Slice(scope), None)
    stmt = select(
        t.c.enterprise_id,
        t.c.industry_code,
        t.c.period_code,
        t.c.period_kind,
        t.c.period_start,
        # The emissions that count for carbon intensity (DOMAIN §2: energy CO2 − own zero-carbon generation −
        # sinks), recovered from the calculation's L: the benchmark divides the same numerator as the
        # enterprise's L, or K = L ÷ L_industry would compare unlike things (process CO2 is not in L).
        (t.c.intensity_tco2_per_10k_cny * t.c.added_value_10k_cny).label("intensity_emissions_tco2"),
        t.c.added_value_10k_cny,
    ).where(*conds, t.c.period_year == year)
    return list((await session.execute(stmt)).all())
