"""Composition root of the resolver: ``create_app()`` wires settings, runtime, node directory and routers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
import uvicorn
from fastapi import FastAPI

from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.migrations import serve_or_migrate, upgrade
from carbonid_resolver.api import routers
from carbonid_resolver.bindings import EnterpriseBindings
from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.db import MIGRATIONS, Base
from carbonid_resolver.domain.breaker import Clock
from carbonid_resolver.identity_client import IdentityClient
from carbonid_resolver.resilience import NodeDirectory
from carbonid_resolver.service import Resolver


def create_app(
    settings: ResolverSettings | None = None,
    *,
    clock: Clock = time.monotonic,
    node_transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The resolver app. ``clock`` drives the cache and the circuit breakers (tests inject one they advance);
    deadlines and timeouts always use the wall clock."""
    settings = settings or ResolverSettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    directory = NodeDirectory(settings, clock=clock, transport=node_transport, **({"sleep": sleep} if sleep else {}))
    identity = IdentityClient(
        settings.identity_url, settings.service_token.get_secret_value(), timeout_s=settings.identity_timeout_s
    )
    resolver = Resolver(settings, runtime, directory, identity)

    async def shutdown(_: FastAPI) -> None:
        await resolver.stop()
        await directory.aclose()
        await identity.aclose()

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID resolver",
        description="Enterprise profiles and energy activity data through industrial-internet identifier resolution",
        routers=routers,
        on_shutdown=[shutdown],
    )
    app.state.resolver = resolver
    app.state.bindings = EnterpriseBindings(settings, runtime, directory, identity)
    return app


def main() -> None:
    """``carbonid-resolver``: migrate the database, then serve; ``carbonid-resolver migrate``: only migrate."""
    command = serve_or_migrate("carbonid-resolver")
    settings = ResolverSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if command == "migrate":
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
