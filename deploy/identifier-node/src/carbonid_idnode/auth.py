"""HS_SECKEY authentication of Handle REST writes (HTTP Basic) and the admin rule for who may write what.

The Basic credentials are ``base64("{index}%3A{handle}:{secret}")``: the identity ``index:handle`` is
percent-encoded so that the first raw colon separates it from the secret, which must equal the HS_SECKEY
value at that index of that handle.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import unquote

from carbonid_idnode.records import HandleError, ResponseCode, handle_key, split_handle
from carbonid_idnode.store import HandleRecord, HandleStore


@dataclass(frozen=True, slots=True)
class AdminIdentity:
    index: int
    handle: str

    def __str__(self) -> str:
        return f"{self.index}:{self.handle}"


def _parse_basic(authorization: str) -> tuple[int, str, str]:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise HandleError(ResponseCode.AUTHENTICATION_NEEDED, "Only HS_SECKEY Basic authentication is supported")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise HandleError(ResponseCode.INVALID_CREDENTIAL, "Malformed Basic credentials") from exc
    user, sep, secret = decoded.partition(":")
    if not sep:
        raise HandleError(ResponseCode.INVALID_CREDENTIAL, "Malformed Basic credentials")
    identity = unquote(user)
    if ":" not in identity:
        # Unencoded "300:88.118.8/ADMIN:secret": the identity's own colon came first.
        parts = decoded.split(":", 2)
        if len(parts) != 3:
            raise HandleError(ResponseCode.INVALID_CREDENTIAL, "Credentials must name index:handle")
        identity, secret = f"{parts[0]}:{parts[1]}", parts[2]
    index_text, _, handle = identity.partition(":")
    if not index_text.isdigit() or not handle:
        raise HandleError(ResponseCode.INVALID_CREDENTIAL, "Credentials must name index:handle")
    return int(index_text), handle, secret


def authenticate(store: HandleStore, authorization: str | None) -> AdminIdentity:
    """The admin identity proven by the request's credentials, or a HandleError (402, 403 or 404)."""
    if not authorization:
        raise HandleError(ResponseCode.AUTHENTICATION_NEEDED, "Authentication needed")
    index, handle, secret = _parse_basic(authorization)
    record = store.get(handle)
    value = record.values.get(index) if record is not None else None
    if value is None or value.type != "HS_SECKEY" or value.string_value() is None:
        raise HandleError(ResponseCode.INVALID_CREDENTIAL, f"No HS_SECKEY at {index}:{handle}")
    expected = (value.string_value() or "").encode("utf-8")
    if not hmac.compare_digest(expected, secret.encode("utf-8")):
        raise HandleError(ResponseCode.AUTHENTICATION_FAILED, "Authentication failed")
    return AdminIdentity(index, record.handle if record is not None else handle)


def may_administer(identity: AdminIdentity, handle: str, existing: HandleRecord | None) -> bool:
    """An identity under prefix P administers every handle under P, and any handle whose HS_ADMIN names it."""
    prefix, _ = split_handle(handle)
    own_prefix, _ = split_handle(identity.handle)
    if handle_key(prefix) == handle_key(own_prefix):
        return True
    if existing is None:
        return False
    for value in existing.values.values():
        admin = value.data_value
        if value.type == "HS_ADMIN" and isinstance(admin, dict):
            named = admin.get("handle")
            same_handle = isinstance(named, str) and handle_key(named) == handle_key(identity.handle)
            if same_handle and admin.get("index") == identity.index:
                return True
    return False


def require_admin(identity: AdminIdentity, handle: str, existing: HandleRecord | None) -> None:
    if not may_administer(identity, handle, existing):
        raise HandleError(ResponseCode.INSUFFICIENT_PERMISSIONS, f"{identity} may not administer {handle}")
