"""Reminders of every kind (council events, watch shifts): one claim → queue-or-skip path.

Each kind keeps its reminders in a table of its own with the same shape (id, the subject's id,
`due_at`, `state` pending/sent/skipped/cancelled, `settled_at`, `broadcast_id`) and says, as a
`ReminderKind`, what one due reminder becomes: a broadcast to an audience, or nothing when it
is no longer of use (the event has begun, the shift was cancelled). `Reminders.fire_due` claims
the due rows of every kind in one transaction (SKIP LOCKED on PostgreSQL, so instances firing
together take different rows) and in that same transaction writes each one's broadcast to the
outbox or marks it skipped: a reminder reaches the outbox at most once, whatever crashes when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class DueReminder:
    id: int
    subject_id: int  # the event or shift it is about
    variant: str | None  # which of the subject's reminders (a shift's "evening"), if several
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderNotice:
    """What a due reminder queues: a broadcast to the residents `audience_sql` selects."""

    broadcast: NewBroadcast
    audience_sql: str
    audience_params: tuple[object, ...]


class ReminderKind(Protocol):
    name: str  # in logs and results: "event", "shift"
    table: str  # its reminders' table
    subject_column: str  # the column naming what is reminded of
    variant_column: str | None

    async def notice(
        self, conn: Connection, reminder: DueReminder, now: datetime
    ) -> ReminderNotice | None:
        """The notice to queue now, or None when the reminder is no longer of use."""
        ...


class ReminderKey(NamedTuple):
    kind: str
    id: int


@dataclass(frozen=True, slots=True)
class SkippedReminder:
    key: ReminderKey
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    queued: list[ReminderKey]  # handed to the outbox
    skipped: list[SkippedReminder]  # too late, or no longer of use


class Reminders:
    """Every kind of reminder, fired by one path."""

    def __init__(self, db: Database, kinds: Sequence[ReminderKind]) -> None:
        self._db = db
        self._kinds = tuple(kinds)

    async def fire_due(self, now: datetime, grace: timedelta) -> ReminderOutcome:
        """Queue every due reminder in the outbox, or skip it when later than `grace` (or
        no longer of use), in one transaction."""
        outcome = ReminderOutcome([], [])
        # Claimed row by row: another instance firing at the same moment skips these.
        async with self._db.claiming() as conn:
            for kind in self._kinds:
                await self._fire_kind(conn, kind, now, grace, outcome)
        return outcome

    async def due_times(self, until: datetime) -> list[datetime]:
        """The distinct instants pending reminders of any kind fall due, up to `until`: what
        the scheduler arms its timers for."""
        found: set[datetime] = set()
        for kind in self._kinds:
            rows = await self._db.fetch_all(
                f"SELECT DISTINCT due_at FROM {kind.table}"  # our own table names
                " WHERE state = 'pending' AND due_at <= ?",
                (to_db(until),),
            )
            found |= {from_db(row[0]) for row in rows}
        return sorted(found)

    async def _fire_kind(
        self,
        conn: Connection,
        kind: ReminderKind,
        now: datetime,
        grace: timedelta,
        outcome: ReminderOutcome,
    ) -> None:
        variant = kind.variant_column or "NULL"
        async with conn.execute(
            f"SELECT id, {kind.subject_column}, {variant}, due_at FROM {kind.table}"
            " WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id" + self._db.skip_locked,
            (to_db(now),),
        ) as cursor:
            due = [
                DueReminder(row[0], row[1], row[2], from_db(row[3]))
                for row in await cursor.fetchall()
            ]
        for reminder in due:
            key = ReminderKey(kind.name, reminder.id)
            notice = None
            if now - reminder.due_at <= grace:
                notice = await kind.notice(conn, reminder, now)
            if notice is None:
                await conn.execute(
                    f"UPDATE {kind.table} SET state = 'skipped', settled_at = ? WHERE id = ?",
                    (to_db(now), reminder.id),
                )
                outcome.skipped.append(SkippedReminder(key, reminder.due_at))
                continue
            broadcast_id = await insert_broadcast(
                conn, notice.broadcast, now, notice.audience_sql, notice.audience_params
            )
            await conn.execute(
                f"UPDATE {kind.table} SET state = 'sent', settled_at = ?, broadcast_id = ?"
                " WHERE id = ?",
                (to_db(now), broadcast_id, reminder.id),
            )
            outcome.queued.append(key)
