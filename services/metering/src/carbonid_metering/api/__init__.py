"""HTTP routers of metering (mounted by the gateway under /api/metering)."""

from carbonid_metering.api.devices import router as devices_router
from carbonid_metering.api.gateways import router as gateways_router
from carbonid_metering.api.monitoring import router as monitoring_router
from carbonid_metering.api.readings import router as readings_router

routers = [devices_router, gateways_router, readings_router, monitoring_router]

__all__ = ["routers"]
