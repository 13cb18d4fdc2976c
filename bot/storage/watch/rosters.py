"""Watch rosters: who is on which shift and who waits, by name, for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import to_db
from bot.storage.watch.counter import CounterSignup, counter_signup_from_row, listed_name
from bot.storage.watch.schedule import (
    SHIFT_COLUMNS,
    Route,
    ScheduleRepository,
    Shift,
    shift_from_row,
)


@dataclass(frozen=True, slots=True)
class RosterLine:
    shift: Shift
    route: Route
    volunteers: list[str]
    waitlist: list[str]
    # The counter sign-ups among them (with their ids, for staff to cancel one).
    counter: tuple[CounterSignup, ...] = ()


class RosterRepository:
    def __init__(self, db: Database, schedule: ScheduleRepository) -> None:
        self._db = db
        self._schedule = schedule  # the routes of the shifts listed

    async def lines(
        self, start: datetime, end: datetime, route_key: str | None
    ) -> list[RosterLine]:
        """The shifts starting between two moments (on one route, or all), with names."""
        rows = await self._db.fetch_all(
            f"SELECT {SHIFT_COLUMNS} FROM watch_shifts s JOIN watch_routes w ON w.id = s.route_id"
            " WHERE s.starts_at >= ? AND s.starts_at < ?"
            " AND (CAST(? AS TEXT) IS NULL OR w.key = ?)"
            " ORDER BY s.starts_at, w.key",
            (to_db(start), to_db(end), route_key, route_key),
        )
        lines = []
        for row in rows:
            shift = shift_from_row(row)
            route = await self._schedule.route(shift.route_id)
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
                    [listed_name(p[3], p[4]) for p in people if p[2] == "confirmed"],
                    [listed_name(p[3], p[4]) for p in people if p[2] == "waitlisted"],
                    tuple(counter_signup_from_row(p) for p in people if p[4] is not None),
                )
            )
        return lines
