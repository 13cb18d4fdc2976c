"""Council events, who wants to hear about them, and their reminders (the source of truth)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Database, Row, inserted_id
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    title_ja: str
    title_en: str | None
    description_ja: str
    description_en: str | None
    place_ja: str
    place_en: str | None
    starts_at: datetime
    district: str | None
    cancelled_at: datetime | None

    @property
    def title(self) -> Localized:
        return Localized(self.title_ja, self.title_en)

    @property
    def description(self) -> Localized:
        return Localized(self.description_ja, self.description_en)

    @property
    def place(self) -> Localized:
        return Localized(self.place_ja, self.place_en)


@dataclass(frozen=True, slots=True)
class NewEvent:
    title_ja: str
    title_en: str | None
    description_ja: str
    description_en: str | None
    place_ja: str
    place_en: str | None
    starts_at: datetime
    district: str | None


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    queued: list[int]  # reminder ids handed to the outbox
    skipped: list[tuple[int, datetime]]  # (reminder id, due) too late to be of use


# Everyone who wants to hear about an event: its subscribers, and the followers of its district
# (of every district, for a city-wide event).
_AUDIENCE = (
    "SELECT resident_id FROM event_subscriptions WHERE event_id = ?"
    " UNION SELECT f.resident_id FROM event_followers f JOIN residents r ON r.id = f.resident_id"
    " WHERE CAST(? AS TEXT) IS NULL OR r.district = ?"
)

ComposeReminder = Callable[[Event], NewBroadcast]


class EventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, event: NewEvent, remind_at: list[datetime], now: datetime) -> int:
        """Store the event and its reminders (those still in the future) in one transaction."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO events (title_ja, title_en, description_ja, description_en,"
                " place_ja, place_en, starts_at, district, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    event.title_ja,
                    event.title_en,
                    event.description_ja,
                    event.description_en,
                    event.place_ja,
                    event.place_en,
                    to_db(event.starts_at),
                    event.district,
                    to_db(now),
                ),
            )
            event_id = await inserted_id(cursor)
            await conn.executemany(
                "INSERT INTO reminders (event_id, due_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(event_id, to_db(due)) for due in sorted(remind_at) if due > now],
            )
        return event_id

    async def get(self, event_id: int) -> Event | None:
        row = await self._db.fetch_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return _event(row) if row else None

    async def all(self) -> list[Event]:
        return [
            _event(r) for r in await self._db.fetch_all("SELECT * FROM events ORDER BY starts_at")
        ]

    async def upcoming_for(self, district: str | None, now: datetime, limit: int) -> list[Event]:
        rows = await self._db.fetch_all(
            "SELECT * FROM events WHERE cancelled_at IS NULL AND starts_at > ?"
            " AND (district IS NULL OR district = ?) ORDER BY starts_at LIMIT ?",
            (to_db(now), district, limit),
        )
        return [_event(row) for row in rows]

    async def cancel(self, event_id: int, notice: NewBroadcast, now: datetime) -> int | None:
        """Cancel the event and its reminders, and queue the notice to everyone interested,
        all in one transaction. Returns the notice's broadcast id, or None if nothing changed."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE events SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL"
                " RETURNING district",
                (to_db(now), event_id),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await conn.execute(
                "UPDATE reminders SET state = 'cancelled', settled_at = ?"
                " WHERE event_id = ? AND state = 'pending'",
                (to_db(now), event_id),
            )
            district = row[0]
            return await insert_broadcast(
                conn, notice, now, _AUDIENCE, (event_id, district, district)
            )

    async def subscribe(self, event_id: int, resident_id: int, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO event_subscriptions (event_id, resident_id, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (event_id, resident_id, to_db(now)),
            )

    async def unsubscribe(self, event_id: int, resident_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM event_subscriptions WHERE event_id = ? AND resident_id = ?",
                (event_id, resident_id),
            )

    async def is_subscribed(self, event_id: int, resident_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM event_subscriptions WHERE event_id = ? AND resident_id = ?",
            (event_id, resident_id),
        )
        return row is not None

    async def set_following(self, resident_id: int, following: bool, now: datetime) -> None:
        async with self._db.transaction() as conn:
            if following:
                await conn.execute(
                    "INSERT INTO event_followers (resident_id, created_at)"
                    " VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (resident_id, to_db(now)),
                )
            else:
                await conn.execute(
                    "DELETE FROM event_followers WHERE resident_id = ?", (resident_id,)
                )

    async def is_following(self, resident_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM event_followers WHERE resident_id = ?", (resident_id,)
        )
        return row is not None

    async def subscriptions_of(self, resident_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM event_subscriptions WHERE resident_id = ?", (resident_id,)
        )
        return int(row[0]) if row else 0

    async def audience_size(self, event_id: int) -> int:
        event = await self.get(event_id)
        if event is None:
            return 0
        row = await self._db.fetch_one(
            f"SELECT count(*) FROM residents WHERE reachable = 1 AND id IN ({_AUDIENCE})",
            (event_id, event.district, event.district),
        )
        return int(row[0]) if row else 0

    async def due_times(self, until: datetime) -> list[datetime]:
        return await pending_due_times(self._db, "reminders", until)

    async def reminders_of(self, event_id: int) -> list[tuple[datetime, str]]:
        rows = await self._db.fetch_all(
            "SELECT due_at, state FROM reminders WHERE event_id = ? ORDER BY due_at", (event_id,)
        )
        return [(from_db(row[0]), row[1]) for row in rows]

    async def fire_due(
        self, now: datetime, grace: timedelta, compose: ComposeReminder
    ) -> ReminderOutcome:
        """Hand every due reminder to the outbox, or skip it when later than `grace`.

        Queuing the broadcast and marking the reminder happen in one transaction, so a
        reminder reaches the outbox exactly once, whatever crashes when.
        """
        queued: list[int] = []
        skipped: list[tuple[int, datetime]] = []
        # Claimed row by row: another instance firing at the same moment skips these.
        async with self._db.claiming() as conn:
            async with conn.execute(
                "SELECT r.id AS reminder_id, r.due_at AS reminder_due, e.* FROM reminders r"
                " JOIN events e ON e.id = r.event_id WHERE r.id IN (SELECT id FROM reminders"
                " WHERE state = 'pending' AND due_at <= ?" + self._db.skip_locked + ")"
                " ORDER BY r.due_at",
                (to_db(now),),
            ) as cursor:
                due = await cursor.fetchall()
            for row in due:
                reminder_id, due_at = row["reminder_id"], from_db(row["reminder_due"])
                event = _event(row)
                if now - due_at > grace or event.starts_at <= now:
                    await conn.execute(
                        "UPDATE reminders SET state = 'skipped', settled_at = ? WHERE id = ?",
                        (to_db(now), reminder_id),
                    )
                    skipped.append((reminder_id, due_at))
                    continue
                broadcast_id = await insert_broadcast(
                    conn,
                    compose(event),
                    now,
                    _AUDIENCE,
                    (event.id, event.district, event.district),
                )
                await conn.execute(
                    "UPDATE reminders SET state = 'sent', settled_at = ?, broadcast_id = ?"
                    " WHERE id = ?",
                    (to_db(now), broadcast_id, reminder_id),
                )
                queued.append(reminder_id)
        return ReminderOutcome(queued, skipped)


async def pending_due_times(db: Database, table: str, until: datetime) -> list[datetime]:
    """The distinct times pending reminders in `table` fall due, up to `until` (event and
    shift reminders share this shape)."""
    rows = await db.fetch_all(
        f"SELECT DISTINCT due_at FROM {table} WHERE state = 'pending' AND due_at <= ?"
        " ORDER BY due_at",
        (to_db(until),),
    )
    return [from_db(row[0]) for row in rows]


def _event(row: Row) -> Event:
    return Event(
        id=row["id"],
        title_ja=row["title_ja"],
        title_en=row["title_en"],
        description_ja=row["description_ja"],
        description_en=row["description_en"],
        place_ja=row["place_ja"],
        place_en=row["place_en"],
        starts_at=from_db(row["starts_at"]),
        district=row["district"],
        cancelled_at=from_db(row["cancelled_at"]) if row["cancelled_at"] else None,
    )
