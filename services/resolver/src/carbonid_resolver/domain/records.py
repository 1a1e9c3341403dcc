"""Handle records as the resolver sees them, identifier normalisation, and the enterprise id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from carbonid_contracts.codes.identifier import ENTERPRISE_NAMESPACE, enterprise_id_for, normalise_prefix

# The enterprise id and prefix rules are shared by every service (contracts); re-exported for the resolver.
__all__ = ["ENTERPRISE_NAMESPACE", "NodeRecord", "RecordValue", "enterprise_id_for", "normalise_prefix", "parse_ttl"]


@dataclass(frozen=True, slots=True)
class RecordValue:
    """One handle value; ``text`` is its data when the format is ``string`` (SNMS only has strings)."""

    index: int
    type: str
    text: str | None
    ttl_s: float | None = None
    """Relative TTL in seconds; None when the node sent none."""
    expires_at: datetime | None = None
    """Absolute expiry (a TTL given as an ISO-8601 time)."""


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A resolved handle record."""

    handle: str
    values: tuple[RecordValue, ...]

    def by_type(self) -> dict[str, str]:
        """First string value of each type (types compared as the node spells them)."""
        out: dict[str, str] = {}
        for value in sorted(self.values, key=lambda v: v.index):
            if value.text is not None and value.type not in out:
                out[value.type] = value.text
        return out

    def by_index(self) -> dict[int, RecordValue]:
        return {v.index: v for v in self.values}

    def ttl_seconds(self, now: datetime | None = None) -> float | None:
        """Effective TTL: the smallest TTL of any value (an absolute expiry counted from ``now``)."""
        moment = now or datetime.now(UTC)
        ttls: list[float] = []
        for value in self.values:
            if value.ttl_s is not None:
                ttls.append(value.ttl_s)
            elif value.expires_at is not None:
                ttls.append(max(0.0, (value.expires_at - moment).total_seconds()))
        return min(ttls) if ttls else None


def parse_ttl(raw: object) -> tuple[float | None, datetime | None]:
    """A Handle ``ttl``: seconds (int or numeric string), or an ISO-8601 absolute expiry."""
    if isinstance(raw, bool) or raw is None:
        return None, None
    if isinstance(raw, int | float):
        return float(raw), None
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("-").isdigit():
            return float(int(text)), None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None, None
        return None, moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None, None
