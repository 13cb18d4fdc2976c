"""`chiiki db copy`: a city outgrowing one machine moves its SQLite file into PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.runtime import open_runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.chart_images import ChartImageRepository
from bot.storage.districts import DistrictRepository, StaffDistrict
from tests.conftest import FakeClock, Resident, make_settings
from tests.databases import database_for, scalar
from tests.test_broadcast import add_residents
from tests.test_link import linked_pair
from tests.test_polls import new_poll

TABLES = (
    "residents",
    "polls",
    "poll_choices",
    "ballots",
    "ballot_choices",
    "broadcasts",
    "outbox",
    "chart_images",
    "staff_districts",
)


async def test_everything_is_copied_and_the_service_carries_on_in_postgresql(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    source = str(tmp_path / "city.db")
    on_sqlite = make_settings(tmp_path, content_dir, CHIIKI_DB=source)
    async with open_runtime(on_sqlite, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock)
        _, on_telegram = await linked_pair(runtime)  # linked_to refers within residents
        for user, choice in (("a", "土曜"), ("b", "日曜"), ("c", "土曜")):
            voter = Resident(runtime, user)
            await voter.say("/polls")
            await voter.tap_card("1. 防災訓練はいつがよいですか")
            await voter.tap(choice)
        await add_residents(runtime, "telegram", 2500, start=100_000)  # over a chunk of rows
        await runtime.broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
        pictures = ChartImageRepository(runtime.db, clock)
        picture = await pictures.name_for("a chart")
        assert await pictures.put(picture, b"\x89PNG\x00\xff")
        # A table whose id is text, not a number with a sequence.
        district = StaffDistrict("kita", "北地区", "North", None)
        assert await DistrictRepository(runtime.db).add(district, clock.now)
        tally = await runtime.services.polls.tally(poll_id)

    target = database_for(tmp_path, "city", migrated=False, postgres=True)
    env = {"CHIIKI_CONTENT_DIR": str(content_dir)}
    copy = ["db", "copy", source, target]
    copied = await asyncio.to_thread(CliRunner().invoke, main, copy, env=env)
    assert copied.exit_code == 0, copied.output
    assert "copied" in copied.output
    for table in TABLES:
        count = f"SELECT count(*) FROM {table}"
        assert scalar(target, count) == scalar(source, count) > 0, table

    on_postgres = make_settings(tmp_path, content_dir, CHIIKI_DB=target)
    async with open_runtime(on_postgres, clock=clock) as runtime:
        assert await runtime.services.polls.tally(poll_id) == tally
        assert await ChartImageRepository(runtime.db, clock).get(picture) == b"\x89PNG\x00\xff"
        # Still one person on two apps: a vote from either replaces the other's.
        on_telegram = Resident(runtime, "42", on_telegram.channel)
        await on_telegram.say("/polls")
        await on_telegram.tap_card("1. 防災訓練はいつがよいですか")
        await on_telegram.tap("平日の夜")
        assert "回答を変更しました" not in on_telegram.text()  # had not voted before
        # New rows get ids after the copied ones.
        assert await new_poll(runtime, clock) == poll_id + 1

    # A second copy into a database with rows is refused, and changes nothing.
    again = await asyncio.to_thread(CliRunner().invoke, main, copy, env=env)
    assert again.exit_code == 2 and "not empty" in again.output
    assert scalar(target, "SELECT count(*) FROM polls") == 2


def test_copy_wants_a_postgresql_address(tmp_path: Path, content_dir: Path) -> None:
    source = tmp_path / "city.db"
    source.write_bytes(b"")
    result = CliRunner().invoke(
        main,
        ["db", "copy", str(source), str(tmp_path / "other.db")],
        env={"CHIIKI_CONTENT_DIR": str(content_dir)},
    )
    assert result.exit_code == 2 and "postgresql://" in result.output
