"""Composition root: ``create_app()`` wires settings, runtime, handlers, dispatcher and routers."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from fastapi import FastAPI

from carbonid_analytics.api import routers
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.db import MIGRATIONS
from carbonid_analytics.handlers import ProjectionHandlers
from carbonid_analytics.runtime import AnalyticsRuntime
from carbonid_analytics.webhooks import WebhookDispatcher
from carbonid_kit.app import create_service_app
from carbonid_kit.migrations import upgrade

DESCRIPTION = (
    "Regional and industry projections of the platform's events (region, industry, period, identifier node "
    "type, park), dashboard queries within the caller's region scope, industry benchmarks, and signed "
    "webhooks for regulators."
)


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    runtime = AnalyticsRuntime(settings, ProjectionHandlers(settings))
    dispatcher = WebhookDispatcher(settings, runtime.sessions)

    async def start_dispatcher(app: FastAPI) -> None:
        if settings.webhooks_enabled:
            await dispatcher.start()

    async def stop_dispatcher(app: FastAPI) -> None:
        if settings.webhooks_enabled:
            await dispatcher.stop()

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID analytics",
        description=DESCRIPTION,
        routers=routers,
        on_startup=[start_dispatcher],
        on_shutdown=[stop_dispatcher],
    )
    app.state.dispatcher = dispatcher
    return app


async def _rebuild(settings: AnalyticsSettings, requested_by: str) -> int:
    """Truncate and move to the next generation from the command line; running replicas follow."""
    from sqlalchemy import text, update

    from carbonid_analytics import db
    from carbonid_analytics.runtime import read_generation
    from carbonid_kit.db import create_engine, session_factory, transaction

    engine = create_engine(settings.database_url, pool_size=1)
    sessions = session_factory(engine)
    try:
        await read_generation(sessions)
        async with transaction(sessions) as session:
            names = ", ".join(t.name for t in (*db.PROJECTION_TABLES, db.inbox))
            await session.execute(text(f"TRUNCATE {names}"))
            generation = (
                await session.execute(
                    update(db.consumer_generation)
                    .values(generation=db.consumer_generation.c.generation + 1, changed_by=requested_by)
                    .returning(db.consumer_generation.c.generation)
                )
            ).scalar_one()
        return int(generation)
    finally:
        await engine.dispose()


def main() -> None:
    """``carbonid-analytics`` serves (after migrating); ``carbonid-analytics rebuild`` requests a rebuild."""
    parser = argparse.ArgumentParser(prog="carbonid-analytics")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "rebuild"])
    parser.add_argument("--by", default="cli", help="who asked for the rebuild (recorded)")
    args = parser.parse_args()
    settings = AnalyticsSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if args.command == "migrate":
        return
    if args.command == "rebuild":
        generation = asyncio.run(_rebuild(settings, args.by))
        print(f"projections truncated; consumer generation {generation}")  # noqa: T201 - CLI output
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
