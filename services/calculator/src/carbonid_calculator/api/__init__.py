"""HTTP API of the calculator (mounted by the gateway under ``/api/calculator``)."""

from carbonid_calculator.api import calculations, evidence, factor_sets, industries, reports

routers = [industries.router, factor_sets.router, calculations.router, evidence.router, reports.router]

__all__ = ["routers"]
