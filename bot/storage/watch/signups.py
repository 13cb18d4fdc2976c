"""Residents' watch sign-ups from the chat: sign up (or join the waitlist), withdraw, and
what a resident holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Connection, Database
from bot.storage.timestamps import to_db
from bot.storage.watch.places import (
    SignupOutcome,
    open_shift,
    promote_first_waiting,
    take_place,
)
from bot.storage.watch.schedule import (
    SHIFT_COLUMNS,
    Route,
    ScheduleRepository,
    Shift,
    ShiftNotice,
    shift_from_row,
)


@dataclass(frozen=True, slots=True)
class Signup:
    shift: Shift
    route: Route
    status: str
    waitlist_position: int | None  # 1 for the first in line


class SignupRepository:
    def __init__(self, db: Database, schedule: ScheduleRepository) -> None:
        self._db = db
        self._schedule = schedule  # the routes of the shifts listed

    async def sign_up(
        self, shift_id: int, resident_id: int, now: datetime
    ) -> tuple[SignupOutcome, int | None]:
        """Confirm while places are free, else waitlist; refuse overlaps. One transaction, so
        simultaneous sign-ups are served strictly in turn. Returns the waitlist position too."""
        async with self._db.transaction() as conn:
            shift = await open_shift(conn, shift_id, now)
            if shift is None:
                return SignupOutcome.CLOSED, None
            async with conn.execute(
                "SELECT g.shift_id FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
                " WHERE g.resident_id = ? AND s.cancelled_at IS NULL"
                " AND s.starts_at < ? AND s.ends_at > ?",
                (resident_id, to_db(shift.ends_at), to_db(shift.starts_at)),
            ) as cursor:
                clashes = [r[0] for r in await cursor.fetchall()]
            if shift_id in clashes:
                return SignupOutcome.ALREADY, None
            if clashes:
                return SignupOutcome.OVERLAP, None
            outcome, _ = await take_place(conn, shift, now, resident_id, None)
        return outcome, shift.waitlisted + 1 if outcome == SignupOutcome.WAITLISTED else None

    async def withdraw(
        self, shift_id: int, resident_id: int, now: datetime, promoted: ShiftNotice
    ) -> tuple[bool, int | None]:
        """Leave a shift; a freed place goes at once to the first on the waitlist, who is told
        (in the same transaction). Returns (left, promoted resident id or None)."""
        async with self._db.transaction() as conn:
            return await _withdraw(conn, shift_id, resident_id, now, promoted)

    async def withdraw_everywhere(
        self, resident_id: int, now: datetime, promoted: ShiftNotice
    ) -> int:
        """Leave every shift still ahead (/forget), promoting whoever waits for each place."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT g.shift_id FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
                " WHERE g.resident_id = ? AND s.starts_at > ?",
                (resident_id, to_db(now)),
            ) as cursor:
                shift_ids = [row[0] for row in await cursor.fetchall()]
            for shift_id in shift_ids:
                await _withdraw(conn, shift_id, resident_id, now, promoted)
        return len(shift_ids)

    async def of(self, resident_id: int, now: datetime) -> list[Signup]:
        """The shifts still ahead a resident is on or waiting for, soonest first."""
        rows = await self._db.fetch_all(
            f"SELECT {SHIFT_COLUMNS}, g.status,"
            " (SELECT count(*) FROM watch_signups e WHERE e.shift_id = g.shift_id"
            " AND e.status = 'waitlisted' AND e.id <= g.id) AS place"
            " FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
            " WHERE g.resident_id = ? AND s.starts_at > ? AND s.cancelled_at IS NULL"
            " ORDER BY s.starts_at",
            (resident_id, to_db(now)),
        )
        signups = []
        for row in rows:
            shift = shift_from_row(row)
            route = await self._schedule.route(shift.route_id)
            assert route is not None
            place = row["place"] if row["status"] == "waitlisted" else None
            signups.append(Signup(shift, route, row["status"], place))
        return signups

    async def count(self, resident_id: int, now: datetime) -> int:
        """How many shifts still ahead a resident is on or waiting for (/mydata)."""
        row = await self._db.fetch_one(
            "SELECT count(*) FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
            " WHERE g.resident_id = ? AND s.starts_at > ?",
            (resident_id, to_db(now)),
        )
        return int(row[0]) if row else 0


async def _withdraw(
    conn: Connection,
    shift_id: int,
    resident_id: int,
    now: datetime,
    promoted: ShiftNotice,
) -> tuple[bool, int | None]:
    cursor = await conn.execute(
        "DELETE FROM watch_signups WHERE shift_id = ? AND resident_id = ? RETURNING status",
        (shift_id, resident_id),
    )
    left = await cursor.fetchone()
    if left is None:
        return False, None
    if left[0] != "confirmed":
        return True, None
    moved = await promote_first_waiting(conn, shift_id, now, promoted)
    return True, moved[1] if moved else None
