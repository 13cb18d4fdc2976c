"""Broadcast throughput and memory: residents on Telegram and LINE, fake platforms in another
process, sent by the same delivery worker `chiiki broadcast` uses.

1. Limits off: the sender's own Telegram rate, the number of LINE multicasts, peak memory.
2. The fake Telegram refusing more than 30 a second (as the real one does) and chiiki set to
   30 a second: the achieved rate over the allowed rate.

    python -m bench.broadcast            # small: 10,000 residents; 10 s at the real limit
    python -m bench.broadcast --full     # 100,000 residents; 30 s at the real limit
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.common import child, free_port, peak_rss_mb, report, rss_mb, wait_ready
from bot.config import load_settings
from bot.runtime import open_runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.timestamps import to_db

TOKEN = "123456:fake-token"
TELEGRAM_LIMIT = 30  # messages a second the real Bot API allows a bot in all


async def seed(db_path: Path, telegram: int, line: int, settings_env: dict[str, str]) -> None:
    stamp = to_db(datetime(2026, 11, 1, tzinfo=UTC))
    settings = load_settings(settings_env)
    async with open_runtime(settings, serving=False, answering=False) as runtime:
        rows = [("telegram", str(10_000 + n), stamp, stamp) for n in range(telegram)]
        rows += [("line", f"U{n:032x}", stamp, stamp) for n in range(line)]
        async with runtime.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO residents (channel, platform_user_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )


async def send(settings_env: dict[str, str]) -> tuple[float, dict[str, int], float]:
    """Queue one notice to everyone and deliver it; (seconds, final counts, RSS growth MB)."""
    settings = load_settings(settings_env)
    async with open_runtime(settings, serving=False, answering=False) as runtime:
        before = rss_mb()
        started = time.perf_counter()
        broadcast_id = await runtime.broadcasts.create(
            NewBroadcast("notice", "【富岡市からのお知らせ】台風に備えてください。"),
            datetime.now(UTC),
        )
        final = await runtime.delivery.deliver_until_settled(broadcast_id)
        return time.perf_counter() - started, final, rss_mb() - before


def environment(work: Path, fake_port: int, rate: float) -> dict[str, str]:
    from tests.fakes.line import ACCESS_TOKEN, SECRET

    return {
        "CHIIKI_DB": str(work / "chiiki.db"),
        "CHIIKI_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{fake_port}/telegram/bot",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE": f"http://127.0.0.1:{fake_port}/line",
        "CHIIKI_TELEGRAM_RATE": str(rate),
    }


def unlimited(residents: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="chiiki-bench-"))
    port = free_port()
    env = environment(work, port, 1_000_000)
    half = residents // 2
    with child(["-m", "bench.fake_platforms", str(port)], {}, work / "fake.log") as fake:
        wait_ready(f"http://127.0.0.1:{port}/stats", fake, work / "fake.log")
        asyncio.run(seed(work / "chiiki.db", half, residents - half, env))
        seconds, final, growth = asyncio.run(send(env))
        stats = httpx.get(f"http://127.0.0.1:{port}/stats").json()
    sent_at = stats["telegram_first_sent_at"].values()
    return {
        "residents (half Telegram, half LINE)": residents,
        "delivered": final["sent"],
        "failed or unreachable": final["failed"] + final["unreachable"],
        "seconds": round(seconds, 2),
        "Telegram sends/s (limits off)": round(stats["telegram_delivered"] / seconds, 1),
        "Telegram sends/s from first send to last": round(
            stats["telegram_delivered"] / (max(sent_at) - min(sent_at)), 1
        ),
        "Telegram chats reached": stats["telegram_chats"],
        "LINE multicast calls": stats["line_multicasts"],
        "LINE recipients reached": stats["line_recipients"],
        "RSS growth while sending (MB)": round(growth, 1),
        "sender peak RSS (MB)": round(peak_rss_mb(), 1),
    }


def at_the_limit(seconds: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="chiiki-bench-"))
    port = free_port()
    env = environment(work, port, TELEGRAM_LIMIT)
    recipients = TELEGRAM_LIMIT * seconds
    args = ["-m", "bench.fake_platforms", str(port), "--telegram-limit", str(TELEGRAM_LIMIT)]
    with child(args, {}, work / "fake.log") as fake:
        wait_ready(f"http://127.0.0.1:{port}/stats", fake, work / "fake.log")
        asyncio.run(seed(work / "chiiki.db", recipients, 0, env))
        elapsed, final, _ = asyncio.run(send(env))
        stats = httpx.get(f"http://127.0.0.1:{port}/stats").json()
    achieved = final["sent"] / elapsed
    return {
        "Telegram recipients at the real limit": recipients,
        "delivered at the limit": final["sent"],
        "429s from the fake": stats["telegram_refused_429"],
        "achieved sends/s": round(achieved, 2),
        "allowed sends/s": TELEGRAM_LIMIT,
        "achieved / allowed": round(achieved / TELEGRAM_LIMIT, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    residents, seconds = (100_000, 30) if args.full else (10_000, 10)
    figures = {**unlimited(residents), **at_the_limit(seconds)}
    lines = figures["LINE multicast calls"]
    goals = {
        "at least 2,000 Telegram sends/s with the limits off": (
            figures["Telegram sends/s (limits off)"] >= 2000  # type: ignore[operator]
        ),
        f"LINE in {residents // 2 // 500} multicast calls": lines == residents // 2 // 500,
        "everyone reached once": figures["delivered"] == residents,
        "peak memory under 250 MB": figures["sender peak RSS (MB)"] < 250,  # type: ignore[operator]
        "achieved / allowed at least 0.95": figures["achieved / allowed"] >= 0.95,  # type: ignore[operator]
    }
    report("broadcast", figures, goals)


if __name__ == "__main__":
    main()
