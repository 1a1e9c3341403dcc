"""Handle value model and the Handle.Net response codes with their HTTP statuses.

The wire shapes follow the Handle.Net v9 JSON REST API: a value is ``{index, type, data: {format, value},
ttl, timestamp}`` plus ``permissions`` (omitted when it is the usual ``1110``) and ``references`` (omitted
when empty). Input is accepted in the looser forms real clients send (bare-string ``data``, string
indices); output is always normalised, because clients such as pyhandle rely on ``ttl`` and ``timestamp``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, TypeAlias

Json: TypeAlias = str | int | float | bool | list["Json"] | dict[str, "Json"] | None

DEFAULT_TTL = 86400
DEFAULT_PERMISSIONS = "1110"
SECRET_PERMISSIONS = "1100"  # noqa: S105 - permission bits, not a secret
"""HS_SECKEY values are readable and writable by admins only (no public read)."""

TEMPLATE_ID_INDEX = 1000
TEMPLATE_VERSION_INDEX = 1001
FIRST_ATTRIBUTE_INDEX = 2000

_SECRET_TYPES = frozenset({"HS_SECKEY"})
_KNOWN_FORMATS = frozenset({"string", "base64", "hex", "admin", "vlist", "site", "key"})
_PERMISSION_BITS = re.compile(r"^[01]{4}$")
_ADMIN_PERMISSION_BITS = re.compile(r"^[01]{1,12}$")


class ResponseCode(IntEnum):
    """Handle protocol response codes (RFC 3652 and Handle.Net 9), as carried in ``responseCode``."""

    SUCCESS = 1
    ERROR = 2
    SERVER_TOO_BUSY = 3
    PROTOCOL_ERROR = 4
    OPERATION_NOT_SUPPORTED = 5
    RECURSION_COUNT_TOO_HIGH = 6
    SERVER_BACKUP = 7
    HANDLE_NOT_FOUND = 100
    HANDLE_ALREADY_EXISTS = 101
    INVALID_HANDLE = 102
    VALUES_NOT_FOUND = 200
    VALUE_ALREADY_EXISTS = 201
    INVALID_VALUE = 202
    OUT_OF_DATE_SITE_INFO = 300
    SERVER_NOT_RESP = 301
    SERVICE_REFERRAL = 302
    PREFIX_REFERRAL = 303
    INVALID_ADMIN = 400
    INSUFFICIENT_PERMISSIONS = 401
    AUTHENTICATION_NEEDED = 402
    AUTHENTICATION_FAILED = 403
    INVALID_CREDENTIAL = 404
    AUTHEN_TIMEOUT = 405
    AUTHEN_ERROR = 406
    SESSION_TIMEOUT = 500
    SESSION_FAILED = 501
    NO_SESSION_KEY = 502
    SESSION_NO_SUPPORT = 503
    SESSION_KEY_INVALID = 504
    SESSION_MSG_REJECTED = 505


# The one place where responseCode meets HTTP status, after Handle.Net 9's statusCodeFromResponse.
# SUCCESS and VALUES_NOT_FOUND depend on the operation and are decided in http_status().
HTTP_STATUS: dict[ResponseCode, int] = {
    ResponseCode.SUCCESS: 200,
    ResponseCode.ERROR: 500,
    ResponseCode.SERVER_TOO_BUSY: 503,
    ResponseCode.PROTOCOL_ERROR: 400,
    ResponseCode.OPERATION_NOT_SUPPORTED: 501,
    ResponseCode.RECURSION_COUNT_TOO_HIGH: 500,
    ResponseCode.SERVER_BACKUP: 503,
    ResponseCode.HANDLE_NOT_FOUND: 404,
    ResponseCode.HANDLE_ALREADY_EXISTS: 409,
    ResponseCode.INVALID_HANDLE: 400,
    ResponseCode.VALUES_NOT_FOUND: 400,
    ResponseCode.VALUE_ALREADY_EXISTS: 409,
    ResponseCode.INVALID_VALUE: 400,
    ResponseCode.OUT_OF_DATE_SITE_INFO: 500,
    ResponseCode.SERVER_NOT_RESP: 400,
    ResponseCode.SERVICE_REFERRAL: 300,
    ResponseCode.PREFIX_REFERRAL: 300,
    ResponseCode.INVALID_ADMIN: 403,
    ResponseCode.INSUFFICIENT_PERMISSIONS: 403,
    ResponseCode.AUTHENTICATION_NEEDED: 401,
    ResponseCode.AUTHENTICATION_FAILED: 403,
    ResponseCode.INVALID_CREDENTIAL: 403,
    ResponseCode.AUTHEN_TIMEOUT: 500,
    ResponseCode.AUTHEN_ERROR: 500,
    ResponseCode.SESSION_TIMEOUT: 500,
    ResponseCode.SESSION_FAILED: 500,
    ResponseCode.NO_SESSION_KEY: 500,
    ResponseCode.SESSION_NO_SUPPORT: 500,
    ResponseCode.SESSION_KEY_INVALID: 500,
    ResponseCode.SESSION_MSG_REJECTED: 500,
}


def http_status(code: ResponseCode, *, created: bool = False, resolution: bool = False) -> int:
    """HTTP status of a response: 201 for a creation with ``overwrite=false``, 200 for an empty resolution."""
    if code is ResponseCode.SUCCESS and created:
        return 201
    if code is ResponseCode.VALUES_NOT_FOUND and resolution:
        return 200
    return HTTP_STATUS[code]


class HandleError(Exception):
    """A request the node answers with a non-success responseCode."""

    def __init__(self, code: ResponseCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ValueReference:
    handle: str
    index: int


@dataclass(frozen=True, slots=True)
class HandleValue:
    """One value of a handle record (RFC 3651), normalised."""

    index: int
    type: str
    data_format: str
    data_value: Json
    timestamp: str
    ttl: int | str = DEFAULT_TTL
    permissions: str = DEFAULT_PERMISSIONS
    references: tuple[ValueReference, ...] = field(default=())

    @property
    def public_read(self) -> bool:
        return self.permissions[2] == "1"

    def stamped(self, timestamp: str) -> HandleValue:
        return replace(self, timestamp=timestamp)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "index": self.index,
            "type": self.type,
            "data": {"format": self.data_format, "value": self.data_value},
            "ttl": self.ttl,
            "timestamp": self.timestamp,
        }
        if self.permissions != DEFAULT_PERMISSIONS:
            out["permissions"] = self.permissions
        if self.references:
            out["references"] = [{"handle": r.handle, "index": r.index} for r in self.references]
        return out

    def string_value(self) -> str | None:
        """The value as text when its format is ``string``; None otherwise."""
        return self.data_value if self.data_format == "string" and isinstance(self.data_value, str) else None


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC to the second, as Handle servers write value timestamps."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_index(raw: object, what: str) -> int:
    if isinstance(raw, bool):
        raise HandleError(ResponseCode.INVALID_VALUE, f"{what} must be an integer")
    if isinstance(raw, int):
        index = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        index = int(raw.strip())
    else:
        raise HandleError(ResponseCode.INVALID_VALUE, f"{what} must be an integer")
    if index <= 0:
        raise HandleError(ResponseCode.INVALID_VALUE, f"{what} must be positive")
    return index


def _parse_admin(raw: object) -> dict[str, Json]:
    if not isinstance(raw, dict) or not isinstance(raw.get("handle"), str):
        raise HandleError(ResponseCode.INVALID_VALUE, "admin value needs handle, index and permissions")
    permissions = raw.get("permissions", "111111111111")
    if not isinstance(permissions, str) or not _ADMIN_PERMISSION_BITS.match(permissions):
        raise HandleError(ResponseCode.INVALID_VALUE, "admin permissions must be a string of 0/1 bits")
    handle: str = raw["handle"]
    return {"handle": handle, "index": _as_index(raw.get("index"), "admin index"), "permissions": permissions}


def _parse_vlist(raw: object) -> list[Json]:
    if not isinstance(raw, list):
        raise HandleError(ResponseCode.INVALID_VALUE, "vlist value must be a list")
    out: list[Json] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("handle"), str):
            raise HandleError(ResponseCode.INVALID_VALUE, "vlist entries need handle and index")
        out.append({"handle": item["handle"], "index": _as_index(item.get("index"), "vlist index")})
    return out


def _parse_data(raw: object) -> tuple[str, Json]:  # noqa: PLR0911 - one answer per data format
    if isinstance(raw, str):
        return "string", raw
    if not isinstance(raw, dict) or "value" not in raw:
        raise HandleError(ResponseCode.INVALID_VALUE, "data must be a string or {format, value}")
    data_format = raw.get("format", "string")
    value: Any = raw["value"]
    if data_format not in _KNOWN_FORMATS:
        raise HandleError(ResponseCode.INVALID_VALUE, f"unknown data format {data_format!r}")
    if data_format == "string":
        if not isinstance(value, str):
            raise HandleError(ResponseCode.INVALID_VALUE, "string data needs a string value")
        return "string", value
    if data_format == "admin":
        return "admin", _parse_admin(value)
    if data_format == "vlist":
        return "vlist", _parse_vlist(value)
    if data_format == "base64":
        try:
            base64.b64decode(str(value), validate=True)
        except binascii.Error as exc:
            raise HandleError(ResponseCode.INVALID_VALUE, "base64 data is not valid base64") from exc
        return "base64", str(value)
    if data_format == "hex":
        try:
            bytes.fromhex(str(value))
        except ValueError as exc:
            raise HandleError(ResponseCode.INVALID_VALUE, "hex data is not valid hex") from exc
        return "hex", str(value)
    if not isinstance(value, dict):
        raise HandleError(ResponseCode.INVALID_VALUE, f"{data_format} data needs an object value")
    return str(data_format), value


def parse_value(raw: object, timestamp: str) -> HandleValue:
    """A value from a PUT body (or the seed), stamped with ``timestamp``.

    Raises HandleError(INVALID_VALUE) for anything that is not a Handle value.
    """
    if not isinstance(raw, dict):
        raise HandleError(ResponseCode.INVALID_VALUE, "each value must be a JSON object")
    index = _as_index(raw.get("index"), "index")
    value_type = raw.get("type")
    if not isinstance(value_type, str):
        raise HandleError(ResponseCode.INVALID_VALUE, f"value {index}: type must be a string")
    data_format, data_value = _parse_data(raw.get("data"))
    ttl_raw = raw.get("ttl", DEFAULT_TTL)
    if isinstance(ttl_raw, bool) or not isinstance(ttl_raw, int | str):
        raise HandleError(ResponseCode.INVALID_VALUE, f"value {index}: ttl must be seconds or an ISO-8601 time")
    ttl: int | str = ttl_raw
    if isinstance(ttl_raw, str) and ttl_raw.strip().lstrip("-").isdigit():
        ttl = int(ttl_raw)
    default_permissions = SECRET_PERMISSIONS if value_type in _SECRET_TYPES else DEFAULT_PERMISSIONS
    permissions = raw.get("permissions", default_permissions)
    if not isinstance(permissions, str) or not _PERMISSION_BITS.match(permissions):
        raise HandleError(ResponseCode.INVALID_VALUE, f"value {index}: permissions must be four 0/1 bits")
    references_raw = raw.get("references") or []
    if not isinstance(references_raw, list):
        raise HandleError(ResponseCode.INVALID_VALUE, f"value {index}: references must be a list")
    references = []
    for ref in references_raw:
        if not isinstance(ref, dict) or not isinstance(ref.get("handle"), str):
            raise HandleError(ResponseCode.INVALID_VALUE, f"value {index}: references need handle and index")
        references.append(ValueReference(ref["handle"], _as_index(ref.get("index"), "reference index")))
    return HandleValue(
        index=index,
        type=value_type,
        data_format=data_format,
        data_value=data_value,
        timestamp=timestamp,
        ttl=ttl,
        permissions=permissions,
        references=tuple(references),
    )


def parse_values(raw: list[Any], timestamp: str) -> dict[int, HandleValue]:
    """Several values keyed by index; a repeated index is an invalid value."""
    values: dict[int, HandleValue] = {}
    for item in raw:
        value = parse_value(item, timestamp)
        if value.index in values:
            raise HandleError(ResponseCode.INVALID_VALUE, f"index {value.index} appears twice")
        values[value.index] = value
    return values


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def handle_key(handle: str) -> str:
    """Lookup key of a handle: case-insensitive in ASCII only, as the Handle System compares names."""
    return handle.translate(_ASCII_LOWER)


def split_handle(handle: str) -> tuple[str, str]:
    """``(prefix, suffix)`` of a handle; INVALID_HANDLE when there is no ``prefix/`` part."""
    prefix, slash, suffix = handle.partition("/")
    if not slash or not prefix or any(ch.isspace() for ch in prefix):
        raise HandleError(ResponseCode.INVALID_HANDLE, f"not a handle (prefix/suffix): {handle!r}")
    return prefix, suffix


def type_matches(value_type: str, requested: str) -> bool:
    """Handle type filter: case-insensitive equality, and ``foo.`` matches every subtype ``foo.*``."""
    wanted = handle_key(requested)
    actual = handle_key(value_type)
    if wanted.endswith("."):
        return actual.startswith(wanted)
    return actual == wanted
