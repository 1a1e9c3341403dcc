"""Composition root: settings, runtime, event handlers, routers; ``main`` migrates and serves."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from carbonid_contracts.topics import EventType
from carbonid_evaluation import handlers
from carbonid_evaluation.api import routers
from carbonid_evaluation.config import EvaluationSettings
from carbonid_evaluation.db import MIGRATIONS, Base
from carbonid_evaluation.evidence import EvidenceStore
from carbonid_evaluation.rule_sets import RuleSetCache, install_bundled_rule_sets
from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.migrations import serve_or_migrate, upgrade

MULTIPART_OVERHEAD_BYTES = 256 * 1024


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    runtime.consumers.on(EventType.EMISSION_CALCULATED, handlers.on_emission_calculated)
    runtime.consumers.on(EventType.BENCHMARK_PUBLISHED, handlers.on_benchmark_published)
    runtime.consumers.on(EventType.ENTERPRISE_RESOLVED, handlers.on_enterprise_resolved)

    async def load_rule_sets(app: FastAPI) -> None:
        await install_bundled_rule_sets(runtime.sessions, settings.default_rule_set)

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID evaluation",
        description="Carbon-efficiency evaluations (精准碳效计算): questionnaire, neutralisation, computation, code.",
        routers=routers,
        on_startup=[load_rule_sets],
        max_body_bytes=settings.evidence_max_bytes + MULTIPART_OVERHEAD_BYTES,
    )
    app.state.rule_sets = RuleSetCache()
    app.state.evidence_store = EvidenceStore(settings.evidence_dir)
    return app


def main() -> None:
    """``carbonid-evaluation``: migrate the database, then serve; ``carbonid-evaluation migrate``: only migrate."""
    command = serve_or_migrate("carbonid-evaluation")
    settings = EvaluationSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if command == "migrate":
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
