"""Composition root of the calculator: ``create_app()`` wires settings, runtime, consumers, reference data, routers."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from carbonid_calculator import handlers
from carbonid_calculator.api import routers
from carbonid_calculator.config import CalculatorSettings
from carbonid_calculator.context import CalculatorContext
from carbonid_calculator.data import load_reference_data
from carbonid_calculator.db import MIGRATIONS, Base
from carbonid_calculator.evidence_store import EvidenceStore
from carbonid_calculator.factor_library import FactorSetCache, seed_packaged
from carbonid_calculator.report.fonts import missing_font
from carbonid_contracts.topics import EventType
from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.migrations import serve_or_migrate, upgrade

# Multipart overhead on top of the largest evidence file the settings allow.
MULTIPART_ALLOWANCE = 256 * 1024


def create_app(settings: CalculatorSettings | None = None) -> FastAPI:
    settings = settings or CalculatorSettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    runtime.consumers.on(EventType.ENTERPRISE_RESOLVED, handlers.on_enterprise_resolved)
    runtime.consumers.on(EventType.ACTIVITY_RESOLVED, handlers.on_activity_resolved)
    context = CalculatorContext(
        settings=settings,
        runtime=runtime,
        reference=load_reference_data(),
        factor_sets=FactorSetCache(),
        evidence=EvidenceStore(settings.evidence_dir),
    )

    async def seed(_: FastAPI) -> None:
        await seed_packaged(runtime.sessions)

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID calculator",
        description="Industry taxonomy, emission-factor library, emission calculations with trace, evidence, reports",
        routers=routers,
        on_startup=[seed],
        degraded=[lambda: missing_font(settings.report_font_path, settings.report_font_dirs)],
        max_body_bytes=max(settings.evidence_max_bytes + MULTIPART_ALLOWANCE, 4 * 1024 * 1024),
    )
    app.state.calculator = context
    return app


def main() -> None:
    """``carbonid-calculator``: migrate the database, then serve; ``carbonid-calculator migrate``: only migrate."""
    command = serve_or_migrate("carbonid-calculator")
    settings = CalculatorSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if command == "migrate":
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
