"""GB/T 4754-2017 industry codes: a section letter, or a 2-digit division, 3-digit group, 4-digit class."""

from typing import Annotated

from pydantic import StringConstraints

IndustryCode = Annotated[str, StringConstraints(pattern=r"^([A-T]|[0-9]{2}|[0-9]{3}|[0-9]{4})$")]


def industry_division(code: str) -> str | None:
    """The two-digit division (大类) of a numeric industry code, None for a section letter."""
    return code[:2] if code[:1].isdigit() else None
