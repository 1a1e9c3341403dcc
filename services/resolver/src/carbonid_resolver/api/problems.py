"""Resolution failures as RFC 9457 problems, each with the Handle ``responseCode`` behind it."""

from __future__ import annotations

import math
from typing import Literal

from carbonid_kit.problems import FieldError, Problem
from carbonid_resolver.domain.errors import (
    HandleNotFound,
    InvalidTemplateData,
    MissingMonths,
    NodeBadResponse,
    NodeRefused,
    NodeTimeout,
    NodeUnavailable,
    NotATemplate,
    ResolutionError,
    UnmappedItems,
    ValuesNotFound,
)

Context = Literal["enterprise", "activity", "template"]


def _extra(exc: ResolutionError) -> dict[str, object]:
    return {"handle_response_code": exc.handle_response_code, "node": exc.node, "handle": exc.handle}


def problem_for(exc: Exception, *, context: Context = "activity") -> Problem:  # noqa: PLR0911 - one per kind
    """The problem for a resolution failure; anything else is re-raised by the caller."""
    if isinstance(exc, HandleNotFound):
        if context == "enterprise":
            return Problem(
                404,
                "not-an-identifier-enterprise",
                "不是标识解析企业",
                "Not an identifier-resolution enterprise",
                f"标识解析体系中没有前缀 {exc.handle.partition('/')[0] if exc.handle else ''} 的企业信息；"
                "请先在标识解析二级节点完成企业注册",
                "The identifier system holds no enterprise under this prefix; register with an identifier node first",
                extra=_extra(exc),
            )
        return Problem(
            404,
            "handle-not-found",
            "标识不存在",
            "Identifier not found",
            f"标识 {exc.handle} 在标识节点上不存在",
            f"The identifier node has no handle {exc.handle}",
            extra=_extra(exc),
        )
    if isinstance(exc, ValuesNotFound):
        return Problem(
            404,
            "handle-values-not-found",
            "标识没有可读取的值",
            "Identifier has no values",
            f"标识 {exc.handle} 存在，但没有公开的值",
            f"The handle {exc.handle} exists but holds no public values",
            extra=_extra(exc),
        )
    if isinstance(exc, NodeUnavailable):
        headers = {}
        if exc.retry_after_s is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
        return Problem(
            503,
            "identifier-node-unavailable",
            "标识节点暂不可用",
            "Identifier node unavailable",
            f"标识节点 {exc.node or ''} 暂时无法访问（{exc.message}），请稍后重试；这不表示标识不存在",
            f"Identifier node {exc.node or ''} is unavailable ({exc.message}); retry later. "
            "This does not mean the identifier does not exist",
            extra={**_extra(exc), "breaker_state": exc.breaker_state},
            headers=headers,
        )
    if isinstance(exc, NodeTimeout):
        return Problem(
            504,
            "identifier-node-timeout",
            "标识节点响应超时",
            "Identifier node timed out",
            f"标识节点 {exc.node or ''} 未在时限内响应，请稍后重试",
            f"Identifier node {exc.node or ''} did not answer in time; retry later",
            extra=_extra(exc),
        )
    if isinstance(exc, NodeBadResponse):
        return Problem(
            502,
            "identifier-node-bad-response",
            "标识节点返回了无法解析的响应",
            "Identifier node sent an invalid response",
            f"标识节点 {exc.node or ''} 的响应无法解析（{exc.message}）",
            f"The response of identifier node {exc.node or ''} could not be read ({exc.message})",
            extra=_extra(exc),
        )
    if isinstance(exc, NotATemplate):
        return Problem(
            422,
            "not-a-template",
            "该标识不是元数据模板",
            "Not a metadata template",
            f"标识 {exc.handle} 不含可读取的元数据模板定义（TEMPLATE_DEFINITION）",
            f"The handle {exc.handle} holds no readable template definition (TEMPLATE_DEFINITION)",
            extra=_extra(exc),
        )
    if isinstance(exc, NodeRefused):
        quota = exc.handle_response_code in (603, 604, 605)
        return Problem(
            429 if quota else 502,
            "identifier-node-quota-exceeded" if quota else "identifier-node-refused",
            "标识节点拒绝了请求",
            "Identifier node refused the request",
            f"标识节点拒绝了请求：{exc.message}",
            f"The identifier node refused the request: {exc.message}",
            extra=_extra(exc),
        )
    if isinstance(exc, InvalidTemplateData):
        return Problem(
            422,
            "invalid-template-data",
            "标识数据不符合元数据模板",
            "Identifier data breaks its metadata template",
            f"{exc.handle} 有 {len(exc.errors)} 处数据不符合元数据模板",
            f"{exc.handle}: {len(exc.errors)} value(s) break the metadata template",
            errors=[FieldError(e.pointer, e.code, e.zh, e.en) for e in exc.errors],
            extra={"handle": exc.handle},
        )
    if isinstance(exc, MissingMonths):
        months = "、".join(exc.months)
        return Problem(
            404,
            "activity-records-missing",
            "缺少月度能源活动数据",
            "Monthly energy records missing",
            f"以下月份没有能源活动数据标识：{months}",
            f"No energy-activity record for: {', '.join(exc.months)}",
            errors=[
                FieldError(f"/months/{m}", "missing", f"{m} 缺少标识 {h}", f"{m}: no record {h}")
                for m, h in zip(exc.months, exc.handles, strict=True)
            ],
            extra={"handle_response_code": 100, "missing_months": exc.months, "handles": exc.handles},
        )
    if isinstance(exc, UnmappedItems):
        return Problem(
            422,
            "unmapped-template-items",
            "数据项尚未映射到排放源",
            "Template items not mapped to emission sources",
            f"行业 {exc.industry} 的数据项 {'、'.join(exc.items)} 没有排放源映射，请在元数据管理中维护",
            f"Items {', '.join(exc.items)} have no emission-source mapping for industry {exc.industry}; "
            "add one in metadata management",
            errors=[FieldError(f"/items/{i}", "unmapped", f"{i} 未映射", f"{i} is not mapped") for i in exc.items],
            extra={"industry": exc.industry, "items": exc.items},
        )
    raise exc
