"""Several chiiki instances on one database: each broadcast row is sent by exactly one of
them, they share the work, and a killed instance's claims pass to the other after the lease."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import httpx

from bot.delivery.outbox import HEARTBEAT_SECONDS
from bot.runtime import open_runtime
from bot.storage.outbox import NewBroadcast
from tests.conftest import FakeClock, make_settings
from tests.databases import scalar
from tests.fakes import line as fake_line
from tests.fakes.line import FakeLine
from tests.fakes.server import serve_on_loopback
from tests.fakes.telegram import FakeTelegram
from tests.test_broadcast import add_residents
from tests.test_crash_safety import IN_FLIGHT, chiiki, wait_for

TEXT = "避難所開設のお知らせ"


def platform_env(telegram: FakeTelegram, telegram_base: str, line: FakeLine, line_base: str):  # type: ignore[no-untyped-def]
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE": f"{telegram_base}/bot",
        "LINE_CHANNEL_SECRET": fake_line.SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
        "LINE_API_BASE": line_base,
    }


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
            broadcast_id = await a.outbox.create(NewBroadcast("notice", TEXT), clock.now)
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
            port = _free_port()
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
                await runtime.outbox.create(NewBroadcast("notice", TEXT), FakeClock().now)
            # The instances' workers find it within their idle round (5 s).
            await wait_for(lambda: _both_sending(settings.db), seconds=20)
            killed, _ = servers["a"]
            await wait_for(lambda: len(telegram.delivered) >= 200)
            killed.send_signal(signal.SIGKILL)
            await killed.wait()
            killed_at = asyncio.get_running_loop().time()
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
    # b sent what was left: the rest at b's own pace, a's claims once the lease ran out.
    assert finished_in < 30


def _both_sending(target: str) -> bool:
    owners = scalar(
        target, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE claimed_by IS NOT NULL"
    )
    return owners >= 2
