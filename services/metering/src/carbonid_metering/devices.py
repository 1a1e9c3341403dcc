"""Device registration: resolve the meter's identifier, check its record, store it under its enterprise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from carbonid_contracts.codes.identifier import enterprise_id_for, normalise_prefix
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.auth import Caller
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem, forbidden, invalid
from carbonid_metering import db
from carbonid_metering.domain.devices import InvalidDeviceRecord, device_from_record
from carbonid_metering.domain.units import conversion_factor
from carbonid_metering.resolver_client import ResolverClient


def normalise_device(raw: str) -> str:
    """``HDL:88.118.8/MTR-0001`` → ``88.118.8/mtr-0001``: Handle identifiers compare case-insensitively (ASCII)."""
    prefix, slash, suffix = raw.strip().partition("/")
    if not slash or not suffix.strip() or any(c.isspace() for c in suffix.strip()):
        raise invalid(
            "invalid-identifier",
            "设备标识须为 前缀/后缀",
            "A device identifier is prefix/suffix",
            pointer="/identifier",
        )
    try:
        canonical = normalise_prefix(prefix)
    except ValueError as exc:
        raise invalid("invalid-identifier", "标识前缀无效", "Invalid identifier prefix", pointer="/identifier") from exc
    return f"{canonical}/{suffix.strip()}".lower()


def device_json(row: Any) -> dict[str, Any]:
    return {
        "identifier": row.identifier,
        "enterprise_id": str(row.enterprise_id),
        "enterprise_prefix": row.enterprise_prefix,
        "enterprise_name": row.enterprise_name,
        "region_code": row.region_code,
        "name": row.name,
        "kind": row.kind,
        "carrier": row.carrier,
        "source_code": row.source_code,
        "unit": row.unit,
        "canonical_unit": row.canonical_unit,
        "multiplier": format(row.multiplier, "f"),
        "register_kind": row.register_kind,
        "register_max": None if row.register_max is None else format(row.register_max, "f"),
        "rated_max_per_hour": format(row.rated_max_per_hour, "f"),
        "interval_seconds": row.interval_seconds,
        "enabled": row.enabled,
        "node": row.node,
        "registered_at": row.registered_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat(),
    }


async def register_device(runtime: ServiceRuntime, resolver: ResolverClient, raw: str, caller: Caller) -> Any:
    """Resolve, check and store (or refresh) a device; the caller must be its enterprise or an operator."""
    identifier = normalise_device(raw)
    prefix = identifier.partition("/")[0]
    enterprise_id = enterprise_id_for(prefix)
    if caller.role != "operator" and not (caller.role == "enterprise" and caller.enterprise_id == enterprise_id):
        raise forbidden("只能登记本企业前缀下的设备", "Only devices under your own enterprise prefix can be registered")
    resolved = await resolver.resolve(identifier)
    try:
        spec = device_from_record(identifier, resolved.values)
    except InvalidDeviceRecord as exc:
        raise Problem(
            422, "invalid-device-record", "设备标识记录不符合模板", "The device record breaks its template",
            f"{exc.handle} 的记录有 {len(exc.errors)} 处问题", f"{exc.handle}: {len(exc.errors)} invalid item(s)",
            errors=[FieldError(f"/record/{e.item}", "invalid-item", e.zh, e.en) for e in exc.errors],
        ) from exc  # fmt: skip
    enterprise = resolved.enterprise
    if enterprise is None:
        raise Problem(
            409, "enterprise-not-resolved", "企业尚未接入平台", "Enterprise not on the platform",
            f"请先解析企业前缀 {prefix}", f"Resolve the enterprise prefix {prefix} first",
        )  # fmt: skip
    factor = conversion_factor(spec.unit, spec.carrier)
    assert factor is not None
    now = datetime.now(UTC)
    columns = {
        "enterprise_id": enterprise_id,
        "enterprise_prefix": prefix,
        "enterprise_name": str(enterprise["name"]),
        "region_code": str(enterprise["region_code"]),
        "name": spec.name,
        "kind": spec.kind,
        "carrier": spec.carrier,
        "source_code": spec.source_code,
        "unit": spec.unit,
        "canonical_unit": spec.canonical_unit,
        "multiplier": spec.multiplier,
        "register_kind": spec.register_kind,
        "register_max": None if spec.register_max is None else spec.register_max * spec.unit_factor,
        "rated_max_per_hour": spec.rated_max_per_hour * factor,
        "interval_seconds": spec.interval_seconds,
        "enabled": spec.enabled,
        "record": resolved.values,
        "node": resolved.node,
        "resolved_at": now,
    }
    async with transaction(runtime.sessions) as session:
        statement = insert(db.devices).values(identifier=identifier, registered_at=now, **columns)
        await session.execute(statement.on_conflict_do_update(index_elements=["identifier"], set_=columns))
        return (await session.execute(select(db.devices).where(db.devices.c.identifier == identifier))).one()
