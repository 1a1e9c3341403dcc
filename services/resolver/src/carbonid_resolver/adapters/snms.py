"""Adapter for the SNMS-compatible enterprise-node API (envelope ``{status, message, data}``, Bearer token).

Real nodes answer business failures with HTTP 200 and ``status`` -2 plus a Chinese message, so "not found"
is recognised from the message; every other failure keeps its own meaning and never becomes "not found".
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from carbonid_resolver.adapters.base import (
    TemplateDocument,
    json_body,
    new_client,
    parse_values,
    retry_after_seconds,
    send,
)
from carbonid_resolver.config import NodeRoute
from carbonid_resolver.domain.errors import (
    RC_HANDLE_NOT_FOUND,
    RC_SERVER_NOT_RESP,
    HandleNotFound,
    NodeBadResponse,
    NodeRefused,
    NodeUnavailable,
)
from carbonid_resolver.domain.records import NodeRecord, RecordValue

STATUS_OK = 1
STATUS_NOT_LOGGED_IN = -1
STATUS_FAILED = -2
STATUS_FORBIDDEN = -3
STATUS_INTERNAL = -4

_NOT_HOMED_MARKERS = ("不在本节点", "not served by this node", "doesn't live here")
_NOT_FOUND_MARKERS = ("不存在", "does not exist", "not found")

# Prefix-query fields that describe the enterprise, in the names of the enterprise basic-information template.
_PREFIX_FIELDS = {"entNameCn": "orgName", "entIndustry": "industryCategory", "entAddrCn": "orgAddr"}


class SnmsAdapter:
    def __init__(self, route: NodeRoute, client: httpx.AsyncClient | None = None) -> None:
        self.route = route
        self.node = route.label
        self._client = client or new_client(route)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()

    # -- envelope ---------------------------------------------------------------------------------------------

    async def _login(self, timeout: httpx.Timeout, stale_token: str | None) -> str:
        async with self._login_lock:
            if self._token is not None and self._token != stale_token:
                return self._token  # another request logged in meanwhile
            creds = {k: v.get_secret_value() for k, v in self.route.credentials.items()}
            request = self._client.build_request(
                "POST", "/identity/token", json={"username": creds.get("username"), "password": creds.get("password")}
            )
            response = await send(self._client, request, node=self.node, handle=None, timeout=timeout)
            data = self._data(response, handle=None)
            token = data.get("token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise NodeBadResponse(f"{self.node}: token response without a token", node=self.node)
            self._token = token
            return token

    async def _get(self, path: str, params: dict[str, str], *, handle: str | None, timeout: httpx.Timeout) -> Any:
        for attempt in range(2):
            token = self._token or await self._login(timeout, None)
            request = self._client.build_request(
                "GET", path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
            response = await send(self._client, request, node=self.node, handle=handle, timeout=timeout)
            body = self._envelope(response, handle=handle)
            if body["status"] == STATUS_NOT_LOGGED_IN and attempt == 0:
                await self._login(timeout, token)
                continue
            return self._unwrap(body, handle=handle)
        raise NodeRefused(f"{self.node} keeps refusing our token", handle=handle, node=self.node, code=402)

    def _envelope(self, response: httpx.Response, *, handle: str | None) -> dict[str, Any]:
        if response.status_code in (502, 503, 504):
            raise NodeUnavailable(
                f"{self.node} answered HTTP {response.status_code}",
                handle=handle,
                node=self.node,
                retry_after_s=retry_after_seconds(response),
            )
        body = json_body(response, node=self.node, handle=handle)
        if not isinstance(body, dict) or not isinstance(body.get("status"), int):
            if response.status_code >= 500:
                raise NodeUnavailable(f"{self.node} answered HTTP {response.status_code}", handle=handle)
            raise NodeBadResponse(f"{self.node} answered without an SNMS status", handle=handle, node=self.node)
        return body

    def _data(self, response: httpx.Response, *, handle: str | None) -> Any:
        return self._unwrap(self._envelope(response, handle=handle), handle=handle)

    def _unwrap(self, body: dict[str, Any], *, handle: str | None) -> Any:
        status, message = body["status"], str(body.get("message") or "")
        if status == STATUS_OK:
            return body.get("data")
        if status == STATUS_INTERNAL:
            raise NodeUnavailable(message or f"{self.node} internal error", handle=handle, node=self.node, code=2)
        if status == STATUS_FAILED:
            if any(m in message for m in _NOT_HOMED_MARKERS):
                raise HandleNotFound(message, handle=handle, node=self.node, code=RC_SERVER_NOT_RESP)
            if any(m in message for m in _NOT_FOUND_MARKERS):
                raise HandleNotFound(message, handle=handle, node=self.node, code=RC_HANDLE_NOT_FOUND)
        code = {STATUS_NOT_LOGGED_IN: 402, STATUS_FORBIDDEN: 401}.get(status)
        raise NodeRefused(message or f"{self.node} refused (status {status})", handle=handle, node=self.node, code=code)

    # -- operations -------------------------------------------------------------------------------------------

    async def resolve(self, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        data = await self._get("/identityv2/data/detail", {"handle": handle}, handle=handle, timeout=timeout)
        if not isinstance(data, dict):
            raise NodeBadResponse(f"{self.node}: detail of {handle} is not an object", handle=handle, node=self.node)
        return NodeRecord(handle=handle, values=parse_values(data.get("value"), node=self.node, handle=handle))

    async def enterprise(self, prefix: str, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        """The prefix query, reshaped into the attributes of the enterprise basic-information template."""
        data = await self._get("/snms/api/prefix/query", {"prefix": prefix}, handle=handle, timeout=timeout)
        if not isinstance(data, dict):
            raise NodeBadResponse(f"{self.node}: prefix query of {prefix} is not an object", handle=handle)
        attributes: dict[str, str] = {}
        for key, value in data.items():
            if isinstance(value, str | int) and not isinstance(value, bool):
                attributes[str(key)] = str(value)
        for source, target in _PREFIX_FIELDS.items():
            if isinstance(data.get(target), str):
                attributes[target] = data[target]
            elif isinstance(data.get(source), str):
                attributes[target] = data[source]
        values = tuple(RecordValue(index=i, type=k, text=v) for i, (k, v) in enumerate(sorted(attributes.items())))
        return NodeRecord(handle=handle, values=values)

    async def template(self, handle: str, *, timeout: httpx.Timeout) -> TemplateDocument:
        data = await self._get("/snms/api/v5/template", {"handle": handle}, handle=handle, timeout=timeout)
        if not isinstance(data, dict):
            raise NodeBadResponse(f"{self.node}: template {handle} is not an object", handle=handle, node=self.node)
        return data

    async def templates(self, prefix: str | None, *, timeout: httpx.Timeout) -> list[TemplateDocument]:
        params = {"prefix": prefix} if prefix else {}
        data = await self._get("/snms/api/v5/template/list", params, handle=None, timeout=timeout)
        if not isinstance(data, list):
            raise NodeBadResponse(f"{self.node}: template list is not a list", node=self.node)
        return [t for t in data if isinstance(t, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()
