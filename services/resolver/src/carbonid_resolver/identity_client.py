"""Identity's internal endpoints: binding and unbinding enterprise users, finding an account by name."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from carbonid_kit.problems import Problem


class IdentityClient:
    def __init__(self, base_url: str, service_token: str, *, timeout_s: float, client: httpx.AsyncClient | None = None):
        self._client = client or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s))
        self._token = service_token

    async def bind(self, user_id: uuid.UUID, enterprise_id: uuid.UUID, prefix: str, region_code: str) -> None:
        """200: bound (or already bound to it); 409: bound to another enterprise; anything else: unavailable."""
        try:
            response = await self._client.post(
                f"/internal/users/{user_id}/enterprise",
                json={"enterprise_id": str(enterprise_id), "identifier_prefix": prefix, "region_code": region_code},
                headers={"X-Carbonid-Service-Token": self._token},
            )
        except httpx.HTTPError as exc:
            raise identity_unavailable(type(exc).__name__) from exc
        if response.status_code == 409:
            raise Problem(
                409,
                "enterprise-binding-conflict",
                "账号已绑定其他企业",
                "Account bound to another enterprise",
                "该账号已绑定其他企业，不能再绑定此企业",
                "This account is already bound to another enterprise",
                extra={"enterprise_id": str(enterprise_id)},
            )
        if response.status_code not in (200, 201, 204):
            raise identity_unavailable(f"HTTP {response.status_code}")

    async def unbind(self, user_id: uuid.UUID, enterprise_id: uuid.UUID, actor: uuid.UUID | None) -> None:
        """Identity unbinds the account (if bound to that enterprise) and ends its sessions."""
        try:
            response = await self._client.post(
                f"/internal/users/{user_id}/enterprise/unbind",
                json={"enterprise_id": str(enterprise_id), "actor": str(actor) if actor else None},
                headers={"X-Carbonid-Service-Token": self._token},
            )
        except httpx.HTTPError as exc:
            raise identity_unavailable(type(exc).__name__) from exc
        if response.status_code not in (200, 204, 404):
            raise identity_unavailable(f"HTTP {response.status_code}")

    async def user_named(self, username: str) -> dict[str, Any] | None:
        """The account with that username (identity's user view), None when there is none."""
        try:
            response = await self._client.get(
                "/internal/users", params={"username": username}, headers={"X-Carbonid-Service-Token": self._token}
            )
        except httpx.HTTPError as exc:
            raise identity_unavailable(type(exc).__name__) from exc
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise identity_unavailable(f"HTTP {response.status_code}")
        user: dict[str, Any] = response.json()
        return user

    async def aclose(self) -> None:
        await self._client.aclose()


def identity_unavailable(reason: str) -> Problem:
    return Problem(
        503,
        "identity-unavailable",
        "身份服务暂不可用",
        "Identity service unavailable",
        f"无法将账号绑定到企业（{reason}），未保存任何数据，请稍后重试",
        f"Could not bind the account to the enterprise ({reason}); nothing was saved, retry later",
    )
