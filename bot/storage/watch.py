"""School-route watch: routes, shifts, sign-ups with a waitlist, and shift reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, inserted_id, placeholders
from bot.storage.reminders import DueReminder, ReminderNotice
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    key: str
    name_ja: str
    name_en: str | None
    district: str | None
    meeting_point_ja: str
    meeting_point_en: str | None
    note_ja: str | None
    note_en: str | None

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
class NewRoute:
    key: str
    name_ja: str
    name_en: str | None
    district: str | None
    meeting_point_ja: str
    meeting_point_en: str | None
    note_ja: str | None
    note_en: str | None


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


class SignupOutcome(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY = "already"
    OVERLAP = "overlap"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Signup:
    shift: Shift
    route: Route
    status: str
    waitlist_position: int | None  # 1 for the first in line


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


@dataclass(frozen=True, slots=True)
class RosterLine:
    shift: Shift
    route: Route
    volunteers: list[str]
    waitlist: list[str]
    # The counter sign-ups among them (with their ids, for staff to cancel one).
    counter: tuple[CounterSignup, ...] = ()


# Remind times of a shift: [(kind, due)], computed by the caller from its settings.
ReminderTimes = Callable[[datetime], list[tuple[str, datetime]]]
ShiftNotice = Callable[[Shift, Route], NewBroadcast]
ShiftReminder = Callable[[Shift, Route, str], NewBroadcast]

_SHIFT_COLUMNS = (
    "s.id, s.route_id, s.starts_at, s.ends_at, s.capacity, s.cancelled_at, s.cancel_reason,"
    " (SELECT count(*) FROM watch_signups c WHERE c.shift_id = s.id AND c.status = 'confirmed')"
    " AS confirmed,"
    " (SELECT count(*) FROM watch_signups w WHERE w.shift_id = s.id AND w.status = 'waitlisted')"
    " AS waitlisted"
)
_COUNTER_SIGNUP = (
    "SELECT id, shift_id, status, counter_name, counter_via, moved_up_at FROM watch_signups"
    " WHERE id = ? AND counter_via IS NOT NULL"
)


class WatchRepository:
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
                    "INSERT INTO watch_routes (key, name_ja, name_en, district, meeting_point_ja,"
                    " meeting_point_en, note_ja, note_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET name_ja = excluded.name_ja,"
                    " name_en = excluded.name_en, district = excluded.district,"
                    " meeting_point_ja = excluded.meeting_point_ja,"
                    " meeting_point_en = excluded.meeting_point_en,"
                    " note_ja = excluded.note_ja, note_en = excluded.note_en",
                    (
                        route.key,
                        route.name_ja,
                        route.name_en,
                        route.district,
                        route.meeting_point_ja,
                        route.meeting_point_en,
                        route.note_ja,
                        route.note_en,
                    ),
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
        return [_route(row) for row in rows]

    async def routes_by_key(self, keys: list[str]) -> list[Route]:
        """The stored routes among these keys (a file's routes that are already there)."""
        if not keys:
            return []
        rows = await self._db.fetch_all(
            f"SELECT * FROM watch_routes WHERE key IN ({placeholders(len(keys))})", tuple(keys)
        )
        return [_route(row) for row in rows]

    async def route(self, route_id: int) -> Route | None:
        row = await self._db.fetch_one("SELECT * FROM watch_routes WHERE id = ?", (route_id,))
        return _route(row) if row else None

    async def shift(self, shift_id: int) -> Shift | None:
        row = await self._db.fetch_one(
            f"SELECT {_SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
        )
        return _shift(row) if row else None

    async def upcoming_shifts(self, route_id: int, now: datetime, limit: int) -> list[Shift]:
        rows = await self._db.fetch_all(
            f"SELECT {_SHIFT_COLUMNS} FROM watch_shifts s WHERE s.route_id = ?"
            " AND s.cancelled_at IS NULL AND s.starts_at > ? ORDER BY s.starts_at LIMIT ?",
            (route_id, to_db(now), limit),
        )
        return [_shift(row) for row in rows]

    async def sign_up(
        self, shift_id: int, resident_id: int, now: datetime
    ) -> tuple[SignupOutcome, int | None]:
        """Confirm while places are free, else waitlist; refuse overlaps. One transaction, so
        simultaneous sign-ups are served strictly in turn. Returns the waitlist position too."""
        async with self._db.transaction() as conn:
            shift = await _open_shift(conn, shift_id, now)
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
            outcome, _ = await _place(conn, shift, now, resident_id, None)
        return outcome, shift.waitlisted + 1 if outcome == SignupOutcome.WAITLISTED else None

    async def sign_up_at_counter(
        self, shift_id: int, volunteer: CounterVolunteer, now: datetime
    ) -> tuple[SignupOutcome, int | None, int | None]:
        """Sign up a roster-only volunteer by name, with the same places and waitlist as a
        resident's sign-up. Returns the outcome, the waitlist position and the sign-up id."""
        async with self._db.transaction() as conn:
            shift = await _open_shift(conn, shift_id, now)
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
            outcome, signup_id = await _place(conn, shift, now, None, volunteer)
        place = shift.waitlisted + 1 if outcome == SignupOutcome.WAITLISTED else None
        return outcome, place, signup_id

    async def counter_signup(self, signup_id: int) -> CounterSignup | None:
        """A counter sign-up by its id (None for a resident's sign-up or no such row)."""
        row = await self._db.fetch_one(_COUNTER_SIGNUP, (signup_id,))
        return _counter_signup(row) if row else None

    async def cancel_counter_signup(
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
                moved = await _promote(conn, shift_id, now, promoted)
            shift, route = await _shift_and_route(conn, shift_id)
            counter = None
            if moved is not None and moved[1] is None:
                async with conn.execute(_COUNTER_SIGNUP, (moved[0],)) as cursor:
                    row = await cursor.fetchone()
                counter = _counter_signup(row) if row else None
        return CounterCancel(shift, route, status, counter)

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

    async def signups_of(self, resident_id: int, now: datetime) -> list[Signup]:
        rows = await self._db.fetch_all(
            f"SELECT {_SHIFT_COLUMNS}, g.status,"
            " (SELECT count(*) FROM watch_signups e WHERE e.shift_id = g.shift_id"
            " AND e.status = 'waitlisted' AND e.id <= g.id) AS place"
            " FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
            " WHERE g.resident_id = ? AND s.starts_at > ? AND s.cancelled_at IS NULL"
            " ORDER BY s.starts_at",
            (resident_id, to_db(now)),
        )
        signups = []
        for row in rows:
            shift = _shift(row)
            route = await self.route(shift.route_id)
            assert route is not None
            place = row["place"] if row["status"] == "waitlisted" else None
            signups.append(Signup(shift, route, row["status"], place))
        return signups

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
            shift, route = await _shift_and_route(conn, shift_id)
            return await insert_broadcast(
                conn,
                notice(shift, route),
                now,
                # Counter volunteers (no resident) have no channel: nothing is queued for them.
                "SELECT resident_id FROM watch_signups"
                " WHERE shift_id = ? AND resident_id IS NOT NULL",
                (shift_id,),
            )

    async def roster(
        self, start: datetime, end: datetime, route_key: str | None
    ) -> list[RosterLine]:
        rows = await self._db.fetch_all(
            f"SELECT {_SHIFT_COLUMNS} FROM watch_shifts s JOIN watch_routes w ON w.id = s.route_id"
            " WHERE s.starts_at >= ? AND s.starts_at < ?"
            " AND (CAST(? AS TEXT) IS NULL OR w.key = ?)"
            " ORDER BY s.starts_at, w.key",
            (to_db(start), to_db(end), route_key, route_key),
        )
        lines = []
        for row in rows:
            shift = _shift(row)
            route = await self.route(shift.route_id)
            assert route is not None
            people = await self._db.fetch_all(
                "SELECT g.id, g.shift_id, g.status, coalesce(r.display_name, g.counter_name),"
                " g.counter_via, g.moved_up_at FROM watch_signups g LEFT JOIN residents r"
                " ON r.id = g.resident_id WHERE g.shift_id = ? ORDER BY g.id",
                (shift.id,),
            )
            lines.append(
                RosterLine(
                    shift,
                    route,
                    [_label(p[3], p[4]) for p in people if p[2] == "confirmed"],
                    [_label(p[3], p[4]) for p in people if p[2] == "waitlisted"],
                    tuple(_counter_signup(p) for p in people if p[4] is not None),
                )
            )
        return lines

    async def signup_count(self, resident_id: int, now: datetime) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM watch_signups g JOIN watch_shifts s ON s.id = g.shift_id"
            " WHERE g.resident_id = ? AND s.starts_at > ?",
            (resident_id, to_db(now)),
        )
        return int(row[0]) if row else 0

    async def reminders_of(self, shift_id: int) -> list[tuple[str, datetime, str]]:
        rows = await self._db.fetch_all(
            "SELECT kind, due_at, state FROM shift_reminders WHERE shift_id = ? ORDER BY due_at",
            (shift_id,),
        )
        return [(row[0], from_db(row[1]), row[2]) for row in rows]


class ShiftReminders:
    """Shift reminders (table `shift_reminders`, the evening before and the hour before) for
    `Reminders`: each goes to the volunteers confirmed at that moment, unless the shift has
    begun or was cancelled."""

    name = "shift"
    table = "shift_reminders"
    subject_column = "shift_id"
    variant_column = "kind"

    def __init__(self, compose: ShiftReminder) -> None:
        self._compose = compose

    async def notice(
        self, conn: Connection, reminder: DueReminder, now: datetime
    ) -> ReminderNotice | None:
        shift, route = await _shift_and_route(conn, reminder.subject_id)
        if not shift.is_open(now):
            return None
        return ReminderNotice(
            self._compose(shift, route, reminder.variant or ""),
            # Counter volunteers (no resident) have no channel: nothing is queued for them.
            "SELECT resident_id FROM watch_signups WHERE shift_id = ? AND status = 'confirmed'"
            " AND resident_id IS NOT NULL",
            (shift.id,),
        )


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
    moved = await _promote(conn, shift_id, now, promoted)
    return True, moved[1] if moved else None


async def _open_shift(conn: Connection, shift_id: int, now: datetime) -> Shift | None:
    async with conn.execute(
        f"SELECT {_SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _shift(row) if row is not None and _shift(row).is_open(now) else None


async def _place(
    conn: Connection,
    shift: Shift,
    now: datetime,
    resident_id: int | None,
    counter: CounterVolunteer | None,
) -> tuple[SignupOutcome, int]:
    """The one place rule for everyone (chat or counter): confirmed while the shift has room,
    else waitlisted; `shift` was read in the caller's transaction, so sign-ups take turns."""
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


async def _promote(
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
    shift, route = await _shift_and_route(conn, shift_id)
    if shift.is_open(now):
        await insert_broadcast(
            conn, promoted(shift, route), now, "SELECT CAST(? AS INTEGER)", (resident_id,)
        )
    return signup_id, int(resident_id)


async def _count(conn: Connection, table: str) -> int:
    async with conn.execute(f"SELECT count(*) FROM {table}") as cursor:  # our own table name
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _shift_and_route(conn: Connection, shift_id: int) -> tuple[Shift, Route]:
    async with conn.execute(
        f"SELECT {_SHIFT_COLUMNS} FROM watch_shifts s WHERE s.id = ?", (shift_id,)
    ) as cursor:
        shift_row = await cursor.fetchone()
    assert shift_row is not None
    shift = _shift(shift_row)
    async with conn.execute("SELECT * FROM watch_routes WHERE id = ?", (shift.route_id,)) as c:
        route_row = await c.fetchone()
    assert route_row is not None
    return shift, _route(route_row)


def _label(name: str | None, via: str | None) -> str:
    return (name or NO_NAME) + (COUNTER_MARKS.get(via, "") if via else "")


def _counter_signup(row: Row) -> CounterSignup:
    return CounterSignup(
        id=int(row[0]),
        shift_id=int(row[1]),
        status=str(row[2]),
        label=_label(row[3], row[4]),
        moved_up_at=from_db(row[5]) if row[5] else None,
    )


def _route(row: Row) -> Route:
    return Route(
        id=row["id"],
        key=row["key"],
        name_ja=row["name_ja"],
        name_en=row["name_en"],
        district=row["district"],
        meeting_point_ja=row["meeting_point_ja"],
        meeting_point_en=row["meeting_point_en"],
        note_ja=row["note_ja"],
        note_en=row["note_en"],
    )


def _shift(row: Row) -> Shift:
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
