"""Adapter for the Handle.Net v8/v9 HTTP JSON REST API (``GET /api/handles/{handle}``)."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from carbonid_resolver.adapters.base import (
    TemplateDocument,
    json_body,
    new_client,
    parse_values,
    retry_after_seconds,
    send,
    template_from_record,
)
from carbonid_resolver.config import NodeRoute
from carbonid_resolver.domain.errors import (
    RC_HANDLE_NOT_FOUND,
    RC_SERVER_NOT_RESP,
    RC_SUCCESS,
    RC_VALUES_NOT_FOUND,
    TRANSIENT_RESPONSE_CODES,
    HandleNotFound,
    NodeBadResponse,
    NodeRefused,
    NodeUnavailable,
    ValuesNotFound,
)
from carbonid_resolver.domain.records import NodeRecord


def handle_path(handle: str) -> str:
    """``/api/handles/{prefix}/{suffix}`` with the suffix percent-encoded (``/`` kept, ``#`` and ``?`` not)."""
    prefix, _, suffix = handle.partition("/")
    return f"/api/handles/{quote(prefix, safe='.')}/{quote(suffix, safe='/')}"


class HandleRestAdapter:
    def __init__(self, route: NodeRoute, client: httpx.AsyncClient | None = None) -> None:
        self.route = route
        self.node = route.label
        self._client = client or new_client(route)

    async def resolve(self, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        request = self._client.build_request("GET", handle_path(handle))
        response = await send(self._client, request, node=self.node, handle=handle, timeout=timeout)
        body = json_body(response, node=self.node, handle=handle)
        if not isinstance(body, dict) or not isinstance(body.get("responseCode"), int):
            self._raise_without_code(response, handle)
        code: int = body["responseCode"]
        message = str(body.get("message") or "")
        if code == RC_SUCCESS and response.status_code == 200:
            echoed = body.get("handle")
            if not isinstance(echoed, str) or echoed.lower() != handle.lower():
                raise NodeBadResponse(f"{self.node} answered for {echoed!r}, not {handle!r}", handle=handle)
            return NodeRecord(handle=handle, values=parse_values(body.get("values"), node=self.node, handle=handle))
        if code == RC_HANDLE_NOT_FOUND:
            raise HandleNotFound(message or "handle not found", handle=handle, node=self.node)
        if code == RC_VALUES_NOT_FOUND:
            raise ValuesNotFound(message or "handle has no values", handle=handle, node=self.node)
        if code == RC_SERVER_NOT_RESP:
            raise HandleNotFound(
                message or "prefix not homed at this node", handle=handle, node=self.node, code=RC_SERVER_NOT_RESP
            )
        if code in TRANSIENT_RESPONSE_CODES or response.status_code in (502, 503, 504):
            raise NodeUnavailable(
                message or f"{self.node} busy (responseCode {code})",
                handle=handle,
                node=self.node,
                code=code,
                retry_after_s=retry_after_seconds(response),
            )
        if response.status_code >= 500:
            raise NodeUnavailable(message or f"{self.node} failed (responseCode {code})", handle=handle, code=code)
        raise NodeRefused(message or f"{self.node} refused (responseCode {code})", handle=handle, code=code)

    def _raise_without_code(self, response: httpx.Response, handle: str) -> None:
        if response.status_code in (502, 503, 504):
            raise NodeUnavailable(f"{self.node} answered HTTP {response.status_code}", handle=handle, node=self.node)
        raise NodeBadResponse(f"{self.node} answered without a responseCode", handle=handle, node=self.node)

    async def enterprise(self, prefix: str, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        return await self.resolve(handle, timeout=timeout)

    async def template(self, handle: str, *, timeout: httpx.Timeout) -> TemplateDocument:
        return template_from_record(await self.resolve(handle, timeout=timeout), node=self.node)

    async def templates(self, prefix: str | None, *, timeout: httpx.Timeout) -> list[TemplateDocument]:
        # The REST API cannot search by value type; the caller lists the known template handles instead.
        return []

    async def aclose(self) -> None:
        await self._client.aclose()
