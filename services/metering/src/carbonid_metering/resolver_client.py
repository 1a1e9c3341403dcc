"""The resolver's internal handle endpoint: a device's identifier record through the platform's node adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from carbonid_kit.problems import Problem
from carbonid_metering.config import MeteringSettings


@dataclass(frozen=True)
class ResolvedHandle:
    handle: str
    values: dict[str, str]
    node: str
    enterprise: dict[str, Any] | None


class ResolverClient:
    def __init__(self, settings: MeteringSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = httpx.AsyncClient(
            base_url=settings.resolver_url.rstrip("/"),
            timeout=settings.resolver_timeout_seconds,
            headers={"X-Carbonid-Service-Token": settings.service_token.get_secret_value()},
            transport=transport,
        )

    async def resolve(self, handle: str) -> ResolvedHandle:
        try:
            response = await self.client.get(f"/internal/handles/{quote(handle, safe='/')}")
        except httpx.HTTPError as exc:
            raise Problem(
                503, "resolver-unavailable", "标识解析服务暂不可用", "Resolver unavailable",
                "无法解析设备标识，请稍后重试", f"Could not resolve the device identifier: {type(exc).__name__}",
                headers={"Retry-After": "5"},
            ) from exc  # fmt: skip
        if response.status_code == 404:
            raise Problem(
                404, "device-identifier-not-found", "设备标识不存在", "Device identifier not found",
                f"标识节点上没有 {handle}", f"The identifier node has no record {handle}",
                extra={"upstream": _problem_type(response)},
            )  # fmt: skip
        if response.status_code != 200:
            status = 503 if response.status_code in (429, 503, 504) else 502
            raise Problem(
                status, "identifier-node-unavailable", "标识节点暂不可用", "Identifier node unavailable",
                "无法获取设备标识记录", f"Could not fetch the device record (resolver answered {response.status_code})",
                extra={"upstream": _problem_type(response)}, headers={"Retry-After": "5"},
            )  # fmt: skip
        body = response.json()
        values: dict[str, str] = {}
        for value in sorted(body["values"], key=lambda v: int(v["index"])):
            if value.get("value") is not None and value["type"] not in values:
                values[str(value["type"])] = str(value["value"])
        return ResolvedHandle(str(body["handle"]), values, str(body["node"]), body.get("enterprise"))

    async def aclose(self) -> None:
        await self.client.aclose()


def _problem_type(response: httpx.Response) -> str | None:
    try:
        return str(response.json().get("type"))
    except ValueError:
        return None
