"""CarbonID local identifier node: a development and test peer speaking the Handle.Net v9 JSON REST API and
the SNMS-compatible enterprise-node API over one in-memory store loaded with demo enterprises."""

from carbonid_idnode.app import create_app
from carbonid_idnode.config import NodeSettings

__all__ = ["NodeSettings", "create_app"]
