"""Decimal quantities travel as strings so that no consumer rounds them through a float.

Both types refuse NaN and infinities (``Decimal("NaN")`` would otherwise pass pydantic's decimal parsing when
built in Python, and poison every comparison downstream); ``NonNegativeDecimalStr`` also refuses negatives, for
quantities that cannot be one (added value, certificates, CCER, sinks, grid factors, rates). The JSON Schema of
both is the same string pattern, so the wire contract is unchanged and old events stay readable.
"""

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite decimal number / 应为有限的十进制数")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if _finite(value) < 0:
        raise ValueError("must not be negative / 不能为负数")
    return value


_SERIALISER = PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")
_SCHEMA = WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "description": "decimal number as a string"})

DecimalStr = Annotated[Decimal, AfterValidator(_finite), _SERIALISER, _SCHEMA]
NonNegativeDecimalStr = Annotated[Decimal, AfterValidator(_non_negative), _SERIALISER, _SCHEMA]
