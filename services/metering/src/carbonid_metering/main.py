"""Composition root: ``create_app()`` wires settings, runtime, the meter.reading consumer, the day publisher."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from carbonid_contracts.topics import EventType
from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.migrations import serve_or_migrate, upgrade
from carbonid_metering.api import routers
from carbonid_metering.config import MeteringSettings
from carbonid_metering.db import MIGRATIONS, Base
from carbonid_metering.handlers import ReadingHandlers
from carbonid_metering.publisher import DayPublisher
from carbonid_metering.resolver_client import ResolverClient

DESCRIPTION = (
    "Active data acquisition (主动数据获取): meters are identifiers resolved through the identifier nodes; "
    "collection gateways send readings by HTTP batch or the meter.reading topic; readings are checked "
    "(duplicates, late readings, register resets and rollovers, gaps, units, impossible values quarantined "
    "with their reason) and aggregated by hour and China Standard Time day; days are published as "
    "activity.metered."
)


def create_app(settings: MeteringSettings | None = None) -> FastAPI:
    settings = settings or MeteringSettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    handlers = ReadingHandlers(settings)
    runtime.consumers.subscribe_batch([EventType.METER_READING], handlers.on_readings)
    publisher = DayPublisher(runtime, settings)
    resolver = ResolverClient(settings)

    async def start(app: FastAPI) -> None:
        await publisher.start()

    async def stop(app: FastAPI) -> None:
        await publisher.stop()
        await resolver.aclose()

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID metering",
        description=DESCRIPTION,
        routers=routers,
        on_startup=[start],
        on_shutdown=[stop],
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.resolver = resolver
    app.state.publisher = publisher
    app.state.handlers = handlers
    return app


def main() -> None:
    """``carbonid-metering`` migrates, then serves; ``carbonid-metering migrate`` only migrates."""
    command = serve_or_migrate("carbonid-metering")
    settings = MeteringSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if command == "migrate":
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
