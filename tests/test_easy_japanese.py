"""やさしい日本語: chosen in /settings, offered to a resident who seems lost, in packs too."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.runtime import Runtime
from bot.storage.broadcasts import NewBroadcast
from tests.conftest import FakeClock, Resident
from tests.test_content import CONTENT, write_pack


async def test_easy_japanese_is_chosen_in_settings_and_used_for_pack_texts(
    resident: Resident,
) -> None:
    await resident.say("/settings")
    await resident.tap("やさしい日本語")
    assert "ことばを やさしい日本語 に しました" in resident.text()
    await resident.say("/goals")
    assert "地域（ちいき）を 知ろう" in resident.labels()
    await resident.tap("地域（ちいき）を 知ろう")
    assert "地域（ちいき）や 地域づくりに 目を むけましょう" in resident.text()


async def test_asking_for_help_twice_offers_easy_japanese(resident: Resident) -> None:
    await resident.say("/help")
    assert "やさしい日本語にする" not in resident.labels()
    await resident.say("？？？")
    assert "やさしい日本語にする" in resident.labels()
    await resident.tap("やさしい日本語にする")
    await resident.say("/menu")
    assert resident.text() == "知りたいことを えらんでください。"
    await resident.say("/help")  # already easy: not offered again
    assert "やさしい 日本語に する" not in resident.labels()


async def test_typing_the_words_switches_at_once(resident: Resident) -> None:
    await resident.say("やさしい日本語")
    await resident.say("/mydata")
    assert "・ことば: やさしい日本語" in resident.text()


async def test_notices_are_sent_in_easy_japanese(runtime: Runtime, clock: FakeClock) -> None:
    resident = Resident(runtime)
    await resident.say("やさしい日本語")
    broadcast = NewBroadcast("notice", "お知らせ", "Notice", "おしらせ")
    await runtime.broadcasts.create(broadcast, clock.now)
    rows = await runtime.db.fetch_all(
        "SELECT CASE WHEN r.language = 'easy' THEN b.text_easy END FROM outbox o"
        " JOIN residents r ON r.id = o.resident_id JOIN broadcasts b ON b.id = o.broadcast_id"
    )
    assert [row[0] for row in rows] == ["おしらせ"]
    await runtime.delivery.deliver_due()
    # The runtime's own delivery loop may hold the row when deliver_due looks: wait for it.
    mailbox: list[str] = []
    for _ in range(750):
        mailbox += await runtime.mailbox.take("web", "u1", clock.now)
        if mailbox:
            break
        await asyncio.sleep(0.02)
    assert mailbox == ["おしらせ"]


def test_content_check_reports_a_text_missing_in_easy_japanese(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write_pack(tmp_path, "plain", lambda raw: raw["vision"]["statement"].pop("easy"))
    result = CliRunner().invoke(
        main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "plain/pack.yaml: vision.statement (easy): missing" in result.output
    assert result.output.count("missing") == 1


async def test_easy_readers_see_times_the_guidelines_way(
    runtime: Runtime, clock: FakeClock
) -> None:
    """午後6時 with the weekday, never 18時 or 18:00 (the やさしい日本語 guidelines)."""
    from tests.test_events import new_event
    from tests.test_polls import new_poll
    from tests.test_watch import load

    resident = Resident(runtime)
    await resident.say("やさしい日本語")
    event_id = await new_event(runtime, clock)
    await new_poll(runtime, clock)
    await load(runtime, clock)
    seen = []
    await resident.say("/events")
    assert "日時（にちじ）: 2026年11月26日（木） 午後6時" in resident.text()
    seen.append(resident.text())
    await resident.say("/polls")
    assert "2026年11月30日（月） 午後6時まで" in resident.text()
    seen.append(resident.text())
    await resident.say("/watch")
    await resident.tap("富岡小 東ルート")
    titles = resident.card_titles()
    assert titles[0] == "11月25日（水） 午前7時20分から 午前8時10分まで"
    assert "11月26日（木） 午後2時30分から 午後3時30分まで" in titles
    assert resident.last[0].cards[0].choices[0].label == "11月25日（水） 午前7時20分 くわしく 見る"
    seen += titles
    event = await runtime.services.events.get(event_id)
    assert event is not None
    reminder = runtime.services.notices.event_reminder(event)
    assert "2026年11月26日（木） 午後6時" in reminder.text_easy
    assert "Thu 26 Nov 2026, 6:00 pm" in reminder.text_en
    seen.append(reminder.text_easy)
    assert not [text for text in seen if re.search(r"(1[3-9]|2[0-3])時|\d:\d\d|時00分", text)]
