"""Who sees which devices: the kit's rule (``Caller.may_see``) as a SQL filter for listings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, false, true

from carbonid_contracts.codes.region import NATIONAL_SCOPE, region_prefix
from carbonid_kit.auth import Caller
from carbonid_kit.problems import forbidden


def visible(caller: Caller, enterprise_column: Any, region_column: Any) -> ColumnElement[bool]:
    """Enterprise users: their enterprise; government users: their region; operators: everything."""
    if caller.role == "operator":
        return true()
    if caller.role == "enterprise":
        return enterprise_column == caller.enterprise_id if caller.enterprise_id else false()
    scope = caller.region_scope
    if not scope:
        return false()
    if scope == NATIONAL_SCOPE:
        return true()
    result: ColumnElement[bool] = region_column.startswith(region_prefix(scope))
    return result


def require_visible(caller: Caller, enterprise_id: uuid.UUID, region_code: str) -> None:
    if not caller.may_see(enterprise_id=enterprise_id, region_code=region_code):
        raise forbidden()
