"""Several chiiki instances on one database: each broadcast row is sent by exactly one of
them, they share the work, and a killed instance's claims pass to the other as soon as its
heartbeat is stale (CHIIKI_DELIVERY_LEASE_SECONDS)."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.delivery.outbox import HEARTBEAT_SECONDS
from bot.runtime import open_runtime
from bot.scheduler import fire_due_reminders
from bot.staff.broadcast import waiting_for
from bot.storage.broadcasts import NewBroadcast
from bot.storage.delivery_workers import DeliveryWorkers
from bot.storage.inbound_events import InboundEventRepository
from bot.web import build_web_app
from tests.conftest import FakeClock, make_settings
from tests.databases import scalar
from tests.fakes.line import FakeLine
from tests.fakes.server import free_port, serve_on_loopback
from tests.fakes.telegram import FakeTelegram
from tests.platforms import (
    FAST_RETRIES,
    WEBHOOK_SECRET,
    Platforms,
    open_platforms,
    platform_env,
    telegram_text,
)
from tests.test_broadcast import add_residents
from tests.test_crash_safety import IN_FLIGHT, chiiki, wait_for
from tests.test_events import new_event
from tests.test_metrics import value
from tests.test_watch import load

TEXT = "避難所開設のお知らせ"


def sent_by(target: str, owner: str) -> int:
    return scalar(
        target, f"SELECT count(*) FROM outbox WHERE state = 'sent' AND claimed_by = '{owner}'"
    )


async def test_two_instances_send_a_broadcast_to_5000_exactly_once_and_share_it(
    tmp_path: Path, content_dir: Path
) -> None:
    telegram, line = FakeTelegram(send_seconds=0.002), FakeLine(multicast_seconds=0.05)
    async with (
        serve_on_loopback(telegram.app()) as telegram_base,
        serve_on_loopback(line.app()) as line_base,
    ):
        environ = {
            **platform_env(telegram, telegram_base, line, line_base),
            "CHIIKI_TELEGRAM_RATE": "2000",  # the fake's; each instance takes half
        }
        clock = FakeClock()
        first = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="first", **environ)
        second = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="second", **environ)
        assert first.db == second.db
        async with (
            open_runtime(first, clock=clock, serving=False) as a,
            open_runtime(second, clock=clock, serving=False) as b,
        ):
            await add_residents(a, "telegram", 2500)
            await add_residents(a, "line", 2500)
            broadcast_id = await a.broadcasts.create(NewBroadcast("notice", TEXT), clock.now)
            progress, _ = await asyncio.gather(
                a.delivery.deliver_until_settled(broadcast_id),
                b.delivery.deliver_until_settled(broadcast_id),
            )
            # b counted two workers when it joined; a sees it at its next heartbeat.
            assert b.delivery.send_interval == 2 / 2000
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await a.delivery.deliver_due()
            assert a.delivery.send_interval == 2 / 2000
            owners = (a.delivery.owner, b.delivery.owner)

    assert progress["sent"] == 5000
    assert len(telegram.delivered) == 2500 and set(telegram.delivered.values()) == {1}
    assert len(line.delivered) == 2500 and set(line.delivered.values()) == {1}
    assert all(len(m["to"]) <= 500 for m in line.sent("multicast"))
    shares = [sent_by(first.db, owner) for owner in owners]
    assert sum(shares) == 5000 and min(shares) > 0  # both did part of the work


async def test_kill_9_one_instance_and_the_other_finishes_within_the_lease(
    tmp_path: Path, content_dir: Path
) -> None:
    lease_seconds = 2
    telegram, line = FakeTelegram(send_seconds=0.01), FakeLine(multicast_seconds=0.2)
    async with (
        serve_on_loopback(telegram.app()) as telegram_base,
        serve_on_loopback(line.app()) as line_base,
    ):
        environ = {
            **platform_env(telegram, telegram_base, line, line_base),
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "CHIIKI_TELEGRAM_RATE": "200",
            "CHIIKI_DELIVERY_LEASE_SECONDS": str(lease_seconds),
            "CHIIKI_LOG_LEVEL": "WARNING",
        }
        settings = make_settings(tmp_path, content_dir, **environ)
        async with open_runtime(settings, clock=FakeClock(), serving=False) as runtime:
            await add_residents(runtime, "telegram", 1000)
            await add_residents(runtime, "line", 1500)
        env = {**os.environ, **environ, "CHIIKI_DB": settings.db}
        servers = {}
        for name in ("a", "b"):
            port = free_port()
            servers[name] = (
                await chiiki({**env, "CHIIKI_INSTANCE": name, "CHIIKI_PORT": str(port)}, "serve"),
                f"http://127.0.0.1:{port}",
            )
        try:
            async with httpx.AsyncClient() as http:
                for _, base in servers.values():
                    for _ in range(300):
                        try:
                            if (await http.get(f"{base}/healthz")).status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.05)
            async with open_runtime(settings, clock=FakeClock(), serving=False) as runtime:
                await runtime.broadcasts.create(NewBroadcast("notice", TEXT), FakeClock().now)
            # The instances' workers find it within their idle round (5 s).
            await wait_for(lambda: _both_sending(settings.db), seconds=20)
            killed, _ = servers["a"]
            await wait_for(lambda: len(telegram.delivered) >= 200)
            killed.send_signal(signal.SIGKILL)
            await killed.wait()
            killed_at = asyncio.get_running_loop().time()
            # What a had in flight passes to b once the lease has run out, even while b is
            # busy with its own part.
            left_by_a = (
                "SELECT count(*) FROM outbox WHERE state = 'sending' AND claimed_by LIKE 'a/%'"
            )
            await wait_for(lambda: scalar(settings.db, left_by_a) == 0, seconds=lease_seconds + 3)
            await wait_for(
                lambda: len(telegram.delivered) == 1000 and len(line.delivered) == 1500,
                seconds=60,
            )
            finished_in = asyncio.get_running_loop().time() - killed_at
        finally:
            for process, _ in servers.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await process.wait()

    duplicates = sum(count - 1 for count in telegram.delivered.values())
    assert duplicates <= IN_FLIGHT  # only sends in flight at the kill came twice
    assert set(line.delivered.values()) == {1}  # LINE never twice: the retry key is reused
    assert scalar(settings.db, "SELECT count(*) FROM outbox WHERE state <> 'sent'") == 0
    assert finished_in < 30  # b sent the rest at its own pace


def _both_sending(target: str) -> bool:
    owners = scalar(
        target, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE claimed_by IS NOT NULL"
    )
    return owners >= 2


async def test_the_same_update_posted_to_two_instances_is_answered_once(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, CHIIKI_INSTANCE="a") as platforms:
        other = platforms.runtime.settings.model_copy(update={"instance": "b"})
        async with open_runtime(other, clock=clock, retry_policy=FAST_RETRIES) as second:
            transport = httpx.ASGITransport(app=build_web_app(second))
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as http_b:
                update = telegram_text("/goals", user_id=4242)
                headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
                answers = await asyncio.gather(
                    platforms.http.post("/webhook/telegram", json=update, headers=headers),
                    http_b.post("/webhook/telegram", json=update, headers=headers),
                )
                await asyncio.gather(platforms.runtime.inbox.drain(), second.inbox.drain())
    assert [a.status_code for a in answers] == [200, 200]  # both acknowledge the platform
    replies = [c for c in platforms.telegram.sent("sendMessage") if c["chat_id"] == 4242]
    assert len(replies) == 1


async def test_an_event_left_by_a_stopped_instance_is_taken_over_after_the_lease(
    platforms: Platforms, clock: FakeClock
) -> None:
    events = InboundEventRepository(platforms.runtime.db)
    lease = timedelta(seconds=platforms.runtime.settings.delivery_lease_seconds)
    update = telegram_text("/goals", user_id=5151)
    key = ("telegram", str(update["update_id"]))
    await events.accept([(*key, update)], clock.now, "gone")
    assert await events.pending("other", clock.now - lease) == []  # "gone" may still be at it
    assert await events.pending("gone", clock.now - lease) == [key]  # its own, after a restart
    assert await platforms.runtime.inbox.resume_pending() == 0
    clock.advance(seconds=lease.total_seconds() + 1)
    assert await platforms.runtime.inbox.resume_pending() == 1
    await platforms.runtime.inbox.drain()
    assert [c for c in platforms.telegram.sent("sendMessage") if c["chat_id"] == 5151]
    # "gone" comes back: the event is handled, nothing is left for it to take.
    assert await events.start_attempt(*key, "gone", clock.now, clock.now - lease) is None
    assert await events.pending("gone", clock.now - lease) == []


async def test_two_instances_firing_the_same_reminders_queue_each_once(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    first = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="first")
    second = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="second")
    async with (
        open_runtime(first, clock=clock, serving=False) as a,
        open_runtime(second, clock=clock, serving=False) as b,
    ):
        people = [
            await a.services.residents.get_or_create("telegram", str(n), "ja", clock.now)
            for n in range(30)
        ]
        for minutes in (0, 5, 10):  # three meetings, each reminded an hour before
            starts_at = clock.now + timedelta(hours=2, minutes=minutes)
            event_id = await new_event(a, clock, starts_at=starts_at.isoformat())
            for person in people:
                await a.services.events.subscribe(event_id, person.id, clock.now)
        clock.advance(hours=1, minutes=15)  # all three reminders are due
        queued = await asyncio.gather(
            *(fire_due_reminders(runtime.duties) for runtime in (a, b, a, b))
        )
        states = await a.db.fetch_all("SELECT state FROM reminders")
        broadcasts = await a.db.fetch_one("SELECT count(*) FROM broadcasts")
        rows = await a.db.fetch_one("SELECT count(*) FROM outbox")
    all_queued = [reminder for batch in queued for reminder in batch]
    # each reminder queued by one instance, once
    assert sorted(all_queued) == [("event", 1), ("event", 2), ("event", 3)]
    assert [row[0] for row in states] == ["sent"] * 3
    assert broadcasts is not None and broadcasts[0] == 3
    assert rows is not None and rows[0] == 3 * 30


async def test_event_and_shift_reminders_fire_through_one_path_once_each(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    """Both kinds are claimed, queued or skipped, counted and logged by the same call, and two
    instances firing together share them out without queuing one twice."""
    fired, skipped = (
        value("chiiki_reminders_total", outcome="fired"),
        value("chiiki_reminders_total", outcome="skipped"),
    )
    first = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="first")
    second = make_settings(tmp_path, content_dir, CHIIKI_INSTANCE="second")
    async with (
        open_runtime(first, clock=clock, serving=False) as a,
        open_runtime(second, clock=clock, serving=False) as b,
    ):
        await load(a, clock)  # two shifts on 11-25 at 07:20 and 07:50 Tokyo, and later ones
        volunteer = await a.services.residents.get_or_create("telegram", "77", "ja", clock.now)
        await a.services.watch.signups.sign_up(2, volunteer.id, clock.now)
        event_id = await new_event(
            a, clock, starts_at="2026-11-24T22:30:00+00:00", remind_before=["1h"]
        )
        await a.services.events.subscribe(event_id, volunteer.id, clock.now)
        # 11-25 06:55 Tokyo: the event's reminder (21:30 UTC) and both shifts' hour reminders
        # are due; their evening reminders (18:00 Tokyo the day before) are too late.
        clock.now = datetime(2026, 11, 24, 21, 55, tzinfo=UTC)
        queued = await asyncio.gather(
            *(fire_due_reminders(runtime.duties) for runtime in (a, b, a, b))
        )
        sent_shifts = await a.db.fetch_all(
            "SELECT id FROM shift_reminders WHERE state = 'sent' ORDER BY id"
        )
        shift_states = await a.db.fetch_all(
            "SELECT kind, state FROM shift_reminders WHERE shift_id IN (1, 2) ORDER BY id"
        )
        broadcasts = await a.db.fetch_one("SELECT count(*) FROM broadcasts")
        outbox = await a.db.fetch_all("SELECT resident_id FROM outbox")
    all_queued = sorted(reminder for batch in queued for reminder in batch)
    assert all_queued == [("event", event_id)] + [("shift", row[0]) for row in sent_shifts]
    assert sorted(tuple(row) for row in shift_states) == [
        ("evening", "skipped"),
        ("evening", "skipped"),
        ("hour", "sent"),
        ("hour", "sent"),
    ]
    assert broadcasts is not None and broadcasts[0] == 3
    # The event's reminder and shift 2's reach the volunteer; shift 1 has no one confirmed.
    assert [row[0] for row in outbox] == [volunteer.id, volunteer.id]
    assert value("chiiki_reminders_total", outcome="fired") - fired == 3
    assert value("chiiki_reminders_total", outcome="skipped") - skipped == 2


async def test_claims_pass_when_their_workers_heartbeat_goes_stale_and_never_while_it_beats(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir)
    stale = timedelta(seconds=10)
    async with open_runtime(settings, clock=clock, serving=False) as runtime:
        outbox, events = runtime.outbox, InboundEventRepository(runtime.db)
        workers = DeliveryWorkers(runtime.db)
        await add_residents(runtime, "telegram", 4)
        await runtime.broadcasts.create(
            NewBroadcast("notice", TEXT, channel="telegram"), clock.now
        )
        event_of: dict[str, tuple[str, str]] = {}
        for owner, instance in (("gone/1", "gone"), ("alive/1", "alive")):
            await workers.heartbeat(owner, instance, clock.now, stale)
            assert len(await outbox.claim_telegram(owner, clock.now, 2)) == 2
            update = telegram_text("/goals", user_id=len(event_of) + 8000)
            event_of[instance] = ("telegram", str(update["update_id"]))
            await events.accept([(*event_of[instance], update)], clock.now, instance)

        clock.advance(seconds=5)  # both still count as alive
        await workers.heartbeat("alive/1", "alive", clock.now, stale)
        assert await outbox.release_stale(clock.now, stale) == (0, 0)
        assert await events.pending("other", clock.now - stale) == []

        clock.advance(seconds=6)  # "gone" silent for 11 s, "alive" beat 6 s ago
        assert await outbox.release_stale(clock.now, stale) == (2, 0)
        held = await outbox.held_by_others("other/1")
        taken = await events.pending("other", clock.now - stale)
    assert [(h.owner, h.rows) for h in held] == [("alive/1", 2)]  # a live worker keeps its own
    assert held[0].seen_at == clock.now - timedelta(seconds=6)
    assert taken == [event_of["gone"]]  # only the silent instance's event passes
    said = waiting_for(held, clock.now, stale.total_seconds())
    assert said == (
        "waiting for worker alive/1's 2 claim(s), heartbeat 6 s old (taken over at 10 s)"
    )
