"""One SQLite connection, opened with the pragmas chiiki relies on, and its transactions."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import ConstraintViolationError, StorageBusyError, StorageError
from bot.storage.database import (
    DriverErrors,
    FetchedCursor,
    Queries,
    Row,
    Statement,
    returns_rows,
)


def storage_error(exc: BaseException) -> StorageError | None:
    """sqlite3's error as chiiki's own, or None for one to leave as it is."""
    if isinstance(exc, sqlite3.IntegrityError):
        return ConstraintViolationError(str(exc))
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        return StorageBusyError(f"SQLite: {exc}")
    return None


_DRIVER_ERRORS = DriverErrors(storage_error)


class SqliteConnection:
    """aiosqlite's connection inside a transaction, one trip to its thread per statement: the
    rows come back with the statement (aiosqlite's own cursor takes a trip more to fetch them
    and one to close, and each trip wakes both threads)."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> Statement:
        return Statement(functools.partial(self._run, sql, tuple(parameters)))

    async def _run(self, sql: str, parameters: tuple[Any, ...]) -> FetchedCursor:
        if returns_rows(sql):
            rows = list(await self._connection.execute_fetchall(sql, parameters))
            return FetchedCursor(rows, len(rows))
        cursor = await self._connection.execute(sql, parameters)
        return FetchedCursor([], cursor.rowcount)  # read here, not a trip

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        await self._connection.executemany(sql, parameters)


class SqliteDatabase(Queries):
    """An aiosqlite connection in autocommit mode, with explicit transactions.

    aiosqlite hands every call to one thread, so two coroutines sharing the connection would
    interleave their statements inside one transaction; the lock keeps each transaction whole.
    """

    dialect = "sqlite"
    skip_locked = ""  # BEGIN IMMEDIATE already gives one writer at a time the whole file

    def __init__(
        self, connection: aiosqlite.Connection, reader: aiosqlite.Connection | None = None
    ) -> None:
        self._connection = connection
        # Queries go to a second connection (a thread of its own) without waiting for the
        # writer's lock: in WAL mode a read sees every committed write and never waits for one.
        self._reader = reader
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK when the block raises."""
        with _DRIVER_ERRORS:
            async with self.streaming() as connection:
                yield SqliteConnection(connection)

    @asynccontextmanager
    async def streaming(self) -> AsyncIterator[aiosqlite.Connection]:
        """The same transaction on aiosqlite's own connection, whose cursors fetch a chunk of
        rows at a time: for reading whole tables (`chiiki db copy`)."""
        with _DRIVER_ERRORS:
            async with self._lock:
                try:
                    await self._connection.execute("BEGIN IMMEDIATE")
                except asyncio.CancelledError:
                    # aiosqlite's thread runs the BEGIN whether or not we wait for it (a task
                    # group cancelling its siblings): end that transaction (queued after it)
                    # before the lock passes on, or every later BEGIN on this connection fails.
                    with contextlib.suppress(sqlite3.Error):
                        await asyncio.shield(self._connection.execute("ROLLBACK"))
                    raise
                try:
                    yield self._connection
                except BaseException:
                    await self._connection.execute("ROLLBACK")
                    raise
                await self._connection.execute("COMMIT")

    def claiming(self) -> AbstractAsyncContextManager[SqliteConnection]:
        return self.transaction()  # one file, one writer: a claim is any transaction

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One statement, committed on its own (the connection is in autocommit mode), in one
        trip to the database thread; with RETURNING, the rows it returns.

        Every trip to aiosqlite's thread costs a wake-up on each side while the lock is held,
        so the hot paths (the inbox, a resident's state) use single statements, not BEGIN … COMMIT.
        """
        with _DRIVER_ERRORS:
            async with self._lock:
                return list(await self._connection.execute_fetchall(sql, tuple(params)))

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        if self._reader is None:
            return await self.execute(sql, params)
        with _DRIVER_ERRORS:
            return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def execute_script(self, script: str) -> None:
        """Run several statements; note sqlite3 commits any open transaction first."""
        with _DRIVER_ERRORS:
            async with self._lock:
                await self._connection.executescript(script)

    async def ping(self) -> bool:
        row = await self.fetch_one("SELECT 1")
        return row is not None and row[0] == 1

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        await self._connection.close()


async def open_sqlite(target: str, busy_timeout_ms: int) -> SqliteDatabase:
    """Open (creating folders as needed) the SQLite file `target`, or ':memory:'."""
    path = target.removeprefix("sqlite:///")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = await _connect(path, busy_timeout_ms)
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA synchronous=NORMAL")
    # A second connection to ':memory:' would open another, empty database.
    reader = None if path == ":memory:" else await _connect(path, busy_timeout_ms)
    return SqliteDatabase(connection, reader)


async def _connect(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return connection
