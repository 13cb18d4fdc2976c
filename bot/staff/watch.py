"""School-route watch files: routes and shifts (single dates or weekly rules), and rosters."""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.config import Settings
from bot.content import Pack
from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import CSV_EXPORTED, ROSTER_PRINTED, SHIFT_CANCELLED, WATCH_LOADED, record
from bot.staff.csv_export import Cell, csv_text
from bot.staff.districts import unknown_district
from bot.staff.files import StaffSpec, japanese_only, load_yaml_model, parse_yaml_model
from bot.staff.roles import can_read, require_change, require_personal_export
from bot.storage.watch import WatchRepository
from bot.storage.watch.rosters import RosterLine
from bot.storage.watch.schedule import LoadResult, NewRoute, NewShift, ReminderTimes

MAX_REASON_CHARS = 200
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RULE_DAYS = 366
_TIME_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Short = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class WatchFileError(ChiikiError):
    """A watch file is invalid; the message names the file and the field."""


class ShiftCancelError(ChiikiError):
    """A shift cannot be cancelled: no reason given, or no such shift still planned."""


class Text(StaffSpec):
    ja: Short
    en: Short | None = None


class RouteSpec(StaffSpec):
    id: Key
    name: Text
    district: str | None = None
    meeting_point: Text
    note: Text | None = None

    @field_validator("name", "meeting_point", "note", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return japanese_only(value)


def parse_window(text: str) -> tuple[time, time]:
    match = _TIME_WINDOW.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time window like 07:20-08:10")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class ShiftSpec(StaffSpec):
    route: Key
    date: dt.date | None = None
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None
    start: dt.date | None = Field(None, alias="from")
    until: dt.date | None = None
    time: str
    capacity: int = Field(ge=1, le=100)

    @field_validator("time")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @model_validator(mode="after")
    def _one_kind_of_rule(self) -> ShiftSpec:
        weekly = (self.weekdays, self.start, self.until)
        if self.date is not None:
            if any(part is not None for part in weekly):
                raise ValueError("give either date, or weekdays with from and until, not both")
        elif any(part is None for part in weekly) or not self.weekdays:
            raise ValueError("give a date, or weekdays with from and until")
        elif self.until < self.start:  # type: ignore[operator]
            raise ValueError("until is before from")
        elif (self.until - self.start).days > MAX_RULE_DAYS:  # type: ignore[operator]
            raise ValueError(f"a weekly rule spans at most {MAX_RULE_DAYS} days")
        return self

    def days(self) -> list[dt.date]:
        if self.date is not None:
            return [self.date]
        assert self.start and self.until and self.weekdays
        wanted = {WEEKDAYS.index(day) for day in self.weekdays}
        span = (self.until - self.start).days + 1
        days = (self.start + timedelta(days=n) for n in range(span))
        return [day for day in days if day.weekday() in wanted]


class WatchFile(StaffSpec):
    routes: list[RouteSpec] = Field(min_length=1)
    shifts: list[ShiftSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_routes(self) -> WatchFile:
        keys = {route.id for route in self.routes}
        if len(keys) != len(self.routes):
            raise ValueError("routes: an id is used twice")
        for index, shift in enumerate(self.shifts):
            if shift.route not in keys:
                raise ValueError(f"shifts.{index}.route: no route {shift.route!r} in this file")
        return self


def load_watch_file(path: Path) -> WatchFile:
    return load_yaml_model(path, WatchFile, WatchFileError)


def parse_watch_file(text: str, source: str) -> WatchFile:
    return parse_yaml_model(text, source, WatchFile, WatchFileError)


def plan_load(
    spec: WatchFile, pack: Pack, tz: ZoneInfo, source: str = "watch"
) -> tuple[list[NewRoute], list[NewShift]]:
    """Routes and concrete shifts (in the city's time zone) from a checked file."""
    for index, route in enumerate(spec.routes):
        if problem := unknown_district(pack, route.district):
            raise WatchFileError(f"{source}: routes.{index}.district: {problem}")
    routes = [
        NewRoute(
            key=r.id,
            name_ja=r.name.ja,
            name_en=r.name.en,
            district=r.district,
            meeting_point_ja=r.meeting_point.ja,
            meeting_point_en=r.meeting_point.en,
            note_ja=r.note.ja if r.note else None,
            note_en=r.note.en if r.note else None,
        )
        for r in spec.routes
    ]
    shifts = []
    for rule in spec.shifts:
        start, end = parse_window(rule.time)
        for day in rule.days():
            shifts.append(
                NewShift(
                    rule.route,
                    datetime.combine(day, start, tz),
                    datetime.combine(day, end, tz),
                    rule.capacity,
                )
            )
    return routes, shifts


async def load_watch(
    spec: WatchFile,
    watch: WatchRepository,
    pack: Pack,
    settings: Settings,
    now: datetime,
    source: str,
    *,
    actor: StaffActor,
) -> LoadResult:
    """Store a checked watch file's routes and shifts, with their reminders; one audit row
    for the whole load, with its counts."""
    routes, shifts = plan_load(spec, pack, settings.tz, source)
    stored = {r.key: r for r in await watch.schedule.routes_by_key([r.key for r in routes])}
    for route in routes:
        require_change(actor, route.district)
        if route.key in stored:  # a stored key is rewritten: its present district decides too
            require_change(actor, stored[route.key].district)
    times = reminder_times(settings.tz, settings.watch_evening_time, settings.watch_hour_reminder)
    result = await watch.schedule.load(routes, shifts, now, times)
    changed = sum(1 for r in routes if r.key in stored and stored[r.key].as_new() != r)
    districts = ",".join(sorted({r.district or "all" for r in routes}))
    await record(
        actor,
        WATCH_LOADED,
        now,
        "watch",
        source[:60],
        f"routes added {result.routes_added} changed {changed}; shifts added"
        f" {result.shifts_added} changed {result.shifts_changed} unchanged {result.unchanged};"
        f" districts {districts}",
    )
    return result


async def cancel_shift(
    watch: WatchRepository,
    notices: Notices,
    shift_id: int,
    reason: str,
    now: datetime,
    *,
    actor: StaffActor,
) -> int:
    """Cancel a shift and queue the notice (with the reason) to everyone on it or waiting, in
    one transaction. Returns the notice's broadcast id."""
    reason = reason.strip()
    if not reason:
        raise ShiftCancelError("--reason: say why (it is told to everyone on the shift)")
    if len(reason) > MAX_REASON_CHARS:
        raise ShiftCancelError(f"--reason: at most {MAX_REASON_CHARS} characters")
    shift = await watch.schedule.shift(shift_id)
    route = await watch.schedule.route(shift.route_id) if shift is not None else None
    if route is None:
        raise ShiftCancelError(f"no shift {shift_id}, or it is already cancelled")
    require_change(actor, route.district)
    broadcast_id = await watch.schedule.cancel_shift(
        shift_id, reason, now, notices.shift_cancelled
    )
    if broadcast_id is None:
        raise ShiftCancelError(f"no shift {shift_id}, or it is already cancelled")
    # The reason is told to residents but not copied into the log (it is free text).
    await record(actor, SHIFT_CANCELLED, now, "shift", shift_id, f"notice {broadcast_id}")
    return broadcast_id


async def roster(
    watch: WatchRepository,
    start: datetime,
    end: datetime,
    route: str | None,
    *,
    actor: StaffActor,
) -> list[RosterLine]:
    """The shifts (with names) of the routes the actor may read, between two moments."""
    lines = await watch.rosters.lines(start, end, route)
    return [line for line in lines if can_read(actor, line.route.district)]


async def export_roster_csv(
    watch: WatchRepository,
    start: datetime,
    end: datetime,
    route: str | None,
    tz: ZoneInfo,
    now: datetime,
    *,
    actor: StaffActor,
) -> str:
    """The roster as CSV: names, so not for viewer accounts; recorded in the audit log."""
    require_personal_export(actor)
    lines = await roster(watch, start, end, route, actor=actor)
    await record(actor, CSV_EXPORTED, now, "roster", route, f"{len(lines)} shifts")
    return roster_csv(lines, tz)


async def printable_roster(
    watch: WatchRepository,
    start: datetime,
    end: datetime,
    route: str | None,
    now: datetime,
    *,
    actor: StaffActor,
) -> list[RosterLine]:
    """The roster for a printed sheet: names, so like an export (not for viewers, recorded)."""
    require_personal_export(actor)
    lines = await roster(watch, start, end, route, actor=actor)
    await record(actor, ROSTER_PRINTED, now, "roster", route, f"{len(lines)} shifts")
    return lines


def reminder_times(tz: ZoneInfo, evening: time, hour_before: bool) -> ReminderTimes:
    """The evening before at `evening` (local time), and one hour before when wanted."""

    def times(starts_at: datetime) -> list[tuple[str, datetime]]:
        local = starts_at.astimezone(tz)
        due = [("evening", datetime.combine(local.date() - timedelta(days=1), evening, tz))]
        if hour_before:
            due.append(("hour", starts_at - timedelta(hours=1)))
        return due

    return times


def roster_csv(lines: list[RosterLine], tz: ZoneInfo) -> str:
    header: list[Cell] = [
        "shift",
        "date",
        "start",
        "end",
        "route",
        "capacity",
        "free",
        "volunteers",
        "waitlist",
        "state",
    ]
    rows = [header]
    for line in lines:
        start, end = line.shift.starts_at.astimezone(tz), line.shift.ends_at.astimezone(tz)
        rows.append(
            [
                line.shift.id,
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                line.route.name_ja,
                line.shift.capacity,
                line.shift.free,
                " / ".join(line.volunteers),
                " / ".join(line.waitlist),
                "cancelled" if line.shift.cancelled_at else "planned",
            ]
        )
    return csv_text(rows)
