"""RFC 9457 problem details, in Chinese and English, for every HTTP error of every service.

A problem has a stable ``type`` (``urn:carbonid:problem:<slug>``) that clients switch on, a ``title`` and
``detail`` in the language the client asked for (``Accept-Language``; Chinese by default), both languages
under ``i18n``, and, for input errors, ``errors``: one entry per field with a JSON pointer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carbonid_kit.db import database_unavailable
from carbonid_kit.logging import request_id_var

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldError:
    pointer: str
    code: str
    zh: str
    en: str

    def as_dict(self, lang: str) -> dict[str, str]:
        return {
            "pointer": self.pointer,
            "code": self.code,
            "message": self.zh if lang == "zh" else self.en,
            "message_zh": self.zh,
            "message_en": self.en,
        }


@dataclass
class Problem(Exception):  # noqa: N818 - it is raised, but it is a problem document first
    """Raise anywhere in a request to answer with this problem."""

    status: int
    slug: str
    title_zh: str
    title_en: str
    detail_zh: str | None = None
    detail_en: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.title_en)

    @property
    def type(self) -> str:
        return f"urn:carbonid:problem:{self.slug}"

    def document(self, lang: str, instance: str | None = None) -> dict[str, Any]:
        zh = {"title": self.title_zh, "detail": self.detail_zh or self.title_zh}
        en = {"title": self.title_en, "detail": self.detail_en or self.title_en}
        chosen = zh if lang == "zh" else en
        doc: dict[str, Any] = {"type": self.type, "status": self.status, **chosen, "i18n": {"zh": zh, "en": en}}
        if instance:
            doc["instance"] = instance
        if (rid := request_id_var.get()) is not None:
            doc["request_id"] = rid
        if self.errors:
            doc["errors"] = [e.as_dict(lang) for e in self.errors]
        doc.update(self.extra)
        return doc


def not_found(what_zh: str, what_en: str) -> Problem:
    return Problem(404, "not-found", f"{what_zh}不存在", f"{what_en} not found")


def forbidden(detail_zh: str = "无权访问该资源", detail_en: str = "You may not access this resource") -> Problem:
    return Problem(403, "forbidden", "禁止访问", "Forbidden", detail_zh, detail_en)


def conflict(slug: str, detail_zh: str, detail_en: str) -> Problem:
    return Problem(409, slug, "请求与当前状态冲突", "Conflict with the current state", detail_zh, detail_en)


def invalid(slug: str, detail_zh: str, detail_en: str, *, pointer: str | None = None) -> Problem:
    """A 422 for input that is well-formed but breaks a domain rule."""
    errors = [FieldError(pointer, slug, detail_zh, detail_en)] if pointer else []
    return Problem(422, slug, "输入不符合规则", "Input breaks a rule", detail_zh, detail_en, errors=errors)


def preferred_language(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return "zh"


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body = problem.document(preferred_language(request), instance=request.url.path)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers or None)


_HTTP_TITLES: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "请求无效", "Bad request"),
    401: ("unauthenticated", "需要登录", "Authentication required"),
    403: ("forbidden", "禁止访问", "Forbidden"),
    404: ("not-found", "资源不存在", "Not found"),
    405: ("method-not-allowed", "不支持该请求方法", "Method not allowed"),
    406: ("not-acceptable", "无法提供所请求的格式", "Not acceptable"),
    409: ("conflict", "请求与当前状态冲突", "Conflict"),
    413: ("payload-too-large", "请求体过大", "Payload too large"),
    415: ("unsupported-media-type", "不支持的内容类型", "Unsupported media type"),
    422: ("validation-error", "输入校验失败", "Validation failed"),
    429: ("too-many-requests", "请求过于频繁", "Too many requests"),
    503: ("service-unavailable", "服务暂不可用", "Service unavailable"),
    504: ("gateway-timeout", "上游服务超时", "Upstream timeout"),
}


def problem_for_status(status: int, detail: str | None = None) -> Problem:
    slug, zh, en = _HTTP_TITLES.get(status, ("http-error", "请求失败", "Request failed"))
    return Problem(status, slug, zh, en, detail_zh=detail, detail_en=detail)


_VALIDATION_ZH = {
    "missing": "缺少必填字段",
    "string_too_short": "长度过短",
    "string_too_long": "长度过长",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "JSON 格式错误",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "decimal_parsing": "不是有效的数字",
    "int_parsing": "不是有效的整数",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "extra_forbidden": "不允许的字段",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "string_type": "应为字符串",
    "value_error": "取值无效",
    "uuid_parsing": "不是有效的标识",
    "date_from_datetime_parsing": "不是有效的日期",
}


def validation_problem(exc: RequestValidationError) -> Problem:
    errors: list[FieldError] = []
    for err in exc.errors():
        kind = str(err.get("type", "value_error"))
        # For malformed JSON pydantic gives the byte offset as the location: that is not a field.
        loc = [] if kind == "json_invalid" else [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        pointer = "/" + "/".join(loc) if loc else "/"
        en = str(err.get("msg", "invalid value"))
        zh_msg, en_msg = _VALIDATION_ZH.get(kind, "取值无效"), en
        # Domain validators raise bilingual "English / 中文" messages: show each language its own half.
        message = en.removeprefix("Value error, ")
        if " / " in message:
            first, _, second = message.rpartition(" / ")
            if _has_cjk(second) != _has_cjk(first):
                zh_msg, en_msg = (second, first) if _has_cjk(second) else (first, second)
        errors.append(FieldError(pointer, kind, zh_msg, en_msg))
    return Problem(
        422,
        "validation-error",
        "输入校验失败",
        "Validation failed",
        "请求中有字段不符合要求",
        "Some fields of the request are invalid",
        errors=errors,
    )


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def unexpected_error_problem(exc: BaseException, path: object) -> Problem:
    """The answer to an exception nobody handled, logged: 503 when the database (or the connection to it) failed
    (the transaction rolled back, a retry will do), else 500. Either way nothing was half-written."""
    if database_unavailable(exc):
        log.warning("database unavailable: %r", exc, extra={"path": path})
        return Problem(
            503,
            "database-unavailable",
            "数据库暂不可用",
            "Database unavailable",
            "数据库连接中断，请求未能完成，数据未被修改；请稍后重试",
            "The connection to the database broke: the request changed nothing; retry shortly",
            headers={"Retry-After": "1"},
        )
    log.error("unhandled error", exc_info=exc, extra={"path": path})
    return Problem(
        500,
        "internal-error",
        "服务内部错误",
        "Internal error",
        "请求未能完成，数据未被修改；请稍后重试",
        "The request failed and changed nothing; retry later",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Every error a FastAPI app can raise becomes problem+json; nothing answers a bare 500 page."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(request, exc)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        problem = problem_for_status(exc.status_code, exc.detail if isinstance(exc.detail, str) else None)
        problem.headers = dict(exc.headers or {})
        return problem_response(request, problem)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(request, validation_problem(exc))

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, unexpected_error_problem(exc, request.url.path))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_error)
