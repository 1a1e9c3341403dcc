"""Settings of the local identifier node, from ``IDNODE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from carbonid_idnode.records import handle_key

DEV_ADMIN_SECRET = "dev-only-idnode-admin-secret"  # noqa: S105 - the development default, refused elsewhere
DEV_SNMS_SECRET = "dev-only-idnode-snms-secret"  # noqa: S105 - the development default, refused elsewhere

SEED_DIR = Path(__file__).parent / "seed"


class NodeSettings(BaseSettings):
    """Who may write, what is loaded at start, and which faults are switched on from the start."""

    model_config = SettingsConfigDict(env_prefix="IDNODE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    # Handle REST writes: Basic auth as "{admin_index}%3A{prefix}/ADMIN:{admin_secret}" (HS_SECKEY).
    admin_secret: SecretStr = SecretStr(DEV_ADMIN_SECRET)
    admin_index: int = 300
    admin_suffix: str = "ADMIN"
    admin_secrets: dict[str, SecretStr] = {}
    """Per-prefix overrides of ``admin_secret``, e.g. ``IDNODE_ADMIN_SECRETS='{"88.118.8": "..."}'``."""

    require_https_for_writes: bool = False
    """Real Handle servers accept authenticated writes over HTTPS only; off for local development."""
    list_requires_auth: bool = True
    """Handle.Net lists handles under a prefix for that prefix's admins only."""

    # SNMS facade: POST /identity/token with these credentials.
    snms_client_id: str = "carbonid-dev"
    snms_client_secret: SecretStr = SecretStr(DEV_SNMS_SECRET)
    snms_token_ttl_seconds: int = 86400

    seed_dir: Path = SEED_DIR
    load_seed: bool = True
    persist_path: Path | None = None
    """JSON journal of writes, replayed over the seed at start; none by default (writes are lost)."""

    # Fault switches active from the start (the same as POST /_faults).
    faults_api_enabled: bool = True
    fault_latency_ms: int = 0
    fault_status_503: bool = False
    fault_timeout: bool = False
    fault_timeout_max_ms: int = 30000
    fault_malformed_body: bool = False
    fault_only_paths: str = ""
    """Comma-separated path prefixes, e.g. ``/api/handles,/identityv2``; empty means every path."""
    fault_prefix: str = ""
    fault_remaining: int | None = None

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> NodeSettings:
        if self.environment != "development":
            if self.admin_secret.get_secret_value() == DEV_ADMIN_SECRET:
                raise ValueError("IDNODE_ADMIN_SECRET must be set outside development")
            if self.snms_client_secret.get_secret_value() == DEV_SNMS_SECRET:
                raise ValueError("IDNODE_SNMS_CLIENT_SECRET must be set outside development")
        return self

    def secret_for(self, prefix: str) -> str:
        for name, secret in self.admin_secrets.items():
            if handle_key(name) == handle_key(prefix):
                return secret.get_secret_value()
        return self.admin_secret.get_secret_value()
