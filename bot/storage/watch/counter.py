"""Counter sign-ups (窓口での代理入力): volunteers staff sign up by name, with no chat account,
who take places and waitlist positions by the same rule as residents and are never sent
anything; and how every name is marked wherever names are listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row
from bot.storage.timestamps import from_db
from bot.storage.watch.places import (
    SignupOutcome,
    open_shift,
    promote_first_waiting,
    take_place,
)
from bot.storage.watch.schedule import Route, Shift, ShiftNotice, shift_and_route

# How a roster-only volunteer signed up by staff (窓口での代理入力) gave consent, and how their
# name is marked wherever names are listed (rosters, CSV, the printed sheet, the CLI).
COUNTER_MARKS = {"counter": "（窓口）", "phone": "（窓口・電話）"}
NO_NAME = "(no name)"


@dataclass(frozen=True, slots=True)
class CounterVolunteer:
    """A person staff sign up by name: no chat account, so never sent anything."""

    name: str
    via: str  # a key of COUNTER_MARKS
    staff: str  # the login of the staff account that recorded the consent


@dataclass(frozen=True, slots=True)
class CounterSignup:
    id: int
    shift_id: int
    status: str
    label: str  # the name with its 窓口 mark
    # When they moved up from the waitlist (no one tells them but staff); None if they did not.
    moved_up_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CounterCancel:
    shift: Shift
    route: Route
    status: str  # what the cancelled sign-up was: confirmed or waitlisted
    promoted: CounterSignup | None  # a counter volunteer moved up: staff tell them by phone


# The columns counter_signup_from_row reads, from `watch_signups`.
_COUNTER_SIGNUP = (
    "SELECT id, shift_id, status, counter_name, counter_via, moved_up_at FROM watch_signups"
    " WHERE id = ? AND counter_via IS NOT NULL"
)


class CounterSignupRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sign_up(
        self, shift_id: int, volunteer: CounterVolunteer, now: datetime
    ) -> tuple[SignupOutcome, int | None, int | None]:
        """Sign up a roster-only volunteer by name, with the same places and waitlist as a
        resident's sign-up. Returns the outcome, the waitlist position and the sign-up id."""
        async with self._db.transaction() as conn:
            shift = await open_shift(conn, shift_id, now)
            if shift is None:
                return SignupOutcome.CLOSED, None, None
            # A name is not an identity, so no overlap check; only the same name twice on one
            # shift (a double entry by two staff members) is refused.
            async with conn.execute(
                "SELECT 1 FROM watch_signups WHERE shift_id = ? AND counter_name = ?",
                (shift_id, volunteer.name),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return SignupOutcome.ALREADY, None, None
            outcome, signup_id = await take_place(conn, shift, now, None, volunteer)
        place = shift.waitlisted + 1 if outcome == SignupOutcome.WAITLISTED else None
        return outcome, place, signup_id

    async def find(self, signup_id: int) -> CounterSignup | None:
        """A counter sign-up by its id (None for a resident's sign-up or no such row)."""
        row = await self._db.fetch_one(_COUNTER_SIGNUP, (signup_id,))
        return counter_signup_from_row(row) if row else None

    async def cancel(
        self, signup_id: int, now: datetime, promoted: ShiftNotice
    ) -> CounterCancel | None:
        """Take a counter sign-up off its shift; a freed place goes to the first on the
        waitlist exactly as when a resident withdraws (a promoted resident is told in the same
        transaction). None if there is no such counter sign-up (cancelled already)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM watch_signups WHERE id = ? AND counter_via IS NOT NULL"
                " RETURNING shift_id, status",
                (signup_id,),
            )
            left = await cursor.fetchone()
            if left is None:
                return None
            shift_id, status = int(left[0]), str(left[1])
            moved = None
            if status == "confirmed":
                moved = await promote_first_waiting(conn, shift_id, now, promoted)
            shift, route = await shift_and_route(conn, shift_id)
            counter = None
            if moved is not None and moved[1] is None:
                async with conn.execute(_COUNTER_SIGNUP, (moved[0],)) as cursor:
                    row = await cursor.fetchone()
                counter = counter_signup_from_row(row) if row else None
        return CounterCancel(shift, route, status, counter)


def listed_name(name: str | None, via: str | None) -> str:
    """A name as lists show it: a counter volunteer's with its 窓口 mark."""
    return (name or NO_NAME) + (COUNTER_MARKS.get(via, "") if via else "")


def counter_signup_from_row(row: Row) -> CounterSignup:
    """From (id, shift_id, status, name, counter_via, moved_up_at)."""
    return CounterSignup(
        id=int(row[0]),
        shift_id=int(row[1]),
        status=str(row[2]),
        label=listed_name(row[3], row[4]),
        moved_up_at=from_db(row[5]) if row[5] else None,
    )
