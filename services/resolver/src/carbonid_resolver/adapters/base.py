"""The one interface every identifier-node adapter implements, and the HTTP plumbing they share."""

from __future__ import annotations

import json
from typing import Any, Protocol

import httpx

from carbonid_resolver.config import NodeRoute
from carbonid_resolver.domain.errors import NodeBadResponse, NodeTimeout, NodeUnavailable, NotATemplate
from carbonid_resolver.domain.records import NodeRecord, RecordValue, parse_ttl

TemplateDocument = dict[str, Any]
"""A metadata template as the node publishes it (SNMS v5 JSON)."""


class NodeAdapter(Protocol):
    """Talks to one identifier node. Every method raises only ``domain.errors`` exceptions."""

    route: NodeRoute

    async def resolve(self, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        """The public values of ``handle``."""
        ...

    async def enterprise(self, prefix: str, handle: str, *, timeout: httpx.Timeout) -> NodeRecord:
        """The enterprise basic-information record of ``prefix`` (``handle`` names it on nodes that need that)."""
        ...

    async def template(self, handle: str, *, timeout: httpx.Timeout) -> TemplateDocument:
        """A published metadata template."""
        ...

    async def templates(self, prefix: str | None, *, timeout: httpx.Timeout) -> list[TemplateDocument]:
        """The templates the node publishes (under ``prefix`` when given)."""
        ...

    async def aclose(self) -> None: ...


def new_client(route: NodeRoute) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0)
    return httpx.AsyncClient(
        base_url=route.base_url.rstrip("/"),
        limits=limits,
        headers={"Accept": "application/json", "User-Agent": "carbonid-resolver/1.0"},
        follow_redirects=False,
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


async def send(
    client: httpx.AsyncClient, request: httpx.Request, *, node: str, handle: str | None, timeout: httpx.Timeout
) -> httpx.Response:
    """Send a request, turning transport failures into the resolver's taxonomy."""
    request.extensions["timeout"] = timeout.as_dict()
    try:
        return await client.send(request)
    except httpx.ConnectTimeout as exc:
        raise NodeUnavailable(f"connecting to {node} timed out", handle=handle, node=node) from exc
    except httpx.TimeoutException as exc:
        raise NodeTimeout(f"{node} did not answer in time", handle=handle, node=node) from exc
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"{node} unreachable: {type(exc).__name__}", handle=handle, node=node) from exc


def json_body(response: httpx.Response, *, node: str, handle: str | None) -> Any:
    """The JSON body; a gateway error page means unavailable, anything else unparseable is a bad response."""
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if response.status_code in (502, 503, 504):
            raise NodeUnavailable(
                f"{node} answered HTTP {response.status_code}",
                handle=handle,
                node=node,
                retry_after_s=retry_after_seconds(response),
            ) from exc
        raise NodeBadResponse(
            f"{node} answered HTTP {response.status_code} with a body that is not JSON", handle=handle, node=node
        ) from exc


def parse_values(raw: object, *, node: str, handle: str) -> tuple[RecordValue, ...]:
    """Handle values ``[{index, type, data, ttl}]`` (``data`` a string or ``{format, value}``)."""
    if not isinstance(raw, list):
        raise NodeBadResponse(f"{node}: values of {handle} are not a list", handle=handle, node=node)
    out: list[RecordValue] = []
    for item in raw:
        if not isinstance(item, dict):
            raise NodeBadResponse(f"{node}: a value of {handle} is not an object", handle=handle, node=node)
        index, value_type, data = item.get("index"), item.get("type"), item.get("data")
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool) or not isinstance(value_type, str):
            raise NodeBadResponse(f"{node}: a value of {handle} lacks index or type", handle=handle, node=node)
        text: str | None
        if isinstance(data, str):
            text = data
        elif isinstance(data, dict):
            fmt, value = data.get("format", "string"), data.get("value")
            text = value if fmt == "string" and isinstance(value, str) else None
        else:
            text = None
        ttl_s, expires_at = parse_ttl(item.get("ttl"))
        out.append(RecordValue(index=index, type=value_type, text=text, ttl_s=ttl_s, expires_at=expires_at))
    return tuple(out)


def template_from_record(record: NodeRecord, *, node: str) -> TemplateDocument:
    """The SNMS-v5 JSON a template handle carries in its ``TEMPLATE_DEFINITION`` value."""
    for value in sorted(record.values, key=lambda v: v.index):
        if value.type.upper() == "TEMPLATE_DEFINITION" and value.text is not None:
            try:
                document = json.loads(value.text)
            except json.JSONDecodeError as exc:
                raise NotATemplate(
                    f"{node}: template {record.handle} holds invalid JSON", handle=record.handle, node=node
                ) from exc
            if not isinstance(document, dict):
                raise NotATemplate(
                    f"{node}: template {record.handle} is not an object", handle=record.handle, node=node
                )
            return document
    raise NotATemplate(f"{node}: {record.handle} holds no template definition", handle=record.handle, node=node)
