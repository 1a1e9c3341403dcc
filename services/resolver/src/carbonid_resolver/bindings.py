"""Enterprise bindings: claims, their proof (node record or approval), invited colleagues, removal, the audit.

Every change and its audit row commit in one transaction, and identity's binding is written inside it: if
identity refuses or cannot be reached, nothing here commits. Changes to one enterprise's bindings queue on
its row lock, so two claims proven at once cannot both become its owner.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.codes.region import region_prefix
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.auth import Caller
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, forbidden, not_found
from carbonid_resolver.api.problems import problem_for
from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.db import BindingAudit, Enterprise, EnterpriseBinding
from carbonid_resolver.domain.binding import (
    BINDING_VALUE_TYPE,
    METHODS,
    challenge_value,
    may_approve,
    may_remove,
    proves_control,
    role_on_approval,
)
from carbonid_resolver.domain.errors import HandleNotFound, ResolutionError, ValuesNotFound
from carbonid_resolver.identity_client import IdentityClient
from carbonid_resolver.resilience import NodeDirectory

OPEN = ("pending", "active")


def binding_json(row: EnterpriseBinding, *, prefix: str | None = None, suffix: str | None = None) -> dict[str, Any]:
    """A binding; with ``prefix`` and ``suffix`` (for its claimant only) what to publish to prove it."""
    doc: dict[str, Any] = {
        "id": str(row.id),
        "enterprise_id": str(row.enterprise_id),
        "user_id": str(row.user_id),
        "username": row.username,
        "role": row.role,
        "status": row.status,
        "method": row.method,
        "requested_at": row.requested_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decided_by": row.decided_by,
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "ended_by": row.ended_by,
    }
    if row.status == "pending" and prefix is not None and suffix is not None:
        doc["proof"] = {
            "methods": list(METHODS),
            "record_handle": f"{prefix}/{suffix}",
            "value_type": BINDING_VALUE_TYPE,
            "value": challenge_value(row.challenge),
            "hint_zh": f"请在本企业的标识节点上发布标识 {prefix}/{suffix}，值类型 {BINDING_VALUE_TYPE}，"
            f"内容为 {challenge_value(row.challenge)}，然后点击“验证”；或请运营人员/属地监管部门审核",
            "hint_en": f"Publish handle {prefix}/{suffix} on your enterprise's own identifier node with a "
            f"{BINDING_VALUE_TYPE} value reading {challenge_value(row.challenge)}, then verify; or ask an "
            "operator or your regional regulator to approve the claim",
        }
    return doc


def audit_json(row: BindingAudit) -> dict[str, Any]:
    return {
        "action": row.action,
        "binding_id": str(row.binding_id),
        "subject_user_id": str(row.subject_user_id),
        "actor_user_id": str(row.actor_user_id) if row.actor_user_id else None,
        "actor": row.actor_name,
        "occurred_at": row.occurred_at.isoformat(),
        "detail": row.detail,
    }


def has_owner_problem() -> Problem:
    return Problem(
        409,
        "enterprise-has-owner",
        "企业已有管理账号",
        "Enterprise already has an owner",
        "该企业已有管理账号，请联系其管理账号邀请您加入",
        "This enterprise already has an owning account; ask it to invite you",
    )


class EnterpriseBindings:
    def __init__(
        self, settings: ResolverSettings, runtime: ServiceRuntime, directory: NodeDirectory, identity: IdentityClient
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self.directory = directory
        self.identity = identity

    # -- reading --------------------------------------------------------------------------------------------

    async def open_binding(self, enterprise_id: uuid.UUID, user_id: uuid.UUID) -> EnterpriseBinding | None:
        async with self.runtime.sessions() as session:
            return await self._open(session, enterprise_id, user_id)

    async def members(self, enterprise_id: uuid.UUID) -> tuple[list[EnterpriseBinding], list[BindingAudit]]:
        """Open bindings (owner first) and the whole audit trail of the enterprise, newest first."""
        async with self.runtime.sessions() as session:
            rows = (
                await session.execute(
                    select(EnterpriseBinding)
                    .where(EnterpriseBinding.enterprise_id == enterprise_id, EnterpriseBinding.status.in_(OPEN))
                    .order_by(EnterpriseBinding.role.desc(), EnterpriseBinding.requested_at)
                )
            ).scalars()
            audit = (
                await session.execute(
                    select(BindingAudit)
                    .where(BindingAudit.enterprise_id == enterprise_id)
                    .order_by(BindingAudit.occurred_at.desc())
                    .limit(500)
                )
            ).scalars()
            return list(rows), list(audit)

    async def pending(self, caller: Caller, *, limit: int, offset: int) -> list[tuple[EnterpriseBinding, Enterprise]]:
        """Claims waiting for approval that the caller may decide."""
        query = (
            select(EnterpriseBinding, Enterprise)
            .join(Enterprise, Enterprise.id == EnterpriseBinding.enterprise_id)
            .where(EnterpriseBinding.status == "pending")
            .order_by(EnterpriseBinding.requested_at)
        )
        if caller.role == "government":
            query = query.where(Enterprise.region_code.startswith(region_prefix(caller.region_scope or "")))
        async with self.runtime.sessions() as session:
            rows = (await session.execute(query.limit(limit).offset(offset))).all()
        return [(b, e) for b, e in rows]

    # -- changing -------------------------------------------------------------------------------------------

    async def claim(self, caller: Caller, enterprise: Enterprise) -> EnterpriseBinding:
        """The caller's open claim or binding on the enterprise, a new pending claim when it has none."""
        async with transaction(self.runtime.sessions) as session:
            await self._lock(session, enterprise.id)
            row = await self._open(session, enterprise.id, caller.user_id)
            if row is not None:
                return row
            row = EnterpriseBinding(
                id=uuid.uuid4(),
                enterprise_id=enterprise.id,
                user_id=caller.user_id,
                username=caller.username or str(caller.user_id),
                role="owner",
                status="pending",
                challenge=secrets.token_urlsafe(24),
                requested_at=datetime.now(UTC),
            )
            session.add(row)
            self._audit(session, row, "claimed", caller)
        return row

    async def verify(self, caller: Caller, enterprise_id: uuid.UUID) -> EnterpriseBinding:
        """Read the claim's record on the enterprise's own node; the caller becomes the owner if it holds it."""
        claim = await self.open_binding(enterprise_id, caller.user_id)
        if claim is None:
            raise not_found("绑定申请", "Binding claim")
        if claim.status == "active":
            return claim
        async with self.runtime.sessions() as session:
            enterprise = await session.get(Enterprise, enterprise_id)
        assert enterprise is not None  # the foreign key
        prefix = enterprise.identifier_prefix
        handle = f"{prefix}/{self.settings.binding_record_suffix}"
        node = self.directory.for_prefix(prefix)
        try:
            record = (await node.resolve(handle, self.directory.deadline(), use_cache=False)).value
            proven = proves_control(record, claim.challenge)
        except (HandleNotFound, ValuesNotFound):
            proven = False
        except ResolutionError as exc:
            raise problem_for(exc, context="activity") from exc
        if not proven:
            raise Problem(
                422,
                "binding-proof-missing",
                "未找到绑定验证记录",
                "Binding proof not found",
                f"企业标识节点上的 {handle} 中没有本次申请的验证值 {challenge_value(claim.challenge)}",
                f"{handle} on the enterprise's node does not hold this claim's value "
                f"{challenge_value(claim.challenge)}",
                extra={"record_handle": handle, "value_type": BINDING_VALUE_TYPE},
            )
        return await self._activate(caller, claim.id, method="node-record", allow_member=False, node=node.name)

    async def approve(self, caller: Caller, binding_id: uuid.UUID) -> EnterpriseBinding:
        return await self._activate(caller, binding_id, method="approval", allow_member=True)

    async def reject(self, caller: Caller, binding_id: uuid.UUID) -> EnterpriseBinding:
        async with transaction(self.runtime.sessions) as session:
            row, _ = await self._decidable(session, caller, binding_id)
            row.status, row.decided_at, row.decided_by = "rejected", datetime.now(UTC), caller.username
            self._audit(session, row, "rejected", caller)
        return row

    async def invite(self, caller: Caller, enterprise_id: uuid.UUID, username: str) -> EnterpriseBinding:
        """The owner binds a colleague's (enterprise) account as a member."""
        user = await self.identity.user_named(username)
        if user is None or user.get("role") != "enterprise" or user.get("disabled"):
            raise Problem(
                422,
                "invitee-not-enterprise-user",
                "无法邀请该账号",
                "Cannot invite this account",
                "只能邀请已注册且未停用的企业用户",
                "Only registered, enabled enterprise accounts can be invited",
                errors=[],
            )
        async with transaction(self.runtime.sessions) as session:
            enterprise = await self._lock(session, enterprise_id)
            if not await self._is_owner(session, enterprise_id, caller) and caller.role != "operator":
                raise forbidden("只有企业管理账号可以邀请同事", "Only the enterprise's owner invites colleagues")
            user_id = uuid.UUID(str(user["id"]))
            row = await self._open(session, enterprise_id, user_id)
            now = datetime.now(UTC)
            if row is None:
                row = EnterpriseBinding(
                    id=uuid.uuid4(),
                    enterprise_id=enterprise_id,
                    user_id=user_id,
                    username=str(user["username"]),
                    role="member",
                    status="pending",
                    challenge=secrets.token_urlsafe(24),
                    requested_at=now,
                )
                session.add(row)
            if row.status == "active":
                return row
            row.role, row.status, row.method = "member", "active", "invitation"
            row.decided_at, row.decided_by = now, caller.username
            self._audit(session, row, "invited", caller)
            await session.flush()
            await self.identity.bind(user_id, enterprise_id, enterprise.identifier_prefix, enterprise.region_code)
        return row

    async def remove(self, caller: Caller, enterprise_id: uuid.UUID, user_id: uuid.UUID) -> EnterpriseBinding:
        """End a binding (the owner removes anyone, an account leaves, an operator removes); identity unbinds."""
        async with transaction(self.runtime.sessions) as session:
            await self._lock(session, enterprise_id)
            row = await self._open(session, enterprise_id, user_id)
            if row is None:
                raise not_found("企业成员", "Enterprise member")
            owner = await self._is_owner(session, enterprise_id, caller)
            if not may_remove(caller, subject=user_id, caller_is_owner=owner):
                raise forbidden("只有企业管理账号或运营人员可以移除成员", "Only the owner or an operator removes")
            row.status, row.ended_at, row.ended_by = "removed", datetime.now(UTC), caller.username
            self._audit(session, row, "removed", caller)
            await session.flush()
            await self.identity.unbind(user_id, enterprise_id, caller.user_id)
        return row

    # -- plumbing -------------------------------------------------------------------------------------------

    async def _activate(
        self, caller: Caller, binding_id: uuid.UUID, *, method: str, allow_member: bool, node: str | None = None
    ) -> EnterpriseBinding:
        async with transaction(self.runtime.sessions) as session:
            if method == "approval":
                row, enterprise = await self._decidable(session, caller, binding_id)
            else:
                found = await session.get(EnterpriseBinding, binding_id)
                assert found is not None
                enterprise = await self._lock(session, found.enterprise_id)
                await session.refresh(found)
                row = found
                if row.status == "active":
                    return row
                if row.status != "pending":
                    raise not_found("绑定申请", "Binding claim")
            has_owner = await self._owner(session, row.enterprise_id) is not None
            if has_owner and not allow_member:
                raise has_owner_problem()
            row.role = role_on_approval(has_owner)
            row.status, row.method = "active", method
            row.decided_at, row.decided_by = datetime.now(UTC), caller.username
            self._audit(session, row, "proven" if method == "node-record" else "approved", caller, node=node)
            await session.flush()
            await self.identity.bind(
                row.user_id, row.enterprise_id, enterprise.identifier_prefix, enterprise.region_code
            )
        return row

    async def _decidable(
        self, session: AsyncSession, caller: Caller, binding_id: uuid.UUID
    ) -> tuple[EnterpriseBinding, Enterprise]:
        found = await session.get(EnterpriseBinding, binding_id)
        if found is None:
            raise not_found("绑定申请", "Binding claim")
        enterprise = await self._lock(session, found.enterprise_id)
        await session.refresh(found)
        if not may_approve(caller, enterprise.region_code):
            raise not_found("绑定申请", "Binding claim")
        if found.status != "pending":
            raise Problem(
                409,
                "binding-already-decided",
                "绑定申请已处理",
                "Binding claim already decided",
                f"该申请的状态为 {found.status}",
                f"The claim is {found.status}",
            )
        return found, enterprise

    async def _lock(self, session: AsyncSession, enterprise_id: uuid.UUID) -> Enterprise:
        enterprise = await session.get(Enterprise, enterprise_id, with_for_update=True)
        if enterprise is None:
            raise not_found("企业", "Enterprise")
        return enterprise

    async def _open(
        self, session: AsyncSession, enterprise_id: uuid.UUID, user_id: uuid.UUID
    ) -> EnterpriseBinding | None:
        return (
            await session.execute(
                select(EnterpriseBinding).where(
                    EnterpriseBinding.enterprise_id == enterprise_id,
                    EnterpriseBinding.user_id == user_id,
                    EnterpriseBinding.status.in_(OPEN),
                )
            )
        ).scalar_one_or_none()

    async def _owner(self, session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseBinding | None:
        return (
            await session.execute(
                select(EnterpriseBinding).where(
                    EnterpriseBinding.enterprise_id == enterprise_id,
                    EnterpriseBinding.status == "active",
                    EnterpriseBinding.role == "owner",
                )
            )
        ).scalar_one_or_none()

    async def _is_owner(self, session: AsyncSession, enterprise_id: uuid.UUID, caller: Caller) -> bool:
        owner = await self._owner(session, enterprise_id)
        return owner is not None and owner.user_id == caller.user_id

    def _audit(self, session: AsyncSession, row: EnterpriseBinding, action: str, caller: Caller, **detail: Any) -> None:
        session.add(
            BindingAudit(
                id=uuid.uuid4(),
                enterprise_id=row.enterprise_id,
                binding_id=row.id,
                action=action,
                actor_user_id=caller.user_id,
                actor_name=caller.username,
                subject_user_id=row.user_id,
                occurred_at=datetime.now(UTC),
                detail={"role": row.role, "status": row.status, **{k: v for k, v in detail.items() if v is not None}},
            )
        )
