"""What the routers share: settings, runtime, reference data, the factor-set cache and the evidence store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request

from carbonid_calculator.config import CalculatorSettings
from carbonid_calculator.data import ReferenceData
from carbonid_calculator.evidence_store import EvidenceStore
from carbonid_calculator.factor_library import FactorSetCache
from carbonid_kit.app import ServiceRuntime


@dataclass
class CalculatorContext:
    settings: CalculatorSettings
    runtime: ServiceRuntime
    reference: ReferenceData
    factor_sets: FactorSetCache
    evidence: EvidenceStore

    def today(self) -> date:
        """Today in the deployment's time zone: a period has ended when its last day is before this."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()


def context_of(request: Request) -> CalculatorContext:
    context: CalculatorContext = request.app.state.calculator
    return context
