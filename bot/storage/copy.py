"""`chiiki db copy`: everything in an SQLite file into an empty PostgreSQL database.

Both are first brought to the same migration; then every table is copied in one PostgreSQL
transaction, parents before children, and the identity counters are moved past the copied
ids. A failure leaves the PostgreSQL database as empty as it was.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import StorageError
from bot.storage.database import Database, placeholders
from bot.storage.migrations import apply_migrations
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SqliteDatabase

CHUNK = 1000
# Kept by triggers from the ballots as those are copied (migration 0009): copied as well, every
# ballot would be counted twice.
COUNTED_BY_TRIGGERS = ("poll_ballot_counts", "poll_choice_counts")
# Written by the running service only (/readyz's probe): nothing to carry over.
NOT_COPIED = (*COUNTED_BY_TRIGGERS, "readiness_probe")


class CopyError(StorageError):
    pass


async def copy_database(source: Database, target: Database, migrations: Path) -> dict[str, int]:
    """Copy `source` (SQLite) into `target` (PostgreSQL, no rows yet); return rows per table."""
    if not isinstance(source, SqliteDatabase) or not isinstance(target, PostgresDatabase):
        raise CopyError("copy goes from an SQLite file to a PostgreSQL database")
    await apply_migrations(source, migrations)
    await apply_migrations(target, migrations)
    selects = await _selects_parents_first(source)
    for table in selects:
        row = await target.fetch_one(f"SELECT count(*) FROM {table}")  # our table names
        if row is not None and row[0]:
            raise CopyError(f"the PostgreSQL database is not empty ({table} has rows)")
    copied: dict[str, int] = {}
    # One transaction on each side: the file is read as one snapshot (and nobody can write to
    # it meanwhile), and rows stream across in chunks rather than whole tables in memory.
    async with source.streaming() as reader, target.transaction() as writer:
        for table, (columns, select) in selects.items():
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))})"
            )
            cursor = await reader.execute(select)
            copied[table] = 0
            while rows := await cursor.fetchmany(CHUNK):
                await writer.executemany(insert, [tuple(row) for row in rows])
                copied[table] += len(rows)
            if "id" in columns:
                # The next id handed out comes after the copied ones (an id that is text, such
                # as a district's, has no sequence).
                cursor = await writer.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                sequence = (await cursor.fetchone())[0]
                if sequence is not None:
                    await writer.execute(
                        f"SELECT setval('{sequence}',"
                        f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
    return copied


async def _selects_parents_first(db: Database) -> dict[str, tuple[list[str], str]]:
    """Every table (but the migrations' own and the counts), after the tables it refers to,
    with its columns and the SELECT that reads it (rows a table's own rows refer to, as
    residents.linked_to does, first)."""
    names = [
        row[0]
        for row in await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name"
        )
        if row[0] not in NOT_COPIED
    ]
    parents: dict[str, set[str]] = {}
    selects: dict[str, tuple[list[str], str]] = {}
    for name in names:
        columns = [row["name"] for row in await db.fetch_all(f"PRAGMA table_info({name})")]
        keys = await db.fetch_all(f"PRAGMA foreign_key_list({name})")
        parents[name] = {key["table"] for key in keys if key["table"] != name}
        own = [key["from"] for key in keys if key["table"] == name]
        order = f" ORDER BY {own[0]} IS NOT NULL, {own[0]}" if own else ""
        selects[name] = (columns, f"SELECT {', '.join(columns)} FROM {name}{order}")
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise CopyError(
                f"tables refer to each other in a circle: {sorted(set(names) - set(ordered))}"
            )
        ordered += ready
    return {name: selects[name] for name in ordered}
