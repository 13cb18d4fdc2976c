"""Platform events received but maybe not yet handled: the inbox behind every webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import ROWS_PER_STATEMENT, Database, chunked, placeholders
from bot.storage.timestamps import to_db

# An event that failed this often is given up on (and logged), so one bad event cannot loop.
MAX_ATTEMPTS = 5
# An event is the instance's own, unclaimed, or claimed before the cutoff by an instance
# whose delivery worker has not said it is alive since (the heartbeat in delivery_workers).
_CLAIMABLE = (
    "(claimed_by = ? OR claimed_at IS NULL OR (claimed_at < ? AND claimed_by NOT IN"
    " (SELECT instance FROM delivery_workers WHERE seen_at >= ? AND instance IS NOT NULL)))"
)


@dataclass(frozen=True, slots=True)
class InboundEvent:
    channel: str
    event_id: str
    payload: dict[str, Any]
    attempts: int
    # The turn's replies (JSON), stored before the first send: set means the turn was taken
    # and only the send is left to do.
    replies: str | None = None
    # How far earlier sends got (bot/channels/base.py SendProgress): messages delivered, and
    # whether a LINE reply-token call ended unclear.
    parts_sent: int = 0
    reply_unclear: bool = False


class InboundEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(
        self,
        events: list[tuple[str, str, dict[str, Any]]],
        now: datetime,
        owner: str,
        senders: list[str | None] | None = None,
    ) -> list[bool]:
        """Store new (channel, event id, payload) events in one statement, claimed by `owner`
        (the instance that received them, which starts their first attempt at once), each
        with its sender's platform user id when known; return, for each, whether it is new
        (an id repeated in `events` is new only the first time)."""
        if not events:
            return []
        stamp = to_db(now)
        params: list[object] = []
        for (channel, event_id, payload), sender in zip(
            events, senders or [None] * len(events), strict=True
        ):
            params += [channel, event_id, stamp, json.dumps(payload, ensure_ascii=False)]
            params += [sender, owner, stamp]
        rows = await self._db.execute(
            "INSERT INTO inbound_events (channel, event_id, received_at, payload, sender,"
            " claimed_by, claimed_at, attempts) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, 1)"] * len(events))
            + " ON CONFLICT DO NOTHING RETURNING channel, event_id",
            params,
        )
        inserted = {(row[0], row[1]) for row in rows}
        fresh: list[bool] = []
        for channel, event_id, _ in events:
            fresh.append((channel, event_id) in inserted)
            inserted.discard((channel, event_id))
        return fresh

    async def start_attempt(
        self, channel: str, event_id: str, owner: str, now: datetime, stale_before: datetime
    ) -> InboundEvent | None:
        """Claim the event for `owner` and count one more attempt; None if it is done, given
        up, or claimed by another instance that is still alive (a heartbeat since
        `stale_before`) or claimed it since then."""
        rows = await self._db.execute(
            "UPDATE inbound_events SET attempts = attempts + 1, claimed_by = ?, claimed_at = ?"
            " WHERE channel = ? AND event_id = ? AND handled_at IS NULL AND attempts < ?"
            f" AND payload IS NOT NULL AND {_CLAIMABLE}"
            " RETURNING payload, attempts, replies, parts_sent, reply_unclear",
            (
                owner,
                to_db(now),
                channel,
                event_id,
                MAX_ATTEMPTS,
                owner,
                to_db(stale_before),
                to_db(stale_before),
            ),
        )
        if not rows:
            return None
        row = rows[0]
        payload = json.loads(row["payload"])
        return InboundEvent(
            channel,
            event_id,
            payload,
            row["attempts"],
            row["replies"],
            int(row["parts_sent"]),
            bool(row["reply_unclear"]),
        )

    async def store_replies(self, answered: list[tuple[str, str, str]]) -> None:
        """Keep each (channel, event id, replies as JSON) until the event is handled: a send
        that fails is then tried again without taking the turn again. The send begins right
        after, so `reply_unclear` is set with them: should the process die before the send
        notes how it went, a LINE reply token may have been used (the adapter notes the
        truth as soon as a call of its fails).

        An event whose payload is gone (its resident said /forget during the turn) keeps
        none. One statement per channel and chunk (a CASE picks each event's replies), like
        `mark_handled`: under load a batch costs one trip to the database."""
        by_channel: dict[str, list[tuple[str, str]]] = {}
        for channel, event_id, replies in answered:
            by_channel.setdefault(channel, []).append((event_id, replies))
        for channel, pairs in by_channel.items():
            for chunk in chunked(pairs, ROWS_PER_STATEMENT // 3):
                params: list[object] = [value for pair in chunk for value in pair]
                params += [channel, *(event_id for event_id, _ in chunk)]
                await self._db.execute(
                    "UPDATE inbound_events SET reply_unclear = 1, replies = CASE event_id"
                    + " WHEN ? THEN ?" * len(chunk)
                    + " END WHERE channel = ? AND payload IS NOT NULL"
                    + f" AND event_id IN ({placeholders(len(chunk))})",
                    params,
                )

    async def record_progress(self, progress: list[tuple[str, str, int, bool]]) -> None:
        """Keep, for each (channel, event id, messages delivered, reply unclear), how far its
        send got, so a retry resumes there. One statement per channel and chunk, like
        `store_replies`; an event handled meanwhile is left alone."""
        latest: dict[str, dict[str, tuple[int, bool]]] = {}
        for channel, event_id, sent, unclear in progress:  # a later note of an event wins
            latest.setdefault(channel, {})[event_id] = (sent, unclear)
        for channel, by_event in latest.items():
            rows = [(event_id, sent, unclear) for event_id, (sent, unclear) in by_event.items()]
            for chunk in chunked(rows, ROWS_PER_STATEMENT // 5):
                params: list[object] = []
                for event_id, sent, _ in chunk:
                    params += [event_id, sent]
                for event_id, _, unclear in chunk:
                    params += [event_id, int(unclear)]
                params += [channel, *(event_id for event_id, _, _ in chunk)]
                await self._db.execute(
                    "UPDATE inbound_events SET parts_sent = CASE event_id"
                    + " WHEN ? THEN CAST(? AS INTEGER)" * len(chunk)
                    + " END, reply_unclear = CASE event_id"
                    + " WHEN ? THEN CAST(? AS INTEGER)" * len(chunk)
                    + " END WHERE channel = ? AND handled_at IS NULL"
                    + f" AND event_id IN ({placeholders(len(chunk))})",
                    params,
                )

    async def mark_handled(self, keys: list[tuple[str, str]], now: datetime) -> None:
        """Done, each (channel, event id): keep the id for de-duplication, drop the payload,
        the sender and the replies.

        One statement per channel and chunk, each its own transaction: a transaction of several
        statements would hold the one writer over as many trips to the database."""
        by_channel: dict[str, list[str]] = {}
        for channel, event_id in keys:
            by_channel.setdefault(channel, []).append(event_id)
        for channel, ids in by_channel.items():
            for chunk in chunked(ids):
                await self._db.execute(
                    "UPDATE inbound_events SET handled_at = ?, payload = NULL, sender = NULL,"
                    " replies = NULL"
                    f" WHERE channel = ? AND event_id IN ({placeholders(len(chunk))})",
                    (to_db(now), channel, *chunk),
                )

    async def give_up(self, channel: str, event_id: str) -> None:
        """Tried MAX_ATTEMPTS times: never tried again, so its payload (a resident's text and
        id), sender and replies go now; the id stays for de-duplication until retention
        removes it."""
        await self._db.execute(
            "UPDATE inbound_events SET payload = NULL, sender = NULL, replies = NULL,"
            " attempts = ? WHERE channel = ? AND event_id = ? AND handled_at IS NULL",
            (MAX_ATTEMPTS, channel, event_id),
        )

    async def pending(self, owner: str, stale_before: datetime) -> list[tuple[str, str]]:
        """(channel, event id) of events not yet handled that `owner` may take (its own from
        before a restart, and those of instances silent since `stale_before`), oldest first."""
        rows = await self._db.fetch_all(
            "SELECT channel, event_id FROM inbound_events"
            f" WHERE handled_at IS NULL AND attempts < ? AND {_CLAIMABLE} ORDER BY received_at",
            (MAX_ATTEMPTS, owner, to_db(stale_before), to_db(stale_before)),
        )
        return [(row["channel"], row["event_id"]) for row in rows]
