"""Backups of the SQLite file while the service runs, and putting one back safely.

A backup uses SQLite's online backup API (`sqlite3.Connection.backup`) in one step: a read
transaction, so in WAL mode the service keeps writing meanwhile and the copy is the database
as it was at one commit. Every chiiki process on the file holds a shared lock on `<db>.lock`
(`service_lock`); a restore takes it exclusively, so it refuses while any of them runs.
On PostgreSQL, pg_dump and pg_restore do this (README: Operations).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from bot.errors import StorageError
from bot.storage.database import is_postgres_target

logger = logging.getLogger(__name__)

# Daily backups are named after their time (UTC), so that names sort as times do.
DAILY_NAME = "chiiki-{:%Y%m%d-%H%M%S}.db"
_DAILY_PATTERN = re.compile(r"^chiiki-\d{8}-\d{6}\.db$")


class BackupError(StorageError):
    pass


class DatabaseInUseError(BackupError):
    pass


def sqlite_file(target: str) -> Path | None:
    """The SQLite file behind CHIIKI_DB, or None (PostgreSQL, or ':memory:')."""
    if is_postgres_target(target):
        return None
    path = target.removeprefix("sqlite:///")
    return None if path == ":memory:" else Path(path)


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def service_lock(target: str) -> Iterator[None]:
    """Held (shared) by every chiiki process using the SQLite file: many at once are fine,
    only a restore is kept out. Nothing to hold on PostgreSQL."""
    database = sqlite_file(target)
    if database is None:
        yield
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(database), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)  # waits only while a restore is putting a file in place
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def backup_sqlite(target: str, destination: Path) -> Path:
    """Copy the database to `destination` (replaced atomically once the copy is complete)."""
    database = sqlite_file(target)
    if database is None:
        raise BackupError(
            "chiiki db backup copies an SQLite file; for PostgreSQL use pg_dump (README: "
            "Operations)"
        )
    if not database.exists():
        raise BackupError(f"there is no database at {database} (CHIIKI_DB)")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    _copy_pages(database, partial)
    os.replace(partial, destination)
    return destination


def _copy_pages(source: Path, destination: Path) -> None:
    """SQLite's backup API from `source` (its WAL included) into a new single file."""
    destination.unlink(missing_ok=True)
    reader = sqlite3.connect(source, timeout=30)
    try:
        copy = sqlite3.connect(destination)
        try:
            reader.backup(copy)  # all pages in one step: one consistent snapshot
            # A file on its own, without a WAL beside it, to be moved and copied as it is.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        destination.unlink(missing_ok=True)
        raise BackupError(f"{source} cannot be copied: {exc}") from None
    finally:
        reader.close()
    _fsync(destination)


async def backup_database(target: str, destination: Path) -> Path:
    """`backup_sqlite` in a thread, so the service's event loop keeps answering."""
    return await asyncio.to_thread(backup_sqlite, target, destination)


def check_backup(file: Path, newest_known: int) -> int:
    """The migration version of a backup that passes PRAGMA integrity_check and is not newer
    than this code; BackupError otherwise."""
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{file} cannot be opened: {exc}") from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchall()
        if [tuple(row) for row in verdict] != [("ok",)]:
            raise BackupError(f"{file} fails the integrity check: {verdict[0][0]}")
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not a chiiki database: {exc}") from None
    finally:
        conn.close()
    version = int(row[0] or 0)
    if version > newest_known:
        raise BackupError(
            f"{file} has migration {version}, newer than this chiiki knows (up to "
            f"{newest_known}): restore it with the chiiki that made it"
        )
    return version


def restore_sqlite(file: Path, target: str, newest_known: int) -> int:
    """Put the backup `file` in place of the database; return its migration version.

    Refused while any chiiki process uses the database, and before anything is touched when
    the backup is damaged or too new. The file replaced is kept as `<db>.replaced-<time>`.
    """
    database = sqlite_file(target)
    if database is None:
        raise BackupError(
            "chiiki db restore puts back an SQLite file; for PostgreSQL use "
            "pg_restore (README: Operations)"
        )
    if not file.is_file():
        raise BackupError(f"no backup file at {file}")
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(database), "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUseError(
                f"a chiiki service or command is using {database}: stop it, then restore"
            ) from None
        incoming = database.with_name(database.name + ".restoring")
        try:
            _copy_pages(file, incoming)  # through SQLite: a WAL beside the backup counts too
            version = check_backup(incoming, newest_known)
            if database.exists():
                _set_aside(database)
            os.replace(incoming, database)
        finally:
            incoming.unlink(missing_ok=True)
        _fsync_folder(database.parent)
    return version


def _set_aside(database: Path) -> None:
    """Keep the database being replaced: moved aside with its WAL (which SQLite replays when
    that copy is opened), even when it is damaged. A WAL left beside the restored file would be
    replayed into it and damage it."""
    kept = database.with_name(f"{database.name}.replaced-{datetime.now():%Y%m%d-%H%M%S}")
    os.replace(database, kept)
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        os.replace(wal, kept.with_name(kept.name + "-wal"))
    database.with_name(database.name + "-shm").unlink(missing_ok=True)


def daily_backup(target: str, folder: Path, keep: int, now: datetime) -> Path:
    """Today's backup into `folder`, then only the newest `keep` daily backups are kept."""
    made = backup_sqlite(target, folder / DAILY_NAME.format(now))
    daily = sorted(p for p in folder.iterdir() if _DAILY_PATTERN.match(p.name))
    for old in daily[:-keep]:
        old.unlink()
        logger.info("removed the old backup %s (CHIIKI_BACKUP_KEEP=%d)", old.name, keep)
    return made


def _fsync(path: Path) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
