"""SIGTERM: the service stops taking webhooks, finishes what it has in hand, gives back the
rest at once and exits 0; another instance finishes the broadcast with nothing sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

from bot.runtime import drain, open_runtime
from bot.storage.broadcasts import NewBroadcast
from tests.conftest import FakeClock, make_settings
from tests.databases import scalar
from tests.fakes.line import FakeLine
from tests.fakes.server import free_port, serve_on_loopback
from tests.fakes.telegram import FakeTelegram
from tests.platforms import WEBHOOK_SECRET, Platforms, platform_env, telegram_text
from tests.test_broadcast import add_residents
from tests.test_crash_safety import chiiki, wait_for

TELEGRAM_RECIPIENTS = 400
LINE_RECIPIENTS = 1500
WEBHOOK_USER = 9090  # writes while the server stops; not among the broadcast's recipients


async def started(base: str, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(600):
            try:
                if (await http.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if server.returncode is not None:
                raise AssertionError("chiiki serve stopped while starting")
            await asyncio.sleep(0.05)
    raise AssertionError("chiiki serve did not become ready")


async def test_sigterm_mid_broadcast_hands_over_at_once_with_nothing_sent_twice(
    tmp_path: Path, content_dir: Path
) -> None:
    # Slow sends: SIGTERM finds some in flight, and they take a moment to finish.
    telegram, line = FakeTelegram(send_seconds=0.3), FakeLine(multicast_seconds=0.3)
    async with (
        serve_on_loopback(telegram.app()) as telegram_base,
        serve_on_loopback(line.app()) as line_base,
    ):
        environ = {
            **platform_env(telegram, telegram_base, line, line_base),
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "CHIIKI_TELEGRAM_RATE": "100",
            "CHIIKI_LOG_LEVEL": "WARNING",
        }
        settings = make_settings(tmp_path, content_dir, **environ)
        async with open_runtime(settings, clock=FakeClock(), serving=False) as runtime:
            await add_residents(runtime, "telegram", TELEGRAM_RECIPIENTS)
            await add_residents(runtime, "line", LINE_RECIPIENTS)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, **environ, "CHIIKI_DB": settings.db, "CHIIKI_INSTANCE": "a"}
        server = await chiiki({**env, "CHIIKI_PORT": str(port)}, "serve")
        try:
            await started(base, server)
            async with open_runtime(settings, serving=False) as runtime:
                await runtime.broadcasts.create(
                    NewBroadcast("notice", "断水のお知らせ"), runtime.services.clock()
                )
            await wait_for(lambda: len(telegram.delivered) >= 50, seconds=30)
            server.send_signal(signal.SIGTERM)
            answers = await webhooks_until_closed(base)
            returncode = await asyncio.wait_for(server.wait(), 60)
        finally:
            if server.returncode is None:
                server.kill()
                await server.wait()
        output = (await server.stdout.read()).decode() if server.stdout else ""
        assert returncode == 0, output
        assert 503 in answers  # while it drained, webhooks were refused for redelivery
        # Nothing left claimed: what it had not sent went back at once.
        assert scalar(settings.db, "SELECT count(*) FROM outbox WHERE state = 'sending'") == 0
        assert len(broadcast_sends(telegram)) < TELEGRAM_RECIPIENTS  # stopped in the middle

        started_at = time.monotonic()
        async with open_runtime(settings, serving=False) as second:
            progress = await second.outbox.progress(1)
            final = await asyncio.wait_for(second.delivery.deliver_until_settled(1), 60)
        finished_in = time.monotonic() - started_at
        print(f"after SIGTERM, a second instance finished in {finished_in:.1f} s")

    assert progress["pending"] > 0 and progress["sending"] == 0
    assert final["sent"] == TELEGRAM_RECIPIENTS + LINE_RECIPIENTS
    sends = broadcast_sends(telegram)
    assert len(sends) == TELEGRAM_RECIPIENTS
    assert set(sends.values()) == {1}  # nothing twice: the sends in flight finished first
    assert len(line.delivered) == LINE_RECIPIENTS and set(line.delivered.values()) == {1}
    assert finished_in < 30


async def webhooks_until_closed(base: str) -> list[int]:
    """Post fresh updates until the server stops listening; the answers it gave meanwhile."""
    answers: list[int] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        for _ in range(2000):
            try:
                response = await http.post(
                    "/webhook/telegram",
                    json=telegram_text("/goals", user_id=WEBHOOK_USER),
                    headers=headers,
                )
            except httpx.TransportError:
                break
            answers.append(response.status_code)
            await asyncio.sleep(0.02)
    return answers


def broadcast_sends(telegram: FakeTelegram) -> dict[int, int]:
    return {chat: n for chat, n in telegram.delivered.items() if chat != WEBHOOK_USER}


async def test_a_draining_runtime_refuses_webhooks_for_redelivery_and_is_not_ready(
    platforms: Platforms,
) -> None:
    runtime = platforms.runtime
    await drain(runtime)
    assert not runtime.delivery.running
    refused = await platforms.http.post(
        "/webhook/telegram",
        json=telegram_text("/goals", user_id=WEBHOOK_USER),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert (await platforms.http.get("/readyz")).status_code == 503
    assert (await platforms.http.get("/healthz")).status_code == 200  # still alive meanwhile
    stored = await runtime.db.fetch_one("SELECT count(*) FROM inbound_events")
    assert stored is not None and stored[0] == 0  # nothing taken that it could not finish


async def test_claims_given_back_at_shutdown_are_pending_again_without_an_attempt_counted(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir)
    async with open_runtime(settings, clock=clock, serving=False) as runtime:
        await add_residents(runtime, "telegram", 3)
        await runtime.broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
        assert len(await runtime.outbox.claim_telegram("stopping/1", clock.now, 2)) == 2
        assert await runtime.outbox.release_own("other/1") == 0
        assert await runtime.outbox.release_own("stopping/1") == 2
        rows = await runtime.db.fetch_all("SELECT state, attempts, claimed_by FROM outbox")
    assert [tuple(row) for row in rows] == [("pending", 0, None)] * 3
