"""HTTP API of analytics: dashboards, benchmarks, regulator subscriptions, operator administration."""

from carbonid_analytics.api.admin import router as admin_router
from carbonid_analytics.api.benchmarks import router as benchmarks_router
from carbonid_analytics.api.dashboard import router as dashboard_router
from carbonid_analytics.api.subscriptions import router as subscriptions_router

routers = [dashboard_router, benchmarks_router, subscriptions_router, admin_router]

__all__ = ["routers"]
