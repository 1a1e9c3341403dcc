"""Composition root of the certificates service: ``create_app()`` wires settings, runtime, keys and routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI

from carbonid_certificates.api import routers
from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.context import CertificatesContext
from carbonid_certificates.db import MIGRATIONS, Base
from carbonid_certificates.handlers import CertificateIssuer
from carbonid_certificates.images import CodeImages, load_label_font
from carbonid_certificates.keys import CertificateKeys
from carbonid_contracts.topics import EventType
from carbonid_kit.app import Degradation, ServiceRuntime, create_service_app
from carbonid_kit.migrations import serve_or_migrate, upgrade


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: CertificatesSettings | None = None, *, clock: Callable[[], datetime] = _utc_now) -> FastAPI:
    """The certificates app. ``clock`` (UTC, aware) dates certificates and decides expiry; tests move it."""
    settings = settings or CertificatesSettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    keys = CertificateKeys(runtime.sessions, settings.signing_key_secret.get_secret_value(), clock)
    issuer = CertificateIssuer(settings, runtime.outbox, keys, clock)
    runtime.consumers.on(EventType.EVALUATION_COMPLETED, issuer.on_evaluation_completed)
    runtime.consumers.on(EventType.ENTERPRISE_RESOLVED, issuer.on_enterprise_resolved)
    images = CodeImages(settings, load_label_font(settings))

    def label_font_missing() -> Degradation | None:
        if images.font.data is not None:
            return None
        return Degradation(
            "code-labels",
            "未找到中文字体：彩色码 PNG 的等级标签改用 ASCII；请安装 fonts-noto-cjk 或设置 CARBONID_QR_FONT_PATH",
            "no CJK font: the PNG codes' grade labels fall back to ASCII; install fonts-noto-cjk "
            "or set CARBONID_QR_FONT_PATH",
        )

    async def startup(_: FastAPI) -> None:
        await keys.ensure_active_key()

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID certificates",
        description="Signed carbon-efficiency certificates, coloured codes, public verification, identifiers",
        routers=routers,
        on_startup=[startup],
        degraded=[label_font_missing],
    )
    app.state.certificates = CertificatesContext(settings, runtime, keys, images, clock)
    app.state.issuer = issuer
    return app


def main() -> None:
    """``carbonid-certificates``: migrate the database, then serve; ``carbonid-certificates migrate``: only migrate."""
    command = serve_or_migrate("carbonid-certificates")
    settings = CertificatesSettings()
    upgrade(MIGRATIONS, settings.database_url)
    if command == "migrate":
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
