"""Service settings from the environment (``CARBONID_*``), shared by every service.

A deployment is configured by environment only. Secrets have development defaults so that the embedded
stack starts with no configuration; outside ``development`` and ``test`` a default secret is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 - marks defaults to refuse
DEVELOPMENT_EVENT_SECRET = DEVELOPMENT_SECRET_PREFIX + "event-signing"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class BrokerFlavour(StrEnum):
    """Tansu rejects aiokafka's idempotent producer; Apache Kafka wants it on."""

    TANSU = "tansu"
    APACHE = "apache"


class DefaultSecretError(ValueError):
    pass


class ServiceSettings(BaseSettings):
    """Settings every service has. A service subclasses it and adds its own fields."""

    model_config = SettingsConfigDict(env_prefix="CARBONID_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "carbonid"
    environment: Environment = Environment.DEVELOPMENT
    region_code: str = Field(default="100000", pattern=r"^\d{6}$", description="the deployment's region")
    log_level: str = "INFO"
    log_json: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/carbonid"
    database_pool_size: int = Field(default=10, ge=1, le=200)

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_flavour: BrokerFlavour = BrokerFlavour.TANSU
    kafka_idempotent_producer: bool | None = Field(
        default=None, description="None: on for Apache Kafka, off for Tansu (see PARTS.md)"
    )
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000)
    kafka_consumer_batch: int = Field(default=500, ge=1, le=10_000)
    topic_prefix: str = "carbonid."
    consumers_enabled: bool = True
    outbox_relay_enabled: bool = True
    outbox_batch: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(default=2.0, gt=0, description="fallback poll when no NOTIFY arrives")

    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    jwt_issuer: str = "carbonid-identity"
    jwt_audience: str = "carbonid"
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, description="allowed clock skew for exp/iat")
    service_token: SecretStr = SecretStr(DEVELOPMENT_SECRET_PREFIX + "service-token")
    token_revocations: bool | None = Field(
        default=None, description="poll identity's revocations (ends tokens everywhere); None: on except in test"
    )
    revocations_url: str | None = Field(
        default=None, description="identity's /internal/revocations; None: beside jwks_url"
    )
    revocation_poll_seconds: float = Field(default=2.0, gt=0)
    revocation_window_seconds: float = Field(
        default=3600.0, gt=0, description="how far back a starting service reads (longer than a token lives)"
    )
    public_base_url: str = "http://127.0.0.1:8000"

    # Event authenticity (carbonid_kit.messaging.authenticity): producers sign, consumers check the owner.
    event_authentication: bool | None = Field(
        default=None, description="consumers accept only signed events of each topic's owner; None: on except in test"
    )
    event_signing_secret: SecretStr | None = Field(
        default=None,
        description="this service's own secret (its Ed25519 key derives from it); needed outside development",
    )
    event_producer_keys: dict[str, str] = Field(
        default_factory=dict, description="service → public key (base64url) of every producer this service consumes"
    )
    event_max_future_seconds: float = Field(default=300.0, ge=0, description="how far ahead an event's times may lie")

    @property
    def events_authenticated(self) -> bool:
        if self.event_authentication is not None:
            return self.event_authentication
        return self.environment is not Environment.TEST

    @property
    def revocations_polled(self) -> bool:
        if self.token_revocations is not None:
            return self.token_revocations
        return self.environment is not Environment.TEST

    def revocations_endpoint(self) -> str:
        if self.revocations_url:
            return self.revocations_url
        origin = self.jwks_url.split("/.well-known/", 1)[0]
        return f"{origin}/internal/revocations"

    @property
    def development_like(self) -> bool:
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    def event_secret(self) -> str | None:
        """The event signing secret; the development default in development and test only."""
        if self.event_signing_secret is not None and self.event_signing_secret.get_secret_value():
            return self.event_signing_secret.get_secret_value()
        return DEVELOPMENT_EVENT_SECRET if self.development_like else None

    @property
    def idempotent_producer(self) -> bool:
        if self.kafka_idempotent_producer is not None:
            return self.kafka_idempotent_producer
        return self.kafka_flavour is BrokerFlavour.APACHE

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.environment in (Environment.DEVELOPMENT, Environment.TEST):
            return self
        defaults = [name for name, value in self._secret_fields() if value.startswith(DEVELOPMENT_SECRET_PREFIX)]
        if defaults:
            raise DefaultSecretError(
                f"default development secrets are refused in {self.environment.value}: set "
                + ", ".join(f"CARBONID_{n.upper()}" for n in defaults)
            )
        return self

    def _secret_fields(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            if isinstance(value, SecretStr):
                out.append((name, value.get_secret_value()))
        return out


ServiceEnvironment = Literal["development", "test", "production"]
