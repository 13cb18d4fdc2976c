"""The inbox worker: every platform event is stored first, then handled once.

A webhook stores its events (InboundEventRepository.accept) and answers 200 at once; the
events are then handled in the background. A redelivered event id is refused by the database,
so the same update reaching two instances is handled by one. An event is claimed by the
instance handling it: one left unhandled by a crash is picked up by that instance at its next
start, or by another as soon as the instance's heartbeat (its delivery worker's) is older than
the lease (`resume_pending`, which the runtime also runs every half lease).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from bot import metrics
from bot.channels.base import PlatformChannel
from bot.core.clock import Clock
from bot.storage.database import is_busy
from bot.storage.group_commit import GroupCommit
from bot.storage.inbound_events import MAX_ATTEMPTS, InboundEvent, InboundEventRepository

logger = logging.getLogger(__name__)

# A failed event is tried again after 1, 2, 4 … seconds.
RETRY_SECONDS = 1.0
Event = tuple[str, str, dict[str, Any], str | None]  # channel, event id, payload, sender


class _KeyedLocks:
    """One lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class InboundProcessor:
    def __init__(
        self,
        events: InboundEventRepository,
        channels: Mapping[str, PlatformChannel],
        clock: Clock,
        owner: str = "chiiki",
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._events = events
        self._channels = channels
        self._clock = clock
        self._owner = owner  # this instance's name, the same across its restarts
        self._lease = lease
        # Events being handled here now: never started a second time alongside.
        self._running: set[tuple[str, str]] = set()
        self._locks = _KeyedLocks()
        # Keep references: asyncio holds tasks weakly, and a collected task stops mid-run.
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: dict[tuple[str, str], asyncio.TimerHandle] = {}
        # Webhooks arriving together are stored in one statement, and handled events marked
        # in one transaction: under load the database is not asked once per event.
        self._storing: GroupCommit[Event, bool] = GroupCommit(self._store)
        self._marking: GroupCommit[tuple[str, str], None] = GroupCommit(self._mark_handled)
        # False once shutdown begins: webhooks are answered 503 and the platform sends again.
        self.accepting = True

    def stop_accepting(self) -> None:
        """At shutdown: take no more events (webhooks answer 503, platforms deliver again)."""
        self.accepting = False

    async def accept(self, channel: str, events: list[tuple[str, dict[str, Any]]]) -> int:
        """Store events and start handling the new ones; return how many were new.

        Returns only once they are stored, so the platform is answered 200 only then."""
        # The ordering key is the sender's platform user id: kept with the payload, so /forget
        # finds their events still waiting.
        platform = self._channels.get(channel)
        fresh = await self._storing.add_all(
            [
                (channel, i, payload, platform.ordering_key(payload) if platform else None)
                for i, payload in events
            ]
        )
        for (event_id, payload), new in zip(events, fresh, strict=True):
            if new:
                self._spawn(channel, event_id, payload)
        duplicates = fresh.count(False)
        if len(events) > duplicates:
            metrics.for_channel(channel).received.inc(len(events) - duplicates)
        if duplicates:
            logger.info("ignored %d redelivered %s event(s)", duplicates, channel)
        return len(events) - duplicates

    async def _store(self, events: list[Event]) -> list[bool]:
        return await self._events.accept(
            [(channel, event_id, payload) for channel, event_id, payload, _ in events],
            self._clock(),
            self._owner,
            [sender for *_, sender in events],
        )

    async def _mark_handled(self, keys: list[tuple[str, str]]) -> list[None]:
        await self._events.mark_handled(keys, self._clock())
        return [None] * len(keys)

    async def resume_pending(self) -> int:
        """Start handling what this instance (before a restart) or a stopped one left behind."""
        pending = [
            key
            for key in await self._events.pending(self._owner, self._clock() - self._lease)
            if key not in self._running and key not in self._retries
        ]
        for channel, event_id in pending:
            self._spawn(channel, event_id)
        if pending:
            logger.info("resuming %d unhandled event(s) left by a stopped run", len(pending))
        return len(pending)

    async def drain(self) -> None:
        """Wait until every event started so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def stop_retries(self) -> None:
        """At shutdown: retries not yet due are left to the next start."""
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()

    def _retry_later(self, channel: str, event_id: str, delay: float) -> None:
        key = (channel, event_id)

        def retry() -> None:
            del self._retries[key]
            self._spawn(channel, event_id)

        self._retries[key] = asyncio.get_running_loop().call_later(delay, retry)

    def _spawn(self, channel: str, event_id: str, payload: dict[str, Any] | None = None) -> None:
        """Handle an event: a new one from `payload` (stored with its first attempt counted),
        one from the database (a retry, or left by a stop) by claiming it again."""
        key = (channel, event_id)
        if key in self._running:
            return
        self._running.add(key)
        task = asyncio.create_task(self._handle(channel, event_id, payload))
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._running.discard(key)

        task.add_done_callback(done)

    async def _handle(self, channel: str, event_id: str, payload: dict[str, Any] | None) -> None:
        platform = self._channels.get(channel)
        if platform is None:
            logger.warning("no %s channel configured; event %s stays pending", channel, event_id)
            return
        if payload is not None:
            event: InboundEvent | None = InboundEvent(channel, event_id, payload, attempts=1)
        else:
            now = self._clock()
            event = await self._events.start_attempt(
                channel, event_id, self._owner, now, now - self._lease
            )
        if event is None:
            return
        key = platform.ordering_key(event.payload) or f"event:{event_id}"
        counted = metrics.for_channel(channel)
        async with self._locks.hold(f"{channel}:{key}"):
            started = time.perf_counter()
            try:
                await platform.process(event.payload)
            except Exception as exc:
                counted.failed.inc()
                if is_busy(exc):
                    metrics.DATABASE_BUSY.labels("inbox").inc()
                # Left pending and tried again shortly (the database may have been busy, the
                # platform down), and again at the next start: MAX_ATTEMPTS in all.
                logger.exception(
                    "%s event %s failed (attempt %d)",
                    channel,
                    event_id,
                    event.attempts,
                    extra={"channel": channel, "event_id": event_id, "attempt": event.attempts},
                )
                if event.attempts < MAX_ATTEMPTS:
                    self._retry_later(channel, event_id, RETRY_SECONDS * 2 ** (event.attempts - 1))
                else:
                    # Given up: the resident's text and id in the payload go now.
                    try:
                        await self._events.give_up(channel, event_id)
                    except Exception:
                        logger.exception("could not drop given-up %s event %s", channel, event_id)
                return
            counted.handling_seconds.observe(time.perf_counter() - started)
        counted.handled.inc()
        await self._marking.add((channel, event_id))
