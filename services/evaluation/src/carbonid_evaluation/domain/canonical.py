"""Canonical JSON for hashing: sorted keys, no whitespace, UTF-8, decimals as normalised strings.

Follows RFC 8785 (JCS) for the values it admits (objects, arrays, strings, booleans, null, integers);
floats are refused because the domain never uses them. Decimals become strings in their normalised form
(``Decimal("1.50")`` → ``"1.5"``) so that equal quantities hash equally.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal


def decimal_text(value: Decimal) -> str:
    """The normalised plain-notation text of a decimal: no exponent, no trailing zeros, no ``-0``."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value!r} / 数值无效")
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


_LITERALS: dict[object, str] = {None: "null", True: "true", False: "false"}


def _encode(value: object) -> str:
    if value is None or isinstance(value, bool):
        return _LITERALS[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return json.dumps(decimal_text(value), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]).encode("utf-16-be"))
        return "{" + ",".join(f"{_encode(str(k))}:{_encode(v)}" for k, v in items) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot canonicalise {type(value).__name__} / 不支持的数据类型")


def canonical_json(value: object) -> bytes:
    """UTF-8 bytes of the canonical JSON text of ``value``."""
    return _encode(value).encode("utf-8")


def sha256_hex(value: object) -> str:
    """Hex sha256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
