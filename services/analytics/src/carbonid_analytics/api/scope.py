"""Who may see which region: the effective scope of a request and the bilingual refusals."""

from __future__ import annotations

from carbonid_analytics.domain.dimensions import NATIONAL_SCOPE, within_scope
from carbonid_contracts.codes.regions import SNAPSHOT_DATE, is_known
from carbonid_kit.auth import Caller
from carbonid_kit.problems import Problem, forbidden, invalid

REGION_PATTERN = r"^[1-9]\d{5}$"


def known_region(code: str, pointer: str) -> str:
    if code != NATIONAL_SCOPE and not is_known(code):
        raise invalid(
            "unknown-region",
            f"地区代码 {code} 不在 GB/T 2260 行政区划快照（{SNAPSHOT_DATE}）中",
            f"region code {code} is not in the GB/T 2260 snapshot of {SNAPSHOT_DATE}",
            pointer=pointer,
        )
    return code


def caller_scope(caller: Caller) -> str:
    """The region a caller may see on regional dashboards: operators everything, government its scope."""
    if caller.role == "operator":
        return NATIONAL_SCOPE
    if caller.role == "government" and caller.region_scope:
        return caller.region_scope
    if caller.role == "government":
        raise forbidden("政府账号未设置监管地区", "The government account has no region scope")
    raise forbidden("企业用户无权查看区域监测数据", "Enterprise users may not see regional dashboards")


def effective_scope(caller: Caller, region: str | None, pointer: str = "/region") -> str:
    """The requested region, which must lie in the caller's scope; the caller's scope when none is asked."""
    scope = caller_scope(caller)
    if region is None:
        return scope
    known_region(region, pointer)
    if not within_scope(scope, region):
        raise Problem(
            403,
            "outside-region-scope",
            "超出监管地区范围",
            "Outside your region scope",
            f"地区 {region} 不在您的监管范围 {scope} 内",
            f"Region {region} is outside your scope {scope}",
        )
    return region
