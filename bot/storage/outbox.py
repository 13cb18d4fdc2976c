"""Broadcasts and the outbox: who is to get what, and what became of each send."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.database import Connection, Database, inserted_id, placeholders
from bot.storage.timestamps import from_db, to_db

# Channels a broadcast can reach; the console is a developer's tool, never an audience.
PUSH_CHANNELS = ("telegram", "line", "web")


@dataclass(frozen=True, slots=True)
class NewBroadcast:
    kind: str
    text_ja: str
    text_en: str | None = None
    text_easy: str | None = None
    district: str | None = None
    channel: str = "all"
    resend_in_flight: bool = True

    def channels(self) -> tuple[str, ...]:
        return PUSH_CHANNELS if self.channel == "all" else (self.channel,)


@dataclass(frozen=True, slots=True)
class HeldClaims:
    """Rows one worker holds in flight, and when it was last heard of."""

    owner: str
    rows: int
    seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class BroadcastSummary:
    id: int
    kind: str
    text_ja: str
    district: str | None
    channel: str
    created_at: datetime
    counts: dict[str, int]  # outbox rows per state
    # Of the sent rows, those put in a web chat's mailbox: the resident sees them at their
    # next visit, so staff are told they wait there rather than that they were delivered.
    in_chat: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def settled(self) -> int:
        return self.counts["sent"] + self.counts["failed"] + self.counts["unreachable"]


@dataclass(frozen=True, slots=True)
class Recipient:
    outbox_id: int
    resident_id: int
    platform_user_id: str
    text: str
    attempts: int


@dataclass(frozen=True, slots=True)
class LineBatch:
    id: int
    retry_key: str
    text: str
    recipients: tuple[Recipient, ...]


async def insert_broadcast(
    conn: Connection,
    broadcast: NewBroadcast,
    now: datetime,
    audience_sql: str,
    audience_params: tuple[object, ...],
) -> int:
    """Write a broadcast and its outbox rows inside the caller's transaction.

    `audience_sql` selects resident (person) ids; each gets one row, addressed to the channel
    that receives their notices, when it is reachable and one of the broadcast's channels.
    """
    cursor = await conn.execute(
        "INSERT INTO broadcasts (kind, text_ja, text_en, text_easy, district, channel,"
        " resend_in_flight, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            broadcast.kind,
            broadcast.text_ja,
            broadcast.text_en,
            broadcast.text_easy,
            broadcast.district,
            broadcast.channel,
            int(broadcast.resend_in_flight),
            to_db(now),
        ),
    )
    broadcast_id = await inserted_id(cursor)
    channels = broadcast.channels()
    await conn.execute(
        "INSERT INTO outbox (broadcast_id, resident_id, channel, next_attempt_at)"
        " SELECT CAST(? AS INTEGER), r.id, r.channel, CAST(? AS TEXT) FROM residents r"
        " WHERE r.reachable = 1 AND r.receives_notices = 1"
        f" AND r.channel IN ({placeholders(len(channels))})"
        f" AND coalesce(r.linked_to, r.id) IN ({audience_sql})",
        (broadcast_id, to_db(now), *channels, *audience_params),
    )
    return broadcast_id


_STATES = ("pending", "sending", "sent", "failed", "unreachable")
# Rows in flight (by the (channel, state) index) claimed before the cutoff by a worker with no
# heartbeat since the cutoff: its claims pass to whoever asks.
_ORPHANED = (
    "channel IN ('telegram', 'line', 'web') AND state = 'sending' AND claimed_at < ?"
    " AND (claimed_by IS NULL OR claimed_by NOT IN"
    " (SELECT owner FROM delivery_workers WHERE seen_at >= ?))"
)
DISTRICT_AUDIENCE = (
    "SELECT id FROM residents WHERE linked_to IS NULL"
    " AND (CAST(? AS TEXT) IS NULL OR district = ?)"
)


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def audience(self, district: str | None, channel: str) -> dict[str, int]:
        """Reachable residents per channel that a broadcast would reach."""
        channels = NewBroadcast("", "", channel=channel).channels()
        rows = await self._db.fetch_all(
            "SELECT channel, count(*) FROM residents"
            " WHERE reachable = 1 AND receives_notices = 1"
            f" AND channel IN ({placeholders(len(channels))})"
            f" AND coalesce(linked_to, id) IN ({DISTRICT_AUDIENCE}) GROUP BY channel",
            (*channels, district, district),
        )
        counts = {name: 0 for name in channels}
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

    async def create(self, broadcast: NewBroadcast, now: datetime) -> int:
        """A broadcast to everyone reachable (in its district, if any), in one transaction."""
        async with self._db.transaction() as conn:
            return await insert_broadcast(
                conn, broadcast, now, DISTRICT_AUDIENCE, (broadcast.district, broadcast.district)
            )

    async def create_for(
        self, broadcast: NewBroadcast, resident_ids: list[int], now: datetime
    ) -> int:
        """A broadcast to these residents (those still reachable), in one transaction."""
        async with self._db.transaction() as conn:
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (id INTEGER PRIMARY KEY)")
            await conn.execute("DELETE FROM chosen")
            await conn.executemany(
                "INSERT INTO chosen (id) VALUES (?)", [(i,) for i in resident_ids]
            )
            broadcast_id = await insert_broadcast(
                conn, broadcast, now, "SELECT id FROM chosen", ()
            )
            await conn.execute("DELETE FROM chosen")
            return broadcast_id

    async def release_stale(self, now: datetime, stale_after: timedelta) -> tuple[int, int]:
        """Take back the claims of stopped workers: those whose heartbeat is older than
        `stale_after` (or who have none), on rows claimed before that.

        Telegram rows go back to pending when their broadcast resends in-flight messages, and
        fail otherwise. LINE rows keep their batch, so the retry carries the same retry key.
        Returns (released, given up). A quick read first: most calls find nothing to take.
        """
        cutoff = to_db(now - stale_after)
        if not await self._db.fetch_one(
            f"SELECT 1 FROM outbox WHERE {_ORPHANED} LIMIT 1", (cutoff, cutoff)
        ):
            return 0, 0
        async with self._db.transaction() as conn:
            given_up = await conn.execute(
                "UPDATE outbox SET state = 'failed',"
                f" last_error = 'in flight when a worker stopped' WHERE {_ORPHANED}"
                " AND line_batch_id IS NULL"
                " AND broadcast_id IN (SELECT id FROM broadcasts WHERE resend_in_flight = 0)",
                (cutoff, cutoff),
            )
            released = await conn.execute(
                f"UPDATE outbox SET state = 'pending', claimed_by = NULL WHERE {_ORPHANED}",
                (cutoff, cutoff),
            )
            return released.rowcount, given_up.rowcount

    async def release_own(self, owner: str) -> int:
        """A worker stopping cleanly gives back the rows it claimed but never sent (its sends
        in flight have finished): pending again at once, the claim's attempt not counted."""
        rows = await self._db.execute(
            "UPDATE outbox SET state = 'pending', claimed_by = NULL, attempts = attempts - 1"
            " WHERE channel IN ('telegram', 'line', 'web') AND state = 'sending'"
            " AND claimed_by = ? RETURNING id",
            (owner,),
        )
        return len(rows)

    async def held_by_others(self, owner: str) -> list[HeldClaims]:
        """Rows other workers hold in flight, per worker, with its last heartbeat (None when it
        has none): what `chiiki broadcast resume` waits for."""
        rows = await self._db.fetch_all(
            "SELECT o.claimed_by, count(*), max(w.seen_at) FROM outbox o"
            " LEFT JOIN delivery_workers w ON w.owner = o.claimed_by"
            " WHERE o.channel IN ('telegram', 'line', 'web') AND o.state = 'sending'"
            " AND o.claimed_by <> ? GROUP BY o.claimed_by ORDER BY o.claimed_by",
            (owner,),
        )
        return [
            HeldClaims(row[0], int(row[1]), from_db(row[2]) if row[2] else None) for row in rows
        ]

    async def heartbeat(
        self, owner: str, instance: str, now: datetime, forget_after: timedelta
    ) -> int:
        """Say this delivery worker (of `instance`) is alive; return how many workers are
        alive, itself included. Workers silent for `forget_after` are forgotten."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO delivery_workers (owner, instance, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
                (owner, instance, to_db(now)),
            )
            await conn.execute(
                "DELETE FROM delivery_workers WHERE seen_at < ?", (to_db(now - forget_after),)
            )
            cursor = await conn.execute("SELECT count(*) FROM delivery_workers")
            row = await cursor.fetchone()
        return int(row[0]) if row else 1

    async def leave(self, owner: str) -> None:
        """A worker stopping cleanly: the others need not wait for it to go stale to speed up."""
        await self._db.execute("DELETE FROM delivery_workers WHERE owner = ?", (owner,))

    async def claim_telegram(self, owner: str, now: datetime, limit: int) -> list[Recipient]:
        async with self._db.claiming() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?,"
                " attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox"
                " WHERE channel = 'telegram' AND state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY id LIMIT ?" + self._db.skip_locked + ") RETURNING id",
                (owner, to_db(now), to_db(now), limit),
            )
            ids = [row[0] for row in await cursor.fetchall()]
            return await _recipients(conn, ids)

    async def claim_web(self, owner: str, now: datetime, limit: int) -> list[Recipient]:
        """Web residents get notices in their mailbox: delivering them is one transaction."""
        async with self._db.claiming() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET state = 'sent', claimed_by = ?, claimed_at = ?, sent_at = ?,"
                " attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox"
                " WHERE channel = 'web' AND state IN ('pending', 'sending')"
                " AND next_attempt_at <= ? ORDER BY id LIMIT ?" + self._db.skip_locked + ")"
                " RETURNING id",
                (owner, to_db(now), to_db(now), to_db(now), limit),
            )
            ids = [row[0] for row in await cursor.fetchall()]
            recipients = await _recipients(conn, ids)
            await conn.executemany(
                "INSERT INTO web_mailbox (resident_id, text, created_at) VALUES (?, ?, ?)",
                [(r.resident_id, r.text, to_db(now)) for r in recipients],
            )
            return recipients

    async def claim_line_batch(self, owner: str, now: datetime, size: int) -> LineBatch | None:
        """The next multicast: an earlier batch due again (same key), or a new one of `size`."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT line_batch_id FROM outbox WHERE channel = 'line' AND state = 'pending'"
                " AND line_batch_id IS NOT NULL AND next_attempt_at <= ? LIMIT 1",
                (to_db(now),),
            ) as cursor:
                again = await cursor.fetchone()
            if again is not None:
                batch_id = again[0]
            else:
                batch_id = await _new_line_batch(conn, now, size)
                if batch_id is None:
                    return None
            cursor = await conn.execute(
                "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?,"
                " attempts = attempts + 1 WHERE line_batch_id = ? AND state = 'pending'"
                " RETURNING id",
                (owner, to_db(now), batch_id),
            )
            ids = [row[0] for row in await cursor.fetchall()]
            recipients = await _recipients(conn, ids)
            async with conn.execute(
                "SELECT retry_key FROM line_batches WHERE id = ?", (batch_id,)
            ) as cursor:
                key_row = await cursor.fetchone()
            assert key_row is not None
        if not recipients:
            return None
        return LineBatch(batch_id, key_row[0], recipients[0].text, tuple(recipients))

    async def mark_sent(self, outbox_ids: list[int], now: datetime) -> None:
        await self._settle(outbox_ids, "sent", None, now)

    async def mark_failed(self, outbox_ids: list[int], error: str, now: datetime) -> None:
        await self._settle(outbox_ids, "failed", error, now)

    async def mark_unreachable(self, outbox_ids: list[int], error: str, now: datetime) -> None:
        """The platform says these residents blocked us: settle the rows, flag the residents."""
        await self._settle(outbox_ids, "unreachable", error, now)
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE residents SET reachable = 0, updated_at = ?"
                " WHERE id = (SELECT resident_id FROM outbox WHERE id = ?)",
                [(to_db(now), i) for i in outbox_ids],
            )

    async def retry_later(self, outbox_ids: list[int], when: datetime, error: str) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET state = 'pending', claimed_by = NULL, next_attempt_at = ?,"
                " last_error = ? WHERE id = ? AND state = 'sending'",
                [(to_db(when), error, i) for i in outbox_ids],
            )

    async def progress(self, broadcast_id: int) -> dict[str, int]:
        """This broadcast's outbox rows counted by state."""
        found = await self.history(1, broadcast_id)
        return found[0].counts if found else dict.fromkeys(_STATES, 0)

    async def history(self, limit: int, broadcast_id: int | None = None) -> list[BroadcastSummary]:
        """The newest broadcasts (or one of them) with their outbox rows counted by state."""
        rows = await self._db.fetch_all(
            "SELECT b.id, b.kind, b.text_ja, b.district, b.channel, b.created_at,"
            + ", ".join(
                f" sum(CASE WHEN o.state = '{state}' THEN 1 ELSE 0 END)" for state in _STATES
            )
            + ", sum(CASE WHEN o.state = 'sent' AND o.channel = 'web' THEN 1 ELSE 0 END)"
            " FROM broadcasts b LEFT JOIN outbox o ON o.broadcast_id = b.id"
            " WHERE CAST(? AS INTEGER) IS NULL OR b.id = ?"
            " GROUP BY b.id ORDER BY b.id DESC LIMIT ?",
            (broadcast_id, broadcast_id, limit),
        )
        return [
            BroadcastSummary(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                from_db(row[5]),
                {state: int(row[6 + i] or 0) for i, state in enumerate(_STATES)},
                int(row[6 + len(_STATES)] or 0),
            )
            for row in rows
        ]

    async def depth(self) -> list[tuple[str, str, int]]:
        """(channel, state, rows) of the rows waiting or being sent, by the (channel, state)
        index: what /metrics reports as the outbox depth."""
        rows = await self._db.fetch_all(
            "SELECT channel, state, count(*) FROM outbox"
            " WHERE state IN ('pending', 'sending') GROUP BY channel, state"
        )
        return [(row[0], row[1], int(row[2])) for row in rows]

    async def unfinished(self) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')"
        )
        return int(row[0]) if row else 0

    async def next_due(self) -> str | None:
        row = await self._db.fetch_one(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'"
        )
        return row[0] if row else None

    async def take_mailbox(self, channel: str, platform_user_id: str, now: datetime) -> list[str]:
        """Unread web notices for this resident, oldest first, marked read."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE web_mailbox SET read_at = ? WHERE read_at IS NULL AND resident_id ="
                " (SELECT id FROM residents WHERE channel = ? AND platform_user_id = ?)"
                " RETURNING id, text",
                (to_db(now), channel, platform_user_id),
            )
            rows = await cursor.fetchall()
        return [row[1] for row in sorted(rows, key=lambda row: row[0])]

    async def _settle(
        self, outbox_ids: list[int], state: str, error: str | None, now: datetime
    ) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET state = ?, last_error = ?, sent_at = ? WHERE id = ?",
                [(state, error, to_db(now) if state == "sent" else None, i) for i in outbox_ids],
            )


async def _new_line_batch(conn: Connection, now: datetime, size: int) -> int | None:
    """Group up to `size` pending LINE rows of one broadcast and language under a new key."""
    async with conn.execute(
        "SELECT o.broadcast_id, r.language FROM outbox o JOIN residents r ON r.id = o.resident_id"
        " WHERE o.channel = 'line' AND o.state = 'pending' AND o.line_batch_id IS NULL"
        " AND o.next_attempt_at <= ? ORDER BY o.id LIMIT 1",
        (to_db(now),),
    ) as cursor:
        first = await cursor.fetchone()
    if first is None:
        return None
    broadcast_id, language = first
    # The key is stored before the first try, so every retry of this batch carries it.
    cursor = await conn.execute(
        "INSERT INTO line_batches (broadcast_id, language, retry_key, created_at)"
        " VALUES (?, ?, ?, ?) RETURNING id",
        (broadcast_id, language, str(uuid.uuid4()), to_db(now)),
    )
    batch_id = await inserted_id(cursor)
    await conn.execute(
        "UPDATE outbox SET line_batch_id = ? WHERE id IN (SELECT o.id FROM outbox o"
        " JOIN residents r ON r.id = o.resident_id WHERE o.channel = 'line'"
        " AND o.state = 'pending' AND o.line_batch_id IS NULL AND o.broadcast_id = ?"
        " AND r.language = ? AND o.next_attempt_at <= ? ORDER BY o.id LIMIT ?)",
        (batch_id, broadcast_id, language, to_db(now), size),
    )
    return batch_id


async def _recipients(conn: Connection, outbox_ids: list[int]) -> list[Recipient]:
    if not outbox_ids:
        return []
    async with conn.execute(
        "SELECT o.id, o.resident_id, r.platform_user_id, o.attempts,"
        " CASE WHEN r.language = 'en' AND b.text_en IS NOT NULL THEN b.text_en"
        " WHEN r.language = 'easy' AND b.text_easy IS NOT NULL THEN b.text_easy"
        " ELSE b.text_ja END"
        " FROM outbox o JOIN residents r ON r.id = o.resident_id"
        " JOIN broadcasts b ON b.id = o.broadcast_id"
        f" WHERE o.id IN ({placeholders(len(outbox_ids))}) ORDER BY o.id",
        outbox_ids,
    ) as cursor:
        rows = await cursor.fetchall()
    return [Recipient(row[0], row[1], row[2], row[4], row[3]) for row in rows]
