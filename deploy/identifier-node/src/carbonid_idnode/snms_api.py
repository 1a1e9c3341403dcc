"""SNMS-compatible enterprise-node API over the same store as the Handle REST API.

Envelope ``{"status": 1, "message": "success", "data": ...}``; errors keep HTTP 200 (as the business
systems of real enterprise nodes do) and say what went wrong with ``status`` -1 (not logged in), -2
(business failure, see message), -3 (no permission) or -4 (internal error) and ``data: null``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from carbonid_idnode.config import NodeSettings
from carbonid_idnode.records import (
    TEMPLATE_ID_INDEX,
    TEMPLATE_VERSION_INDEX,
    Json,
    handle_key,
)
from carbonid_idnode.store import HandleRecord, HandleStore, PrefixRegistry

STATUS_OK = 1
STATUS_NOT_LOGGED_IN = -1
STATUS_FAILED = -2
STATUS_FORBIDDEN = -3
STATUS_INTERNAL = -4

TEMPLATE_DEFINITION_TYPE = "TEMPLATE_DEFINITION"
"""Value type holding a published metadata template (SNMS v5 JSON) on its template handle."""

_CHINA = timedelta(hours=8)

# Attributes of the enterprise basic-information record that the prefix query reports.
_ENTERPRISE_FIELDS = (
    "orgName",
    "orgCrtCode",
    "orgCrtType",
    "orgAddr",
    "orgAddrProvince",
    "orgAddrCity",
    "orgAddrCounty",
    "provinceName",
    "cityName",
    "countyName",
    "industryCategory",
    "industrySpecific",
    "industryClass",
    "industryClassName",
    "website",
)


def envelope(status: int, message: str, data: Json = None) -> JSONResponse:
    return JSONResponse({"status": status, "message": message, "data": data})


def failure(message: str, status: int = STATUS_FAILED) -> JSONResponse:
    return envelope(status, message, None)


class TokenBook:
    """Bearer tokens issued by /identity/token, with their expiry."""

    def __init__(self, ttl_seconds: int) -> None:
        self._ttl = ttl_seconds
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_hex(24)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self._ttl
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and expiry > time.monotonic()


def hashed_password(secret: str, day: str) -> str:
    """The /identity/token/v1 password: ``sha256(sha256(secret) + "yyyy-MM-dd")`` in lower-case hex."""
    inner = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    return hashlib.sha256((inner + day).encode("utf-8")).hexdigest()


def _value_entry(index: int, value_type: str, fmt: str, data: Json) -> dict[str, Json]:
    auth = "1" if index in (TEMPLATE_ID_INDEX, TEMPLATE_VERSION_INDEX) else ""
    return {"index": index, "type": value_type, "auth": auth, "data": {"format": fmt, "value": data}}


def _attributes(record: HandleRecord) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in record.sorted_values():
        text = value.string_value()
        if text is not None and value.public_read and value.type not in out:
            out[value.type] = text
    return out


class SnmsApi:
    def __init__(self, store: HandleStore, registry: PrefixRegistry, settings: NodeSettings) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self.tokens = TokenBook(settings.snms_token_ttl_seconds)

    # -- authentication -----------------------------------------------------------------------------------------

    def _logged_in(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.tokens.valid(token.strip())

    async def _credentials(self, request: Request) -> tuple[str, str] | JSONResponse:
        try:
            body: Any = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return failure("请求体不是有效的JSON / request body is not valid JSON")
        if not isinstance(body, dict):
            return failure("请求体必须是JSON对象 / request body must be a JSON object")
        user = body.get("username", body.get("clientId"))
        password = body.get("password", body.get("clientSecret"))
        if not isinstance(user, str) or not user:
            return failure("缺少必要的请求参数: username")
        if not isinstance(password, str) or not password:
            return failure("缺少必要的请求参数: password")
        return user, password

    def _token_response(self) -> JSONResponse:
        data: dict[str, Json] = {"token": self.tokens.issue(), "expiresIn": self.settings.snms_token_ttl_seconds}
        return envelope(STATUS_OK, "success", data)

    @staticmethod
    def _wrong_credentials() -> JSONResponse:
        return failure("用户名或密码错误 / wrong username or password")

    # -- data -----------------------------------------------------------------------------------------------------

    def detail(self, handle: str) -> JSONResponse:
        prefix, slash, _ = handle.partition("/")
        if not slash or not prefix:
            return failure(f"标识格式错误 / malformed identifier: {handle}")
        if not self.store.is_homed(prefix):
            return failure(f"前缀不在本节点 / prefix {prefix} is not served by this node")
        record = self.store.get(handle)
        if record is None:
            return failure(f"标识不存在 / identifier {handle} does not exist")
        values: list[Json] = [
            _value_entry(v.index, v.type, v.data_format, v.data_value)
            for v in record.sorted_values()
            if v.public_read and not v.type.startswith("HS_")
        ]
        version = record.values.get(TEMPLATE_VERSION_INDEX)
        data: dict[str, Json] = {
            "code": "200",
            "prefix": prefix,
            "handle": handle,
            "templateVersion": version.string_value() if version is not None else None,
            "value": values,
        }
        return envelope(STATUS_OK, "success", data)

    def templates(self, prefix: str | None) -> list[dict[str, Json]]:
        found: list[dict[str, Json]] = []
        for record in self.store.records_with_type(TEMPLATE_DEFINITION_TYPE):
            value = record.first_of_type(TEMPLATE_DEFINITION_TYPE)
            text = value.string_value() if value is not None else None
            if text is None:
                continue
            template: dict[str, Json] = json.loads(text)
            if prefix and handle_key(str(template.get("prefix", ""))) != handle_key(prefix):
                continue
            found.append(template)
        return found

    def template(self, handle: str, version: str | None) -> JSONResponse:
        for template in self.templates(None):
            if handle_key(str(template.get("handle", ""))) != handle_key(handle):
                continue
            if version and template.get("version") != version:
                return failure(f"模板版本不存在 / template {handle} has no version {version}")
            return envelope(STATUS_OK, "success", template)
        return failure(f"模板不存在 / template {handle} does not exist")

    def prefix_info(self, prefix: str) -> JSONResponse:
        info = self.registry.get(prefix)
        if info is None or not self.store.is_homed(prefix):
            return failure(f"前缀不存在 / prefix {prefix} does not exist")
        enterprise_handle = info.get("enterpriseHandle")
        record = self.store.get(str(enterprise_handle)) if enterprise_handle else None
        attributes = _attributes(record) if record is not None else {}
        data: dict[str, Json] = {
            "prefix": info["prefix"],
            "createDate": info.get("createDate"),
            "ghrName": info.get("ghrName"),
            "status": info.get("status", 1),
            "entNameCn": attributes.get("orgName"),
            "entSite": attributes.get("website"),
            "entIndustry": attributes.get("industryCategory"),
            "entAddrCn": attributes.get("orgAddr"),
            "entDesc": info.get("entDesc"),
            "parentPrefix": info.get("parentPrefix"),
            "nodeType": info.get("nodeType"),
            "nodeTypeName": info.get("nodeTypeName"),
            "enterpriseHandle": enterprise_handle,
        }
        for name in _ENTERPRISE_FIELDS:
            data.setdefault(name, attributes.get(name))
        return envelope(STATUS_OK, "success", data)

    # -- routes ---------------------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(tags=["snms"])
        not_logged_in = "未登录或登录已过期 / not logged in or token expired"

        @router.post("/identity/token")
        async def token(request: Request) -> JSONResponse:
            creds = await self._credentials(request)
            if isinstance(creds, JSONResponse):
                return creds
            user, password = creds
            expected = self.settings.snms_client_secret.get_secret_value()
            if user != self.settings.snms_client_id or not hmac.compare_digest(password.encode(), expected.encode()):
                return self._wrong_credentials()
            return self._token_response()

        @router.post("/identity/token/v1")
        async def token_hashed(request: Request) -> JSONResponse:
            creds = await self._credentials(request)
            if isinstance(creds, JSONResponse):
                return creds
            user, password = creds
            secret = self.settings.snms_client_secret.get_secret_value()
            today = datetime.now(UTC) + _CHINA
            days = [(today + timedelta(days=d)).strftime("%Y-%m-%d") for d in (0, -1, 1)]
            accepted = any(hmac.compare_digest(password.lower(), hashed_password(secret, day)) for day in days)
            if user != self.settings.snms_client_id or not accepted:
                return self._wrong_credentials()
            return self._token_response()

        @router.get("/identityv2/data/detail")
        async def detail(request: Request) -> JSONResponse:
            if not self._logged_in(request):
                return failure(not_logged_in, STATUS_NOT_LOGGED_IN)
            handle = request.query_params.get("handle", "").strip()
            if not handle:
                return failure("缺少必要的请求参数: handle")
            return self.detail(handle)

        @router.get("/snms/api/v5/template")
        async def template(request: Request) -> JSONResponse:
            if not self._logged_in(request):
                return failure(not_logged_in, STATUS_NOT_LOGGED_IN)
            handle = request.query_params.get("handle") or request.query_params.get("id")
            if not handle:
                return envelope(STATUS_OK, "success", list[Json](self.templates(request.query_params.get("prefix"))))
            return self.template(handle, request.query_params.get("version"))

        @router.get("/snms/api/v5/template/list")
        async def template_list(request: Request) -> JSONResponse:
            if not self._logged_in(request):
                return failure(not_logged_in, STATUS_NOT_LOGGED_IN)
            return envelope(STATUS_OK, "success", list[Json](self.templates(request.query_params.get("prefix"))))

        @router.get("/snms/api/prefix/query")
        async def prefix_query(request: Request) -> JSONResponse:
            if not self._logged_in(request):
                return failure(not_logged_in, STATUS_NOT_LOGGED_IN)
            prefix = request.query_params.get("prefix", "").strip()
            if not prefix:
                return failure("缺少必要的请求参数: prefix")
            return self.prefix_info(prefix)

        return router
