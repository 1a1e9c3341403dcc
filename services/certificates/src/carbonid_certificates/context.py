"""What the routers need, built once by ``create_app`` and kept on ``app.state.certificates``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request

from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.images import CodeImages
from carbonid_certificates.keys import CertificateKeys
from carbonid_kit.app import ServiceRuntime


@dataclass
class CertificatesContext:
    settings: CertificatesSettings
    runtime: ServiceRuntime
    keys: CertificateKeys
    images: CodeImages
    clock: Callable[[], datetime]
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.settings.certificate_timezone)

    def today(self) -> date:
        """The calendar day in the certificates' time zone (issue and expiry days are counted there)."""
        return self.clock().astimezone(self.zone).date()


def get_context(request: Request) -> CertificatesContext:
    context: CertificatesContext = request.app.state.certificates
    return context
