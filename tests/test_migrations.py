from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.errors import DatabaseTooNewError, MigrationError
from bot.storage import apply_migrations, open_database
from bot.storage.migrations import discover_migrations
from bot.storage.postgres import numbered
from tests.databases import POSTGRES, database_for

MIGRATIONS = PROJECT_ROOT / "migrations"
TABLES_SQL = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    if POSTGRES
    else "SELECT name FROM sqlite_master WHERE type = 'table'"
)


def empty(tmp_path: Path, name: str) -> str:
    return database_for(tmp_path, name, migrated=False)


async def table_names(target: str) -> set[str]:
    db = await open_database(target)
    try:
        return {row[0] for row in await db.fetch_all(TABLES_SQL)}
    finally:
        await db.close()


async def test_a_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    path = empty(tmp_path, "fresh")
    db = await open_database(path)
    applied = await apply_migrations(db, MIGRATIONS)
    if not POSTGRES:
        journal = await db.fetch_one("PRAGMA journal_mode")
        foreign_keys = await db.fetch_one("PRAGMA foreign_keys")
        assert journal is not None and journal[0] == "wal"
        assert foreign_keys is not None and foreign_keys[0] == 1
    await db.close()
    assert applied == sorted(int(p.name[:4]) for p in MIGRATIONS.glob("*.sql"))
    assert {"residents", "conversation_state", "inbound_events"} <= await table_names(path)


async def test_running_again_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    path = empty(tmp_path, "again")
    db = await open_database(path)
    await apply_migrations(db, MIGRATIONS)
    await db.execute_script(
        "INSERT INTO residents (channel, platform_user_id, created_at, updated_at)"
        " VALUES ('web', 'kept', '2026-01-01', '2026-01-01');"
    )
    await db.close()
    db = await open_database(path)
    assert await apply_migrations(db, MIGRATIONS) == []
    row = await db.fetch_one("SELECT count(*) FROM residents")
    await db.close()
    assert row is not None and row[0] == 1


async def test_a_newer_database_is_refused_with_advice(tmp_path: Path) -> None:
    path = empty(tmp_path, "newer")
    db = await open_database(path)
    await apply_migrations(db, MIGRATIONS)
    await db.execute_script(
        "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future');"
    )
    with pytest.raises(DatabaseTooNewError, match="upgrade chiiki"):
        await apply_migrations(db, MIGRATIONS)
    await db.close()


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("CREATE TABLE good (id INTEGER);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE half (id INTEGER);\nTHIS IS NOT SQL;")
    path = empty(tmp_path, "failing")
    db = await open_database(path)
    with pytest.raises(MigrationError, match="0002_bad"):
        await apply_migrations(db, folder)
    versions = await db.fetch_all("SELECT version FROM schema_migrations")
    await db.close()
    assert [row["version"] for row in versions] == [1]
    tables = await table_names(path)
    assert "good" in tables
    assert "half" not in tables


async def test_a_misnamed_migration_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "1_no_padding.sql").write_text("SELECT 1;")
    db = await open_database(empty(tmp_path, "x"))
    with pytest.raises(MigrationError, match="NNNN_lowercase_name"):
        await apply_migrations(db, folder)
    await db.close()


async def test_rebuilding_residents_keeps_every_row_that_refers_to_them(tmp_path: Path) -> None:
    # Migrations up to 0006, some data, then 0007 (which rebuilds residents with foreign keys off).
    older = tmp_path / "older"
    older.mkdir()
    (older / "postgresql").mkdir()
    for path in [*MIGRATIONS.glob("000[1-6]_*.sql"), *MIGRATIONS.glob("*/000[1-6]_*.sql")]:
        copy = older / path.relative_to(MIGRATIONS)
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    db = await open_database(empty(tmp_path, "kept"))
    await apply_migrations(db, older)
    await db.execute_script(
        "INSERT INTO residents (id, channel, platform_user_id, language, created_at, updated_at)"
        " VALUES (7, 'line', 'U7', 'en', '2026-01-01', '2026-01-01');"
        "INSERT INTO polls (id, question_ja, closes_at, created_at)"
        " VALUES (1, '質問', '2027-01-01', '2026-01-01');"
        "INSERT INTO ballots (poll_id, resident_id, comment, cast_at, updated_at)"
        " VALUES (1, 7, 'ひとこと', '2026-01-02', '2026-01-03');"
    )
    assert (await apply_migrations(db, MIGRATIONS))[:3] == [7, 8, 9]
    # 0009 counted the ballot already there (no district, no choice yet).
    counted = await db.fetch_all("SELECT poll_id, district, ballots FROM poll_ballot_counts")
    assert [tuple(row) for row in counted] == [(1, "", 1)]
    resident = await db.fetch_one("SELECT language, receives_notices FROM residents WHERE id = 7")
    ballot = await db.fetch_one("SELECT resident_id, commented_at FROM ballots")
    if not POSTGRES:
        foreign_keys = await db.fetch_one("PRAGMA foreign_keys")
        assert foreign_keys is not None and foreign_keys[0] == 1
    await db.execute("DELETE FROM residents WHERE id = 7")
    orphan = await db.fetch_one("SELECT resident_id FROM ballots")
    await db.close()
    assert resident is not None and tuple(resident) == ("en", 1)
    assert ballot is not None and tuple(ballot) == (7, "2026-01-03")
    assert (
        orphan is not None and orphan[0] is None
    )  # ON DELETE SET NULL still points at the new table


def test_postgresql_has_its_own_file_only_where_the_sql_differs_and_never_a_stray_one(
    tmp_path: Path,
) -> None:
    shared = discover_migrations(MIGRATIONS, "sqlite")
    postgres = discover_migrations(MIGRATIONS, "postgresql")
    assert [(m.version, m.name) for m in shared] == [(m.version, m.name) for m in postgres]
    assert "GENERATED BY DEFAULT AS IDENTITY" in postgres[0].sql
    assert "WITHOUT ROWID" not in "".join(m.sql for m in postgres)
    folder = tmp_path / "migrations"
    (folder / "postgresql").mkdir(parents=True)
    (folder / "0001_one.sql").write_text("SELECT 1;")
    (folder / "postgresql" / "0002_stray.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="no shared file"):
        discover_migrations(folder, "postgresql")


def test_placeholders_are_numbered_for_postgresql_except_inside_quotes() -> None:
    assert numbered("SELECT ? WHERE a = ? AND b = '?' AND c = ?") == (
        "SELECT $1 WHERE a = $2 AND b = '?' AND c = $3"
    )


async def test_instances_starting_together_apply_each_migration_once(tmp_path: Path) -> None:
    target = empty(tmp_path, "together")
    databases = [await open_database(target) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(apply_migrations(db, MIGRATIONS) for db in databases))
        rows = await databases[0].fetch_all("SELECT version FROM schema_migrations")
    finally:
        for db in databases:
            await db.close()
    every = sorted(int(p.name[:4]) for p in MIGRATIONS.glob("*.sql"))
    assert sorted(v for versions in applied for v in versions) == every  # each by one of them
    assert sorted(row[0] for row in rows) == every
