"""Composition root of identity, and the ``carbonid-identity`` command (serve, migrate, seed, create-user)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from carbonid_identity import audit
from carbonid_identity.accounts import NewAccount, RulesBrokenError, UsernameTakenError, create_account
from carbonid_identity.api import admin, auth, internal
from carbonid_identity.config import IdentitySettings
from carbonid_identity.context import Clock, Identity, system_clock
from carbonid_identity.db import MIGRATIONS, Base
from carbonid_identity.domain.accounts import Role
from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.db import create_engine, session_factory, transaction
from carbonid_kit.migrations import upgrade
from carbonid_kit.settings import Environment

DESCRIPTION = """Accounts, roles and region scopes, sessions, the password policy and the token signing keys.

Access tokens are EdDSA JWTs; verify them offline with the keys at `/.well-known/jwks.json`."""


def create_app(settings: IdentitySettings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    settings = settings or IdentitySettings()
    runtime = ServiceRuntime(settings, Base.metadata)
    identity = Identity(settings, runtime.sessions, clock)

    async def first_key(app: FastAPI) -> None:
        async with transaction(identity.sessions) as session:
            await identity.keys.active(session)

    app = create_service_app(
        settings,
        runtime,
        title="CarbonID identity",
        description=DESCRIPTION,
        routers=[auth.router, admin.router, internal.router],
        on_startup=[first_key],
        max_body_bytes=64 * 1024,
    )
    app.state.identity = identity
    return app


# --- the command -------------------------------------------------------------------------------------------


class SeedAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    role: Role
    region_scope: str | None = None
    password: str | None = None
    password_env: str | None = Field(default=None, description="read the password from this environment variable")
    must_change_password: bool = True


class SeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accounts: list[SeedAccount]


def inline_password_refusal(seed: SeedFile, settings: IdentitySettings) -> str | None:
    """Why a seed is refused here, or None. A password written in the file (the demo seed: ``operator01`` with
    a published password) is for development only; elsewhere every account names its ``password_env``."""
    if settings.environment in (Environment.DEVELOPMENT, Environment.TEST):
        return None
    inline = [a.username for a in seed.accounts if a.password]
    if not inline:
        return None
    return (
        f"refused in {settings.environment.value}: {', '.join(inline)} carry a password in the seed file "
        "(demo credentials); give each a password_env instead"
    )


def _password_of(entry: SeedAccount) -> str:
    if entry.password_env:
        value = os.environ.get(entry.password_env)
        if not value:
            raise SystemExit(f"{entry.username}: environment variable {entry.password_env} is not set")
        return value
    if entry.password:
        return entry.password
    raise SystemExit(f"{entry.username}: the seed gives neither password nor password_env")


async def _with_identity(settings: IdentitySettings, accounts: Sequence[NewAccount]) -> list[str]:
    engine = create_engine(settings.database_url, pool_size=2)
    identity = Identity(settings, session_factory(engine))
    report: list[str] = []
    try:
        for account in accounts:
            try:
                async with transaction(identity.sessions) as session:
                    user = await create_account(identity, session, account)
                report.append(f"created {account.role} {account.username} ({user.id})")
            except UsernameTakenError:
                report.append(f"exists  {account.role} {account.username} (unchanged)")
            except RulesBrokenError as exc:
                raise SystemExit(f"{account.username}: {exc}") from exc
    finally:
        await engine.dispose()
    return report


async def _rotate(settings: IdentitySettings) -> str:
    engine = create_engine(settings.database_url, pool_size=1)
    identity = Identity(settings, session_factory(engine))
    try:
        async with transaction(identity.sessions) as session:
            kid = await identity.keys.rotate(session)
            await audit.record(session, "keys.rotated", now=identity.clock(), kid=kid, via="command")
            return kid
    finally:
        await engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carbonid-identity", description="CarbonID identity service")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="migrate the database, then serve HTTP (the default)")
    commands.add_parser("migrate", help="migrate the database and exit")
    seed = commands.add_parser("seed", help="create built-in accounts from a JSON file (existing ones are kept)")
    seed.add_argument("--file", required=True, type=Path)
    create = commands.add_parser("create-user", help="create one built-in account")
    create.add_argument("--role", required=True, choices=["government", "operator"])
    create.add_argument("--region", help="GB/T 2260 province, city or county code (government)")
    create.add_argument("--username", required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--no-force-change", action="store_true", help="do not force a password change")
    commands.add_parser("rotate-keys", help="retire the signing key and start a new one")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = IdentitySettings()
    command: str = args.command or "serve"
    upgrade(MIGRATIONS, settings.database_url)
    if command == "serve":
        uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
    elif command == "seed":
        raw: Any = json.loads(args.file.read_text(encoding="utf-8"))
        seed = SeedFile.model_validate(raw)
        refusal = inline_password_refusal(seed, settings)
        if refusal:
            raise SystemExit(refusal)
        accounts = [
            NewAccount(a.username, _password_of(a), a.role, a.region_scope, a.must_change_password)
            for a in seed.accounts
        ]
        for line in asyncio.run(_with_identity(settings, accounts)):
            sys.stdout.write(line + "\n")
    elif command == "create-user":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = os.environ.get("CARBONID_NEW_USER_PASSWORD") or getpass.getpass("password: ")
        account = NewAccount(args.username, password, args.role, args.region, not args.no_force_change)
        for line in asyncio.run(_with_identity(settings, [account])):
            sys.stdout.write(line + "\n")
    elif command == "rotate-keys":
        sys.stdout.write(f"signing with new key {asyncio.run(_rotate(settings))}\n")
