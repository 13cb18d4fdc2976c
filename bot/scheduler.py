"""APScheduler as a timer only: it wakes functions; the database says what is due.

APScheduler 3 drops a date job the moment it hands it to the executor and skips jobs later
than misfire_grace_time, so nothing durable lives here: at start, and every sweep, timers are
armed again from the database, and every job re-reads the database before acting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics
from bot.core.clock import Clock
from bot.storage.polls import PollRepository
from bot.storage.reminders import ReminderKey, Reminders

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60
# Reminder timers are armed only this far ahead: every sweep arms the next stretch, so 100,000
# reminders spread over months cost the scheduler a few timers, not 100,000.
TIMER_HORIZON = timedelta(seconds=3 * SWEEP_SECONDS)

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

    def daily(self, job_id: str, at: time, job: Job, *args: Any) -> None:
        """Wake `job(*args)` every day at `at`, in the scheduler's time zone."""
        self._scheduler.add_job(
            job,
            "cron",
            hour=at.hour,
            minute=at.minute,
            id=job_id,
            replace_existing=True,
            args=args,
        )

    def every(self, job_id: str, seconds: float, job: Job, *args: Any) -> None:
        self._scheduler.add_job(
            job, "interval", seconds=seconds, id=job_id, replace_existing=True, args=args
        )

    def job_ids(self) -> set[str]:
        return {job.id for job in self._scheduler.get_jobs()}


@dataclass(frozen=True)
class Duties:
    """What the timers look after, and what they need to do it."""

    polls: PollRepository
    reminders: Reminders  # every kind (events, watch shifts), fired by one path
    reminder_grace: timedelta
    wake_delivery: Callable[[], None]
    clock: Clock


async def close_due_polls(duties: Duties) -> list[int]:
    closed = await duties.polls.close_due(duties.clock())
    for poll_id in closed:
        logger.info("poll %d closed at its closing time", poll_id)
    return closed


async def fire_due_reminders(duties: Duties) -> list[ReminderKey]:
    """Queue due reminders of every kind in the outbox (once each); skip and log the ones too
    late or no longer of use."""
    outcome = await duties.reminders.fire_due(duties.clock(), duties.reminder_grace)
    metrics.REMINDERS.labels("fired").inc(len(outcome.queued))
    metrics.REMINDERS.labels("skipped").inc(len(outcome.skipped))
    for skipped in outcome.skipped:
        logger.warning(
            "%s reminder %d due %s skipped: more than %s late (or it has begun or was cancelled)",
            skipped.key.kind,
            skipped.key.id,
            skipped.due_at.isoformat(),
            duties.reminder_grace,
        )
    if outcome.queued:
        logger.info("queued %d reminder(s)", len(outcome.queued))
        duties.wake_delivery()
    return outcome.queued


async def sweep(timers: Timers, duties: Duties) -> None:
    """Do what is due, and arm a timer for everything still ahead (new rows included)."""
    await close_due_polls(duties)
    await fire_due_reminders(duties)
    for poll in await duties.polls.still_open():
        timers.at(f"poll-close:{poll.id}", poll.closes_at, close_due_polls, duties)
    # One timer per instant: a thousand reminders due together are queued by one wake-up.
    for due in await duties.reminders.due_times(duties.clock() + TIMER_HORIZON):
        timers.at(f"reminders-at:{due.isoformat()}", due, fire_due_reminders, duties)


async def start_timers(timers: Timers, duties: Duties) -> None:
    """Re-arm everything from the database, then keep sweeping for what others added."""
    await sweep(timers, duties)
    timers.every("sweep", SWEEP_SECONDS, sweep, timers, duties)
    timers.start()
