"""PostgreSQL through asyncpg, behind the same interface as SQLite (see database.py).

Repositories keep SQLite's `?` placeholders and aiosqlite's cursor calls; this module numbers
the placeholders ($1, $2 …) and gives asyncpg's results a cursor's face (FetchedCursor).

Write transactions take one advisory lock, so they run one at a time across every instance,
exactly as SQLite's BEGIN IMMEDIATE does on one file: a check inside a transaction (a shift's
free places, a link code's failures) still holds at its commit. Claims of outbox rows use
`claiming()` instead: no shared lock, the rows themselves are locked FOR UPDATE SKIP LOCKED,
so several instances take different rows at the same time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.errors import ConstraintViolationError, StorageBusyError, StorageError
from bot.storage.database import (
    DriverErrors,
    FetchedCursor,
    Queries,
    Row,
    Statement,
    returns_rows,
)

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


def _status_count(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") as a row count."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


async def _run(
    conn: asyncpg.Connection | asyncpg.Pool, sql: str, params: Iterable[Any]
) -> FetchedCursor:
    args = tuple(params)
    query = numbered(sql)
    if returns_rows(sql):
        rows = await conn.fetch(query, *args)
        return FetchedCursor(rows, len(rows))
    return FetchedCursor([], _status_count(await conn.execute(query, *args)))


class PgConnection:
    """One pooled connection inside a transaction, with aiosqlite's method names."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> Statement:
        return Statement(functools.partial(_run, self._conn, sql, parameters))

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
        with _DRIVER_ERRORS:
            async with self._writers, self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITERS_LOCK)
                yield PgConnection(conn)

    @asynccontextmanager
    async def claiming(self) -> AsyncIterator[PgConnection]:
        """A transaction for claims that lock their own rows (FOR UPDATE SKIP LOCKED)."""
        with _DRIVER_ERRORS:
            async with self._pool.acquire() as conn, conn.transaction():
                yield PgConnection(conn)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        with _DRIVER_ERRORS:
            return await (await _run(self._pool, sql, params)).fetchall()

    async def execute_script(self, script: str) -> None:
        with _DRIVER_ERRORS:
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


def storage_error(exc: BaseException) -> StorageError | None:
    """asyncpg's error as chiiki's own, or None for one to leave as it is."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return ConstraintViolationError(str(exc))
    if isinstance(exc, _BUSY):
        return StorageBusyError(f"PostgreSQL: {exc}")
    return None


# A lock held past lock_timeout, a deadlock or serialization failure (the transaction was rolled
# back), or no connection to be had: nothing was written, and trying again may well succeed.
_BUSY = (
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_DRIVER_ERRORS = DriverErrors(storage_error)
