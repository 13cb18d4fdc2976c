"""The outbox seen by the delivery workers: claiming rows to send, recording what became of
each, and giving back the claims of workers that stopped."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.broadcasts import OUTBOX_STATES
from bot.storage.database import Connection, Database, inserted_id, placeholders
from bot.storage.timestamps import from_db, to_db
from bot.storage.web_mailbox import post_to_mailboxes


@dataclass(frozen=True, slots=True)
class HeldClaims:
    """Rows one worker holds in flight, and when it was last heard of."""

    owner: str
    rows: int
    seen_at: datetime | None


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
    # LINE refused the batch's multicast as a whole: it goes one push per resident, for good
    # (OutboxClaims.send_line_one_by_one).
    one_by_one: bool = False


# Rows in flight (by the (channel, state) index) claimed before the cutoff by a worker with no
# heartbeat since the cutoff: its claims pass to whoever asks.
_ORPHANED = (
    "channel IN ('telegram', 'line', 'web') AND state = 'sending' AND claimed_at < ?"
    " AND (claimed_by IS NULL OR claimed_by NOT IN"
    " (SELECT owner FROM delivery_workers WHERE seen_at >= ?))"
)


class OutboxClaims:
    def __init__(self, db: Database) -> None:
        self._db = db

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
            await post_to_mailboxes(conn, [(r.resident_id, r.text) for r in recipients], now)
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
                "SELECT retry_key, one_by_one FROM line_batches WHERE id = ?", (batch_id,)
            ) as cursor:
                key_row = await cursor.fetchone()
            assert key_row is not None
        if not recipients:
            return None
        return LineBatch(
            batch_id, key_row[0], recipients[0].text, tuple(recipients), bool(key_row[1])
        )

    async def send_line_one_by_one(self, batch_id: int) -> None:
        """Note, before the first push, that this batch goes one push per resident from now
        on: a retry of it never multicasts again (its residents may have been pushed to)."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE line_batches SET one_by_one = 1 WHERE id = ?", (batch_id,))

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

    async def give_back(self, owner: str, maybe_sent: list[int]) -> tuple[int, int]:
        """Every row `owner` still claims, after a round that failed part-way (none of its
        sends in flight any more), in one transaction. `maybe_sent` (their send began) as a
        stopped worker's: pending again, or failed when their broadcast never resends (a
        reminder: never twice) and they are not in a LINE batch (whose retry key makes a
        repeat harmless). The rest were never handed to a platform (some claimed by a commit
        whose answer the cancelled claimer never saw): pending again, the attempt not
        counted. Returns (given back, given up)."""
        async with self._db.transaction() as conn:
            given_up = released = 0
            if maybe_sent:
                cursor = await conn.execute(
                    "UPDATE outbox SET state = 'failed',"
                    " last_error = 'in flight when its outcome could not be stored'"
                    f" WHERE id IN ({placeholders(len(maybe_sent))}) AND state = 'sending'"
                    " AND claimed_by = ? AND line_batch_id IS NULL"
                    " AND broadcast_id IN (SELECT id FROM broadcasts WHERE resend_in_flight = 0)",
                    (*maybe_sent, owner),
                )
                given_up = cursor.rowcount
                cursor = await conn.execute(
                    "UPDATE outbox SET state = 'pending', claimed_by = NULL"
                    f" WHERE id IN ({placeholders(len(maybe_sent))}) AND state = 'sending'"
                    " AND claimed_by = ?",
                    (*maybe_sent, owner),
                )
                released = cursor.rowcount
            cursor = await conn.execute(
                "UPDATE outbox SET state = 'pending', claimed_by = NULL, attempts = attempts - 1"
                " WHERE channel IN ('telegram', 'line', 'web') AND state = 'sending'"
                " AND claimed_by = ?",
                (owner,),
            )
            return released + cursor.rowcount, given_up

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

    async def progress(self, broadcast_id: int) -> dict[str, int]:
        """This broadcast's outbox rows counted by state (by the (broadcast_id, state) index)."""
        rows = await self._db.fetch_all(
            "SELECT state, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        )
        counts = dict.fromkeys(OUTBOX_STATES, 0)
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

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
