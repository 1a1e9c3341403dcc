"""Handle records as the resolver sees them, identifier normalisation, and the enterprise id."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

ENTERPRISE_NAMESPACE = uuid.UUID("5b0c7f1e-2d1a-5c3e-9f7a-88c0a2b1d001")
"""Fixed namespace of enterprise ids: ``uuid5(ENTERPRISE_NAMESPACE, normalised prefix)``. Never change it."""

_PREFIX = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z_-]+)*$")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalise_prefix(raw: str) -> str:
    """An enterprise prefix as typed (``hdl:88.118.8``, `` 88.118.8/``) to its canonical form ``88.118.8``.

    Strips resolver schemes with ``removeprefix`` (not ``lstrip``, which eats characters), case-folds ASCII
    only (the Handle System compares prefixes that way) and refuses anything that is not a dotted prefix.
    """
    text = raw.strip()
    for scheme in ("hdl:", "HDL:", "doi:", "https://hdl.handle.net/", "http://hdl.handle.net/"):
        text = text.removeprefix(scheme)
    text = text.removeprefix("0.NA/").removeprefix("0.na/").rstrip("/").strip()
    if not text or len(text) > 128 or not _PREFIX.match(text):
        raise ValueError(f"not an identifier prefix: {raw!r} / 不是有效的标识前缀")
    return text.translate(_ASCII_LOWER)


def enterprise_id_for(prefix: str) -> uuid.UUID:
    """The CarbonID enterprise id of a prefix: deterministic, so re-resolutions and rebuilds agree."""
    return uuid.uuid5(ENTERPRISE_NAMESPACE, normalise_prefix(prefix))


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
