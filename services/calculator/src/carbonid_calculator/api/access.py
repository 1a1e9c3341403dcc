"""Who may do what with a calculation, and loading one with that check applied."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_calculator.db import Calculation
from carbonid_kit.auth import Caller
from carbonid_kit.problems import Problem, conflict, forbidden, not_found


def bound_enterprise(caller: Caller) -> uuid.UUID:
    """The enterprise an enterprise user acts for; refuses callers that cannot write calculations."""
    if caller.role != "enterprise":
        raise forbidden("仅企业用户可以编辑碳排放计算", "Only enterprise users edit emission calculations")
    if caller.enterprise_id is None:
        raise Problem(
            403,
            "enterprise-not-bound",
            "尚未绑定企业",
            "No enterprise bound",
            "请先通过企业标识前缀绑定企业（标识解析企业），再进行碳排放计算",
            "Bind your enterprise through its identifier prefix first, then calculate emissions",
        )
    return caller.enterprise_id


async def readable(session: AsyncSession, caller: Caller, calculation_id: uuid.UUID) -> Calculation:
    """The calculation if the caller may see it (own enterprise, region, operator); 404/403 otherwise."""
    calc = await session.get(Calculation, calculation_id)
    if calc is None:
        raise not_found("碳排放计算", "Calculation")
    if not caller.may_see(enterprise_id=calc.enterprise_id, region_code=calc.region_code):
        raise forbidden("无权查看该碳排放计算", "You may not see this calculation")
    return calc


async def writable(session: AsyncSession, caller: Caller, calculation_id: uuid.UUID) -> Calculation:
    """The calculation locked for update, if it is the caller's own and not confirmed."""
    enterprise_id = bound_enterprise(caller)
    calc = (
        await session.execute(select(Calculation).where(Calculation.id == calculation_id).with_for_update())
    ).scalar_one_or_none()
    if calc is None:
        raise not_found("碳排放计算", "Calculation")
    if calc.enterprise_id != enterprise_id:
        raise forbidden("只能编辑本企业的碳排放计算", "You may edit only your own enterprise's calculations")
    if calc.state == "confirmed":
        raise conflict(
            "calculation-confirmed",
            "已确认的计算不可修改；请使用【重新计算】创建新的计算",
            "A confirmed calculation is immutable; recalculate to start a new one",
        )
    return calc
