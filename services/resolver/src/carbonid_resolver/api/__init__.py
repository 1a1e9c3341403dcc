"""HTTP routers of the resolver (mounted by the gateway under /api/resolver)."""

from carbonid_resolver.api.activity import router as activity_router
from carbonid_resolver.api.bindings import router as bindings_router
from carbonid_resolver.api.enterprises import router as enterprises_router
from carbonid_resolver.api.internal import router as internal_router
from carbonid_resolver.api.metadata import router as metadata_router

routers = [enterprises_router, bindings_router, activity_router, metadata_router, internal_router]

__all__ = ["routers"]
