from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.delivery.outbox import DeliverySettings, OutboxWorker
from bot.errors import StorageBusyError
from bot.runtime import Runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.delivery_workers import DeliveryWorkers
from bot.storage.timestamps import to_db
from bot.web import build_web_app
from tests.admin_helpers import logged_in_staff, post_form
from tests.conftest import FakeClock
from tests.platforms import Platforms, open_platforms
from tests.web_clients import chat_client, resident_cookie

FAST = DeliverySettings(
    telegram_per_second=1000, telegram_in_flight=32, backoff_seconds=0.05, lease_seconds=60
)


async def add_residents(
    runtime: Runtime, channel: str, count: int, district: str | None = None, start: int = 1
) -> list[str]:
    ids = [str(n) if channel == "telegram" else f"U{n:08d}" for n in range(start, start + count)]
    stamp = to_db(datetime(2026, 11, 1, tzinfo=UTC))
    async with runtime.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO residents (channel, platform_user_id, district, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(channel, user_id, district, stamp, stamp) for user_id in ids],
        )
    return ids


def worker(platforms: Platforms, clock: FakeClock, **changes: float) -> OutboxWorker:
    settings = DeliverySettings(**{**FAST.__dict__, **changes})
    runtime = platforms.runtime
    return OutboxWorker(
        runtime.outbox,
        DeliveryWorkers(runtime.db),
        clock,
        runtime.telegram,
        runtime.line,
        settings,
    )


async def settle(delivery: OutboxWorker, broadcast_id: int, clock: FakeClock) -> dict[str, int]:
    """Deliver until done while the service's clock runs (backoffs are measured on it)."""

    async def run_clock() -> None:
        while True:
            await asyncio.sleep(0.01)
            clock.advance(seconds=0.5)

    ticking = asyncio.create_task(run_clock())
    try:
        return await asyncio.wait_for(delivery.deliver_until_settled(broadcast_id), 60)
    finally:
        ticking.cancel()


@pytest.fixture
async def quiet_platforms(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> AsyncIterator[Platforms]:
    """Fake platforms with no background worker: each test drives its own."""
    async with open_platforms(tmp_path, content_dir, clock, serving=False, line_timeout=0.5) as p:
        yield p


async def test_2000_telegram_recipients_through_the_flood_limit(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    chats = await add_residents(platforms.runtime, "telegram", 2000)
    platforms.telegram.blocked_chats.add(int(chats[700]))
    platforms.telegram.limit_per_second = 200
    platforms.telegram.refuse_next = 2  # and a flood warning at the very start
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "【富岡市からのお知らせ】断水のお知らせ"), clock.now
    )
    progress = await settle(worker(platforms, clock, telegram_per_second=300), broadcast_id, clock)
    assert progress == {"pending": 0, "sending": 0, "sent": 1999, "failed": 0, "unreachable": 1}
    delivered = platforms.telegram.delivered
    assert len(delivered) == 1999 and set(delivered.values()) == {1}
    assert int(chats[700]) not in delivered
    assert platforms.telegram.refused_429 >= 2  # refused, waited out, and sent after all
    blocked = await platforms.runtime.services.residents.find("telegram", chats[700])
    assert blocked is not None and not blocked.reachable


async def run_in_real_time(clock: FakeClock) -> None:
    """Move the service's clock with the wall clock (leases are measured on it)."""
    while True:
        await asyncio.sleep(0.01)
        clock.advance(seconds=0.01)


async def test_claims_waiting_behind_the_rate_stay_the_workers_until_sent(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    # Rows are claimed a batch ahead of the sends; at 20 a second some wait longer than the
    # 1 s lease. The heartbeat renews them, so the worker does not take its own rows back
    # as a stopped worker's and send them twice.
    platforms = quiet_platforms
    await add_residents(platforms.runtime, "telegram", 60)
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="telegram"), clock.now
    )
    delivery = worker(
        platforms, clock, telegram_per_second=20, telegram_in_flight=4, lease_seconds=1
    )
    ticking = asyncio.create_task(run_in_real_time(clock))
    try:
        progress = await asyncio.wait_for(delivery.deliver_until_settled(broadcast_id), 30)
    finally:
        ticking.cancel()
    assert progress["sent"] == 60
    assert len(platforms.telegram.delivered) == 60
    assert set(platforms.telegram.delivered.values()) == {1}


async def test_line_multicasts_do_not_wait_behind_a_slow_telegram_broadcast(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    await add_residents(platforms.runtime, "telegram", 120)
    await add_residents(platforms.runtime, "line", 1200)
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ"), clock.now
    )
    delivery = worker(platforms, clock, telegram_per_second=40, telegram_in_flight=16)
    sending = asyncio.create_task(settle(delivery, broadcast_id, clock))
    while len(platforms.line.delivered) < 1200:
        await asyncio.sleep(0.01)
    assert len(platforms.telegram.delivered) < 40  # LINE done within the first second
    progress = await sending
    assert progress["sent"] == 1320
    assert set(platforms.telegram.delivered.values()) == {1}


async def test_1200_line_recipients_go_out_as_three_multicasts(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    users = await add_residents(platforms.runtime, "line", 1200)
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    progress = await settle(worker(platforms, clock), broadcast_id, clock)
    assert progress["sent"] == 1200
    multicasts = platforms.line.sent("multicast")
    assert sorted(len(call["to"]) for call in multicasts) == [200, 500, 500]
    assert set(platforms.line.delivered) == set(users)
    assert set(platforms.line.delivered.values()) == {1}


async def test_a_multicast_timeout_is_retried_with_the_same_key_and_counted_once(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    users = await add_residents(platforms.runtime, "line", 30)
    platforms.line.delay_next_multicast = 2.0  # accepted, but the answer comes after our timeout
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    progress = await settle(worker(platforms, clock), broadcast_id, clock)
    assert progress["sent"] == 30
    calls = [headers for name, _, headers in platforms.line.calls if name == "multicast"]
    assert len(calls) == 2
    assert calls[0]["x-line-retry-key"] == calls[1]["x-line-retry-key"]
    assert set(platforms.line.delivered) == set(users)
    assert set(platforms.line.delivered.values()) == {1}


async def test_a_multicast_refused_for_one_bad_user_id_goes_one_push_each(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    users = await add_residents(platforms.runtime, "line", 30)
    bad = users[11]
    platforms.line.invalid_users.add(bad)
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    progress = await settle(worker(platforms, clock), broadcast_id, clock)
    assert progress == {"pending": 0, "sending": 0, "sent": 29, "failed": 1, "unreachable": 0}
    assert len(platforms.line.sent("multicast")) == 1  # refused as a whole: nobody got it
    received = platforms.line.received
    assert all(received[user] == ["お知らせ"] for user in users if user != bad)
    assert received[bad] == []
    (failed,) = await platforms.runtime.db.fetch_all(
        "SELECT r.platform_user_id, o.last_error FROM outbox o"
        " JOIN residents r ON r.id = o.resident_id WHERE o.state = 'failed'"
    )
    assert failed[0] == bad and "400" in failed[1]
    pushed = [h["x-line-retry-key"] for name, _, h in platforms.line.calls if name == "push"]
    assert len(pushed) == 30 and len(set(pushed)) == 30


async def test_a_batch_pushed_one_by_one_is_never_multicast_or_pushed_twice_on_retry(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    # The first eight pushes reach their residents but the answers are lost (500): those rows
    # are tried again. The retry pushes them under the same keys (409, nothing sent) and never
    # multicasts the batch again, though its multicast key was never accepted.
    platforms = quiet_platforms
    users = await add_residents(platforms.runtime, "line", 20)
    platforms.line.invalid_users.add(users[0])
    platforms.line.lose_text["お知らせ"] = 8
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    progress = await settle(worker(platforms, clock), broadcast_id, clock)
    assert (progress["sent"], progress["failed"]) == (19, 1)
    assert platforms.line.lose_text["お知らせ"] == 0  # the answers were lost, then retried
    assert len(platforms.line.sent("multicast")) == 1
    assert all(platforms.line.received[user] == ["お知らせ"] for user in users[1:])
    assert len(platforms.line.sent("push")) == 20 + 8


async def test_line_429_and_5xx_back_off_and_retry(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    await add_residents(platforms.runtime, "line", 3)
    platforms.line.refuse_next, platforms.line.fail_next = 1, 1
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    progress = await settle(worker(platforms, clock), broadcast_id, clock)
    assert progress["sent"] == 3
    assert sum(platforms.line.delivered.values()) == 3


async def test_telegram_5xx_retries_then_fails_after_the_bounded_attempts(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    platforms = quiet_platforms
    await add_residents(platforms.runtime, "telegram", 1)
    platforms.telegram.fail_next = 100
    broadcast_id = await platforms.runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="telegram"), clock.now
    )
    calls_before = len(platforms.telegram.calls)
    delivery = worker(platforms, clock, max_attempts=3)
    for _ in range(3):
        await delivery.deliver_due()
        clock.advance(minutes=10)
    progress = await platforms.runtime.outbox.progress(broadcast_id)
    assert progress["failed"] == 1
    assert len(platforms.telegram.calls) - calls_before == 3  # three tries, each answered 502


def fail_first_mark_of(
    runtime: Runtime, rows: set[int], monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """The first recording of sends that holds one of `rows` fails (a busy database); the
    list returned fills with the ids of that recording."""
    mark_sent, failed = runtime.outbox.mark_sent, []

    async def busy_once(outbox_ids: list[int], now: datetime) -> None:
        if not failed and rows & set(outbox_ids):
            failed.extend(outbox_ids)
            raise StorageBusyError("the database was busy")
        await mark_sent(outbox_ids, now)

    monkeypatch.setattr(runtime.outbox, "mark_sent", busy_once)
    return failed


async def rows_of(runtime: Runtime, broadcast_id: int) -> set[int]:
    rows = await runtime.db.fetch_all(
        "SELECT id FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
    )
    return {row[0] for row in rows}


async def nothing_left_claimed(runtime: Runtime) -> bool:
    row = await runtime.db.fetch_one("SELECT count(*) FROM outbox WHERE state = 'sending'")
    return row is not None and row[0] == 0


async def test_a_round_whose_outcomes_cannot_be_stored_gives_its_claims_back(
    quiet_platforms: Platforms, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker goes on beating after a failed round, so its claims would never pass to
    another: it gives them back itself. A notice whose send was not recorded goes again; a
    reminder's is given up (never twice)."""
    platforms, runtime = quiet_platforms, quiet_platforms.runtime
    chats = await add_residents(runtime, "telegram", 40)
    reminder = await runtime.broadcasts.create(  # first: its rows are claimed first
        NewBroadcast("reminder", "明日です", channel="telegram", resend_in_flight=False),
        clock.now,
    )
    notice = await runtime.broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
    failed = fail_first_mark_of(runtime, await rows_of(runtime, reminder), monkeypatch)
    delivery = worker(platforms, clock, telegram_in_flight=4)
    with pytest.raises(ExceptionGroup):
        await delivery.deliver_due()
    assert failed and await nothing_left_claimed(runtime)
    assert (await settle(delivery, notice, clock))["sent"] == 40
    # At most the sends whose outcome was lost: the failed write's, and those in flight.
    unrecorded = len(failed) + 4
    given_up = await runtime.outbox.progress(reminder)
    assert given_up["pending"] == given_up["sending"] == 0
    assert 0 < given_up["failed"] <= unrecorded
    received = platforms.telegram.received
    assert all(received[int(chat)].count("明日です") <= 1 for chat in chats)  # never twice
    assert sum(received[int(chat)].count("明日です") for chat in chats) >= given_up["sent"]
    assert all(received[int(chat)].count("お知らせ") >= 1 for chat in chats)  # nobody left out
    assert sum(received[int(c)].count("お知らせ") for c in chats) - 40 <= unrecorded


async def test_a_multicast_whose_outcome_cannot_be_stored_goes_again_under_its_key(
    quiet_platforms: Platforms, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    platforms, runtime = quiet_platforms, quiet_platforms.runtime
    users = await add_residents(runtime, "line", 20)
    notice = await runtime.broadcasts.create(
        NewBroadcast("notice", "お知らせ", channel="line"), clock.now
    )
    failed = fail_first_mark_of(runtime, await rows_of(runtime, notice), monkeypatch)
    delivery = worker(platforms, clock)
    with pytest.raises(ExceptionGroup):
        await delivery.deliver_due()
    assert len(failed) == 20 and await nothing_left_claimed(runtime)
    assert (await settle(delivery, notice, clock))["sent"] == 20
    keys = [h["x-line-retry-key"] for name, _, h in platforms.line.calls if name == "multicast"]
    assert len(keys) == 2 and len(set(keys)) == 1  # the second answered 409
    assert platforms.line.delivered == dict.fromkeys(users, 1)


async def test_district_and_channel_filters_and_the_web_mailbox(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(
        tmp_path, content_dir, clock, serving=False, CHIIKI_PACK="testville"
    ) as platforms:
        runtime = platforms.runtime
        await add_residents(runtime, "telegram", 3, district="d01")
        await add_residents(runtime, "telegram", 2, district="d02", start=100)
        await add_residents(runtime, "web", 1, district="d01")
        audience = await runtime.broadcasts.audience("d01", "all")
        assert audience == {"telegram": 3, "line": 0, "web": 1}
        broadcast_id = await runtime.broadcasts.create(
            NewBroadcast("notice", "第1地区の皆さまへ", district="d01"), clock.now
        )
        await settle(worker(platforms, clock), broadcast_id, clock)
        assert set(platforms.telegram.delivered) == {1, 2, 3}
        cookie = await resident_cookie(runtime, "U00000001")
        async with chat_client(build_web_app(runtime), cookies=cookie) as http:
            first = await http.post("/chat/api", json={"text": "/menu"})
            again = await http.post("/chat/api", json={"text": "/menu"})
        assert first.json()["replies"][0]["text"] == "第1地区の皆さまへ"
        assert "第1地区の皆さまへ" not in again.json()["replies"][0]["text"]


async def test_forgotten_residents_get_nothing_still_queued(
    quiet_platforms: Platforms, clock: FakeClock
) -> None:
    runtime = quiet_platforms.runtime
    chats = await add_residents(runtime, "telegram", 2)
    broadcast_id = await runtime.broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
    gone = await runtime.services.residents.find("telegram", chats[0])
    assert gone is not None
    await runtime.services.residents.delete(gone.id, clock.now)
    await settle(worker(quiet_platforms, clock), broadcast_id, clock)
    assert set(quiet_platforms.telegram.delivered) == {int(chats[1])}


async def test_dry_run_shows_audience_and_line_cost_and_quota_refusal(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        await add_residents(platforms.runtime, "line", 5)
        await add_residents(platforms.runtime, "telegram", 2)
        platforms.line.quota_limit, platforms.line.quota_used = 200, 197
        env = {
            "CHIIKI_DB": platforms.runtime.settings.db,
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "TELEGRAM_BOT_TOKEN": platforms.telegram.token,
            "TELEGRAM_API_BASE": platforms.runtime.settings.telegram_api_base,
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": platforms.line.access_token,
            "LINE_API_BASE": platforms.runtime.settings.line_api_base,
        }

        def run(*args: str) -> tuple[int, str]:
            result = CliRunner().invoke(main, ["broadcast", *args], env=env)
            return result.exit_code, result.output

        code, output = await asyncio.to_thread(run, "--text", "断水のお知らせ", "--dry-run")
        assert code == 0, output
        assert "telegram: 2 resident(s)" in output and "line: 5 resident(s)" in output
        assert "LINE cost: 5 message(s) of the monthly quota (3 left)" in output
        code, output = await asyncio.to_thread(run, "--text", "断水のお知らせ")
        assert code == 2 and "only 3 are left" in output and "--force" in output
        assert platforms.line.sent("multicast") == []
        code, output = await asyncio.to_thread(
            run, "--text", "断水のお知らせ", "--channel", "telegram"
        )
        assert code == 0, output
        assert "sent 2, failed 0, unreachable 0" in output
        assert len(platforms.telegram.delivered) == 2
        sent_text = platforms.telegram.sent("sendMessage")[0]["text"]
        assert sent_text.startswith("【富岡市からのお知らせ】")


async def test_the_dashboard_shows_the_preview_again_when_a_notice_is_over_the_line_quota(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        await add_residents(platforms.runtime, "line", 5)
        platforms.line.quota_limit, platforms.line.quota_used = 200, 197
        form = {"text_ja": "断水のお知らせ", "channel": "all"}
        async with logged_in_staff(platforms.runtime) as staff:
            refused = await post_form(staff, "/admin/broadcasts", form)
            assert refused.status_code == 400
            assert "LINEの今月の残り通数を超えます" in refused.text
            assert 'data-audience="line">5<' in refused.text  # the preview, with its plan
            assert await platforms.runtime.broadcasts.history(10) == []
            forced = await post_form(staff, "/admin/broadcasts", {**form, "force": "1"})
            assert forced.status_code == 303
        assert len(await platforms.runtime.broadcasts.history(10)) == 1
