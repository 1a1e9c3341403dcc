"""Resolver settings (env prefix ``CARBONID_``): node routing, timeouts, retries, breaker and cache."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, model_validator

from carbonid_kit.settings import ServiceSettings

NodeKind = Literal["handle", "snms"]


class NodeRoute(BaseModel):
    """Which identifier node serves which prefixes, and how to talk to it.

    ``prefix`` is a pattern: ``88.118.8`` matches that prefix and everything derived from it
    (``88.118.8.1``); a pattern ending in ``.`` (``88.``) matches every prefix starting with it; ``*`` or
    an empty pattern matches everything. The longest matching pattern wins.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    prefix: str = Field(default="*", validation_alias=AliasChoices("prefix", "prefix_pattern"))
    kind: NodeKind = "handle"
    base_url: str = Field(min_length=1)
    name: str | None = Field(default=None, description="label used in logs, metrics and problems")
    node_type: Literal["enterprise", "secondary"] | None = Field(
        default=None,
        description=(
            "what this route reaches: an enterprise's own node (企业自建节点) or a secondary node hosting enterprise "
            "prefixes (二级节点托管); the enterprise's node type when its record does not say (Handle REST records "
            "carry no node type; the SNMS prefix query does)"
        ),
    )
    credentials: dict[str, SecretStr] = Field(
        default_factory=dict, description="SNMS: username and password for POST /identity/token"
    )

    @property
    def label(self) -> str:
        return self.name or self.base_url.removeprefix("http://").removeprefix("https://").rstrip("/")

    def specificity(self, prefix: str) -> int | None:
        """How specifically this route matches ``prefix`` (longer is better); None when it does not match."""
        pattern = self.prefix.strip().lower()
        wanted = prefix.lower()
        if pattern in ("", "*"):
            return 0
        if pattern.endswith("."):
            return len(pattern) if wanted.startswith(pattern) else None
        if wanted == pattern or wanted.startswith(pattern + "."):
            return len(pattern) + 1
        return None


class ResolverSettings(ServiceSettings):
    service_name: str = "resolver"
    http_port: int = Field(default=8102, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/carbonid_resolver"

    nodes: list[NodeRoute] = Field(
        default_factory=lambda: [NodeRoute(prefix="*", kind="handle", base_url="http://127.0.0.1:8700", name="local")],
        description='e.g. CARBONID_NODES=\'[{"prefix":"88.","kind":"handle","base_url":"http://127.0.0.1:8700"}]\'',
    )
    identity_url: str = "http://127.0.0.1:8101"
    identity_timeout_s: float = Field(default=5.0, gt=0)

    # Where the records live on a node (conventions of the enterprise nodes we talk to).
    enterprise_suffix: str = Field(default="ENTERPRISE", description="the enterprise basic-information record")
    binding_record_suffix: str = Field(
        default="CARBONID.BINDING", description="the record an enterprise publishes to prove control of its prefix"
    )
    activity_handle_pattern: str = Field(
        default="{prefix}/energy.{YYYY-MM}",
        description="monthly energy record when the enterprise record names no activityHandlePattern",
    )
    activity_template: str = Field(
        default="88.118.1/META.ENERGY_ACTIVITY",
        description="the energy-activity metadata template the platform publishes",
    )
    template_handles: list[str] = Field(
        default_factory=lambda: ["88.118.1/META.ENTERPRISE_INFO", "88.118.1/META.ENERGY_ACTIVITY"],
        description="templates listed for Handle REST nodes (which cannot list templates)",
    )

    # Resilience.
    connect_timeout_s: float = Field(default=2.0, gt=0)
    read_timeout_s: float = Field(default=5.0, gt=0)
    resolution_deadline_s: float = Field(default=8.0, gt=0, description="one overall budget per resolution")
    retry_attempts: int = Field(default=2, ge=0, le=10, description="retries after the first attempt")
    retry_base_s: float = Field(default=0.2, ge=0)
    retry_max_s: float = Field(default=2.0, ge=0, description="cap of one backoff pause, Retry-After included")
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_s: float = Field(default=30.0, gt=0)
    cache_ttl_cap_s: float = Field(default=3600.0, ge=0)
    cache_ttl_floor_s: float = Field(default=30.0, ge=0)
    negative_cache_ttl_s: float = Field(default=30.0, ge=0)
    stale_if_error_s: float = Field(default=86400.0, ge=0)
    cache_max_entries: int = Field(default=50_000, ge=1)
    fetch_concurrency: int = Field(default=6, ge=1, le=64, description="monthly records fetched at once")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.nodes:
            raise ValueError("at least one identifier node must be configured (CARBONID_NODES)")
        if self.cache_ttl_floor_s > self.cache_ttl_cap_s:
            raise ValueError("cache_ttl_floor_s must not exceed cache_ttl_cap_s")
        for node in self.nodes:
            if node.kind == "snms" and not {"username", "password"} <= set(node.credentials):
                raise ValueError(f"SNMS node {node.label} needs credentials username and password")
        return self
