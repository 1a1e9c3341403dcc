"""Handle.Net v9 HTTP JSON REST API: ``/api/handles`` and ``/api/prefixes``.

Every answer carries ``responseCode`` and, for a handle request, the requested handle exactly as it was
asked for; the HTTP status follows records.HTTP_STATUS.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carbonid_idnode.auth import AdminIdentity, authenticate, require_admin
from carbonid_idnode.config import NodeSettings
from carbonid_idnode.records import (
    HandleError,
    HandleValue,
    Json,
    ResponseCode,
    handle_key,
    http_status,
    parse_values,
    split_handle,
    type_matches,
    utc_timestamp,
)
from carbonid_idnode.store import HandleRecord, HandleStore

_TRUE = frozenset({"", "true", "yes", "1"})
ADMIN_PERMISSIONS = "111111111111"


def handle_response(
    code: ResponseCode,
    *,
    handle: str | None = None,
    created: bool = False,
    resolution: bool = False,
    message: str | None = None,
    pretty: bool = False,
    extra: dict[str, Json] | None = None,
) -> Response:
    body: dict[str, Json] = {"responseCode": int(code)}
    if handle is not None:
        body["handle"] = handle
    if message is not None:
        body["message"] = message
    body.update(extra or {})
    text = json.dumps(body, ensure_ascii=False, indent=2 if pretty else None)
    status = http_status(code, created=created, resolution=resolution)
    return Response(text, status_code=status, media_type="application/json")


def _flag(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    return default if raw is None else raw.strip().lower() in _TRUE


def _indices(request: Request) -> list[int] | None:
    """The ``index`` parameters; None when absent; ``[]`` for ``index=various`` (indices come from the body)."""
    raw = request.query_params.getlist("index")
    if not raw:
        return None
    if any(r.strip().lower() == "various" for r in raw):
        return []
    try:
        return [int(r) for r in raw]
    except ValueError as exc:
        raise HandleError(ResponseCode.PROTOCOL_ERROR, "index parameters must be integers") from exc


def _homed(store: HandleStore, handle: str) -> str:
    prefix, _ = split_handle(handle)
    if not store.is_homed(prefix):
        raise HandleError(ResponseCode.SERVER_NOT_RESP, "That prefix doesn't live here")
    return prefix


def _visible(value: HandleValue, indices: list[int] | None, types: list[str], public_only: bool) -> bool:
    if public_only and not value.public_read:
        return False
    if not indices and not types:
        return True
    return value.index in (indices or []) or any(type_matches(value.type, t) for t in types)


def _body_values(raw: Any, handle: str) -> list[Any]:
    """The values of a PUT body: an array, ``{"values": [...]}`` (with a matching ``handle``), or one value."""
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict) and "values" in raw:
        named = raw.get("handle")
        if named is not None and (not isinstance(named, str) or handle_key(named) != handle_key(handle)):
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "Handle in body does not match the request")
        values = raw["values"]
        if not isinstance(values, list):
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "values must be an array")
        return values
    if isinstance(raw, dict) and "index" in raw:
        return [raw]
    raise HandleError(ResponseCode.PROTOCOL_ERROR, "Body must be an array of values, {values: [...]} or a value")


def _with_default_admin(values: dict[int, HandleValue], identity: AdminIdentity, stamp: str) -> dict[int, HandleValue]:
    """Handle servers give a record without HS_ADMIN one naming the admin who created it."""
    if any(v.type == "HS_ADMIN" for v in values.values()):
        return values
    index = next(i for i in range(100, 10_000) if i not in values)
    admin = HandleValue(
        index=index,
        type="HS_ADMIN",
        data_format="admin",
        data_value={"handle": identity.handle, "index": identity.index, "permissions": ADMIN_PERMISSIONS},
        timestamp=stamp,
    )
    return {**values, index: admin}


class HandleApi:
    """Request handling over one store; routes are registered by ``router()``."""

    def __init__(self, store: HandleStore, settings: NodeSettings) -> None:
        self.store = store
        self.settings = settings

    def _writer(self, request: Request, handle: str, existing: HandleRecord | None) -> AdminIdentity:
        if self.settings.require_https_for_writes and request.url.scheme != "https":
            raise HandleError(ResponseCode.INSUFFICIENT_PERMISSIONS, "Authenticated requests must use HTTPS")
        identity = authenticate(self.store, request.headers.get("authorization"))
        require_admin(identity, handle, existing)
        return identity

    def resolve(self, request: Request, handle: str) -> Response:
        _homed(self.store, handle)
        indices = _indices(request)
        types = request.query_params.getlist("type")
        record = self.store.get(handle)
        if record is None:
            raise HandleError(ResponseCode.HANDLE_NOT_FOUND, "Handle not found")
        public_only = _flag(request, "publicOnly", default=True)
        if not public_only:
            if request.headers.get("authorization"):
                self._writer(request, handle, record)
            else:
                public_only = True
        values: list[Json] = [v.to_json() for v in record.sorted_values() if _visible(v, indices, types, public_only)]
        pretty = _flag(request, "pretty", default=False)
        code = ResponseCode.SUCCESS if values else ResponseCode.VALUES_NOT_FOUND
        return handle_response(code, handle=handle, resolution=True, pretty=pretty, extra={"values": values})

    async def write(self, request: Request, handle: str) -> Response:
        mint = _flag(request, "mintNewSuffix", default=False)
        if mint:
            handle = handle + secrets.token_hex(8).upper()
        _, suffix = split_handle(handle)
        if not suffix:
            raise HandleError(ResponseCode.INVALID_HANDLE, "A handle needs a suffix")
        _homed(self.store, handle)
        existing = self.store.get(handle)
        identity = self._writer(request, handle, existing)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not (content_type == "application/json" or content_type.endswith("+json")):
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "Content-Type must be application/json")
        try:
            raw = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "Body is not valid JSON") from exc
        stamp = utc_timestamp()
        values = parse_values(_body_values(raw, handle), stamp)
        overwrite = False if mint else _flag(request, "overwrite", default=True)
        indices = _indices(request)
        if indices is not None:
            if indices and set(indices) != set(values):
                raise HandleError(ResponseCode.PROTOCOL_ERROR, "Indices in the query do not match the body")
            created = self.store.put_values(handle, values, overwrite=overwrite)
        else:
            if not values:
                raise HandleError(ResponseCode.INVALID_VALUE, "A handle record needs at least one value")
            values = _with_default_admin(values, identity, stamp)
            created = self.store.put_record(handle, values, overwrite=overwrite)
        return handle_response(ResponseCode.SUCCESS, handle=handle, created=created and not overwrite)

    def delete(self, request: Request, handle: str) -> Response:
        _homed(self.store, handle)
        existing = self.store.get(handle)
        self._writer(request, handle, existing)
        indices = _indices(request)
        if indices:
            self.store.delete_values(handle, indices)
        else:
            self.store.delete_record(handle)
        return handle_response(ResponseCode.SUCCESS, handle=handle)

    def list_handles(self, request: Request) -> Response:
        prefix = request.query_params.get("prefix")
        if not prefix:
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "Missing prefix parameter")
        if not self.store.is_homed(prefix):
            raise HandleError(ResponseCode.SERVER_NOT_RESP, "That prefix doesn't live here")
        if self.settings.list_requires_auth:
            self._writer(request, f"{prefix}/", None)
        handles = self.store.list_handles(prefix)
        extra: dict[str, Json] = {"prefix": prefix, "totalCount": str(len(handles))}
        try:
            page = int(request.query_params.get("page", "0"))
            page_size = int(request.query_params.get("pageSize", "-1"))
        except ValueError as exc:
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "page and pageSize must be integers") from exc
        if page < 0:
            raise HandleError(ResponseCode.PROTOCOL_ERROR, "page must not be negative")
        if "pageSize" in request.query_params or "page" in request.query_params:
            extra["page"] = page
            extra["pageSize"] = page_size
        if page_size >= 0:
            handles = handles[page * page_size : (page + 1) * page_size]
        extra["handles"] = list[Json](handles)
        return handle_response(ResponseCode.SUCCESS, pretty=_flag(request, "pretty", default=False), extra=extra)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["handle"])

        def answer(request: Request, handle: str | None, exc: HandleError) -> Response:
            return handle_response(exc.code, handle=handle, message=exc.message, resolution=request.method == "GET")

        @router.get("/api/prefixes")
        async def prefixes() -> Response:
            return handle_response(ResponseCode.SUCCESS, extra={"prefixes": list[Json](self.store.prefixes())})

        @router.get("/api/handles")
        async def list_handles(request: Request) -> Response:
            try:
                return self.list_handles(request)
            except HandleError as exc:
                return answer(request, None, exc)

        @router.get("/api/handles/{handle:path}")
        async def get_handle(request: Request, handle: str) -> Response:
            try:
                return self.resolve(request, handle)
            except HandleError as exc:
                return answer(request, handle, exc)

        @router.put("/api/handles/{handle:path}")
        async def put_handle(request: Request, handle: str) -> Response:
            try:
                return await self.write(request, handle)
            except HandleError as exc:
                return answer(request, handle, exc)

        @router.delete("/api/handles/{handle:path}")
        async def delete_handle(request: Request, handle: str) -> Response:
            try:
                return self.delete(request, handle)
            except HandleError as exc:
                return answer(request, handle, exc)

        return router
