"""Apply migrations/NNNN_name.sql in order, each in its own transaction, tracked in the db.

Where PostgreSQL needs other SQL (identity columns, ALTER instead of a table rebuild), the
file of the same name in migrations/postgresql/ takes the shared file's place.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import DatabaseTooNewError, MigrationError
from bot.storage.database import Database
from bot.storage.sqlite import SqliteDatabase

logger = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# A migration that rebuilds a table other tables refer to (SQLite cannot alter a CHECK) starts
# with this line: it runs with foreign keys off, as sqlite.org/lang_altertable.html prescribes,
# and is refused if any reference is left dangling.
REBUILDS_TABLES = "-- chiiki: rebuilds tables"

_TRACKING_TABLE = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
""",
    "postgresql": """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
        DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
);
""",
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover_migrations(folder: Path, dialect: str = "sqlite") -> list[Migration]:
    """Read every migration file (the dialect's own where it has one); refuse stray names and
    repeated numbers."""
    own = {path.name: path for path in (folder / dialect).glob("*.sql")}
    found: dict[int, Migration] = {}
    for shared in sorted(folder.glob("*.sql")):
        path = own.pop(shared.name, shared)
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_lowercase_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} is used twice")
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    if own:
        raise MigrationError(f"{folder / dialect}: {sorted(own)} have no shared file of that name")
    return [found[v] for v in sorted(found)]


async def applied_versions(db: Database) -> set[int]:
    if isinstance(db, SqliteDatabase):
        await db.execute_script(_TRACKING_TABLE["sqlite"])
    else:
        # Instances starting together: one creates the table while the others wait.
        async with db.transaction() as conn:
            await conn.execute_script(_TRACKING_TABLE["postgresql"])  # type: ignore[attr-defined]
    rows = await db.fetch_all("SELECT version FROM schema_migrations")
    return {int(row["version"]) for row in rows}


async def apply_migrations(db: Database, folder: Path) -> list[int]:
    """Bring the database up to date; return the versions applied now.

    Raises DatabaseTooNewError when the database knows a version this code does not.
    """
    migrations = discover_migrations(folder, db.dialect)
    known = {m.version for m in migrations}
    applied = await applied_versions(db)
    unknown = sorted(applied - known)
    if unknown:
        raise DatabaseTooNewError(
            f"the database has migration {unknown[-1]}, newer than this chiiki knows "
            f"(up to {max(known, default=0)}): upgrade chiiki, or point CHIIKI_DB at another file"
        )
    done: list[int] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        try:
            if not await _apply(db, migration):
                continue  # another process starting at the same time applied it first
        except Exception as exc:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name}.sql failed: {exc}"
            ) from exc
        logger.info("applied migration %04d_%s", migration.version, migration.name)
        done.append(migration.version)
    return done


async def _apply(db: Database, migration: Migration) -> bool:
    """Apply one migration in one transaction, unless another process did meanwhile (False)."""
    sqlite = isinstance(db, SqliteDatabase)
    rebuilds = sqlite and migration.sql.startswith(REBUILDS_TABLES)
    if rebuilds:
        # Only outside a transaction does this pragma take effect; DROP TABLE would cascade else.
        await db.execute("PRAGMA foreign_keys=OFF")
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            )
            if await cursor.fetchone() is not None:
                return False
            if sqlite:
                # One statement at a time: executescript would commit the open transaction.
                for statement in _statements(migration.sql):
                    await conn.execute(statement)
            else:
                await conn.execute_script(migration.sql)  # type: ignore[attr-defined]
            if rebuilds:
                cursor = await conn.execute("PRAGMA foreign_key_check")
                dangling = await cursor.fetchall()
                if dangling:
                    raise MigrationError(
                        f"{len(dangling)} references left dangling, e.g. {tuple(dangling[0])}"
                    )
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                (migration.version, migration.name),
            )
    finally:
        if rebuilds:
            await db.execute("PRAGMA foreign_keys=ON")
    return True


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQL script, split where sqlite3 says one is complete."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if statement.strip():
        yield statement
