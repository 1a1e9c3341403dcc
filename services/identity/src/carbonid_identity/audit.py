"""The audit log: logins, password changes, role and scope changes, bindings, key rotations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_identity.db import AuditEntry
from carbonid_kit.logging import request_id_var


async def record(
    session: AsyncSession,
    action: str,
    *,
    now: datetime,
    subject: uuid.UUID | None = None,
    actor: uuid.UUID | None = None,
    client_address: str | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            id=uuid.uuid4(),
            occurred_at=now,
            action=action,
            actor_user_id=actor,
            subject_user_id=subject,
            client_address=client_address,
            request_id=request_id_var.get(),
            details=details,
        )
    )
