"""Reminder timers: re-arming many pending reminders at start, and lateness of a burst.

1. N pending reminders spread over the next 30 days: the time `start_timers` takes (it arms
   only the next minutes, one timer per instant) and the memory it adds; for comparison, the
   time to arm every reminder as its own APScheduler job.
2. 1,000 reminders falling due within one window: how late each was handed to the outbox
   (settled_at - due_at), with the real clock.

    python -m bench.scheduler            # small: 20,000 pending; 1,000 due within 10 s
    python -m bench.scheduler --full     # 100,000 pending; 1,000 due within 60 s
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import percentile, report, rss_mb
from bot.config import load_settings
from bot.runtime import open_runtime
from bot.scheduler import Timers, fire_due_reminders, start_timers
from bot.storage.timestamps import to_db


def seed(db: Path, reminders: int, first_due: datetime, spread: timedelta) -> None:
    """Events two by two reminders, due evenly over `spread` from `first_due`."""
    events = (reminders + 1) // 2
    starts = first_due + spread + timedelta(days=1)
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO events (id, title_ja, place_ja, starts_at, created_at)"
            " VALUES (?, '地域づくり協議会', '市役所', ?, ?)",
            [(n + 1, to_db(starts), to_db(first_due)) for n in range(events)],
        )
        step = spread / max(1, reminders)
        conn.executemany(
            "INSERT INTO reminders (event_id, due_at) VALUES (?, ?)",
            [(n // 2 + 1, to_db(first_due + n * step)) for n in range(reminders)],
        )


async def rearm(env: dict[str, str], pending: int) -> dict[str, object]:
    settings = load_settings(env)
    async with open_runtime(settings, serving=False) as runtime:
        before = rss_mb()
        started = time.perf_counter()
        await start_timers(runtime.timers, runtime.duties)
        seconds = time.perf_counter() - started
        armed = len(runtime.timers.job_ids())
        growth = rss_mb() - before
        runtime.timers.shutdown()

        every = Timers(settings.tz)
        due_times = await runtime.duties.reminders.due_times(
            datetime.now(UTC) + timedelta(days=31)
        )
        started = time.perf_counter()
        for n, due in enumerate(due_times):
            every.at(f"each:{n}", due, fire_due_reminders, runtime.duties)
        naive = time.perf_counter() - started
    return {
        "pending reminders": pending,
        "start_timers re-arm (ms)": round(1000 * seconds, 1),
        "timers armed (next minutes only)": armed,
        "memory added by re-arm (MB)": round(growth, 1),
        "arming each reminder as its own job (s)": round(naive, 2),
    }


async def burst(env: dict[str, str], db: Path, count: int, window: float) -> dict[str, object]:
    settings = load_settings(env)
    async with open_runtime(settings, serving=True):
        deadline = time.monotonic() + window + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                rows = conn.execute(
                    "SELECT due_at, settled_at FROM reminders WHERE state != 'pending'"
                ).fetchall()
            if len(rows) >= count:
                break
            await asyncio.sleep(0.2)
    late = [
        (datetime.fromisoformat(settled) - datetime.fromisoformat(due)).total_seconds()
        for due, settled in rows
    ]
    return {
        "reminders due in the window": count,
        "window (s)": window,
        "handed to the outbox": len(rows),
        "lateness p50 (ms)": round(1000 * percentile(late, 0.5), 1),
        "lateness p99 (ms)": round(1000 * percentile(late, 0.99), 1),
        "lateness max (ms)": round(1000 * max(late, default=float("nan")), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    pending, window = (100_000, 60.0) if args.full else (20_000, 10.0)
    burst_size = 1000

    work = Path(tempfile.mkdtemp(prefix="chiiki-bench-"))
    env = {"CHIIKI_DB": str(work / "rearm.db"), "CHIIKI_LOG_LEVEL": "WARNING"}
    asyncio.run(_migrate(env))
    seed(work / "rearm.db", pending, datetime.now(UTC) + timedelta(minutes=1), timedelta(days=30))
    figures = asyncio.run(rearm(env, pending))

    env = {"CHIIKI_DB": str(work / "burst.db"), "CHIIKI_LOG_LEVEL": "WARNING"}
    asyncio.run(_migrate(env))
    seed(
        work / "burst.db",
        burst_size,
        datetime.now(UTC) + timedelta(seconds=5),
        timedelta(seconds=window),
    )
    figures |= asyncio.run(burst(env, work / "burst.db", burst_size, window))
    goals = {
        f"re-arm {pending:,} reminders under 5 s": figures["start_timers re-arm (ms)"] < 5000,  # type: ignore[operator]
        "every reminder of the burst handed over": figures["handed to the outbox"] == burst_size,
        "lateness p99 under 1 s": figures["lateness p99 (ms)"] < 1000,  # type: ignore[operator]
    }
    report("scheduler", figures, goals)


async def _migrate(env: dict[str, str]) -> None:
    async with open_runtime(load_settings(env), serving=False):
        pass


if __name__ == "__main__":
    main()
