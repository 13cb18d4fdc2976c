"""Where a test's data lives: an SQLite file in its tmp_path, or, when CHIIKI_TEST_DB is
`postgresql` (the second half of `make test`), a fresh database in a throwaway cluster,
copied from a template that already has every migration.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import threading
import time
from pathlib import Path

import asyncpg

from bot.config import PROJECT_ROOT
from bot.errors import ConstraintViolationError
from bot.storage import apply_migrations, open_database
from bot.storage.database import is_postgres_target
from tests.pg_cluster import Cluster

POSTGRES = os.environ.get("CHIIKI_TEST_DB") == "postgresql"
TEMPLATE = "chiiki_template"

# What either database raises when a constraint refuses a row.
# What a write that breaks a rule of the schema raises, on either database.
INTEGRITY_ERRORS = (ConstraintViolationError,)

_cluster: Cluster | None = None
_names = itertools.count(1)
_created: dict[tuple[Path, str], tuple[str, bool]] = {}  # (tmp_path, name) → (db, migrated)
# Migrated databases emptied after their test, ready for the next one: emptying a database
# takes milliseconds, copying the template for every test took most of the run.
_clean: list[str] = []
_tables: str = ""


def start() -> None:
    global _tables
    if not POSTGRES:
        return
    cluster().psql(f"CREATE DATABASE {TEMPLATE}")

    async def migrate() -> None:
        db = await open_database(cluster().database_url(TEMPLATE))
        try:
            await apply_migrations(db, PROJECT_ROOT / "migrations")
        finally:
            await db.close()

    asyncio.run(migrate())
    _tables = (
        cluster()
        .psql(
            "SELECT string_agg(tablename, ', ') FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
            TEMPLATE,
        )
        .strip()
    )


def stop() -> None:
    if _cluster is not None:
        _cluster.stop()


def cluster() -> Cluster:
    """The cluster, started on first use (also in the SQLite run, for `chiiki db copy`)."""
    global _cluster
    if _cluster is None:
        _cluster = Cluster().start()
    return _cluster


def database_for(
    tmp_path: Path, name: str = "chiiki", migrated: bool = True, postgres: bool = POSTGRES
) -> str:
    """CHIIKI_DB for a test: a file in tmp_path, or a PostgreSQL database (migrated, or empty
    when `migrated` is False). The same tmp_path and name give the same one, as a file would."""
    if not postgres:
        return str(tmp_path / f"{name}.db")
    known = _created.get((tmp_path, name))
    if known is not None:
        return cluster().database_url(known[0])
    # The migrated template is made for the PostgreSQL run only.
    assert POSTGRES or not migrated, "ask for an empty PostgreSQL database here"
    if migrated and _clean:
        database = _clean.pop()
    else:
        database = f"{name}_{os.getpid()}_{next(_names)}"
        template = f" TEMPLATE {TEMPLATE}" if migrated else ""
        cluster().psql(f"CREATE DATABASE {database}{template}")
    _created[(tmp_path, name)] = (database, migrated)
    return cluster().database_url(database)


def drop_created() -> None:
    """After each test: its migrated databases are emptied for the next test, others go.
    Connections a test left (a killed server's) are ended first."""
    for database, migrated in _created.values():
        if not migrated:
            cluster().psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            continue
        cluster().psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            f" WHERE datname = '{database}'"
        )
        cluster().psql(f"TRUNCATE {_tables} RESTART IDENTITY CASCADE", database)
        _clean.append(database)
    _created.clear()


def counts(target: str, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows per table, read in one query."""
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in tables)
    if is_postgres_target(target):
        values = cluster().psql(sql, target.rsplit("/", 1)[-1]).strip().split("|")
    else:
        with sqlite3.connect(target, timeout=30) as conn:
            values = conn.execute(sql).fetchone()
    return {table: int(value) for table, value in zip(tables, values, strict=True)}


def hold_write_lock(target: str, seconds: float, locked: threading.Event) -> threading.Thread:
    """Another connection (a staff command, a backup) holding a write lock for a while: the
    whole file on SQLite; on PostgreSQL, the inbox table in EXCLUSIVE mode (no inserts)."""

    def hold_sqlite() -> None:
        conn = sqlite3.connect(target, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    async def hold_postgres() -> None:
        conn = await asyncpg.connect(target)
        async with conn.transaction():
            await conn.execute("LOCK TABLE inbound_events IN EXCLUSIVE MODE")
            locked.set()
            await asyncio.sleep(seconds)
        await conn.close()

    postgres = is_postgres_target(target)
    thread = threading.Thread(
        target=(lambda: asyncio.run(hold_postgres())) if postgres else hold_sqlite
    )
    thread.start()
    return thread


def scalar(target: str, sql: str) -> int:
    """One number read outside the application, as an operator would read it."""
    if is_postgres_target(target):
        database = target.rsplit("/", 1)[-1]
        return int(cluster().psql(sql, database).strip())
    with sqlite3.connect(target, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])
