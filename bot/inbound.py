"""The inbox worker: every platform event is stored first, then handled once.

A webhook reads its events with the channel's adapter, stores them
(InboundEventRepository.accept) and answers 200 at once; the events are then handled in the
background by the pipeline (bot/pipeline.py). The turn's replies are stored with the event
before they are sent, so a failed send is tried again as a send, never as a second turn; and
as a reply of several messages goes out, how many were delivered is kept with them, so the
retry starts at the first message that was not (bot/channels/base.py SendProgress).

A redelivered event id is refused by the database, so the same update reaching two instances
is handled by one. An event is claimed by the instance handling it: one left unhandled by a
crash is picked up by that instance at its next start, or by another as soon as the
instance's heartbeat (its delivery worker's) is older than the lease (`resume_pending`, which
the runtime also runs every half lease).
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
from bot.channels.base import ChannelAdapter, ChannelEvent, SendProgress, TurnSend
from bot.core import Channel, Reply
from bot.core.clock import Clock
from bot.core.reply_json import dump_replies, load_replies
from bot.pipeline import Pipeline
from bot.storage.database import is_busy
from bot.storage.group_commit import GroupCommit
from bot.storage.inbound_events import MAX_ATTEMPTS, InboundEventRepository

logger = logging.getLogger(__name__)

# A failed event is tried again after 1, 2, 4 … seconds.
RETRY_SECONDS = 1.0
Stored = tuple[str, str, dict[str, Any], str | None]  # channel, event id, payload, sender
Answered = tuple[str, str, str]  # channel, event id, replies (JSON)
Progressed = tuple[str, str, int, bool]  # channel, event id, messages delivered, reply unclear
# A payload as the platform sent it, with the event its adapter read from it.
ReadEvent = tuple[dict[str, Any], ChannelEvent[Any]]


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
        channels: Mapping[str, ChannelAdapter[Any]],
        pipeline: Pipeline,
        clock: Clock,
        owner: str = "chiiki",
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._events = events
        self._channels = channels
        self._pipeline = pipeline
        self._clock = clock
        self._owner = owner  # this instance's name, the same across its restarts
        self._lease = lease
        # Events being handled here now: never started a second time alongside.
        self._running: set[tuple[str, str]] = set()
        self._locks = _KeyedLocks()
        # Keep references: asyncio holds tasks weakly, and a collected task stops mid-run.
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: dict[tuple[str, str], asyncio.TimerHandle] = {}
        # Webhooks arriving together are stored in one statement, their replies in another and
        # handled events marked in a third: under load the database is not asked once per event.
        self._storing: GroupCommit[Stored, bool] = GroupCommit(self._store)
        self._answering: GroupCommit[Answered, None] = GroupCommit(self._store_replies)
        self._marking: GroupCommit[tuple[str, str], None] = GroupCommit(self._mark_handled)
        self._progressing: GroupCommit[Progressed, None] = GroupCommit(self._record_progress)
        # False once shutdown begins: webhooks are answered 503 and the platform sends again.
        self.accepting = True

    def stop_accepting(self) -> None:
        """At shutdown: take no more events (webhooks answer 503, platforms deliver again)."""
        self.accepting = False

    async def accept(self, channel: str, events: list[ReadEvent]) -> int:
        """Store events (each payload with the event its adapter read from it) and start
        handling the new ones; return how many were new.

        Returns only once they are stored, so the platform is answered 200 only then."""
        # The sender (the platform user id) is kept with the payload, so /forget finds their
        # events still waiting.
        fresh = await self._storing.add_all(
            [(channel, event.event_id, payload, event.sender) for payload, event in events]
        )
        for (_, event), new in zip(events, fresh, strict=True):
            if new:
                self._spawn(channel, event.event_id, event)
        duplicates = fresh.count(False)
        if len(events) > duplicates:
            metrics.for_channel(channel).received.inc(len(events) - duplicates)
        if duplicates:
            logger.info("ignored %d redelivered %s event(s)", duplicates, channel)
        return len(events) - duplicates

    async def _store(self, events: list[Stored]) -> list[bool]:
        return await self._events.accept(
            [(channel, event_id, payload) for channel, event_id, payload, _ in events],
            self._clock(),
            self._owner,
            [sender for *_, sender in events],
        )

    async def _store_replies(self, answered: list[Answered]) -> list[None]:
        await self._events.store_replies(answered)
        return [None] * len(answered)

    async def _record_progress(self, progress: list[Progressed]) -> list[None]:
        await self._events.record_progress(progress)
        return [None] * len(progress)

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

    def _spawn(self, channel: str, event_id: str, event: ChannelEvent[Any] | None = None) -> None:
        """Handle an event: a new one as read (stored with its first attempt counted), one
        from the database (a retry, or left by a stop) by claiming it again."""
        key = (channel, event_id)
        if key in self._running:
            return
        self._running.add(key)
        task = asyncio.create_task(self._handle(channel, event_id, event))
        self._tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._running.discard(key)

        task.add_done_callback(done)

    async def _handle(self, channel: str, event_id: str, event: ChannelEvent[Any] | None) -> None:
        adapter = self._channels.get(channel)
        if adapter is None:
            logger.warning("no %s channel configured; event %s stays pending", channel, event_id)
            return
        attempts, replies, done = 1, None, SendProgress()
        if event is None:
            now = self._clock()
            stored = await self._events.start_attempt(
                channel, event_id, self._owner, now, now - self._lease
            )
            if stored is None:
                return
            attempts = stored.attempts
            # Answered before, and the send failed: the same replies are sent again.
            replies = load_replies(stored.replies) if stored.replies is not None else None
            done = SendProgress(stored.parts_sent, stored.reply_unclear)
            event = adapter.read(stored.payload)
            if event is None:  # not stored without an event id; only a changed adapter could
                await self._marking.add((channel, event_id))
                return
        key = event.sender or f"event:{event_id}"
        counted = metrics.for_channel(channel)
        async with self._locks.hold(f"{channel}:{key}"):
            started = time.perf_counter()
            try:
                await self._run(Channel(channel), adapter, event, replies, done)
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
                    attempts,
                    extra={"channel": channel, "event_id": event_id, "attempt": attempts},
                )
                if attempts < MAX_ATTEMPTS:
                    self._retry_later(channel, event_id, RETRY_SECONDS * 2 ** (attempts - 1))
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

    async def _run(
        self,
        channel: Channel,
        adapter: ChannelAdapter[Any],
        event: ChannelEvent[Any],
        replies: list[Reply] | None,
        done: SendProgress,
    ) -> None:
        """Take the event's turn unless it was taken before, store the replies, send them
        (from the first message `done` does not count as delivered)."""
        if replies is None:
            replies = await self._pipeline.answer(channel, event)
            if replies:
                answered = (channel.value, event.event_id, dump_replies(replies))
                await self._answering.add(answered)

        async def record(progress: SendProgress) -> None:
            noted = (channel.value, event.event_id, progress.sent, progress.reply_unclear)
            await self._progressing.add(noted)

        turn = TurnSend(f"{channel.value}:{event.event_id}", done, record)
        await self._pipeline.deliver(adapter, event, replies, turn)
