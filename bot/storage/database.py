"""The database behind every repository: SQLite (the default) or PostgreSQL.

Repositories write one SQL text for both, with `?` placeholders; the PostgreSQL side numbers
them. Where the two must differ (row locks a SQLite file does not have), a repository asks the
database for the clause, e.g. `db.skip_locked`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol, TypeVar

from bot.errors import StorageBusyError, StorageError

BUSY_TIMEOUT_MS = 5000
# Rows (or ids) one statement takes, when a batch is written or looked up at once: far within
# both databases' limits on parameters, whatever the batch.
ROWS_PER_STATEMENT = 500

T = TypeVar("T")

# A result row: sqlite3.Row or asyncpg.Record; both are read by position and by column name.
Row = Any


class Cursor(Protocol):
    rowcount: int

    async def fetchone(self) -> Row | None: ...

    async def fetchall(self) -> Sequence[Row]: ...


def placeholders(count: int) -> str:
    """`?, ?, …` for an `IN (…)` of `count` values."""
    return ", ".join("?" * count)


def chunked(items: Sequence[T], size: int = ROWS_PER_STATEMENT) -> list[Sequence[T]]:
    """`items` in pieces of at most `size`, for statements that take a piece each."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def returns_rows(sql: str) -> bool:
    """Whether a statement gives rows back: a query, or a change with RETURNING."""
    head = sql.lstrip().split(None, 1)[0].upper()
    return head in ("SELECT", "WITH", "VALUES", "PRAGMA") or " RETURNING " in sql.upper()


class FetchedCursor:
    """A statement's result inside a transaction, fetched with it: the part of a DB-API cursor
    repositories use (fetchone, fetchall, rowcount)."""

    def __init__(self, rows: Sequence[Row], rowcount: int) -> None:
        self._rows = list(rows)
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        return self._rows


class Statement:
    """A statement to run: awaited, or used as `async with conn.execute(...) as cursor`, as
    aiosqlite allows both."""

    def __init__(self, run: Callable[[], Awaitable[FetchedCursor]]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, FetchedCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> FetchedCursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class Connection(Protocol):
    """What a repository uses inside a transaction, with aiosqlite's names: `await
    conn.execute(sql, params)` (or `async with conn.execute(…) as cursor`) gives a cursor whose
    rows were fetched with the statement (a `Statement` giving a `FetchedCursor`)."""

    async def execute(self, sql: str, parameters: Iterable[Any] = ...) -> Any: ...

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any: ...


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"
    # Appended to a SELECT that picks rows to claim: other instances skip rows one has locked.
    skip_locked: str

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """All statements inside commit together, or none; write transactions never interleave."""
        ...

    def claiming(self) -> AbstractAsyncContextManager[Connection]:
        """A transaction for claims whose SELECT ends in `skip_locked`: on PostgreSQL it does
        not wait for other writers, the row locks keep instances apart."""
        ...

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """One statement committed on its own; with RETURNING, the rows it returns."""
        ...

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...

    async def execute_script(self, script: str) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class Queries:
    """fetch_one and fetch_all on top of a database's own `execute`."""

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self.execute(sql, params)


def is_postgres_target(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


async def open_database(target: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """A `postgresql://` URL opens a PostgreSQL pool; anything else is an SQLite file (a plain
    path, `sqlite:///path` or ':memory:')."""
    if is_postgres_target(target):
        from bot.storage.postgres import open_postgres  # asyncpg only where it is used

        return await open_postgres(target, busy_timeout_ms)
    from bot.storage.sqlite import open_sqlite

    return await open_sqlite(target, busy_timeout_ms)


def is_busy(exc: BaseException) -> bool:
    """Another connection held a lock longer than the busy timeout: worth trying again."""
    return isinstance(exc, StorageBusyError)


class DriverErrors:
    """`with` block in which a driver's errors become chiiki's own (`StorageBusyError`,
    `ConstraintViolationError`, bot/errors.py), raised from the driver's: callers outside
    bot/storage never see sqlite3 or asyncpg. `translate` gives None for an error to leave as
    it is. A class, not a generator: it wraps every statement on the hot paths."""

    def __init__(self, translate: Callable[[BaseException], StorageError | None]) -> None:
        self._translate = translate

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, StorageError):
            error = self._translate(exc)
            if error is not None:
                raise error from exc


async def inserted_id(cursor: Cursor) -> int:
    """The id of the row an `INSERT … RETURNING id` made (both databases support RETURNING)."""
    row = await cursor.fetchone()
    assert row is not None, "the INSERT did not return an id"
    return int(row[0])


__all__ = [
    "Connection",
    "Cursor",
    "Database",
    "DriverErrors",
    "FetchedCursor",
    "Row",
    "Statement",
    "chunked",
    "inserted_id",
    "is_busy",
    "open_database",
    "placeholders",
    "returns_rows",
]
