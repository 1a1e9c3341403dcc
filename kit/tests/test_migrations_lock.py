"""Replicas that migrate one database at the same moment queue on a lock instead of racing.

Without the lock both processes find no version table, both run the first revision, and the second fails on
``CREATE TABLE`` of a table the first has just created (DuplicateTable); a deployment's replicas or its migration
job beside a starting service do exactly that.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest
from sqlalchemy import text

from carbonid_kit.db import create_engine
from carbonid_kit.migrations import ensure_database

pytestmark = pytest.mark.integration

ENV = """
from sqlalchemy import MetaData

from carbonid_kit.migrations import run_env

run_env(MetaData())
"""

SCRIPT = """
<%text>\"\"\"${message}\"\"\"</%text>
"""

REVISION = '''
"""a slow first revision"""

from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute("CREATE TABLE slow (n int)")
    op.execute("SELECT pg_sleep(0.5)")  # long enough for every other upgrade to arrive meanwhile
    op.execute("INSERT INTO slow VALUES (1)")
'''


def write_migrations(folder: Path) -> Path:
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(textwrap.dedent(ENV), encoding="utf-8")
    (folder / "script.py.mako").write_text(SCRIPT, encoding="utf-8")
    (folder / "versions" / "0001_slow.py").write_text(textwrap.dedent(REVISION), encoding="utf-8")
    return folder


async def test_simultaneous_upgrades_apply_each_revision_once(new_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = await new_database("migrate")
    await ensure_database(url)
    migrations = write_migrations(tmp_path / "migrations")
    # Separate processes, as replicas are (Alembic's ``context`` is one per process: threads would share it).
    code = (
        "import sys; from pathlib import Path; from carbonid_kit.migrations import upgrade; "
        "upgrade(Path(sys.argv[1]), sys.argv[2])"
    )
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(migrations), url, stdout=PIPE, stderr=PIPE)
        for _ in range(4)
    ]
    outcomes = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), timeout=120)
    for process, (_, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM slow"))).scalar_one() == 1
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == "0001"
    finally:
        await engine.dispose()
