"""Shared request pieces: the dashboard slice dependency, period parsing, decimal rendering."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Request

from carbonid_analytics.api.scope import REGION_PATTERN, effective_scope
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.queries import Granularity, PeriodSelection, Slice
from carbonid_contracts.codes.period import PERIOD_PATTERN, Period
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.problems import invalid

INDUSTRY_PATTERN = r"^([A-T]|\d{2}|\d{3}|\d{4})$"
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
NodeTypeParam = Literal["secondary", "enterprise", "recursive", "unknown"]

RegionParam = Annotated[
    str | None, Query(pattern=REGION_PATTERN, description="GB/T 2260 code within your scope (100000 = national)")
]
IndustryParam = Annotated[str | None, Query(pattern=INDUSTRY_PATTERN, description="GB/T 4754 code at any level")]
PeriodParam = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description="2024, 2024H1, 2024Q3 or 2024-07; default: latest year")
]
RangeParam = Annotated[
    str | None,
    Query(pattern=f"{PERIOD_PATTERN[:-1]}|{DAY_PATTERN[1:]}", description="period code or date (YYYY-MM-DD)"),
]


def settings_of(request: Request) -> AnalyticsSettings:
    settings = request.app.state.settings
    assert isinstance(settings, AnalyticsSettings)
    return settings


async def dashboard_slice(
    caller: CurrentCaller,
    region: RegionParam = None,
    industry: IndustryParam = None,
    node_type: Annotated[NodeTypeParam | None, Query(description="identifier node type")] = None,
    park: Annotated[str | None, Query(min_length=1, max_length=200, description="industrial park")] = None,
) -> Slice:
    """The facts a dashboard request may see: the caller's scope narrowed by the filters."""
    return Slice(scope=effective_scope(caller, region), industry=industry, node_type=node_type, park=park)


def range_bound(value: str | None, *, end: bool, pointer: str) -> date | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        period = Period.parse(value)
    except ValueError as exc:
        raise invalid("invalid-period", "周期或日期无效", "Invalid period or date", pointer=pointer) from exc
    return period.end if end else period.start


def period_range(granularity: Granularity, start: str | None, end: str | None) -> PeriodSelection:
    lower = range_bound(start, end=False, pointer="/from")
    upper = range_bound(end, end=True, pointer="/to")
    if lower is not None and upper is not None and lower > upper:
        raise invalid("invalid-range", "起始周期晚于结束周期", "The range starts after it ends", pointer="/from")
    return PeriodSelection(granularity=granularity, start=lower, end=upper)


def dec(value: Decimal | None) -> str | None:
    """Decimals travel as strings (never through a float)."""
    return None if value is None else format(value, "f")
