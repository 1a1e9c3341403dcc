"""Who may act for an enterprise: the proof of prefix control and the rules over owners and colleagues.

Prefixes are public, so knowing one proves nothing. An account becomes an enterprise's owner only by
- **node record** (automatic): the platform hands the claimant a challenge; whoever controls the prefix
  publishes it in a record on the enterprise's own identifier node (``{prefix}/CARBONID.BINDING``, a value of
  type ``CARBONID_BINDING`` reading ``carbonid-binding=<challenge>``), and the resolver reads it back there; or
- **approval** by an operator, or a regulator whose region holds the enterprise (who checked it another way).
The owner then invites colleagues (members). Members and owners can leave; the owner or an operator removes.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Literal

from carbonid_contracts.codes.region import region_within
from carbonid_kit.auth import Caller
from carbonid_resolver.domain.records import NodeRecord

BINDING_VALUE_TYPE = "CARBONID_BINDING"
METHODS = ("node-record", "approval")
BindingRole = Literal["owner", "member"]


def challenge_value(challenge: str) -> str:
    """The text the enterprise publishes in its node record."""
    return f"carbonid-binding={challenge}"


def proves_control(record: NodeRecord, challenge: str) -> bool:
    """True when the record holds the claim's challenge in a ``CARBONID_BINDING`` value."""
    expected = challenge_value(challenge).encode()
    return any(
        value.type.upper() == BINDING_VALUE_TYPE
        and value.text is not None
        and hmac.compare_digest(value.text.strip().encode(), expected)
        for value in record.values
    )


def may_approve(caller: Caller, enterprise_region: str) -> bool:
    """Operators approve any claim; government users those of enterprises in their region."""
    if caller.role == "operator":
        return True
    return (
        caller.role == "government"
        and bool(caller.region_scope)
        and region_within(caller.region_scope or "", enterprise_region)
    )


def may_remove(caller: Caller, *, subject: uuid.UUID, caller_is_owner: bool) -> bool:
    """The owner removes anyone, an account removes itself, an operator removes anyone."""
    return caller.role == "operator" or caller_is_owner or caller.user_id == subject


def role_on_approval(has_owner: bool) -> BindingRole:
    """An approved claim makes the owner of an enterprise that has none, a member otherwise."""
    return "member" if has_owner else "owner"
