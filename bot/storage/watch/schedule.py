"""The watch's routes and shifts: a watch file loaded, routes and shifts read, a shift
cancelled (with the notice to everyone on it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, inserted_id, placeholders
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class NewRoute:
    """A route as a watch file gives it. Its fields are the columns of `watch_routes` (but the
    id): the one list by which routes are written, read and compared."""

    key: str
    name_ja: str
    name_en: str | None
    district: str | None
    meeting_point_ja: str
    meeting_point_en: str | None
    note_ja: str | None
    note_en: str | None


ROUTE_COLUMNS = tuple(field.name for field in fields(NewRoute))


@dataclass(frozen=True, slots=True)
class Route(NewRoute):
    """A stored route: what its file gave, and its id."""

    id: int

    @property
    def name(self) -> Localized:
        return Localized(self.name_ja, self.name_en)

    @property
    def meeting_point(self) -> Localized:
        return Localized(self.meeting_point_ja, self.meeting_point_en)

    @property
    def note(self) -> Localized | None:
        # Staff write a note in Japanese first (the pack's Text); English alone is not kept.
        return Localized(self.note_ja, self.note_en) if self.note_ja else None

    def as_new(self) -> NewRoute:
        """The route as a file gives it, to tell whether loading one changes it."""
        return NewRoute(**{column: getattr(self, column) for column in ROUTE_COLUMNS})


@dataclass(frozen=True, slots=True)
class Shift:
    id: int
    route_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancelled_at: datetime | None
    cancel_reason: str | None
    confirmed: int
    waitlisted: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.confirmed)

    def is_open(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.starts_at > now


@dataclass(frozen=True, slots=True)
class NewShift:
    route_key: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass(frozen=True, slots=True)
class LoadResult:
    routes_added: int
    shifts_added: int
    shifts_changed: int
    unchanged: int


# Remind times of a shift: [(kind, due)], computed by the caller from its settings.
ReminderTimes = Callable[[datetime], list[tuple[str, datetime]]]
# A notice about one shift (cancelled, a place freed for you), composed by the caller.
ShiftNotice = Callable[[Shift, Route], NewBroadcast]

# A shift's columns with its confirmed and waitlisted counts, from `watch_shifts s`.
SHIFT_COLUMNS = (
    "s.id, s.route_id, s.starts_at, s.ends_at, s.capacity, s.cancelled_at, s.cancel_reason,"
    " (SELECT count(*) FROM watch_signups c WHERE c.shift_id = s.id AND c.status = 'confirmed')"
    " AS confirmed,"
    " (SELECT count(*) FROM watch_signups w WHERE w.shift_id = s.id AND w.status = 'waitlisted')"
    " AS waitlisted"
)
# A route added, or the stored one with its key rewritten (a file loaded again).
_UPSERT_ROUTE = (
    f"INSERT INTO watch_routes ({', '.join(ROUTE_COLUMNS)})"
    f" VALUES ({placeholders(len(ROUTE_COLUMNS))}) ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in ROUTE_COLUMNS if column != "key")
)


class ScheduleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(
        self,
        routes: list[NewRoute],
        shifts: list[NewShift],
        now: datetime,
        reminder_times: ReminderTimes,
    ) -> LoadResult:
        """Add or update routes and shifts from a file, in one transaction; loading the same
        file again changes nothing."""
        shifts_added = shifts_changed = unchanged = 0
        async with self._db.transaction() as conn:
            routes_before = await _count(conn, "watch_routes")
            for route in routes:
                await conn.execute(
                    _UPSERT_ROUTE, tuple(getattr(route, column) for column in ROUTE_COLUMNS)
                )
            routes_added = await _count(conn, "watch_routes") - routes_before
            async with conn.execute("SELECT key, id FROM watch_routes") as cursor:
                route_ids = {row[0]: row[1] for row in await cursor.fetchall()}
            for shift in shifts:
                route_id = route_ids[shift.route_key]
                async with conn.execute(
                    "SELECT id, ends_at, capacity FROM watch_shifts"
                    " WHERE route_id = ? AND starts_at = ?",
                    (route_id, to_db(shift.starts_at)),
                ) as cursor:
                    existing = await cursor.fetchone()
                if existing is None:
                    cursor = await conn.execute(
                        "INSERT INTO watch_shifts (route_id, starts_at, ends_at, capacity)"
                        " VALUES (?, ?, ?, ?) RETURNING id",
                        (route_id, to_db(shift.starts_at), to_db(shift.ends_at), shift.capacity),
                    )
                    shift_id = await inserted_id(cursor)
                    await conn.executemany(
                        "INSERT INTO shift_reminders (shift_id, kind, due_at)"
                        " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        [
                            (shift_id, kind, to_db(due))
                            for kind, due in reminder_times(shift.starts_at)
                            if due > now
                        ],
                    )
                    shifts_added += 1
                elif (existing[1], existing[2]) != (to_db(shift.ends_at), shift.capacity):
                    await conn.execute(
                        "UPDATE watch_shifts SET ends_at = ?, capacity = ? WHERE id = ?",
                        (to_db(shift.ends_at), shift.capacity, existing[0]),
                    )
                    shifts_changed += 1
                else:
                    unchanged += 1
        return LoadResult(routes_added, shifts_added, shifts_changed, unchanged)

    async def routes_for(self, district: str | None) -> list[Route]:
        rows = await self._db.fetch_all(
            "SELECT * FROM watch_routes WHERE district IS NULL OR district = ? ORDER BY key",
            (district,),
        )
        return [route_from_row(row) for row in rows]

    async def routes_by_key(self, keys: list[str]) -> list[Route]:
        """The stored routes among these keys (a file's routes that are already there)."""
        if not keys:
            return []
        rows = await self._db.fetch_all(
            f"SELECT * FROM watch_routes WHERE key IN ({placeholders(len(keys))})", tuple(keys)
        )
        return [route_from_row(row) for row in rows]

    async def route(self, route_id: int) -> Route | None:
        row = await self._db.fetch_one("SELECT * FROM watch_routes WHERE id = ?", (route_id,))
        return route_from_row(row) if row else None

    async def shift(self, shift_id: int) -> Shift | None:
        row = await self._db.fetch_one(
            f"SELECT {SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
        )
        return shift_from_row(row) if row else None

    async def upcoming_shifts(self, route_id: int, now: datetime, limit: int) -> list[Shift]:
        rows = await self._db.fetch_all(
            f"SELECT {SHIFT_COLUMNS} FROM watch_shifts s WHERE s.route_id = ?"
            " AND s.cancelled_at IS NULL AND s.starts_at > ? ORDER BY s.starts_at LIMIT ?",
            (route_id, to_db(now), limit),
        )
        return [shift_from_row(row) for row in rows]

    async def cancel_shift(
        self, shift_id: int, reason: str, now: datetime, notice: ShiftNotice
    ) -> int | None:
        """Cancel a shift and its reminders and tell everyone on it or waiting, in one
        transaction. Returns the notice's broadcast id, or None if nothing changed."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE watch_shifts SET cancelled_at = ?, cancel_reason = ?"
                " WHERE id = ? AND cancelled_at IS NULL",
                (to_db(now), reason, shift_id),
            )
            if cursor.rowcount != 1:
                return None
            await conn.execute(
                "UPDATE shift_reminders SET state = 'cancelled', settled_at = ?"
                " WHERE shift_id = ? AND state = 'pending'",
                (to_db(now), shift_id),
            )
            shift, route = await shift_and_route(conn, shift_id)
            return await insert_broadcast(
                conn,
                notice(shift, route),
                now,
                # Counter volunteers (no resident) have no channel: nothing is queued for them.
                "SELECT resident_id FROM watch_signups"
                " WHERE shift_id = ? AND resident_id IS NOT NULL",
                (shift_id,),
            )

    async def reminders_of(self, shift_id: int) -> list[tuple[str, datetime, str]]:
        rows = await self._db.fetch_all(
            "SELECT kind, due_at, state FROM shift_reminders WHERE shift_id = ? ORDER BY due_at",
            (shift_id,),
        )
        return [(row[0], from_db(row[1]), row[2]) for row in rows]


async def shift_and_route(conn: Connection, shift_id: int) -> tuple[Shift, Route]:
    """A shift and its route, read in the caller's transaction."""
    async with conn.execute(
        f"SELECT {SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
    ) as cursor:
        shift_row = await cursor.fetchone()
    assert shift_row is not None
    shift = shift_from_row(shift_row)
    async with conn.execute("SELECT * FROM watch_routes WHERE id = ?", (shift.route_id,)) as c:
        route_row = await c.fetchone()
    assert route_row is not None
    return shift, route_from_row(route_row)


async def _count(conn: Connection, table: str) -> int:
    async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:  # our own table name
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def route_from_row(row: Row) -> Route:
    return Route(id=row["id"], **{column: row[column] for column in ROUTE_COLUMNS})


def shift_from_row(row: Row) -> Shift:
    """A shift from a row of SHIFT_COLUMNS."""
    return Shift(
        id=row["id"],
        route_id=row["route_id"],
        starts_at=from_db(row["starts_at"]),
        ends_at=from_db(row["ends_at"]),
        capacity=row["capacity"],
        cancelled_at=from_db(row["cancelled_at"]) if row["cancelled_at"] else None,
        cancel_reason=row["cancel_reason"],
        confirmed=row["confirmed"],
        waitlisted=row["waitlisted"],
    )
