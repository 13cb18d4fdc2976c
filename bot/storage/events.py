"""Council events, who wants to hear about them, and their reminders (the source of truth)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, inserted_id
from bot.storage.reminders import DueReminder, ReminderNotice
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

    async def reminders_of(self, event_id: int) -> list[tuple[datetime, str]]:
        rows = await self._db.fetch_all(
            "SELECT due_at, state FROM reminders WHERE event_id = ? ORDER BY due_at", (event_id,)
        )
        return [(from_db(row[0]), row[1]) for row in rows]


class EventReminders:
    """Event reminders (table `reminders`) for `Reminders`: each goes to the event's
    subscribers and its district's followers, unless the event has begun."""

    name = "event"
    table = "reminders"
    subject_column = "event_id"
    variant_column = None

    def __init__(self, compose: ComposeReminder) -> None:
        self._compose = compose

    async def notice(
        self, conn: Connection, reminder: DueReminder, now: datetime
    ) -> ReminderNotice | None:
        async with conn.execute("SELECT * FROM events WHERE id = ?", (reminder.subject_id,)) as c:
            row = await c.fetchone()
        assert row is not None
        event = _event(row)
        if event.starts_at <= now:
            return None
        return ReminderNotice(
            self._compose(event), _AUDIENCE, (event.id, event.district, event.district)
        )


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
