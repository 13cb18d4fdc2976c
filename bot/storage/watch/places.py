"""The one place rule of a watch shift, for everyone (chat or counter): confirmed while the
shift has room, else waitlisted; a freed place goes at once to the first on the waitlist."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.storage.broadcasts import insert_broadcast
from bot.storage.database import Connection, inserted_id
from bot.storage.timestamps import to_db
from bot.storage.watch.schedule import (
    SHIFT_COLUMNS,
    Shift,
    ShiftNotice,
    shift_and_route,
    shift_from_row,
)

if TYPE_CHECKING:
    from bot.storage.watch.counter import CounterVolunteer


class SignupOutcome(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY = "already"
    OVERLAP = "overlap"
    CLOSED = "closed"


async def open_shift(conn: Connection, shift_id: int, now: datetime) -> Shift | None:
    """The shift, read in the caller's transaction, if it still takes sign-ups."""
    async with conn.execute(
        f"SELECT {SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return shift_from_row(row) if row is not None and shift_from_row(row).is_open(now) else None


async def take_place(
    conn: Connection,
    shift: Shift,
    now: datetime,
    resident_id: int | None,
    counter: CounterVolunteer | None,
) -> tuple[SignupOutcome, int]:
    """Sign up a resident or a counter volunteer: confirmed while the shift has room, else
    waitlisted; `shift` was read in the caller's transaction, so sign-ups take turns. Returns
    the outcome and the sign-up's id."""
    status = "confirmed" if shift.confirmed < shift.capacity else "waitlisted"
    cursor = await conn.execute(
        "INSERT INTO watch_signups (shift_id, resident_id, status, created_at, counter_name,"
        " counter_via, counter_staff) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            shift.id,
            resident_id,
            status,
            to_db(now),
            counter.name if counter else None,
            counter.via if counter else None,
            counter.staff if counter else None,
        ),
    )
    return SignupOutcome(status), await inserted_id(cursor)


async def promote_first_waiting(
    conn: Connection, shift_id: int, now: datetime, promoted: ShiftNotice
) -> tuple[int, int | None] | None:
    """Give a freed place to the first on the waitlist; a resident is told in the same
    transaction, a counter volunteer (no channel) is not. Returns (sign-up id, resident id or
    None), or None when no one waits."""
    cursor = await conn.execute(
        "UPDATE watch_signups SET status = 'confirmed',"
        " moved_up_at = CASE WHEN resident_id IS NULL THEN CAST(? AS TEXT) END"
        " WHERE id = (SELECT id FROM watch_signups"
        " WHERE shift_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1)"
        " RETURNING id, resident_id",
        (to_db(now), shift_id),
    )
    first = await cursor.fetchone()
    if first is None:
        return None
    signup_id, resident_id = int(first[0]), first[1]
    if resident_id is None:
        return signup_id, None
    shift, route = await shift_and_route(conn, shift_id)
    if shift.is_open(now):
        await insert_broadcast(
            conn, promoted(shift, route), now, "SELECT CAST(? AS INTEGER)", (resident_id,)
        )
    return signup_id, int(resident_id)
