"""Backward compatibility of event schemas: what a new version of a payload may and may not do.

Old consumers must still read new events, and new consumers must still read old events kept in the topics
(a rebuild replays them). So, against the released baseline, a new schema must not:
- remove a property, or make an optional property required, or add a required property;
- change a property's type, format, pattern or enum/const in a way that rejects values the old one allowed
  (here: any change to those keywords counts, to be safe);
- do any of this inside nested objects ($defs).
Adding an optional property, or a description, is compatible.
"""

from __future__ import annotations

from typing import Any

_CONSTRAINTS = (
    "type",
    "format",
    "pattern",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "$ref",
    "anyOf",
    "items",
    "additionalProperties",
)


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = _object_changes("", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            changes.append(f"definition {name} removed")
        else:
            changes += _object_changes(f"{name}.", old_def, new_defs[name])
    return changes


def _object_changes(prefix: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name in old_props:
        if name not in new_props:
            changes.append(f"property {prefix}{name} removed")
    for name in sorted(new_req - old_req):
        changes.append(f"property {prefix}{name} is newly required")
    for name, old_prop in old_props.items():
        new_prop = new_props.get(name)
        if new_prop is None:
            continue
        for keyword in _CONSTRAINTS:
            if _strip(old_prop.get(keyword)) != _strip(new_prop.get(keyword)):
                changes.append(f"property {prefix}{name}: '{keyword}' changed")
    return changes


def _strip(value: Any) -> Any:
    """Compare constraints without their human text."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("description", "title", "examples", "default")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value
