"""Composition root: ``create_app(settings)`` builds the store from the seed and wires both facades."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from carbonid_idnode.config import NodeSettings
from carbonid_idnode.faults import FaultMiddleware, FaultState, fault_config_from_settings, faults_router
from carbonid_idnode.handle_api import HandleApi, handle_response
from carbonid_idnode.records import HandleValue, ResponseCode, handle_key, utc_timestamp
from carbonid_idnode.seed import SeedData, load_seed
from carbonid_idnode.snms_api import STATUS_INTERNAL, SnmsApi
from carbonid_idnode.store import HandleRecord, HandleStore, PrefixRegistry

log = logging.getLogger("carbonid_idnode")


def _with_admin_secrets(seed: SeedData, settings: NodeSettings) -> list[HandleRecord]:
    """Seed records plus an HS_SECKEY on every prefix's admin handle; secrets come from settings only."""
    records = {handle_key(r.handle): r for r in seed.records}
    for info in seed.prefixes:
        prefix = str(info["prefix"])
        admin_handle = f"{prefix}/{settings.admin_suffix}"
        existing = records.get(handle_key(admin_handle))
        values = dict(existing.values) if existing is not None else {}
        stamp = next(iter(values.values())).timestamp if values else utc_timestamp()
        values[settings.admin_index] = HandleValue(
            index=settings.admin_index,
            type="HS_SECKEY",
            data_format="string",
            data_value=settings.secret_for(prefix),
            timestamp=stamp,
            permissions="1100",
        )
        records[handle_key(admin_handle)] = HandleRecord(existing.handle if existing else admin_handle, values)
    return list(records.values())


def create_app(settings: NodeSettings | None = None) -> FastAPI:
    settings = settings or NodeSettings()
    seed = load_seed(settings.seed_dir) if settings.load_seed else SeedData(prefixes=[], records=[])
    registry = PrefixRegistry(seed.prefixes)
    store = HandleStore(registry.prefixes(), persist_path=settings.persist_path)
    store.load(_with_admin_secrets(seed, settings))
    replayed = store.replay_journal()
    faults = FaultState(
        fault_config_from_settings(
            latency_ms=settings.fault_latency_ms,
            status_503=settings.fault_status_503,
            timeout=settings.fault_timeout,
            timeout_max_ms=settings.fault_timeout_max_ms,
            malformed_body=settings.fault_malformed_body,
            only_paths=settings.fault_only_paths,
            prefix=settings.fault_prefix,
            remaining=settings.fault_remaining,
        )
    )
    log.info(
        "identifier node: %d prefixes, %d handles, %d replayed writes", len(registry.prefixes()), len(store), replayed
    )

    app = FastAPI(title="CarbonID local identifier node", version="0.1.0")
    app.state.settings = settings
    app.state.store = store
    app.state.registry = registry
    app.state.faults = faults
    app.include_router(HandleApi(store, settings).router())
    app.include_router(SnmsApi(store, registry, settings).router())
    if settings.faults_api_enabled:
        app.include_router(faults_router(faults))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "handles": len(store), "prefixes": len(registry.prefixes())}

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        if request.url.path.startswith("/api/"):
            handle = request.url.path.removeprefix("/api/handles/") if "/api/handles/" in request.url.path else None
            return handle_response(ResponseCode.ERROR, handle=handle, message="Internal server error")
        return JSONResponse({"status": STATUS_INTERNAL, "message": "服务器内部错误 / internal error", "data": None})

    app.add_middleware(FaultMiddleware, state=faults)
    return app
