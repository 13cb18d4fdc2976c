"""kill -9 in the middle of a broadcast, then resume: nobody left out, LINE never twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import Settings
from bot.runtime import open_runtime
from tests.conftest import FakeClock, make_settings
from tests.fakes import line as fake_line
from tests.fakes.line import FakeLine
from tests.fakes.server import serve_on_loopback
from tests.fakes.telegram import FakeTelegram
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
            "CHIIKI_DB": str(tmp_path / "chiiki.db"),
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE": f"{telegram_base}/bot",
            "LINE_CHANNEL_SECRET": fake_line.SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
            "LINE_API_BASE": line_base,
            "CHIIKI_TELEGRAM_RATE": "60",
            "CHIIKI_DELIVERY_LEASE_SECONDS": "1",
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
        cut_short_at = len(telegram.delivered)
        assert cut_short_at < TELEGRAM_RECIPIENTS  # it really was in the middle

        resumer = await chiiki(env, "broadcast", "resume")
        output, _ = await asyncio.wait_for(resumer.communicate(), 120)
        assert resumer.returncode == 0, output.decode()
        assert "every broadcast is finished" in output.decode()

    assert len(telegram.delivered) == TELEGRAM_RECIPIENTS  # nobody left out
    duplicates = sum(count - 1 for count in telegram.delivered.values())
    assert duplicates <= IN_FLIGHT  # only sends in flight at the kill came twice
    assert len(line.delivered) == LINE_RECIPIENTS
    assert set(line.delivered.values()) == {1}  # LINE: nothing twice, thanks to the retry keys
