"""Certificates settings (environment prefix ``CARBONID_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from carbonid_kit.settings import DEVELOPMENT_SECRET_PREFIX, ServiceSettings

DEFAULT_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class CertificatesSettings(ServiceSettings):
    service_name: str = "certificates"
    http_port: int = Field(default=8105, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/carbonid_certificates"

    signing_key_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET_PREFIX + "certificate-signing-key-secret"),
        description="seals the Ed25519 private keys stored in the database (HKDF-SHA256 → AES-256-GCM)",
    )
    certificate_validity_months: int = Field(default=12, ge=1, le=120)
    certificate_timezone: str = Field(default="Asia/Shanghai", description="the calendar issue and expiry days use")
    certificate_prefix: str = Field(
        default="88.118.8.carbonid",
        pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$",
        description="Handle prefix of the certificate identifiers: {prefix}/{code} and {prefix}/ent.{enterprise id}",
    )
    handle_ttl_seconds: int = Field(default=86400, ge=0)
    qr_font_path: Path | None = Field(default=None, description="CJK font for the PNG label; None: search defaults")
    qr_font_index: int | None = Field(default=None, ge=0, description="face in a .ttc; None: Simplified Chinese")
    qr_min_size_px: int = Field(default=1200, ge=300, le=6000, description="PNG side (1200 = 4 in at 300 dpi)")
    qr_cache_entries: int = Field(default=256, ge=0, le=100_000, description="rendered images kept in memory")
    list_max_limit: int = Field(default=200, ge=1, le=1000)

    @field_validator("certificate_prefix")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def public_certificate_base(self) -> str:
        return self.public_base_url.rstrip("/")

    def public_url(self, code: str) -> str:
        """What the QR code encodes: the web console's short certificate route."""
        return f"{self.public_certificate_base}/c/{code}"
