"""Alembic per service: each service keeps ``migrations/`` beside its ``src/`` and runs them through here."""

from __future__ import annotations

import argparse
import asyncio
import zlib
from pathlib import Path
from typing import Literal

import asyncpg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import async_engine_from_config

MIGRATION_LOCK_KEY = zlib.crc32(b"carbonid:alembic-upgrade")  # advisory locks are scoped to one database


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def ensure_database(database_url: str) -> None:
    """Create the service's database on the server when it does not exist yet."""
    url = make_url(database_url)
    name = url.database
    assert name, "the database URL names no database"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.DuplicateDatabaseError:
        pass  # created concurrently by another process
    finally:
        await conn.close()


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Create the database if needed and migrate it to ``revision`` (blocking; run it before serving)."""
    asyncio.run(ensure_database(database_url))
    command.upgrade(alembic_config(script_location, database_url), revision)


def serve_or_migrate(prog: str) -> Literal["serve", "migrate"]:
    """The command line of a service: ``<prog> [serve]`` migrates then serves, ``<prog> migrate`` only migrates
    (a deployment's migration job or init container)."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    command: Literal["serve", "migrate"] = parser.parse_args().command
    return command


async def upgrade_async(script_location: Path, database_url: str, revision: str = "head") -> None:
    await ensure_database(database_url)
    await asyncio.to_thread(command.upgrade, alembic_config(script_location, database_url), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``: online, async, comparing types."""

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            # Replicas that start together (or a migration job beside a starting service) queue here: the next
            # one reads the version table only after the previous one committed, and finds nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()

    async def run_async() -> None:
        section = context.config.get_section(context.config.config_ini_section, {})
        engine = async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())
