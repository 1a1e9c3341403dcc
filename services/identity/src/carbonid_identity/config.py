"""Identity settings (environment ``CARBONID_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from carbonid_kit.settings import DEVELOPMENT_SECRET_PREFIX, ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/carbonid_identity"
    http_port: int = Field(default=8101, ge=1, le=65535)
    # Identity publishes and consumes no events: no broker is needed to run it.
    consumers_enabled: bool = False
    outbox_relay_enabled: bool = False

    # Signing keys: the private halves are stored encrypted with a key derived from this secret.
    key_encryption_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET_PREFIX + "key-encryption-secret")
    signing_key_max_age_seconds: int = Field(default=30 * 24 * 3600, ge=60, description="automatic rotation age")
    jwks_grace_seconds: int = Field(default=60, ge=0, description="clock skew allowance before a key leaves JWKS")

    access_token_ttl_seconds: int = Field(default=900, ge=1, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    session_max_age_seconds: int = Field(default=30 * 24 * 3600, ge=60, description="absolute session lifetime")

    # Argon2id cost (RFC 9106 low-memory profile by default; cheap in tests).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    login_account_max_failures: int = Field(default=5, ge=1)
    login_account_window_seconds: int = Field(default=900, ge=1)
    login_account_lockout_seconds: int = Field(default=900, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)
    login_address_window_seconds: int = Field(default=900, ge=1)
    login_address_lockout_seconds: int = Field(default=900, ge=1)
    # Self-registrations per client address (every attempt counts, a taken name too): bots cannot mint
    # accounts or probe usernames in bulk. Room for a demo load (48 accounts) from one address.
    register_address_max: int = Field(default=100, ge=1)
    register_address_window_seconds: int = Field(default=900, ge=1)
    register_address_lockout_seconds: int = Field(default=900, ge=1)

    # Peers whose X-Forwarded-For is believed (the gateway); anyone else is the client itself.
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"], description="addresses or CIDR networks, e.g. 10.0.0.0/8"
    )
