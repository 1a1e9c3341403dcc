"""Regional monitoring dashboards: small, chart-shaped JSON over the current facts of the caller's scope."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from carbonid_analytics import queries
from carbonid_analytics.api.common import (
    PeriodParam,
    RangeParam,
    dashboard_slice,
    dec,
    period_range,
    settings_of,
)
from carbonid_analytics.domain.dimensions import NATIONAL_SCOPE, scope_prefix
from carbonid_analytics.domain.measures import neutralisation_rate, rank, ratio, relative_change, shares
from carbonid_analytics.queries import CalculationSums, Granularity, Slice
from carbonid_contracts.codes.period import Period
from carbonid_contracts.codes.region import region_level
from carbonid_contracts.codes.regions import Region, children, lookup, provinces

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

SliceDep = Annotated[Slice, Depends(dashboard_slice)]
GranularityParam = Annotated[Granularity, Query(description="day | month | quarter | half | year")]
Metric = Literal["total_emissions", "net_emissions", "energy_tce", "added_value", "intensity", "enterprises"]
UNITS = {
    "emissions": "t CO2",
    "energy": "tce (GB/T 2589, electricity at its equivalent value as the calculator reports it)",
    "added_value": "10^4 CNY",
    "intensity": "t CO2 / 10^4 CNY (ratio of sums)",
    "ratios": "fractions (0.05 = 5 %)",
}


def _places(request: Request) -> int:
    return settings_of(request).ratio_places


def sums_document(s: CalculationSums, places: int) -> dict[str, Any]:
    return {
        "enterprises": s.enterprises,
        "total_emissions_tco2": dec(s.total),
        "net_emissions_tco2": dec(s.net),
        "neutralisation_tco2": dec(s.total - s.net),
        "energy_tce": dec(s.energy),
        "added_value_10k_cny": dec(s.added_value),
        "intensity_tco2_per_10k_cny": dec(ratio(s.total_with_value, s.added_value, places)),
        "neutralisation_rate": dec(neutralisation_rate(s.total, s.net, places)),
    }


def metric_value(s: CalculationSums, metric: Metric, places: int) -> Decimal | None:
    if metric == "total_emissions":
        return s.total
    if metric == "net_emissions":
        return s.net
    if metric == "energy_tce":
        return s.energy
    if metric == "added_value":
        return s.added_value
    if metric == "enterprises":
        return Decimal(s.enterprises)
    return ratio(s.total_with_value, s.added_value, places)


def change_document(current: CalculationSums, previous: CalculationSums, code: str, places: int) -> dict[str, Any]:
    def intensity(s: CalculationSums) -> Decimal | None:
        return ratio(s.total_with_value, s.added_value, places)

    has_previous = previous.enterprises > 0
    return {
        "period": code,
        "total_emissions": dec(relative_change(current.total, previous.total, places)) if has_previous else None,
        "net_emissions": dec(relative_change(current.net, previous.net, places)) if has_previous else None,
        "intensity": dec(relative_change(intensity(current), intensity(previous), places)) if has_previous else None,
        "enterprises": dec(relative_change(Decimal(current.enterprises), Decimal(previous.enterprises), places))
        if has_previous
        else None,
    }


async def _period_or_latest(request: Request, sl: Slice, period: str | None) -> str | None:
    if period is not None:
        return period
    async with request.app.state.runtime.sessions() as session:
        return await queries.latest_period(session, sl)


@router.get("/summary", summary="Totals, intensity, neutralisation, grades and changes of one period")
async def summary(request: Request, sl: SliceDep, period: PeriodParam = None) -> dict[str, Any]:
    places = _places(request)
    code = await _period_or_latest(request, sl, period)
    doc: dict[str, Any] = {"region_scope": sl.scope, "period": code, "units": UNITS}
    if code is None:
        return doc | {"granularity": None, "figures": sums_document(CalculationSums.empty(), places)}
    p = Period.parse(code)
    yoy, pop = p.same_period_last_year(), p.previous()
    this = queries.for_period(code)
    async with request.app.state.runtime.sessions() as session:
        current = await queries.calculation_sums(session, sl, this)
        last_year = await queries.calculation_sums(session, sl, queries.for_period(yoy.code))
        before = await queries.calculation_sums(session, sl, queries.for_period(pop.code))
        grades = await queries.grade_counts(session, sl, this)
        certificates = await queries.certificate_count(session, sl, this)
    grade_distribution = {str(g): 0 for g in range(1, 6)}
    level_distribution = {"low": 0, "medium": 0, "high": 0}
    for grade, level, n in grades:
        grade_distribution[str(grade)] += n
        level_distribution[level] = level_distribution.get(level, 0) + n
    return doc | {
        "granularity": p.kind.value,
        "figures": sums_document(current, places),
        "evaluated_enterprises": sum(grade_distribution.values()),
        "certificates": certificates,
        "grade_distribution": grade_distribution,
        "level_distribution": level_distribution,
        "change": {
            "year_on_year": change_document(current, last_year, yoy.code, places),
            "period_on_period": change_document(current, before, pop.code, places),
        },
    }


@router.get("/trend", summary="Emissions, net emissions, intensity and enterprises per period")
async def trend(
    request: Request,
    sl: SliceDep,
    granularity: GranularityParam = "year",
    start: Annotated[RangeParam, Query(alias="from")] = None,
    end: Annotated[RangeParam, Query(alias="to")] = None,
) -> dict[str, Any]:
    places = _places(request)
    selection = period_range(granularity, start, end)
    async with request.app.state.runtime.sessions() as session:
        series = await queries.calculation_series(session, sl, selection)
    return {
        "region_scope": sl.scope,
        "granularity": granularity,
        "units": UNITS,
        "series": [{"period": bucket, **sums_document(s, places)} for bucket, s in series],
    }


@router.get("/intensity-trend", summary="Carbon intensity (ratio of sums) per period")
async def intensity_trend(
    request: Request,
    sl: SliceDep,
    granularity: GranularityParam = "year",
    start: Annotated[RangeParam, Query(alias="from")] = None,
    end: Annotated[RangeParam, Query(alias="to")] = None,
) -> dict[str, Any]:
    places = _places(request)
    selection = period_range(granularity, start, end)
    async with request.app.state.runtime.sessions() as session:
        series = await queries.calculation_series(session, sl, selection)
    return {
        "region_scope": sl.scope,
        "industry": sl.industry,
        "granularity": granularity,
        "unit": UNITS["intensity"],
        "series": [
            {
                "period": bucket,
                "intensity_tco2_per_10k_cny": dec(ratio(s.total_with_value, s.added_value, places)),
                "total_emissions_tco2": dec(s.total_with_value),
                "added_value_10k_cny": dec(s.added_value),
                "enterprises": s.enterprises,
            }
            for bucket, s in series
        ],
    }


def _default_region_level(scope: str) -> queries.RegionLevel:
    if scope == NATIONAL_SCOPE:
        return "province"
    return "city" if region_level(scope) == "province" else "county"


def _region_name(code: str) -> str | None:
    region = lookup(code)
    return region.name if region else None


@router.get(
    "/rankings", summary="Rankings of regions, industries, enterprises, node types or parks (ties share a rank)"
)
async def rankings(
    *,
    request: Request,
    sl: SliceDep,
    by: Annotated[Literal["region", "industry", "enterprise", "node_type", "park"], Query()] = "region",
    metric: Metric = "total_emissions",
    order: Literal["desc", "asc"] = "desc",
    level: Annotated[
        Literal["province", "city", "county", "section", "division", "group", "class"] | None,
        Query(description="region level (by=region) or industry level (by=industry)"),
    ] = None,
    period: PeriodParam = None,
    limit: Annotated[int, Query(ge=1)] = 10,
) -> dict[str, Any]:
    settings = settings_of(request)
    places, limit = settings.ratio_places, min(limit, settings.ranking_max_limit)
    group_by: queries.GroupBy
    if by == "region":
        region_lvl: queries.RegionLevel = _default_region_level(sl.scope)
        if level in {"province", "city", "county"}:
            region_lvl = level
        group_by = level = region_lvl
    elif by == "industry":
        industry_lvl: queries.IndustryLevel = "division"
        if level in {"section", "division", "group", "class"}:
            industry_lvl = level
        group_by = level = industry_lvl
    else:
        level = None
        group_by = by
    code = await _period_or_latest(request, sl, period)
    if code is None:
        return {"by": by, "level": level, "metric": metric, "order": order, "period": None, "items": []}
    async with request.app.state.runtime.sessions() as session:
        groups = await queries.calculation_groups(session, sl, queries.for_period(code), group_by)
        values = [(k, v) for k, s in groups if (v := metric_value(s, metric, places)) is not None]
        ranked = rank(values, order=order, limit=limit)
        names: dict[str, str | None] = {}
        if by == "region":
            names = {r.key: _region_name(r.key) for r in ranked}
        elif by == "enterprise":
            found = await queries.enterprise_names(session, [uuid.UUID(r.key) for r in ranked])
            names = {str(k): v for k, v in found.items()}
    by_key = dict(groups)
    return {
        "by": by,
        "level": level,
        "metric": metric,
        "order": order,
        "period": code,
        "region_scope": sl.scope,
        "items": [
            {
                "rank": r.rank,
                "dense_rank": r.dense_rank,
                "key": r.key,
                "name": names.get(r.key),
                "value": dec(r.value),
                "enterprises": by_key[r.key].enterprises,
            }
            for r in ranked
        ],
    }


@router.get("/energy-structure", summary="Emissions and energy by carrier, with shares")
async def energy_structure(request: Request, sl: SliceDep, period: PeriodParam = None) -> dict[str, Any]:
    places = _places(request)
    code = await _period_or_latest(request, sl, period)
    rows: list[tuple[str, Decimal, Decimal]] = []
    if code is not None:
        async with request.app.state.runtime.sessions() as session:
            rows = await queries.carrier_sums(session, sl, queries.for_period(code))
    emission_shares = shares([(c, e) for c, e, _ in rows], places)
    energy_shares = shares([(c, t) for c, _, t in rows], places)
    return {
        "region_scope": sl.scope,
        "period": code,
        "units": UNITS,
        "items": [
            {
                "carrier": carrier,
                "emissions_tco2": dec(emissions),
                "energy_tce": dec(tce),
                "emissions_share": dec(emission_shares[carrier]),
                "energy_share": dec(energy_shares[carrier]),
            }
            for carrier, emissions, tce in rows
        ],
    }


def regions_at_level(scope: str, level: queries.RegionLevel) -> list[Region]:
    """Every division of the snapshot at ``level`` inside ``scope`` (a directly administered county is
    city-level as well as county-level, as in the projections)."""
    prefix = scope_prefix(scope)
    out: list[Region] = []
    for province in provinces():
        if not (province.code.startswith(prefix) or prefix.startswith(province.code[:2])):
            continue
        if level == "province":
            out.append(province)
            continue
        for below in children(province.code):
            if level == "city" or below.level == "county":
                out.append(below)
            else:
                out.extend(children(below.code))
    return [r for r in out if r.code.startswith(prefix)]


@router.get("/map", summary="Map series: one value per province (or city/county) of the scope, with names")
async def region_map(
    request: Request,
    sl: SliceDep,
    level: queries.RegionLevel = "province",
    metric: Metric = "total_emissions",
    period: PeriodParam = None,
) -> dict[str, Any]:
    places = _places(request)
    code = await _period_or_latest(request, sl, period)
    groups: dict[str, CalculationSums] = {}
    if code is not None:
        async with request.app.state.runtime.sessions() as session:
            found = await queries.calculation_groups(session, sl, queries.for_period(code), level)
            groups = dict(found)
    items = []
    for region in regions_at_level(sl.scope, level):
        s = groups.get(region.code, CalculationSums.empty())
        value = metric_value(s, metric, places)
        items.append(
            {
                "code": region.code,
                "name": region.name,
                "value": dec(value),
                "enterprises": s.enterprises,
                "total_emissions_tco2": dec(s.total),
                "intensity_tco2_per_10k_cny": dec(ratio(s.total_with_value, s.added_value, places)),
            }
        )
    return {"level": level, "metric": metric, "period": code, "region_scope": sl.scope, "items": items}


@router.get("/typical-cases", summary="Typical cases: the best-graded enterprises of the period")
async def typical_cases(
    request: Request,
    sl: SliceDep,
    period: PeriodParam = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    code = await _period_or_latest(request, sl, period)
    rows: list[Any] = []
    if code is not None:
        async with request.app.state.runtime.sessions() as session:
            rows = await queries.typical_cases(session, sl, queries.for_period(code), limit)
    return {
        "region_scope": sl.scope,
        "period": code,
        "items": [
            {
                "enterprise_id": str(r.enterprise_id),
                "name": r.name,
                "region_code": r.region_code,
                "region_name": _region_name(r.region_code),
                "industry_code": r.industry_code,
                "grade": r.grade,
                "level": r.level,
                "efficiency_value_k": dec(r.efficiency_value_k),
                "intensity_tco2_per_10k_cny": dec(r.intensity_tco2_per_10k_cny),
                "total_emissions_tco2": dec(r.total_emissions_tco2),
                "net_emissions_tco2": dec(r.net_emissions_tco2),
                "neutralisation_rate": dec(r.neutralisation_rate),
                "certificate_code": r.certificate_code,
                "certificate_url": r.url,
            }
            for r in rows
        ],
    }
