"""HTTP routers of the certificates service."""

from carbonid_certificates.api.certificates import router as certificates_router
from carbonid_certificates.api.handles import router as handles_router
from carbonid_certificates.api.public import router as public_router

routers = [public_router, handles_router, certificates_router]

__all__ = ["routers"]
