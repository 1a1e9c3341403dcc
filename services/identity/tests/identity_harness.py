"""Identity under test: settings with cheap Argon2, a clock the test can move, and the usual steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from carbonid_identity.config import IdentitySettings

CHEAP_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
SERVICE_TOKEN = "test-service-token"


@dataclass
class MovableClock:
    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


def identity_settings(url: str, **overrides: Any) -> IdentitySettings:
    return IdentitySettings(
        database_url=url,
        environment="test",
        log_json=False,
        service_token=SERVICE_TOKEN,
        **{**CHEAP_ARGON2, **overrides},
    )


@dataclass
class IdentityUnderTest:
    app: FastAPI
    client: httpx.AsyncClient
    clock: MovableClock
    settings: IdentitySettings


PASSWORD = "Initial-123"
NEW_PASSWORD = "Changed-456"


async def register(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(
        "/auth/register", json={"username": username, "password": password, "password_confirm": password}
    )


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/auth/login", json={"username": username, "password": password})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def change_password(
    client: httpx.AsyncClient, tokens: dict[str, Any], old: str = PASSWORD, new: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/auth/password",
        json={"current_password": old, "new_password": new, "new_password_confirm": new},
        headers=bearer(tokens),
    )


async def ready_user(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    """Register, log in, do the forced change, log in again: tokens of a user who may use the platform."""
    assert (await register(client, username)).status_code == 201
    first = (await login(client, username)).json()
    assert (await change_password(client, first)).status_code == 200
    response = await login(client, username, NEW_PASSWORD)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def problem_codes(response: httpx.Response) -> set[str]:
    return {e["code"] for e in response.json().get("errors", [])}
