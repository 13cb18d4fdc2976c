from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import Channel
from bot.runtime import Runtime, open_runtime
from bot.scheduler import fire_due_reminders
from bot.staff.events import (
    EventFileError,
    EventSpec,
    create_event,
    load_event_file,
)
from bot.storage.broadcasts import NewBroadcast
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, Resident, make_settings
from tests.platforms import (
    Platforms,
    open_platforms,
    telegram_callback,
    telegram_text,
    wait_until,
)


def event_spec(clock: FakeClock, **fields: Any) -> EventSpec:
    raw: dict[str, Any] = {
        "title": {"ja": "富岡地区 円卓会議", "en": "Tomioka round table"},
        "description": "地域の困りごとを話し合います。",
        "place": {"ja": "富岡公民館", "en": "Tomioka community centre"},
        "starts_at": (clock.now + timedelta(days=3)).isoformat(),
    }
    raw.update(fields)
    return EventSpec.model_validate(raw)


async def new_event(runtime: Runtime, clock: FakeClock, **fields: Any) -> int:
    spec = event_spec(clock, **fields)
    return await create_event(
        spec, runtime.services.events, runtime.services.pack, clock.now, actor=CLI_ACTOR
    )


async def test_residents_see_events_and_subscribe(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    event_id = await new_event(runtime, clock)
    await resident.say("イベント")
    assert "富岡地区 円卓会議" in resident.text()
    await resident.tap_card("1. 富岡地区 円卓会議")
    assert (
        "場所: 富岡公民館" in resident.text()
        and "日時: 2026年11月26日(木) 18:00" in resident.text()
    )
    await resident.tap("お知らせを受け取る")
    assert "お知らせします" in resident.text()
    assert await runtime.services.events.is_subscribed(event_id, 1)
    await resident.tap("お知らせをやめる")
    assert not await runtime.services.events.is_subscribed(event_id, 1)


async def test_following_all_events_of_the_district(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    await resident.say("/events")
    await resident.tap("地区のイベントを全部知らせる")
    assert "すべてお知らせします" in resident.text()
    await resident.say("/mydata")
    assert "地区のイベントをすべて" in resident.text()
    await resident.say("/events")
    await resident.tap("全部のお知らせをやめる")
    assert not await runtime.services.events.is_following(1)


async def test_district_events_are_listed_only_for_that_district(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        await new_event(runtime, clock, district="d02")
        resident = Resident(runtime)
        await resident.say("/events")
        assert "ありません" in resident.text()
        await resident.say("/settings")
        await resident.tap("地区を選ぶ")
        await resident.tap("第2地区")
        await resident.say("/events")
        assert "富岡地区 円卓会議" in resident.text()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"place": ""}, "place"),
        ({"starts_at": "2026-12-01 19:00"}, "starts_at"),
        ({"remind_before": ["1 week"]}, "remind_before"),
        ({"audience": "all"}, "audience"),
    ],
)
def test_a_bad_event_file_names_the_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    raw: dict[str, Any] = {
        "title": "会議",
        "place": "公民館",
        "starts_at": "2030-01-01T19:00:00+09:00",
    }
    raw.update(change)
    path = tmp_path / "event.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EventFileError) as caught:
        load_event_file(path)
    assert str(caught.value).startswith(f"{path}: {field}")


async def test_default_reminders_are_a_day_and_an_hour_before(
    runtime: Runtime, clock: FakeClock
) -> None:
    event_id = await new_event(runtime, clock)
    event = await runtime.services.events.get(event_id)
    assert event is not None
    dues = [due for due, _ in await runtime.services.events.reminders_of(event_id)]
    assert dues == [event.starts_at - timedelta(days=1), event.starts_at - timedelta(hours=1)]


async def test_a_reminder_survives_a_restart_and_arrives_once(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock) as platforms:
        event_id = await new_event(
            platforms.runtime,
            clock,
            starts_at=(clock.now + timedelta(hours=2)).isoformat(),
            remind_before=["1h"],
        )
        await platforms.post_telegram(telegram_text("/events", user_id=501))
        await platforms.post_telegram(telegram_callback(f"evsub:{event_id}", user_id=501))
    clock.advance(minutes=65)  # the service was down when the reminder fell due
    for _ in range(2):  # two restarts: the reminder must go out on the first, never again
        async with open_platforms(tmp_path, content_dir, clock) as platforms:
            await platforms.runtime.delivery.deliver_due()
            if _ == 0:
                # The serving instance's own delivery loop, woken at start, may hold the row
                # (and be sending it) when deliver_due looks: wait for the send, not the call.
                await wait_until(lambda: bool(reminders_sent(platforms)))
            reminders = reminders_sent(platforms)
            if _ == 0:
                assert len(reminders) == 1 and reminders[0]["chat_id"] == 501
                assert "富岡地区 円卓会議" in reminders[0]["text"]
            else:
                assert reminders == []
    states = []
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        states = [s for _, s in await platforms.runtime.services.events.reminders_of(event_id)]
    assert states == ["sent"]


def reminders_sent(platforms: Platforms) -> list[dict[str, Any]]:
    return [m for m in platforms.telegram.sent("sendMessage") if "まもなく" in m["text"]]


async def test_a_reminder_later_than_the_grace_window_is_skipped_and_logged(
    runtime: Runtime, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    event_id = await new_event(
        runtime,
        clock,
        starts_at=(clock.now + timedelta(hours=5)).isoformat(),
        remind_before=["4h"],
    )
    person = await runtime.services.residents.get_or_create("telegram", "9", "ja", clock.now)
    await runtime.services.events.subscribe(event_id, person.id, clock.now)
    clock.advance(hours=2, minutes=1)  # due an hour ago, plus a minute: past the grace window
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        assert await fire_due_reminders(runtime.duties) == []
    assert [s for _, s in await runtime.services.events.reminders_of(event_id)] == ["skipped"]
    assert any("skipped" in record.getMessage() for record in caplog.records)
    row = await runtime.db.fetch_one("SELECT count(*) FROM outbox")
    assert row is not None and row[0] == 0


async def test_a_due_reminder_is_queued_exactly_once(runtime: Runtime, clock: FakeClock) -> None:
    event_id = await new_event(
        runtime,
        clock,
        starts_at=(clock.now + timedelta(hours=2)).isoformat(),
        remind_before=["1h"],
    )
    follower = await runtime.services.residents.get_or_create("telegram", "7", "en", clock.now)
    subscriber = await runtime.services.residents.get_or_create("telegram", "8", "ja", clock.now)
    await runtime.services.events.set_following(follower.id, True, clock.now)
    await runtime.services.events.subscribe(event_id, subscriber.id, clock.now)
    await runtime.services.events.subscribe(event_id, follower.id, clock.now)  # counted once
    clock.advance(hours=1, seconds=1)
    assert len(await fire_due_reminders(runtime.duties)) == 1
    assert await fire_due_reminders(runtime.duties) == []
    rows = await runtime.db.fetch_all("SELECT resident_id FROM outbox ORDER BY resident_id")
    assert [row[0] for row in rows] == [follower.id, subscriber.id]
    texts = await runtime.db.fetch_one("SELECT text_ja, text_en, resend_in_flight FROM broadcasts")
    assert texts is not None and "まもなく" in texts[0] and "[Coming up]" in texts[1]
    assert texts[2] == 0


async def test_a_reminder_in_flight_at_a_crash_is_not_sent_again(
    runtime: Runtime, clock: FakeClock
) -> None:
    person = await runtime.services.residents.get_or_create("telegram", "5", "ja", clock.now)
    reminder = NewBroadcast("reminder", "まもなく", resend_in_flight=False)
    notice = NewBroadcast("notice", "お知らせ")
    await runtime.broadcasts.create_for(reminder, [person.id], clock.now)
    await runtime.broadcasts.create_for(notice, [person.id], clock.now)
    claimed = await runtime.outbox.claim_telegram("dead-worker", clock.now, 10)
    assert len(claimed) == 2
    clock.advance(hours=1)  # the worker died; its lease ran out
    released, given_up = await runtime.outbox.release_stale(clock.now, timedelta(minutes=2))
    assert (released, given_up) == (1, 1)
    rows = await runtime.db.fetch_all(
        "SELECT b.kind, o.state FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
        " ORDER BY b.kind"
    )
    assert [tuple(row) for row in rows] == [("notice", "pending"), ("reminder", "failed")]


async def test_cancelling_tells_followers_and_stops_reminders(
    runtime: Runtime, clock: FakeClock
) -> None:
    event_id = await new_event(runtime, clock)
    subscriber = await runtime.services.residents.get_or_create("telegram", "8", "ja", clock.now)
    await runtime.services.events.subscribe(event_id, subscriber.id, clock.now)
    event = await runtime.services.events.get(event_id)
    assert event is not None
    notice = runtime.services.notices.event_cancelled(event)
    broadcast_id = await runtime.services.events.cancel(event_id, notice, clock.now)
    assert broadcast_id is not None
    assert await runtime.services.events.cancel(event_id, notice, clock.now) is None
    assert {s for _, s in await runtime.services.events.reminders_of(event_id)} == {"cancelled"}
    row = await runtime.db.fetch_one(
        "SELECT text_ja FROM broadcasts WHERE id = ?", (broadcast_id,)
    )
    assert row is not None and "中止" in row[0]
    assert (await runtime.outbox.progress(broadcast_id))["pending"] == 1
    resident = Resident(runtime, "8", channel=Channel.TELEGRAM)
    await resident.say("/events")
    assert "ありません" in resident.text()
