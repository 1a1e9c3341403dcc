"""The ``carbonid-identity`` command: seeding the demo's built-in accounts, creating one, rotating keys."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from identity_harness import CHEAP_ARGON2, SERVICE_TOKEN
from sqlalchemy import select

from carbonid_identity.db import SigningKey, User
from carbonid_identity.main import main
from carbonid_kit.db import create_engine, session_factory

pytestmark = pytest.mark.integration

DEMO_SEED = Path(__file__).resolve().parents[1] / "seed" / "demo-accounts.json"


async def users_in(url: str) -> dict[str, User]:
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            return {u.username: u for u in (await session.execute(select(User))).scalars()}
    finally:
        await engine.dispose()


@pytest.fixture
async def database(new_database: Callable[[str], Awaitable[str]], monkeypatch: pytest.MonkeyPatch) -> str:
    url = await new_database("identity_cli")
    monkeypatch.setenv("CARBONID_DATABASE_URL", url)
    monkeypatch.setenv("CARBONID_SERVICE_TOKEN", SERVICE_TOKEN)
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(f"CARBONID_{name.upper()}", str(value))
    return url


async def test_seed_creates_the_demo_accounts_once(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    await asyncio.to_thread(main, ["seed", "--file", str(DEMO_SEED)])
    await asyncio.to_thread(main, ["seed", "--file", str(DEMO_SEED)])  # again: nothing changes
    out = capsys.readouterr().out
    assert out.count("created") == 4
    assert out.count("exists") == 4
    users = await users_in(database)
    assert {u: (users[u].role, users[u].region_scope) for u in users} == {
        "operator01": ("operator", None),
        "zj_province": ("government", "330000"),
        "huzhou_city": ("government", "330500"),
        "js_province": ("government", "320000"),
    }
    assert all(u.must_change_password and not u.self_registered for u in users.values())
    assert all(u.password_hash.startswith("$argon2id$") for u in users.values())


async def test_create_user_checks_the_scope_and_can_skip_the_forced_change(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Gov-pass-123\n"))
    args = ["create-user", "--role", "government", "--region", "330502", "--username", "wuxing_gov"]
    await asyncio.to_thread(main, [*args, "--password-stdin", "--no-force-change"])
    user = (await users_in(database))["wuxing_gov"]
    assert (user.region_scope, user.must_change_password) == ("330502", False)
    monkeypatch.setattr("sys.stdin", io.StringIO("Gov-pass-123\n"))
    with pytest.raises(SystemExit, match="region"):
        await asyncio.to_thread(
            main, ["create-user", "--role", "government", "--username", "noscope01", "--password-stdin"]
        )


async def test_rotate_keys_command(database: str) -> None:
    await asyncio.to_thread(main, ["rotate-keys"])
    await asyncio.to_thread(main, ["rotate-keys"])
    engine = create_engine(database, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            keys = list((await session.execute(select(SigningKey))).scalars())
    finally:
        await engine.dispose()
    assert len(keys) == 2
    assert sum(k.retired_at is None for k in keys) == 1
