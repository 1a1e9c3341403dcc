"""SQLAlchemy 2 async engine and sessions over asyncpg; one database per service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A service's MetaData with stable constraint names, so that Alembic diffs stay quiet."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class ServiceBase(DeclarativeBase):
    """Subclass once per service (``class Base(ServiceBase): metadata = new_metadata()``)."""

    __abstract__ = True


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine without pre-ping: a ping is one more round trip on every checkout (a third of all statements
    under load). A connection that died with the server fails its first use instead, SQLAlchemy then discards
    every pooled connection older than that moment, HTTP answers 503 (``database_unavailable``) and the event
    consumers retry; so a PostgreSQL restart costs the requests in flight, as it would anyway."""
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


# SQLSTATE classes that say "the server or the connection", never "this statement": connection exception (08),
# transaction rollback (40: serialization failure, deadlock), insufficient resources (53), operator
# intervention (57: admin shutdown, crash shutdown, cannot connect now), system error (58). asyncpg raises them
# as PostgresError subclasses, which SQLAlchemy's asyncpg dialect maps to a plain DBAPIError, not OperationalError.
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})


def database_unavailable(exc: BaseException) -> bool:
    """True when the database (or the connection to it) failed, not the request or event being applied."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(sqlstate, str) and sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES
    return False


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits together on success and rolls back entirely on any error."""
    async with sessions() as session, session.begin():
        yield session


def sync_url(url: str) -> str:
    """The psycopg-free URL Alembic's offline helpers print; runtime always uses asyncpg."""
    return url.replace("+asyncpg", "")
