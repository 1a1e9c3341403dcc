"""Industrial-internet identifiers (``prefix/suffix``): the canonical enterprise prefix and the enterprise id.

Every service that names an enterprise by id derives it the same way, so it lives beside the other codes.
"""

from __future__ import annotations

import re
import uuid

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
