"""Reading certificates: by code, by id, listings by who may see them, the current one of an enterprise."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_certificates.db import CertificateRow
from carbonid_certificates.domain.certificate import CertificateStatus
from carbonid_contracts.codes.region import region_prefix
from carbonid_kit.auth import Caller


async def by_code(session: AsyncSession, code: str) -> CertificateRow | None:
    return (await session.execute(select(CertificateRow).where(CertificateRow.code == code))).scalar_one_or_none()


async def current_certificate(session: AsyncSession, enterprise_id: uuid.UUID, today: date) -> CertificateRow | None:
    """The enterprise's current certificate: valid, not expired, of its latest period, then latest issued."""
    return (
        await session.execute(
            select(CertificateRow)
            .where(
                CertificateRow.enterprise_id == enterprise_id,
                CertificateRow.status == CertificateStatus.VALID.value,
                CertificateRow.valid_until >= today,
            )
            .order_by(CertificateRow.period_end.desc(), CertificateRow.issued_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def visible_to(caller: Caller, query: Select[CertificateRow]) -> Select[CertificateRow]:
    """Enterprise users: their enterprise; government: their region (code prefix); operators: all."""
    if caller.role == "operator":
        return query
    if caller.role == "enterprise":
        if caller.enterprise_id is None:
            return query.where(false())
        return query.where(CertificateRow.enterprise_id == caller.enterprise_id)
    if not caller.region_scope:
        return query.where(false())
    # the same rule as Caller.may_see: a province scope 330000 covers 33xxxx, a city 330500 covers 3305xx
    return query.where(CertificateRow.region_code.startswith(region_prefix(caller.region_scope), autoescape=True))


async def listing(
    session: AsyncSession,
    caller: Caller,
    *,
    enterprise_id: uuid.UUID | None,
    period: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> Sequence[CertificateRow]:
    query = visible_to(caller, select(CertificateRow))
    if enterprise_id is not None:
        query = query.where(CertificateRow.enterprise_id == enterprise_id)
    if period is not None:
        query = query.where(CertificateRow.period == period)
    if status is not None:
        query = query.where(CertificateRow.status == status)
    query = query.order_by(CertificateRow.issued_at.desc(), CertificateRow.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()
