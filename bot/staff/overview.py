"""The dashboard's first page as the actor may see it: residents by district and channel, and
what is coming up. A district account sees its districts' figures and items (and city-wide
items); admins and viewers see the whole city (counts only: nothing personal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.staff.actor import StaffActor
from bot.staff.roles import DISTRICT, can_read, read_scope
from bot.staff.watch import roster
from bot.storage.events import Event, EventRepository
from bot.storage.polls import Poll, PollRepository
from bot.storage.residents import ResidentRepository
from bot.storage.voices import VoiceRepository
from bot.storage.watch import WatchRepository
from bot.storage.watch.rosters import RosterLine

EVENTS_SHOWN = 5
SHIFTS_SHOWN = 8
SHIFT_DAYS = 7


@dataclass(frozen=True)
class Overview:
    channels: list[str]
    # District (None: residents who chose none) → channel → reachable residents.
    districts: dict[str | None, dict[str, int]]
    unreachable: int
    total: int
    events: list[Event]
    polls: list[tuple[Poll, int]]
    shifts: list[RosterLine]
    new_voices: int


async def overview(
    residents: ResidentRepository,
    polls: PollRepository,
    events: EventRepository,
    watch: WatchRepository,
    voices: VoiceRepository | None,
    now: datetime,
    *,
    actor: StaffActor,
) -> Overview:
    census = await residents.census()
    if actor.role == DISTRICT:  # residents without a district are nobody's district's figure
        census = [row for row in census if row[1] in actor.districts]
    districts: dict[str | None, dict[str, int]] = {}
    unreachable = 0
    for channel, district, reachable, count in census:
        if reachable:
            row = districts.setdefault(district, {})
            row[channel] = row.get(channel, 0) + count
        else:
            unreachable += count
    upcoming = sorted(
        (
            e
            for e in await events.all()
            if e.cancelled_at is None and e.starts_at > now and can_read(actor, e.district)
        ),
        key=lambda e: e.starts_at,
    )
    lines = await roster(watch, now, now + timedelta(days=SHIFT_DAYS), None, actor=actor)
    open_polls = [
        # Online and paper (紙・窓口) ballots together, as everywhere results are shown.
        (poll, (await polls.tally(poll.id)).ballots + (await polls.paper.tally(poll.id)).ballots)
        for poll in await polls.still_open()
        if poll.is_open(now) and can_read(actor, poll.district)
    ]
    return Overview(
        channels=sorted({row[0] for row in census}),
        districts=districts,
        unreachable=unreachable,
        total=sum(row[3] for row in census),
        events=upcoming[:EVENTS_SHOWN],
        polls=open_polls,
        shifts=[line for line in lines if line.shift.cancelled_at is None][:SHIFTS_SHOWN],
        new_voices=await voices.count_new(within=read_scope(actor)) if voices else 0,
    )
