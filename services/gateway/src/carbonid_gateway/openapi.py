"""One OpenAPI document for the whole platform, merged from each service's ``/openapi.json``.

Paths get the prefix ``/api/<service>``; components get ``<service>_`` so that two services' ``Problem``
schemas cannot collide; internal, health and metrics paths are left out (the gateway does not route them to
the public). A service that does not answer is listed under ``info.x-unavailable`` and the rest still merge.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.proxy import Upstreams

HIDDEN_PREFIXES = ("/internal", "/health", "/metrics")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _rename_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                _, _, kind, name = value.split("/", 3)
                out[key] = f"#/components/{kind}/{service}_{name}"
            else:
                out[key] = _rename_refs(value, service)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, service) for item in node]
    return node


def merge(documents: dict[str, dict[str, Any] | None], *, title: str = "CarbonID platform API") -> dict[str, Any]:
    """Merge the services' documents (None for a service that did not answer)."""
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    tags: list[dict[str, str]] = []
    unavailable: list[str] = []
    for service, document in sorted(documents.items()):
        if document is None:
            unavailable.append(service)
            continue
        tags.append({"name": service, "description": str(document.get("info", {}).get("title", service))})
        renamed = _rename_refs(document, service)
        for path, item in renamed.get("paths", {}).items():
            if path.startswith(HIDDEN_PREFIXES):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    operation["tags"] = [service]
                    if "operationId" in operation:
                        operation["operationId"] = f"{service}_{operation['operationId']}"
            paths[f"/api/{service}{path}"] = item
        for kind, entries in renamed.get("components", {}).items():
            bucket = components.setdefault(kind, {})
            for name, entry in entries.items():
                bucket[f"{service}_{name}"] = entry
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /api/identity/auth/login",
    }
    info: dict[str, Any] = {
        "title": title,
        "version": "1.0.0",
        "description": "Every service of the platform behind the gateway. Errors are RFC 9457 problem+json.",
    }
    if unavailable:
        info["x-unavailable"] = unavailable
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": components,
        "security": [{}, {"bearerAuth": []}],
    }


class MergedOpenApi:
    """The merged document, cached for ``openapi_cache_seconds``."""

    def __init__(self, settings: GatewaySettings, upstreams: Upstreams) -> None:
        self.settings = settings
        self.upstreams = upstreams
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self, service: str, base: str) -> dict[str, Any] | None:
        try:
            response = await self.upstreams.client(service).get(
                base.rstrip("/") + "/openapi.json", timeout=self.settings.openapi_fetch_timeout_seconds
            )
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            fresh = time.monotonic() - self._fetched_at < self.settings.openapi_cache_seconds
            if self._document is None or not fresh:
                services = sorted(self.settings.upstreams.items())
                fetched = await asyncio.gather(*(self._fetch(name, base) for name, base in services))
                self._document = merge({name: doc for (name, _), doc in zip(services, fetched, strict=True)})
                self._fetched_at = time.monotonic()
            return self._document
