"""The calculation trace: ordered steps from which a page can replay every figure of a result.

Each step names its formula, lists its operands (value, unit, source document/table/version of factors and
whether a value was measured by the enterprise or is an assumption) and its unrounded result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from carbonid_calculator.domain.factors import FactorSource


class TraceStepKind(StrEnum):
    NOTE = "note"  # a choice the calculation made (grid factor, electricity convention)
    INPUT = "input"  # an activity figure as entered
    CONVERSION = "conversion"  # an explicit unit conversion
    LINE_EMISSION = "line_emission"  # CO2 of one activity line
    LINE_ENERGY = "line_energy"  # standard coal of one activity line
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    INTENSITY = "intensity"
    NEUTRALISATION = "neutralisation"


@dataclass(frozen=True)
class TraceOperand:
    """One operand of a step: a quantity or a factor, with its provenance.

    ``measured``: supplied by the enterprise (measured NCV/CC/OF, steam enthalpy) instead of the factor set;
    ``assumption``: a default the library labels as an assumption or choice (raw coal row, derived tce).
    """

    name: str
    value: Decimal
    unit: str
    source: FactorSource | None = None
    measured: bool = False
    assumption: bool = False


@dataclass(frozen=True)
class TraceStep:
    """One replayable step: ``result`` follows from ``formula`` applied to ``operands``."""

    seq: int
    kind: TraceStepKind
    label_zh: str
    label_en: str
    formula: str
    operands: tuple[TraceOperand, ...]
    result: Decimal
    result_unit: str
    line_index: int | None = None


@dataclass
class TraceRecorder:
    """Collects steps in order while a calculation runs (internal to one calculation, never shared)."""

    steps: list[TraceStep] = field(default_factory=list)

    def record(
        self,
        kind: TraceStepKind,
        label_zh: str,
        label_en: str,
        formula: str,
        operands: tuple[TraceOperand, ...],
        *,
        result: Decimal,
        unit: str,
        line_index: int | None = None,
    ) -> Decimal:
        """Append a step and return its result, so a formula is written once and traced where computed."""
        self.steps.append(
            TraceStep(len(self.steps) + 1, kind, label_zh, label_en, formula, operands, result, unit, line_index)
        )
        return result

    def freeze(self) -> tuple[TraceStep, ...]:
        return tuple(self.steps)
