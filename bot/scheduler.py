"""APScheduler as a timer only: it wakes functions; the database says what is due.

APScheduler 3 drops a date job the moment it hands it to the executor and skips jobs later
than misfire_grace_time, so nothing durable lives here: at start, and every sweep, timers are
armed again from the database, and every job re-reads the database before acting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import Clock
from bot.storage.polls import PollRepository

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60

Job = Callable[..., Awaitable[Any]]


class Timers:
    def __init__(self, timezone: ZoneInfo) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=timezone,
            # A late timer still fires: the job itself decides from the database what is due.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def at(self, job_id: str, when: datetime, job: Job, *args: Any) -> None:
        """Wake `job(*args)` at `when`; the same id replaces the earlier timer."""
        self._scheduler.add_job(
            job, "date", run_date=when, id=job_id, replace_existing=True, args=args
        )

    def every(self, job_id: str, seconds: float, job: Job, *args: Any) -> None:
        self._scheduler.add_job(
            job, "interval", seconds=seconds, id=job_id, replace_existing=True, args=args
        )

    def job_ids(self) -> set[str]:
        return {job.id for job in self._scheduler.get_jobs()}


async def close_due_polls(polls: PollRepository, clock: Clock) -> list[int]:
    closed = await polls.close_due(clock())
    for poll_id in closed:
        logger.info("poll %d closed at its closing time", poll_id)
    return closed


async def sweep_polls(timers: Timers, polls: PollRepository, clock: Clock) -> None:
    """Close what is due, and arm a timer for every poll still open (new ones included)."""
    await close_due_polls(polls, clock)
    for poll in await polls.still_open():
        timers.at(f"poll-close:{poll.id}", poll.closes_at, close_due_polls, polls, clock)


async def start_timers(timers: Timers, polls: PollRepository, clock: Clock) -> None:
    """Re-arm everything from the database, then keep sweeping for what others added."""
    await sweep_polls(timers, polls, clock)
    timers.every("sweep", SWEEP_SECONDS, sweep_polls, timers, polls, clock)
    timers.start()
