"""The inbox worker: every platform event is stored first, then handled once.

A webhook stores its events (InboundEventRepository.accept) and answers 200 at once; the
events are then handled in the background. A redelivered event id is refused by the database;
an event left unhandled by a crash is picked up again at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from bot.channels.base import PlatformChannel
from bot.core.clock import Clock
from bot.storage.inbound_events import MAX_ATTEMPTS, InboundEventRepository

logger = logging.getLogger(__name__)

# A failed event is tried again after 1, 2, 4 … seconds.
RETRY_SECONDS = 1.0


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
    ) -> None:
        self._events = events
        self._channels = channels
        self._clock = clock
        self._locks = _KeyedLocks()
        # Keep references: asyncio holds tasks weakly, and a collected task stops mid-run.
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: set[asyncio.TimerHandle] = set()

    async def accept(self, channel: str, events: list[tuple[str, dict[str, Any]]]) -> int:
        """Store events and start handling the new ones; return how many were new."""
        fresh = await self._events.accept(channel, events, self._clock())
        for event_id in fresh:
            self._spawn(channel, event_id)
        duplicates = len(events) - len(fresh)
        if duplicates:
            logger.info("ignored %d redelivered %s event(s)", duplicates, channel)
        return len(fresh)

    async def resume_pending(self) -> int:
        """Start handling what an earlier run stored but did not finish."""
        pending = await self._events.pending()
        for channel, event_id in pending:
            self._spawn(channel, event_id)
        if pending:
            logger.info("resuming %d unhandled event(s) from before the restart", len(pending))
        return len(pending)

    async def drain(self) -> None:
        """Wait until every event started so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def stop_retries(self) -> None:
        """At shutdown: retries not yet due are left to the next start."""
        for handle in self._retries:
            handle.cancel()
        self._retries.clear()

    def _retry_later(self, channel: str, event_id: str, delay: float) -> None:
        def retry() -> None:
            self._retries.discard(handle)
            self._spawn(channel, event_id)

        handle = asyncio.get_running_loop().call_later(delay, retry)
        self._retries.add(handle)

    def _spawn(self, channel: str, event_id: str) -> None:
        task = asyncio.create_task(self._handle(channel, event_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, channel: str, event_id: str) -> None:
        platform = self._channels.get(channel)
        if platform is None:
            logger.warning("no %s channel configured; event %s stays pending", channel, event_id)
            return
        event = await self._events.start_attempt(channel, event_id)
        if event is None:
            return
        key = platform.ordering_key(event.payload) or f"event:{event_id}"
        async with self._locks.hold(f"{channel}:{key}"):
            try:
                await platform.process(event.payload)
            except Exception:
                # Left pending and tried again shortly (the database may have been busy, the
                # platform down), and again at the next start: MAX_ATTEMPTS in all.
                logger.exception(
                    "%s event %s failed (attempt %d)", channel, event_id, event.attempts
                )
                if event.attempts < MAX_ATTEMPTS:
                    self._retry_later(channel, event_id, RETRY_SECONDS * 2 ** (event.attempts - 1))
                return
        await self._events.mark_handled(channel, event_id, self._clock())
