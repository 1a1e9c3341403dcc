"""What every route reads from the app: settings, runtime, rule-set cache, evidence store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from carbonid_evaluation.config import EvaluationSettings
from carbonid_evaluation.evidence import EvidenceStore
from carbonid_evaluation.rule_sets import RuleSetCache
from carbonid_kit.app import ServiceRuntime


@dataclass(frozen=True)
class Context:
    settings: EvaluationSettings
    runtime: ServiceRuntime
    rule_sets: RuleSetCache
    evidence: EvidenceStore


def context(request: Request) -> Context:
    state = request.app.state
    return Context(state.settings, state.runtime, state.rule_sets, state.evidence_store)


Ctx = Annotated[Context, Depends(context)]
