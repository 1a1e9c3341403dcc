"""Roles and region scopes of accounts."""

from __future__ import annotations

from typing import Literal

from carbonid_contracts.codes.regions import is_known
from carbonid_identity.domain.policy import RuleViolation

Role = Literal["enterprise", "government", "operator"]
BUILT_IN_ROLES: tuple[Role, ...] = ("government", "operator")


def scope_violations(role: Role, region_scope: str | None, *, field: str = "region_scope") -> list[RuleViolation]:
    """A government account needs a known GB/T 2260 province, city or county code; no other role has a scope.

    There is no "national" scope: a national regulator runs its own deployment and reads the regions' topics.
    """
    if role == "government":
        if region_scope is None:
            return [
                RuleViolation(
                    field, "scope-required", "政府用户必须指定管辖地区代码", "A government account needs a region scope"
                )
            ]
        if not is_known(region_scope):
            return [
                RuleViolation(
                    field,
                    "unknown-region",
                    f"未知的地区代码 {region_scope}（须为 GB/T 2260 省、市或县级代码）",
                    f"Unknown region code {region_scope} (a GB/T 2260 province, city or county code is needed)",
                )
            ]
        return []
    if region_scope is not None:
        return [
            RuleViolation(
                field, "scope-not-allowed", "只有政府用户可以有管辖地区", "Only government accounts have a region scope"
            )
        ]
    return []
