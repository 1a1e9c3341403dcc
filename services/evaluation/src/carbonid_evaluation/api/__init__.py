"""HTTP API of the evaluation service (behind the gateway at ``/api/evaluation/...``)."""

from __future__ import annotations

from carbonid_evaluation.api.evaluations import router as evaluations_router
from carbonid_evaluation.api.rule_sets import router as rule_sets_router

routers = [evaluations_router, rule_sets_router]

__all__ = ["routers"]
