"""PostgreSQL with 1, 2 and 4 chiiki instances on one database: webhook and broadcast
throughput, and how they scale.

Each run starts N `chiiki serve` processes on a fresh database of a throwaway PostgreSQL
cluster (durable as SQLite's default: synchronous_commit off, fsync on). The load generator
spreads Telegram updates over the instances as a load balancer would, and then a broadcast is
queued for the instances' delivery workers to share (fake platforms, limits off). With more
than one instance, a second broadcast follows and one instance is killed (-9) while it holds
claims: the failover figure is how long its claims stay held before another takes them.

    python -m bench.instances            # small: 2,000 updates, 6,000 recipients per run
    python -m bench.instances --full     # 10,000 updates, 30,000 recipients per run
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import child, free_port, report, wait_ready
from bench.webhook import CONCURRENCY, SECRET, TOKEN, closed_loop, mixed_updates, seed_poll
from bot.config import load_settings
from bot.runtime import open_runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.timestamps import to_db
from tests.pg_cluster import Cluster

INSTANCES = (1, 2, 4)
FIRST_BROADCAST_CHAT = 5_000_000


def count(cluster: Cluster, database: str, sql: str) -> int:
    return int(cluster.psql(sql, database).strip())


def wait_for(cluster: Cluster, database: str, sql: str, total: int, seconds: float = 300) -> float:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if count(cluster, database, sql) >= total:
            return time.perf_counter()
        time.sleep(0.05)
    raise RuntimeError(f"not reached in {seconds}s: {sql}")


async def seed_recipients(url: str, recipients: int) -> None:
    stamp = to_db(datetime(2026, 11, 1, tzinfo=UTC))
    settings = load_settings({"CHIIKI_DB": url})
    async with open_runtime(settings, serving=False) as runtime, runtime.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO residents (channel, platform_user_id, created_at, updated_at)"
            " VALUES ('telegram', ?, ?, ?)",
            [(str(FIRST_BROADCAST_CHAT + n), stamp, stamp) for n in range(recipients)],
        )


async def queue_broadcast(url: str) -> None:
    async with open_runtime(load_settings({"CHIIKI_DB": url}), serving=False) as runtime:
        await runtime.broadcasts.create(
            NewBroadcast("notice", "【富岡市からのお知らせ】台風に備えてください。"),
            datetime.now(UTC),
        )


async def spread(bases: list[str], updates: list[dict[str, object]]) -> None:
    """The updates dealt out to the instances in turn, as a load balancer would."""
    share = max(1, CONCURRENCY // len(bases))
    await asyncio.gather(
        *(closed_loop(base, updates[i :: len(bases)], share) for i, base in enumerate(bases))
    )


def one_run(
    cluster: Cluster, work: Path, instances: int, total: int, recipients: int
) -> dict[str, Any]:
    database = f"bench_{instances}"
    cluster.psql(f"CREATE DATABASE {database}")
    url = cluster.database_url(database)
    seed_poll(url)
    asyncio.run(seed_recipients(url, recipients))
    fake_port = free_port()
    env = {
        "CHIIKI_DB": url,
        "CHIIKI_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{fake_port}/telegram/bot",
        "CHIIKI_TELEGRAM_RATE": "1000000",
    }
    with ExitStack() as stack:
        fake_log = work / f"fake{instances}.log"
        fake = stack.enter_context(
            child(["-m", "bench.fake_platforms", str(fake_port)], {}, fake_log)
        )
        wait_ready(f"http://127.0.0.1:{fake_port}/stats", fake, fake_log)
        bases = []
        servers = []
        for n in range(instances):
            port = free_port()
            log = work / f"chiiki{instances}-{n}.log"
            server_env = {**env, "CHIIKI_PORT": str(port), "CHIIKI_INSTANCE": f"i{n}"}
            server = stack.enter_context(child(["-m", "bot", "serve"], server_env, log))
            wait_ready(f"http://127.0.0.1:{port}/healthz", server, log)
            bases.append(f"http://127.0.0.1:{port}")
            servers.append(server)

        updates = mixed_updates(total)
        started = time.perf_counter()
        asyncio.run(spread(bases, updates))
        handled = "SELECT count(*) FROM inbound_events WHERE handled_at IS NOT NULL"
        webhook_rate = total / (wait_for(cluster, database, handled, total) - started)

        asyncio.run(queue_broadcast(url))  # the instances' workers find it in their next round
        # Everyone gets it: the seeded recipients and the residents the updates created.
        queued = count(cluster, database, "SELECT count(*) FROM outbox")
        sent = "SELECT count(*) FROM outbox WHERE state = 'sent'"
        wait_for(cluster, database, sent, queued)
        stats = httpx.get(f"http://127.0.0.1:{fake_port}/stats").json()
        times = [
            at
            for chat, at in stats["telegram_first_sent_at"].items()
            if int(chat) >= FIRST_BROADCAST_CHAT
        ]
        senders = count(
            cluster, database, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE state = 'sent'"
        )
        takeover = failover(cluster, database, url, servers[0]) if instances > 1 else None
    return {
        "webhook": webhook_rate,
        "broadcast": (len(times) - 1) / (max(times) - min(times)),
        "senders": senders,
        "delivered": len(times),
        "takeover": takeover,
    }


def failover(cluster: Cluster, database: str, url: str, victim: subprocess.Popen[bytes]) -> float:
    """Kill -9 instance i0 while it holds claims of a new broadcast; seconds until they pass
    to the others (its heartbeat goes stale), and every row still gets sent."""
    asyncio.run(queue_broadcast(url))
    held = "SELECT count(*) FROM outbox WHERE state = 'sending' AND claimed_by LIKE 'i0/%'"
    wait_for(cluster, database, held, 1, seconds=60)
    victim.kill()
    victim.wait()
    killed_at = time.perf_counter()
    while count(cluster, database, held):
        if time.perf_counter() - killed_at > 120:
            raise RuntimeError("the killed instance's claims were never taken over")
        time.sleep(0.1)
    takeover = time.perf_counter() - killed_at
    total = count(cluster, database, "SELECT count(*) FROM outbox")
    wait_for(cluster, database, "SELECT count(*) FROM outbox WHERE state = 'sent'", total)
    return takeover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    total, recipients = (10_000, 30_000) if args.full else (2_000, 6_000)
    work = Path(tempfile.mkdtemp(prefix="chiiki-bench-"))
    cluster = Cluster(durable=True).start()
    try:
        runs = {n: one_run(cluster, work, n, total, recipients) for n in INSTANCES}
    finally:
        cluster.stop()
    figures: dict[str, object] = {"updates per run": total, "recipients per run": recipients}
    for n, run in runs.items():
        figures[f"webhook, {n} instance(s) (updates/s)"] = round(run["webhook"], 1)
        figures[f"broadcast, {n} instance(s) (Telegram sends/s)"] = round(run["broadcast"], 1)
        figures[f"instances that sent, of {n}"] = int(run["senders"])
        if run["takeover"] is not None:
            figures[f"failover after kill -9, {n} instances (s)"] = round(run["takeover"], 1)
    for n in INSTANCES[1:]:
        figures[f"webhook scaling, {n} / 1"] = round(runs[n]["webhook"] / runs[1]["webhook"], 2)
        figures[f"broadcast scaling, {n} / 1"] = round(
            runs[n]["broadcast"] / runs[1]["broadcast"], 2
        )
    goals = {
        "every recipient reached once in every run": all(
            run["delivered"] == recipients for run in runs.values()
        ),
        "every instance took part in the broadcast": all(
            runs[n]["senders"] == n for n in INSTANCES
        ),
        "a killed instance's claims pass within 15 s": all(
            run["takeover"] is None or run["takeover"] < 15 for run in runs.values()
        ),
    }
    report("instances", figures, goals)


if __name__ == "__main__":
    main()
