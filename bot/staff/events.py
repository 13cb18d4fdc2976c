"""Council events from YAML files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    field_validator,
)

from bot.content import Pack
from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import EVENT_CANCELLED, EVENT_CREATED, record
from bot.staff.districts import unknown_district
from bot.staff.files import StaffSpec, japanese_only, load_yaml_model
from bot.staff.roles import can_read, require_change
from bot.storage.events import Event, EventRepository, NewEvent

DEFAULT_REMIND_BEFORE = ("1d", "1h")
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

Short = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Long = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)]


class EventFileError(ChiikiError):
    """An event file is invalid; the message names the file and the field."""


class EventCancelError(ChiikiError):
    """No such event, or it is already cancelled."""


class ShortText(StaffSpec):
    ja: Short
    en: Short | None = None


class LongText(StaffSpec):
    ja: Long = ""
    en: Long | None = None


def parse_duration(text: str) -> timedelta:
    """'1d', '3h', '30m' → timedelta; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 1d, 3h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class EventSpec(StaffSpec):
    title: ShortText
    description: LongText = LongText()
    place: ShortText
    starts_at: AwareDatetime
    district: str | None = None
    remind_before: list[str] = Field(default=list(DEFAULT_REMIND_BEFORE), max_length=5)

    @field_validator("title", "description", "place", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return japanese_only(value)

    @field_validator("remind_before")
    @classmethod
    def _durations(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_duration(item)
        return value

    def remind_at(self) -> list[datetime]:
        return [self.starts_at - parse_duration(item) for item in self.remind_before]


def load_event_file(path: Path) -> EventSpec:
    return load_yaml_model(path, EventSpec, EventFileError)


async def create_event(
    spec: EventSpec,
    events: EventRepository,
    pack: Pack,
    now: datetime,
    source: str = "event",
    *,
    actor: StaffActor,
) -> int:
    require_change(actor, spec.district)
    if spec.starts_at <= now:
        raise EventFileError(f"{source}: starts_at: {spec.starts_at.isoformat()} has passed")
    if problem := unknown_district(pack, spec.district):
        raise EventFileError(f"{source}: district: {problem}")
    event = NewEvent(
        title_ja=spec.title.ja,
        title_en=spec.title.en,
        description_ja=spec.description.ja,
        description_en=spec.description.en,
        place_ja=spec.place.ja,
        place_en=spec.place.en,
        starts_at=spec.starts_at,
        district=spec.district,
    )
    event_id = await events.create(event, spec.remind_at(), now)
    await record(
        actor, EVENT_CREATED, now, "event", event_id, f"district {spec.district or 'all'}"
    )
    return event_id


@dataclass(frozen=True)
class EventRow:
    """An event as staff list it: how many follow it and each reminder's (time, state)."""

    event: Event
    audience: int
    reminders: list[tuple[datetime, str]]


async def list_events(events: EventRepository, *, actor: StaffActor) -> list[EventRow]:
    """Every event the actor may read, in stored order, with its audience and reminders."""
    return [
        EventRow(item, await events.audience_size(item.id), await events.reminders_of(item.id))
        for item in await events.all()
        if can_read(actor, item.district)
    ]


async def readable_events(events: EventRepository, *, actor: StaffActor) -> list[Event]:
    """The events the actor may read (to choose one, e.g. the meeting that takes a voice up)."""
    return [item for item in await events.all() if can_read(actor, item.district)]


async def cancel_event(
    events: EventRepository, notices: Notices, event_id: int, now: datetime, *, actor: StaffActor
) -> int:
    """Cancel an event: its reminders stop and its followers' notice is queued in the same
    transaction. Returns the notice's broadcast id."""
    item = await events.get(event_id)
    if item is None:
        raise EventCancelError(f"no event {event_id}")
    require_change(actor, item.district)
    broadcast_id = await events.cancel(event_id, notices.event_cancelled(item), now)
    if broadcast_id is None:
        raise EventCancelError(f"event {event_id} is already cancelled")
    await record(actor, EVENT_CANCELLED, now, "event", event_id, f"notice {broadcast_id}")
    return broadcast_id
