"""Composition root of the gateway, and the ``carbonid-gateway`` command."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.console import serve_console
from carbonid_gateway.openapi import MergedOpenApi
from carbonid_gateway.proxy import Gateway, Upstreams, proxy
from carbonid_gateway.ratelimit import TokenBuckets
from carbonid_gateway.security import SecurityHeadersMiddleware
from carbonid_kit.app import NotReadyError, create_service_app

PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
DESCRIPTION = "The single entry point: `/api/<service>/...`. The platform's API is at `/api/openapi.json`."


async def upstream_states(gateway: Gateway) -> dict[str, str]:
    """Each upstream's readiness: ``ready``, ``not-ready`` (it answered otherwise) or ``unreachable``."""

    async def probe(name: str) -> str:
        base = gateway.upstreams.bases[name]
        try:
            response = await gateway.upstreams.client(name).get(base.rstrip("/") + "/health/ready", timeout=2.0)
        except httpx.HTTPError:
            return "unreachable"
        return "ready" if response.status_code == 200 else "not-ready"

    names = sorted(gateway.upstreams.bases)
    states = await asyncio.gather(*(probe(n) for n in names))
    return dict(zip(names, states, strict=True))


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstream_clients = Upstreams(settings)
    holder: dict[str, Gateway] = {}

    async def required_upstreams_ready() -> None:
        states = await upstream_states(holder["gateway"])
        down = [f"{n}: {states.get(n, 'unknown')}" for n in settings.required_upstreams if states.get(n) != "ready"]
        if down:
            raise NotReadyError("upstreams not ready: " + ", ".join(down))

    async def close_clients(app: FastAPI) -> None:
        await upstream_clients.aclose()

    router = APIRouter()

    @router.get("/api/openapi.json", tags=["gateway"], summary="The merged OpenAPI document of the platform")
    async def merged_openapi(request: Request) -> JSONResponse:
        merged: MergedOpenApi = request.app.state.merged_openapi
        return JSONResponse(await merged.document(), headers={"Cache-Control": "no-cache"})

    @router.get("/health/upstreams", tags=["health"], summary="Readiness of every upstream service")
    async def upstreams(request: Request) -> dict[str, Any]:
        return {"upstreams": await upstream_states(request.app.state.gateway)}

    router.add_api_route("/api/{service}", proxy, methods=PROXY_METHODS, include_in_schema=False)
    router.add_api_route("/api/{service}/{path:path}", proxy, methods=PROXY_METHODS, include_in_schema=False)
    router.add_api_route("/", serve_console, methods=["GET", "HEAD"], include_in_schema=False)
    router.add_api_route("/{path:path}", serve_console, methods=["GET", "HEAD"], include_in_schema=False)

    app = create_service_app(
        settings,
        None,
        title="CarbonID gateway",
        description=DESCRIPTION,
        routers=[router],
        readiness=[required_upstreams_ready],
        on_shutdown=[close_clients],
        max_body_bytes=settings.max_body_bytes,
    )
    gateway = Gateway(
        settings=settings,
        upstreams=upstream_clients,
        jwks=app.state.jwks,
        per_address=TokenBuckets(
            settings.rate_per_address, settings.burst_per_address, max_clients=settings.rate_limit_max_clients
        ),
        per_user=TokenBuckets(
            settings.rate_per_user, settings.burst_per_user, max_clients=settings.rate_limit_max_clients
        ),
    )
    holder["gateway"] = gateway
    app.state.gateway = gateway
    app.state.merged_openapi = MergedOpenApi(settings, upstream_clients)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=PROXY_METHODS,
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "X-Request-ID", "traceparent"],
            expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition", "Location"],
            allow_credentials=False,  # tokens travel in the Authorization header, never in cookies
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app


def main() -> None:
    settings = GatewaySettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
