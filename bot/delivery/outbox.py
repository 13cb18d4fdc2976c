"""The delivery worker: claims outbox rows, sends them within the platforms' limits, records
each outcome. At-least-once; LINE batches carry a stored retry key so LINE drops a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from aiolimiter import AsyncLimiter

from bot import metrics
from bot.core.clock import Clock
from bot.errors import (
    BatchRefusedError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.storage.delivery_workers import DeliveryWorkers
from bot.storage.group_commit import GroupCommit
from bot.storage.outbox_claims import LineBatch, OutboxClaims, Recipient

logger = logging.getLogger(__name__)


class TelegramSender(Protocol):
    async def send_text(self, chat_id: str, text: str) -> None: ...


class LineSender(Protocol):
    async def multicast(self, user_ids: Sequence[str], text: str, retry_key: str) -> None: ...

    async def push_text(self, user_id: str, text: str, retry_key: str) -> None: ...


# A batch sent one push per resident gives each push a retry key named in this namespace by
# the batch's stored key and the user id: the same in every retry, whoever makes it.
PUSH_KEY_NAMESPACE = uuid.UUID("0b6f4f1e-2d3c-4a7e-9a51-7c2e8d4b1f60")
PUSHES_IN_FLIGHT = 16  # LINE takes about 2,000 pushes a second


def push_retry_key(batch_key: str, user_id: str) -> str:
    return str(uuid.uuid5(PUSH_KEY_NAMESPACE, f"{batch_key}:{user_id}"))


@dataclass(frozen=True)
class DeliverySettings:
    telegram_per_second: float = 25.0  # Telegram allows about 30 a second in all
    telegram_per_chat_seconds: float = 1.0  # and about one a second in one chat
    telegram_in_flight: int = 16
    line_batch_size: int = 500  # LINE's multicast cap
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 300.0
    # A worker whose heartbeat is older than this has stopped: its claims pass to the others.
    lease_seconds: float = 10.0
    max_pauses: int = 20  # 429s waited out for one message before it counts as a failure

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_backoff_seconds, self.backoff_seconds * 2**attempts))


# Told about each settled row: (state, how many), for progress bars.
ProgressCallback = Callable[[str, int], None]


HEARTBEAT_SECONDS = 2.0  # how often a worker says it is alive (at most a quarter lease)


class OutboxWorker:
    def __init__(
        self,
        outbox: OutboxClaims,
        workers: DeliveryWorkers,
        clock: Clock,
        telegram: TelegramSender | None,
        line: LineSender | None,
        settings: DeliverySettings | None = None,
        instance: str = "chiiki",
    ) -> None:
        self._outbox = outbox
        self._heartbeats = workers
        self._clock = clock
        self._telegram = telegram
        self._line = line
        self.settings = settings or DeliverySettings()
        # Stored in claimed_by: which instance sent a row, and a fresh part per start.
        self.instance = instance
        self.owner = f"{instance}/{uuid.uuid4().hex[:12]}"
        # One send every 1/rate seconds, never a burst: Telegram counts over a sliding second.
        # Several workers on one database (instances, `chiiki broadcast`) share the rate.
        self._workers = 1
        self._limiter = AsyncLimiter(1, self.send_interval)
        self._kept_up_at = -math.inf  # monotonic
        self._in_flight = asyncio.Semaphore(self.settings.telegram_in_flight)
        self._paused_until = 0.0  # monotonic; a Telegram 429 pauses every send
        self._last_sent_to: dict[str, float] = {}
        self._sent: GroupCommit[int, None] = GroupCommit(self._record_sent)
        # Rows this worker claimed whose outcome is not stored yet, each with whether its send
        # began (it may have been delivered): what a round that fails part-way gives back.
        self._held: dict[int, bool] = {}
        self.wake = asyncio.Event()
        self.on_progress: ProgressCallback | None = None
        self.running = False  # inside run(): the server's worker is delivering
        self._stopping = False  # stop(): claim nothing more, send nothing more from the queue

    @property
    def send_interval(self) -> float:
        """Seconds between two Telegram sends of this worker: its share of the rate."""
        return self._workers / self.settings.telegram_per_second

    @property
    def _heartbeat_seconds(self) -> float:
        return min(HEARTBEAT_SECONDS, self.settings.lease_seconds / 4)

    async def _keep_up(self) -> None:
        """At once in a new worker, then every few seconds, also in the middle of a long
        broadcast and while idle: say this worker is alive and take its share of the rate (one
        that joins makes the others slow down), and take back what stopped workers left in
        flight as soon as their heartbeat is stale (`lease_seconds`)."""
        if time.monotonic() - self._kept_up_at < self._heartbeat_seconds:
            return
        self._kept_up_at = time.monotonic()
        lease = timedelta(seconds=self.settings.lease_seconds)
        workers = await self._heartbeats.heartbeat(self.owner, self.instance, self._clock(), lease)
        if workers != self._workers:
            logger.info("%d delivery workers share the Telegram rate", workers)
            self._workers = workers
            self._limiter = AsyncLimiter(1, self.send_interval)
        released, given_up = await self._outbox.release_stale(self._clock(), lease)
        if released or given_up:
            logger.warning(
                "took back %d in-flight send(s) of a stopped worker; %d reminder(s) given up",
                released,
                given_up,
                extra={"owner": self.owner},
            )
            self._report("failed", given_up)

    async def stop(self, grace: float) -> None:
        """At shutdown: claim nothing more; let the sends in flight finish (within `grace`
        seconds); give back at once the rows claimed but not sent; leave."""
        self._stopping = True
        self.wake.set()
        deadline = time.monotonic() + grace
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.running:
            # Left as they are: with this worker gone, the others take them within the lease,
            # as after a crash (a reminder in flight is not sent again).
            logger.warning("sends still in flight after %.0f s of grace; leaving them", grace)
        else:
            released = await self._outbox.release_own(self.owner)
            if released:
                logger.info("gave back %d claimed send(s) for another worker", released)
        await self.leave()

    async def leave(self) -> None:
        """At shutdown: drop out of the count, so the others take the whole rate at once."""
        try:
            await self._heartbeats.leave(self.owner)
        except Exception:
            logger.warning("could not say this delivery worker stopped", exc_info=True)

    async def deliver_due(self) -> int:
        """Send everything due now; return how many rows were settled or rescheduled.

        Each channel has its own loop, side by side: a long Telegram broadcast (30 a second
        at the real limit) does not hold back LINE's multicasts or the web mailboxes."""
        await self._keep_up()
        keeping_up = asyncio.create_task(self._keep_up_while_delivering())
        try:
            return await self._deliver_rounds()
        except Exception:
            await self._give_back_held()
            raise
        finally:
            keeping_up.cancel()
            await asyncio.gather(keeping_up, return_exceptions=True)

    async def _give_back_held(self) -> None:
        """A round failed part-way (an outcome could not be stored, a claim failed): the rows
        still claimed by this worker, which goes on beating, would never pass to anyone. Those
        never handed to a platform go back as they were; those whose send began are treated as
        a stopped worker's (sent again, or given up when their broadcast never repeats). The
        round's tasks have all ended, so none of them is in flight."""
        held, self._held = self._held, {}
        maybe_sent = [outbox_id for outbox_id, began in held.items() if began]
        try:
            released, given_up = await self._outbox.give_back(self.owner, maybe_sent)
        except Exception:
            # Left claimed; they pass on when this worker stops (or, killed, goes stale).
            logger.warning("could not give back the claimed sends", exc_info=True)
            return
        if not released and not given_up:
            return
        logger.warning(
            "a delivery round failed: gave back %d claimed send(s), %d of a reminder given up",
            released,
            given_up,
            extra={"owner": self.owner},
        )
        self._report("failed", given_up)

    async def _keep_up_while_delivering(self) -> None:
        """The heartbeat goes on while sends wait (a long 429 pause, a slow platform), so the
        claims stay this worker's and other workers keep their share of the rate."""
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                await self._keep_up()
            except Exception:
                logger.warning("delivery heartbeat failed; trying again shortly", exc_info=True)

    async def _deliver_rounds(self) -> int:
        done = 0
        while True:
            # A failing loop cancels the others (a TaskGroup), so no loop outlives its round.
            async with asyncio.TaskGroup() as group:
                loops = [
                    group.create_task(deliver())
                    for deliver in (self._deliver_web, self._deliver_line, self._deliver_telegram)
                ]
            handled = sum(loop.result() for loop in loops)
            if not handled or self._stopping:
                return done + handled
            done += handled

    async def run(self, idle_seconds: float = 5.0) -> None:
        """Deliver forever: after each round, sleep until woken or `idle_seconds` pass."""
        self.running = True
        # The heartbeat goes on between rounds too: this instance's claims (its inbox events
        # as well) stay its own only while it says it is alive.
        keeping_up = asyncio.create_task(self._keep_up_while_delivering())
        try:
            while not self._stopping:
                try:
                    await self.deliver_due()
                except Exception:
                    logger.exception("delivery round failed; trying again shortly")
                if self._stopping:
                    break
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle_seconds)
        finally:
            self.running = False
            keeping_up.cancel()
            await asyncio.gather(keeping_up, return_exceptions=True)

    async def deliver_until_settled(self, broadcast_id: int) -> dict[str, int]:
        """Deliver until no row of this broadcast is pending or in flight (backoffs included)."""
        while True:
            await self.deliver_due()
            progress = await self._outbox.progress(broadcast_id)
            if not progress["pending"] and not progress["sending"]:
                return progress
            await asyncio.sleep(0.2)

    def _report(self, state: str, count: int) -> None:
        if self.on_progress is not None and count:
            self.on_progress(state, count)

    async def _deliver_web(self) -> int:
        done = 0
        while not self._stopping and (
            delivered := await self._outbox.claim_web(self.owner, self._clock(), 500)
        ):
            metrics.SENDS.labels("web", "sent").inc(len(delivered))
            self._report("sent", len(delivered))
            done += len(delivered)
        return done

    async def _deliver_line(self) -> int:
        if self._line is None:
            return 0
        done = 0
        while not self._stopping and (
            batch := await self._outbox.claim_line_batch(
                self.owner, self._clock(), self.settings.line_batch_size
            )
        ):
            done += len(batch.recipients)
            self._held.update(dict.fromkeys((r.outbox_id for r in batch.recipients), False))
            await self._send_line(batch)
        return done

    async def _send_line(self, batch: LineBatch) -> None:
        assert self._line is not None
        ids = [r.outbox_id for r in batch.recipients]
        self._held.update(dict.fromkeys(ids, True))
        if batch.one_by_one:
            await self._push_line_each(batch)
        else:
            try:
                await self._line.multicast(
                    [r.platform_user_id for r in batch.recipients], batch.text, batch.retry_key
                )
            except BatchRefusedError as exc:
                # Nobody got it; one bad user id may be the cause. Stored first: from now on
                # this batch is never multicast again (its residents may have been pushed to).
                logger.warning(
                    "LINE refused a multicast to %d as a whole (%s): one push each instead",
                    len(ids),
                    exc,
                )
                await self._outbox.send_line_one_by_one(batch.id)
                await self._push_line_each(batch)
            except DeliveryError as exc:
                await self._after_failure("line", ids, batch.recipients[0].attempts, exc)
            else:
                await self._outbox.mark_sent(ids, self._clock())
                metrics.SENDS.labels("line", "sent").inc(len(ids))
                self._report("sent", len(ids))
        for outbox_id in ids:
            del self._held[outbox_id]

    async def _push_line_each(self, batch: LineBatch) -> None:
        """The batch one push per resident, each under a key made from the batch's key and the
        user id (a push repeated by a retry gets 409): only those LINE refuses fail."""
        assert self._line is not None
        line = self._line
        slots = asyncio.Semaphore(PUSHES_IN_FLIGHT)

        async def push(recipient: Recipient) -> DeliveryError | None:
            key = push_retry_key(batch.retry_key, recipient.platform_user_id)
            async with slots:
                try:
                    await line.push_text(recipient.platform_user_id, recipient.text, key)
                except DeliveryError as exc:
                    return exc
                return None

        outcomes = await asyncio.gather(*(push(r) for r in batch.recipients))
        sent = [r.outbox_id for r, exc in zip(batch.recipients, outcomes, strict=True) if not exc]
        if sent:
            await self._outbox.mark_sent(sent, self._clock())
            metrics.SENDS.labels("line", "sent").inc(len(sent))
            self._report("sent", len(sent))
        for recipient, exc in zip(batch.recipients, outcomes, strict=True):
            if exc is not None:
                await self._after_failure("line", [recipient.outbox_id], recipient.attempts, exc)

    async def _deliver_telegram(self) -> int:
        """Claim rows a batch at a time for `telegram_in_flight` senders; the next batch is
        claimed while the last one is being sent, so the senders never wait for the database.
        A failure to record an outcome stops the round (the TaskGroup cancels the rest)."""
        if self._telegram is None:
            return 0
        senders = self.settings.telegram_in_flight
        batch = senders * 4
        ready: asyncio.Queue[Recipient | None] = asyncio.Queue(maxsize=batch)
        claimed_count = 0

        async def claim() -> None:
            nonlocal claimed_count
            while not self._stopping and (
                claimed := await self._outbox.claim_telegram(self.owner, self._clock(), batch)
            ):
                claimed_count += len(claimed)
                self._held.update(dict.fromkeys((r.outbox_id for r in claimed), False))
                for recipient in claimed:
                    await ready.put(recipient)
            for _ in range(senders):
                await ready.put(None)  # no more: each sender stops after its last

        async def send() -> None:
            while (recipient := await ready.get()) is not None:
                if not self._stopping:  # once stopping, what is queued goes back unsent
                    await self._send_telegram(recipient)

        async with asyncio.TaskGroup() as group:
            group.create_task(claim())
            for _ in range(senders):
                group.create_task(send())
        return claimed_count

    async def _send_telegram(self, recipient: Recipient) -> None:
        # The slot is held until the outcome is recorded, so at most `telegram_in_flight`
        # messages can be sent-but-unrecorded when the process dies (the duplicates on resume).
        async with self._in_flight:
            self._held[recipient.outbox_id] = True
            try:
                await self._send_one_telegram(recipient)
            except DeliveryError as exc:
                await self._after_failure(
                    "telegram", [recipient.outbox_id], recipient.attempts, exc
                )
            else:
                # Recorded together with the sends finishing meanwhile (one transaction for
                # many), yet the slot is held until this one's outcome is stored.
                await self._sent.add(recipient.outbox_id)
            del self._held[recipient.outbox_id]

    async def _record_sent(self, outbox_ids: list[int]) -> list[None]:
        await self._outbox.mark_sent(outbox_ids, self._clock())
        metrics.SENDS.labels("telegram", "sent").inc(len(outbox_ids))
        self._report("sent", len(outbox_ids))
        return [None] * len(outbox_ids)

    async def _send_one_telegram(self, recipient: Recipient) -> None:
        """Send, waiting out 429s (which pause every send); raise what is not a 429."""
        assert self._telegram is not None
        pauses = 0
        while True:
            await self._wait_for_chat(recipient.platform_user_id)
            async with self._limiter:
                await self._wait_out_pause()
                try:
                    await self._telegram.send_text(recipient.platform_user_id, recipient.text)
                    return
                except RetryableDeliveryError as exc:
                    stop = self._stopping  # a stop does not wait out a 429: the row goes back
                    if exc.retry_after is None or pauses >= self.settings.max_pauses or stop:
                        raise
                    metrics.SENDS.labels("telegram", "429").inc()
                    pauses += 1
                    self._pause(exc.retry_after)
                finally:
                    self._last_sent_to[recipient.platform_user_id] = time.monotonic()

    def _pause(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        if until > self._paused_until:
            logger.warning("Telegram asked to wait %.0fs; pausing every send", seconds)
            self._paused_until = until

    async def _wait_out_pause(self) -> None:
        while (left := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(left)

    async def _wait_for_chat(self, chat_id: str) -> None:
        last = self._last_sent_to.get(chat_id)
        if last is not None:
            left = last + self.settings.telegram_per_chat_seconds - time.monotonic()
            if left > 0:
                await asyncio.sleep(left)
        if len(self._last_sent_to) > 10_000:  # forget chats not written to lately
            cutoff = time.monotonic() - self.settings.telegram_per_chat_seconds
            self._last_sent_to = {k: v for k, v in self._last_sent_to.items() if v > cutoff}

    async def _after_failure(
        self, channel: str, ids: list[int], attempts: int, exc: DeliveryError
    ) -> None:
        metrics.SENDS.labels(channel, metrics.send_outcome(exc)).inc(len(ids))
        now = self._clock()
        error = str(exc)[:300]
        if isinstance(exc, PermanentDeliveryError):
            if exc.unreachable:
                await self._outbox.mark_unreachable(ids, error, now)
                self._report("unreachable", len(ids))
            else:
                await self._outbox.mark_failed(ids, error, now)
                self._report("failed", len(ids))
        elif attempts >= self.settings.max_attempts:
            await self._outbox.mark_failed(ids, error, now)
            self._report("failed", len(ids))
        else:
            await self._outbox.retry_later(ids, now + self.settings.backoff(attempts), error)


__all__ = ["DeliverySettings", "LineBatch", "OutboxWorker"]
