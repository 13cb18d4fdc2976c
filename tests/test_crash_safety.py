"""kill -9 in the middle of a broadcast, then resume: nobody left out, LINE never twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.runtime import open_runtime
from bot.storage.timestamps import to_db
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, make_settings
from tests.databases import database_for, scalar
from tests.fakes.line import FakeLine
from tests.fakes.server import free_port, serve_on_loopback
from tests.fakes.telegram import FakeTelegram
from tests.platforms import platform_env
from tests.test_broadcast import add_residents

TELEGRAM_RECIPIENTS = 300
LINE_RECIPIENTS = 1200
IN_FLIGHT = 16  # DeliverySettings.telegram_in_flight: sends that may be cut short at a kill


async def wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 50)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def chiiki(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_kill_9_mid_broadcast_then_resume(tmp_path: Path, content_dir: Path) -> None:
    telegram, line = FakeTelegram(send_seconds=0.01), FakeLine(multicast_seconds=0.3)
    async with (
        serve_on_loopback(telegram.app()) as telegram_base,
        serve_on_loopback(line.app()) as line_base,
    ):
        environ = {
            "CHIIKI_DB": database_for(tmp_path),
            "CHIIKI_CONTENT_DIR": str(content_dir),
            **platform_env(telegram, telegram_base, line, line_base),
            "CHIIKI_TELEGRAM_RATE": "60",
        }
        settings: Settings = make_settings(tmp_path, content_dir, **environ)
        async with open_runtime(settings, clock=FakeClock(), serving=False) as runtime:
            await add_residents(runtime, "telegram", TELEGRAM_RECIPIENTS)
            await add_residents(runtime, "line", LINE_RECIPIENTS)
        env = {**os.environ, **environ}

        sender = await chiiki(env, "broadcast", "--text", "避難所開設のお知らせ")
        await wait_for(lambda: len(telegram.delivered) >= 100 and line.sent("multicast"))
        sender.send_signal(signal.SIGKILL)
        await sender.wait()
        killed_at = time.monotonic()
        cut_short_at = len(telegram.delivered)
        assert cut_short_at < TELEGRAM_RECIPIENTS  # it really was in the middle
        held = (  # the killed sender's claims: the resumer's are all later
            "SELECT count(*) FROM outbox WHERE state = 'sending'"
            f" AND claimed_at <= '{to_db(datetime.now(UTC))}'"
        )
        assert scalar(settings.db, held) > 0  # the killed sender left claims behind

        resumer = await chiiki(env, "broadcast", "resume")
        resuming = asyncio.create_task(resumer.communicate())
        # Its claims pass once its heartbeat is stale (CHIIKI_DELIVERY_LEASE_SECONDS, 10 s by
        # default), not after a long lease.
        await wait_for(lambda: scalar(settings.db, held) == 0 or resuming.done(), seconds=60)
        takeover_seconds = time.monotonic() - killed_at
        output, _ = await asyncio.wait_for(resuming, 120)
        assert resumer.returncode == 0, output.decode()
        assert "every broadcast is finished" in output.decode()
        assert "waiting for worker" in output.decode() and "heartbeat" in output.decode()
        print(f"takeover after kill -9: {takeover_seconds:.1f} s")  # README: Operations
        assert takeover_seconds < 30

    assert len(telegram.delivered) == TELEGRAM_RECIPIENTS  # nobody left out
    duplicates = sum(count - 1 for count in telegram.delivered.values())
    assert duplicates <= IN_FLIGHT  # only sends in flight at the kill came twice
    assert len(line.delivered) == LINE_RECIPIENTS
    assert set(line.delivered.values()) == {1}  # LINE: nothing twice, thanks to the retry keys


async def test_kill_9_in_a_burst_of_votes_then_restart(tmp_path: Path, content_dir: Path) -> None:
    """Every vote whose webhook got a 200 is counted; the rest come again (as Telegram sends
    an update until it is acknowledged) and are counted once."""
    from datetime import timedelta

    import httpx

    from bot.staff.polls import PollSpec, create_poll
    from tests.platforms import WEBHOOK_SECRET, telegram_callback

    telegram = FakeTelegram()
    port = free_port()
    target = database_for(tmp_path)
    async with serve_on_loopback(telegram.app()) as telegram_base:
        environ = {
            "CHIIKI_DB": target,
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE": f"{telegram_base}/bot",
            "CHIIKI_LOG_LEVEL": "WARNING",
        }
        settings = make_settings(tmp_path, content_dir, **environ)
        async with open_runtime(settings, serving=False) as runtime:
            spec = PollSpec.model_validate(
                {
                    "question": "公園の名前は？",
                    "choices": ["さくら", "もみじ", "いちょう"],
                    "closes_at": datetime.now(UTC) + timedelta(days=7),
                }
            )
            now = datetime.now(UTC)
            await create_poll(
                spec, runtime.services.polls, runtime.services.pack, now, actor=CLI_ACTOR
            )
        env = {**os.environ, **environ}
        base = f"http://127.0.0.1:{port}"
        voters = 300
        updates = [telegram_callback(f"vote:1:{n % 3 + 1}", 5000 + n) for n in range(voters)]
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}

        async def started_server() -> asyncio.subprocess.Process:
            server = await chiiki(env, "serve", "--port", str(port))
            async with httpx.AsyncClient(base_url=base) as http:
                for _ in range(1200):  # a loaded machine loads the dictionary slowly
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            return server
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            server.kill()  # not left running after the test
            await server.wait()
            raise AssertionError("chiiki serve did not start")

        server = await started_server()
        acknowledged: set[int] = set()
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            gate = asyncio.Semaphore(20)

            async def post(update: dict[str, object]) -> None:
                async with gate:
                    response = await http.post("/webhook/telegram", json=update, headers=headers)
                    if response.status_code == 200:
                        acknowledged.add(int(update["update_id"]))  # type: ignore[call-overload]

            burst = [asyncio.create_task(post(u)) for u in updates]
            await wait_for(lambda: len(acknowledged) >= 100)
            server.send_signal(signal.SIGKILL)
            await server.wait()
            await asyncio.gather(*burst, return_exceptions=True)
        assert 100 <= len(acknowledged) < voters  # really cut off in the middle

        server = await started_server()
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                for update in updates:  # the unacknowledged again, and the rest as duplicates
                    response = await http.post("/webhook/telegram", json=update, headers=headers)
                    assert response.status_code == 200

            def counted() -> tuple[int, int]:
                handled = scalar(
                    target, "SELECT count(*) FROM inbound_events WHERE handled_at IS NOT NULL"
                )
                return handled, scalar(target, "SELECT count(*) FROM ballots")

            await wait_for(lambda: counted() == (voters, voters), seconds=60)
        finally:
            server.send_signal(signal.SIGTERM)
            await server.wait()
    per_choice = {
        position: scalar(
            target, f"SELECT count(*) FROM ballot_choices WHERE position = {position}"
        )
        for position in (1, 2, 3)
    }
    assert per_choice == {1: 100, 2: 100, 3: 100}
