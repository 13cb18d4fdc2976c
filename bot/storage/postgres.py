"""PostgreSQL through asyncpg, behind the same interface as SQLite (see database.py).

Repositories keep SQLite's `?` placeholders and aiosqlite's cursor calls; this module numbers
the placeholders ($1, $2 …) and gives asyncpg's results a cursor's face.

Write transactions take one advisory lock, so they run one at a time across every instance,
exactly as SQLite's BEGIN IMMEDIATE does on one file: a check inside a transaction (a shift's
free places, a link code's failures) still holds at its commit. Claims of outbox rows use
`claiming()` instead: no shared lock, the rows themselves are locked FOR UPDATE SKIP LOCKED,
so several instances take different rows at the same time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.storage.database import Queries, Row

# pg_advisory_xact_lock key held by every write transaction (any constant; "chiiki" in ASCII).
WRITERS_LOCK = 0x636869696B69
POOL_SIZE = 10


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """SQLite's `?` placeholders as PostgreSQL's $1, $2 …; a `?` inside quotes stays."""
    out: list[str] = []
    quote: str | None = None
    n = 0
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(char)
    return "".join(out)


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper()
    return head in ("SELECT", "WITH", "VALUES") or " RETURNING " in sql.upper()


def _status_count(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") as a row count."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """The part of a DB-API cursor repositories use: fetchone, fetchall, rowcount."""

    def __init__(self, rows: Sequence[Row], rowcount: int) -> None:
        self._rows = list(rows)
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        return self._rows


async def _run(
    conn: asyncpg.Connection | asyncpg.Pool, sql: str, params: Iterable[Any]
) -> PgCursor:
    args = tuple(params)
    query = numbered(sql)
    if _returns_rows(sql):
        rows = await conn.fetch(query, *args)
        return PgCursor(rows, len(rows))
    return PgCursor([], _status_count(await conn.execute(query, *args)))


class _Statement:
    """A statement to run: awaited, or used as `async with conn.execute(...) as cursor`, as
    aiosqlite allows both."""

    def __init__(self, conn: asyncpg.Connection, sql: str, parameters: Iterable[Any]) -> None:
        self._conn, self._sql, self._parameters = conn, sql, parameters

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return _run(self._conn, self._sql, self._parameters).__await__()

    async def __aenter__(self) -> PgCursor:
        return await self

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """One pooled connection inside a transaction, with aiosqlite's method names."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Statement:
        return _Statement(self._conn, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        batch = [tuple(p) for p in parameters]
        if batch:
            await self._conn.executemany(numbered(sql), batch)

    async def execute_script(self, script: str) -> None:
        await self._conn.execute(script)  # no arguments: the simple protocol, many statements


class PostgresDatabase(Queries):
    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        # Within one instance, writers queue here first, in arrival order (as on SQLite), and
        # hold a pooled connection only once it is their turn.
        self._writers = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        async with self._writers, self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITERS_LOCK)
            yield PgConnection(conn)

    @asynccontextmanager
    async def claiming(self) -> AsyncIterator[PgConnection]:
        """A transaction for claims that lock their own rows (FOR UPDATE SKIP LOCKED)."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgConnection(conn)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await (await _run(self._pool, sql, params)).fetchall()

    async def execute_script(self, script: str) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(script)

    async def ping(self) -> bool:
        return await self._pool.fetchval("SELECT 1") == 1

    async def close(self) -> None:
        await self._pool.close()


async def open_postgres(url: str, busy_timeout_ms: int) -> PostgresDatabase:
    pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=POOL_SIZE,
        # Waiting for a lock longer than this fails like SQLite's busy timeout (a 503, retried).
        server_settings={"lock_timeout": f"{int(busy_timeout_ms)}ms", "timezone": "UTC"},
    )
    return PostgresDatabase(pool)


def is_postgres_busy(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (
            asyncpg.exceptions.LockNotAvailableError,
            asyncpg.exceptions.DeadlockDetectedError,
            asyncpg.exceptions.SerializationError,
            asyncpg.exceptions.TooManyConnectionsError,
        ),
    )
