"""Gateway settings (environment ``CARBONID_*``; upstreams as ``CARBONID_UPSTREAMS__<service>=<base url>``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from carbonid_kit.settings import ServiceSettings


def _repository_console() -> Path | None:
    # src/carbonid_gateway/config.py → the repository root is four levels up (absent in an installed wheel).
    candidate = Path(__file__).resolve().parents[4] / "web" / "dist"
    return candidate if candidate.is_dir() else None


DEFAULT_UPSTREAMS = {
    "identity": "http://127.0.0.1:8101",
    "resolver": "http://127.0.0.1:8102",
    "calculator": "http://127.0.0.1:8103",
    "evaluation": "http://127.0.0.1:8104",
    "certificates": "http://127.0.0.1:8105",
    "analytics": "http://127.0.0.1:8106",
    "metering": "http://127.0.0.1:8108",
}

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = Field(default=8000, ge=1, le=65535)
    consumers_enabled: bool = False
    outbox_relay_enabled: bool = False

    upstreams: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))
    required_upstreams: list[str] = Field(
        default_factory=lambda: ["identity"], description="upstreams the gateway's readiness depends on"
    )
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0, description="longest silence between response bytes")
    write_timeout_seconds: float = Field(default=30.0, gt=0)
    pool_timeout_seconds: float = Field(default=2.0, gt=0)
    max_connections_per_upstream: int = Field(default=100, ge=1, description="open connections to one service")
    max_keepalive_per_upstream: int = Field(default=32, ge=0, description="idle connections kept to one service")
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="largest request body forwarded")

    rate_per_address: float = Field(default=50.0, gt=0, description="requests per second per client address")
    burst_per_address: int = Field(default=100, ge=1)
    rate_per_user: float = Field(default=20.0, gt=0, description="requests per second per authenticated user")
    burst_per_user: int = Field(default=60, ge=1)
    rate_limit_max_clients: int = Field(default=100_000, ge=100, description="buckets kept in memory (LRU)")

    cors_allow_origins: list[str] = Field(default_factory=list)
    tls: bool = Field(default=False, description="served over HTTPS: send Strict-Transport-Security")
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    console_csp: str = CONSOLE_CSP
    api_csp: str = API_CSP

    console_dir: Path | None = Field(default_factory=_repository_console)
    openapi_cache_seconds: float = Field(default=10.0, ge=0)
    openapi_fetch_timeout_seconds: float = Field(default=2.0, gt=0)

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="load balancers in front (addresses or CIDR networks) whose X-Forwarded-For is believed",
    )
