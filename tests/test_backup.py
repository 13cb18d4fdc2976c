"""Backups of the SQLite file while the service runs, and restoring one (bot/storage/backup.py).

A backup is an SQLite feature: these tests use an SQLite file in either run of the suite (on
PostgreSQL, pg_dump does the same; the commands say so)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.core import Channel, IncomingMessage
from bot.runtime import open_runtime
from bot.staff.polls import PollSpec, create_poll
from bot.storage.backup import (
    BackupError,
    DatabaseInUseError,
    backup_database,
    daily_backup,
    restore_sqlite,
)
from bot.storage.migrations import discover_migrations
from tests.actors import CLI_ACTOR
from tests.conftest import make_settings

NEWEST = discover_migrations(PROJECT_ROOT / "migrations")[-1].version
VOTERS = 1000


def sqlite_settings(tmp_path: Path, content_dir: Path, path: Path, **extra: str):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, content_dir, CHIIKI_DB=str(path), **extra)


def count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_a_backup_in_a_burst_of_votes_restores_every_vote_committed_before_it(
    tmp_path: Path, content_dir: Path
) -> None:
    live = tmp_path / "live" / "chiiki.db"
    async with open_runtime(sqlite_settings(tmp_path, content_dir, live), serving=False) as rt:
        spec = PollSpec.model_validate(
            {
                "question": "公園の名前は？",
                "choices": ["さくら", "もみじ", "いちょう"],
                "closes_at": datetime.now(UTC) + timedelta(days=7),
            }
        )
        poll_id, _ = await create_poll(
            spec, rt.services.polls, rt.services.pack, datetime.now(UTC), actor=CLI_ACTOR
        )
        committed: set[str] = set()

        arriving = asyncio.Semaphore(10)  # residents keep voting while the backup runs

        async def vote(n: int) -> None:
            data = f"vote:{poll_id}:{n % 3 + 1}"
            async with arriving:
                await rt.dispatcher.handle(IncomingMessage(Channel.WEB, f"voter{n}", data=data))
            committed.add(f"voter{n}")

        burst = [asyncio.create_task(vote(n)) for n in range(VOTERS)]
        while len(committed) < 100:
            await asyncio.sleep(0.005)
        before_backup = set(committed)
        backup = await backup_database(str(live), tmp_path / "backups" / "mid-burst.db")
        await asyncio.gather(*burst)
    assert len(committed) == VOTERS

    fresh = tmp_path / "fresh" / "chiiki.db"
    assert restore_sqlite(backup, str(fresh), NEWEST) == NEWEST
    async with open_runtime(sqlite_settings(tmp_path, content_dir, fresh), serving=False) as rt:
        rows = await rt.db.fetch_all(
            "SELECT r.platform_user_id FROM ballots b JOIN residents r ON r.id = b.resident_id"
        )
        voters = {row[0] for row in rows}
        tally = await rt.services.polls.tally(poll_id)
    assert before_backup <= voters  # every vote committed before the backup is in it
    assert len(voters) < VOTERS  # and it was taken in the middle of the burst
    assert tally.ballots == len(voters)  # the running counts agree with the ballots copied


async def test_restore_refuses_while_a_service_uses_the_file_and_refuses_bad_backups(
    tmp_path: Path, content_dir: Path
) -> None:
    live = tmp_path / "chiiki.db"
    settings = sqlite_settings(tmp_path, content_dir, live)
    async with open_runtime(settings, serving=False) as runtime:
        await runtime.services.residents.get_or_create("web", "before", "ja", datetime.now(UTC))
        good = await backup_database(str(live), tmp_path / "good.db")
        with pytest.raises(DatabaseInUseError, match="stop it"):
            restore_sqlite(good, str(live), NEWEST)
        await runtime.services.residents.get_or_create("web", "after", "ja", datetime.now(UTC))

    damaged = tmp_path / "damaged.db"
    data = bytearray(good.read_bytes())
    data[4096 : 4096 * 3] = b"\xa5" * (4096 * 2)  # pages 2 and 3 overwritten
    damaged.write_bytes(bytes(data))
    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
    for bad, reason in (
        (damaged, "integrity|not a chiiki|cannot be copied"),
        (newer, "newer than this chiiki"),
    ):
        with pytest.raises(BackupError, match=reason):
            restore_sqlite(bad, str(live), NEWEST)
    assert count(live, "SELECT count(*) FROM residents") == 2  # untouched
    assert not list(tmp_path.glob("chiiki.db.re*"))  # nothing half-restored, nothing moved

    restore_sqlite(good, str(live), NEWEST)
    assert count(live, "SELECT count(*) FROM residents") == 1  # as at the backup
    kept = list(tmp_path.glob("chiiki.db.replaced-*"))
    assert [p.name for p in kept if not p.name.endswith("-wal")] and not Path(
        f"{live}-wal"
    ).exists()
    replaced = next(p for p in kept if not p.name.endswith("-wal"))
    assert count(replaced, "SELECT count(*) FROM residents") == 2  # the replaced one, whole


def test_daily_backups_keep_the_newest(tmp_path: Path, content_dir: Path) -> None:
    live = tmp_path / "chiiki.db"
    with sqlite3.connect(live) as conn:
        conn.execute("CREATE TABLE t (x)")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for day in range(4):
        daily_backup(str(live), folder, 2, start + timedelta(days=day))
    assert sorted(p.name for p in folder.iterdir()) == [
        "chiiki-20261203-023000.db",
        "chiiki-20261204-023000.db",
        "notes.txt",
    ]


async def test_the_server_arms_a_daily_backup_when_given_a_folder(
    tmp_path: Path, content_dir: Path
) -> None:
    settings = sqlite_settings(
        tmp_path,
        content_dir,
        tmp_path / "chiiki.db",
        CHIIKI_BACKUP_DIR=str(tmp_path / "backups"),
        CHIIKI_BACKUP_RUN_AT="04:15",
    )
    assert (settings.backup_keep, settings.backup_time.hour) == (14, 4)
    async with open_runtime(settings) as runtime:
        assert "backup" in runtime.timers.job_ids()


def test_the_commands_back_up_and_restore_and_send_postgresql_to_pg_dump(
    tmp_path: Path, content_dir: Path
) -> None:
    live = tmp_path / "chiiki.db"
    env = {"CHIIKI_DB": str(live), "CHIIKI_CONTENT_DIR": str(content_dir)}
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    backed = runner.invoke(main, ["db", "backup", str(tmp_path / "copy.db")], env=env)
    assert backed.exit_code == 0, backed.output
    assert "backed up to" in backed.output
    restored = runner.invoke(main, ["db", "restore", str(tmp_path / "copy.db")], env=env)
    assert restored.exit_code == 0, restored.output
    assert f"migration {NEWEST:04d}" in restored.output
    postgres = {**env, "CHIIKI_DB": "postgresql://chiiki@localhost/chiiki"}
    refused = runner.invoke(main, ["db", "backup", str(tmp_path / "pg.db")], env=postgres)
    assert refused.exit_code == 2 and "pg_dump" in refused.output
