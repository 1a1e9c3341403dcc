"""What the embedded stack runs, in start order, and the environment each process gets."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StackConfig:
    """Ports and places of one embedded deployment; every value has a ``carbonid-stack up`` flag."""

    data_dir: Path
    host: str = "127.0.0.1"
    postgres_port: int = 55432
    kafka_bootstrap: str | None = None  # None: start Tansu; else use this broker (e.g. Apache Kafka)
    kafka_port: int = 59092
    kafka_flavour: str = "tansu"
    gateway_port: int = 8000
    identity_port: int = 8101
    resolver_port: int = 8102
    calculator_port: int = 8103
    evaluation_port: int = 8104
    certificates_port: int = 8105
    analytics_port: int = 8106
    metering_port: int = 8108
    node_port: int = 8700
    topic_prefix: str = "carbonid."
    region_code: str = "100000"
    demo: bool = True  # built-in demo accounts at start; ``up`` also loads the demo data on first start

    @property
    def demo_marker(self) -> Path:
        """Written when the demo loader has finished once: later starts do not run it again."""
        return self.data_dir / "demo-loaded.json"

    @classmethod
    def free_ports(cls) -> dict[str, int]:
        """A free loopback port for every process of the stack, for runs beside another stack (tests, loads)."""
        from carbonid_kit.embedded import free_port

        return {name: free_port() for name in PORT_FIELDS}

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"{self.host}:{self.kafka_port}"

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"


PORT_FIELDS: tuple[str, ...] = tuple(name for name in StackConfig.__dataclass_fields__ if name.endswith("_port"))


@dataclass(frozen=True)
class Component:
    name: str
    module: str  # python -m <module>
    port_attr: str
    database: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    def port(self, config: StackConfig) -> int:
        return int(getattr(config, self.port_attr))

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


SERVICES: tuple[Component, ...] = (
    Component("identity", "carbonid_identity", "identity_port"),
    Component("resolver", "carbonid_resolver", "resolver_port"),
    Component("calculator", "carbonid_calculator", "calculator_port"),
    Component("evaluation", "carbonid_evaluation", "evaluation_port"),
    Component("certificates", "carbonid_certificates", "certificates_port"),
    Component("analytics", "carbonid_analytics", "analytics_port"),
    Component("metering", "carbonid_metering", "metering_port"),
    Component("gateway", "carbonid_gateway", "gateway_port", database=False),
)
IDENTIFIER_NODE = Component("identifier-node", "carbonid_idnode", "node_port", database=False)
DEMO_LOADER_MODULE = "carbonid_demo"


def demo_accounts_file() -> Path | None:
    """Identity's ``seed/demo-accounts.json`` beside the (editable) identity package, when there is one."""
    spec = importlib.util.find_spec("carbonid_identity")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).resolve().parents[2] / "seed" / "demo-accounts.json"
    return path if path.is_file() else None


def identifier_node_routes(node_url: str) -> list[dict[str, str]]:
    """The resolver's routes to the local identifier node, which plays every node of the demo data.

    Prefixes whose enterprises run their own node (``nodeType`` 1, 企业自建节点, in the node's seed) get a route
    declared ``enterprise``; everything else is hosted by the secondary node (二级节点托管). Handle REST records
    carry no node type, so the routes are where the resolver learns it (as an operator's routes would say).
    """
    fallback = {"prefix": "", "kind": "handle", "base_url": node_url, "name": "secondary-node"}
    fallback["node_type"] = "secondary"
    spec = importlib.util.find_spec("carbonid_idnode")
    if spec is None or spec.origin is None:
        return [fallback]
    seed = Path(spec.origin).resolve().parent / "seed" / "prefixes.json"
    if not seed.is_file():
        return [fallback]
    prefixes = json.loads(seed.read_text(encoding="utf-8"))["prefixes"]
    own = sorted(p["prefix"] for p in prefixes if p.get("role") == "enterprise" and p.get("nodeType") == 1)
    routes = [
        {"prefix": prefix, "kind": "handle", "base_url": node_url, "name": f"node-{prefix}", "node_type": "enterprise"}
        for prefix in own
    ]
    return [*routes, fallback]


def service_env(component: Component, config: StackConfig) -> dict[str, str]:
    """The ``CARBONID_*`` settings of one process: the same names docker-compose.yml sets."""
    upstreams = {c.name: config.url(c.port(config)) for c in SERVICES if c.name != "gateway"}
    env = {
        "CARBONID_SERVICE_NAME": component.name,
        "CARBONID_ENVIRONMENT": "development",
        "CARBONID_REGION_CODE": config.region_code,
        "CARBONID_HTTP_HOST": config.host,
        "CARBONID_HTTP_PORT": str(component.port(config)),
        "CARBONID_KAFKA_BOOTSTRAP": config.bootstrap,
        "CARBONID_KAFKA_FLAVOUR": config.kafka_flavour,
        "CARBONID_TOPIC_PREFIX": config.topic_prefix,
        "CARBONID_JWKS_URL": f"{config.url(config.identity_port)}/.well-known/jwks.json",
        "CARBONID_IDENTITY_URL": config.url(config.identity_port),
        "CARBONID_PUBLIC_BASE_URL": config.url(config.gateway_port),
        "CARBONID_UPSTREAMS": json.dumps(upstreams),
        "CARBONID_NODES": json.dumps(identifier_node_routes(config.url(config.node_port))),
        "CARBONID_NODE_BASE_URL": config.url(config.node_port),
        "CARBONID_RESOLVER_URL": config.url(config.resolver_port),
        "CARBONID_LOG_JSON": "true",
    }
    if component.database:
        env["CARBONID_DATABASE_URL"] = (
            f"postgresql+asyncpg://postgres@{config.host}:{config.postgres_port}/carbonid_{component.name}"
        )
    env.update(component.extra_env)
    return env
