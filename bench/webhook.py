"""Webhook throughput and latency: Telegram updates posted to `chiiki serve` by another process.

A load generator (this process) posts "/goals" messages, poll votes and (a third of the updates)
residents' free-text questions to chiiki's webhook (`--no-questions`: commands and votes only);
chiiki replies to a fake Bot API in a third process with no rate limit. An update counts as
handled when chiiki has replied and marked it handled (the vote stored). The same load against
a bare starlette endpoint answering 200, and against a bare relay (answer 200, then reply with
one aiohttp call, nothing stored: bench/bare_server.py), gives what this machine allows.

    python -m bench.webhook              # small: 3,000 updates, 5 s at 300/s
    python -m bench.webhook --full       # 20,000 updates, 20 s at 300/s
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.common import (
    child,
    free_port,
    peak_rss_mb,
    percentile,
    report,
    rss_file_mb,
    wait_ready,
)

SECRET = "bench-secret"
TOKEN = "123456:fake-token"  # the fake Bot API's token
CONCURRENCY = 64  # updates in flight in the closed loop (--concurrency)
_update_ids = itertools.count(1)


def message(user: int, text: str) -> dict[str, Any]:
    entities = (
        [{"offset": 0, "length": len(text), "type": "bot_command"}] if text[0] == "/" else []
    )
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "住民", "language_code": "ja"},
            "text": text,
            "entities": entities,
        },
    }


def vote(user: int, poll_id: int, position: int) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}",
            "from": {"id": user, "is_bot": False, "first_name": "住民", "language_code": "ja"},
            "chat_instance": "1",
            "data": f"vote:{poll_id}:{position}",
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private"},
                "text": "アンケート",
            },
        },
    }


def sample_questions() -> list[str]:
    """Residents' questions in their own words: the Tomioka evaluation set (out of scope too)."""
    from bot.answerer.evaluation import load_questions

    path = Path(__file__).resolve().parent.parent / "tests/answerer/questions_tomioka.yaml"
    return [question.text for question in load_questions(path)]


def mixed_updates(total: int, questions: bool = True) -> list[dict[str, Any]]:
    """From 2,000 residents (first contacts included): a third free-text questions (answered by
    the answerer), the rest half "/goals" and half votes on poll 1; without `questions`, half
    "/goals" and half votes."""
    rng = random.Random(7)
    asked = sample_questions() if questions else []
    updates = []
    for n in range(total):
        user = rng.randint(1, 2000)
        if asked and n % 3 == 0:
            updates.append(message(user, rng.choice(asked)))
        elif (n // 3 if asked else n) % 2:
            updates.append(message(user, "/goals"))
        else:
            updates.append(vote(user, 1, rng.randint(1, 3)))
    return updates


def seed_poll(db: Path | str) -> None:
    """A three-choice poll for the votes, made the way staff make one."""
    from bot.config import load_settings
    from bot.content import load_pack
    from bot.staff.actor import cli_actor
    from bot.staff.polls import PollSpec, create_poll
    from bot.storage import apply_migrations, open_database
    from bot.storage.polls import PollRepository

    async def run() -> None:
        settings = load_settings({"CHIIKI_DB": str(db)})
        database = await open_database(str(db))
        await apply_migrations(database, settings.migrations_dir)
        spec = PollSpec.model_validate(
            {
                "question": "公園の名前は？",
                "choices": ["さくら", "もみじ", "いちょう"],
                "closes_at": datetime.now(UTC) + timedelta(days=7),
            }
        )
        now = datetime.now(UTC)
        await create_poll(
            spec,
            PollRepository(database),
            load_pack(settings.content_dir, "tomioka"),
            now,
            actor=cli_actor(database),
        )
        await database.close()

    asyncio.run(run())


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


async def post(http: aiohttp.ClientSession, body: bytes) -> float:
    """Post one update; return how long the webhook took to answer."""
    started = time.perf_counter()
    async with http.post("/webhook/telegram", data=body, headers=_HEADERS) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")
    return time.perf_counter() - started


async def closed_loop(
    base: str, updates: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float]]:
    """Post every update with `concurrency` in flight; return (seconds, ack latencies)."""
    # aiohttp, not httpx, for the load: httpx's pool tops out near 800 requests a second here.
    bodies = iter([json.dumps(update).encode() for update in updates])
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as http:

        async def sender() -> None:
            for body in bodies:
                latencies.append(await post(http, body))

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


async def open_loop(
    base: str, updates: list[dict[str, Any]], rate: float
) -> tuple[list[float], dict[int, float]]:
    """Post at a fixed rate whatever the answers; return ack latencies and send times by chat."""
    latencies: list[float] = []
    sent_at: dict[int, float] = {}
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=500)) as http:

        async def timed(update: dict[str, Any]) -> None:
            sent_at[update["message"]["chat"]["id"]] = time.time()
            latencies.append(await post(http, json.dumps(update).encode()))

        start = time.perf_counter()
        tasks = []
        for n, update in enumerate(updates):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(timed(update)))
        await asyncio.gather(*tasks)
    return latencies, sent_at


def wait_handled(db: Path, total: int, seconds: float = 300) -> float:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if count(db, "SELECT count(*) FROM inbound_events WHERE handled_at IS NOT NULL") >= total:
            return time.perf_counter()
        time.sleep(0.02)
    raise RuntimeError("chiiki did not handle every update in time")


def sent_messages(fake_port: int) -> int:
    stats = httpx.get(f"http://127.0.0.1:{fake_port}/stats").json()
    return int(stats["telegram_methods"].get("sendMessage", 0))


def relayed(base: str, fake_port: int, updates: list[dict[str, Any]], concurrency: int) -> float:
    """The same load against the bare relay; updates a second until every reply reached the
    fake Bot API."""
    before = sent_messages(fake_port)
    start = time.perf_counter()
    asyncio.run(closed_loop(base, updates, concurrency))
    deadline = start + 300
    while sent_messages(fake_port) < before + len(updates):
        if time.perf_counter() > deadline:
            raise RuntimeError("the bare relay did not reply to every update in time")
        time.sleep(0.02)
    return len(updates) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument(
        "--no-questions",
        action="store_true",
        help="commands and votes only (no free-text questions), to compare",
    )
    parser.add_argument(
        "--profile", type=Path, help="sample the server with py-spy into this collapsed-stack file"
    )
    args = parser.parse_args()
    total, latency_seconds, rate = (20_000, 20, 300) if args.full else (3_000, 5, 300)

    work = Path(tempfile.mkdtemp(prefix="chiiki-bench-"))
    db = work / "chiiki.db"
    seed_poll(db)
    fake_port, chiiki_port, bare_port, relay_port = (free_port() for _ in range(4))
    env = {
        "CHIIKI_DB": str(db),
        "CHIIKI_PORT": str(chiiki_port),
        "CHIIKI_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{fake_port}/telegram/bot",
    }
    with (
        child(["-m", "bench.fake_platforms", str(fake_port)], {}, work / "fake.log") as fake,
        child(["-m", "bench.bare_server", str(bare_port)], {}, work / "bare.log") as bare,
        child(
            ["-m", "bench.bare_server", str(relay_port), f"{env['TELEGRAM_API_BASE']}{TOKEN}"],
            {},
            work / "relay.log",
        ) as relay,
        child(["-m", "bot", "serve"], env, work / "chiiki.log") as server,
    ):
        wait_ready(f"http://127.0.0.1:{fake_port}/stats", fake, work / "fake.log")
        wait_ready(f"http://127.0.0.1:{bare_port}/healthz", bare, work / "bare.log")
        wait_ready(f"http://127.0.0.1:{relay_port}/healthz", relay, work / "relay.log")
        wait_ready(f"http://127.0.0.1:{chiiki_port}/healthz", server, work / "chiiki.log")
        chiiki_base, bare_base = f"http://127.0.0.1:{chiiki_port}", f"http://127.0.0.1:{bare_port}"

        updates = mixed_updates(total, questions=not args.no_questions)
        profiler = None
        if args.profile:
            profiler = subprocess.Popen(
                [
                    # The virtualenv's own py-spy (a dev dependency), found without PATH.
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--output",
                    str(args.profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        start = time.perf_counter()
        ack_seconds, chiiki_latencies = asyncio.run(
            closed_loop(chiiki_base, updates, args.concurrency)
        )
        handled_at = wait_handled(db, total)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        end_to_end = total / (handled_at - start)
        bare_seconds, bare_latencies = asyncio.run(
            closed_loop(bare_base, [message(1, "/goals") for _ in range(total)], args.concurrency)
        )
        bare_rate = total / bare_seconds
        relay_rate = relayed(
            f"http://127.0.0.1:{relay_port}", fake_port, updates, args.concurrency
        )

        # Latency at a steady 300 a second, one new resident per update.
        steady = [message(1_000_000 + n, "/goals") for n in range(int(rate * latency_seconds))]
        before = count(db, "SELECT count(*) FROM inbound_events WHERE handled_at IS NOT NULL")
        steady_latencies, sent_at = asyncio.run(open_loop(chiiki_base, steady, rate))
        wait_handled(db, before + len(steady))
        stats = httpx.get(f"http://127.0.0.1:{fake_port}/stats").json()
        replied = stats["telegram_first_sent_at"]
        e2e = [replied[str(chat)] - at for chat, at in sent_at.items() if str(chat) in replied]
        voters = count(db, "SELECT count(DISTINCT resident_id) FROM ballots")
        expected_voters = len(
            {u["callback_query"]["from"]["id"] for u in updates if "callback_query" in u}
        )
        server_peak = peak_rss_mb(server.pid)
        server_file = rss_file_mb(server.pid)

    ms = 1000
    figures = {
        "updates": total,
        "free-text questions among them": sum(
            1 for u in updates if "message" in u and not u["message"]["text"].startswith("/")
        ),
        "handled end to end (updates/s)": round(end_to_end, 1),
        "webhook answered (updates/s)": round(total / ack_seconds, 1),
        "webhook p50 latency at full load (ms)": round(percentile(chiiki_latencies, 0.5) * ms, 2),
        "webhook p99 latency at full load (ms)": round(percentile(chiiki_latencies, 0.99) * ms, 2),
        "bare starlette (requests/s)": round(bare_rate, 1),
        "bare p50 latency (ms)": round(percentile(bare_latencies, 0.5) * ms, 2),
        "bare p99 latency (ms)": round(percentile(bare_latencies, 0.99) * ms, 2),
        "chiiki end to end / bare": round(end_to_end / bare_rate, 3),
        "bare relay, reply sent, nothing stored (updates/s)": round(relay_rate, 1),
        "chiiki end to end / bare relay": round(end_to_end / relay_rate, 3),
        f"webhook p50 at {rate}/s (ms)": round(percentile(steady_latencies, 0.5) * ms, 2),
        f"webhook p99 at {rate}/s (ms)": round(percentile(steady_latencies, 0.99) * ms, 2),
        f"reply p50 at {rate}/s, post to sendMessage (ms)": round(percentile(e2e, 0.5) * ms, 2),
        f"reply p99 at {rate}/s, post to sendMessage (ms)": round(percentile(e2e, 0.99) * ms, 2),
        "voters stored / voters who voted": f"{voters} / {expected_voters}",
        "server peak RSS (MB)": round(server_peak, 1),
        "server RSS file-backed at the end (MB; the dictionary's mapped pages)": round(
            server_file, 1
        ),
    }
    goals = {
        "at least 1,000 updates/s handled end to end": end_to_end >= 1000,
        f"p99 under 50 ms at {rate}/s (reply sent)": percentile(e2e, 0.99) < 0.05,
        "every vote stored": voters == expected_voters,
        "server peak RSS under 300 MB": server_peak < 300,
    }
    report("webhook", figures, goals)


if __name__ == "__main__":
    main()
