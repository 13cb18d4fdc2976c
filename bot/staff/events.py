"""Council events from YAML files."""

from __future__ import annotations

import re
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
from bot.staff.files import StaffSpec, japanese_only, load_yaml_model
from bot.storage.events import EventRepository, NewEvent

DEFAULT_REMIND_BEFORE = ("1d", "1h")
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

Short = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Long = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)]


class EventFileError(ChiikiError):
    """An event file is invalid; the message names the file and the field."""


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
    spec: EventSpec, events: EventRepository, pack: Pack, now: datetime, source: str = "event"
) -> int:
    if spec.starts_at <= now:
        raise EventFileError(f"{source}: starts_at: {spec.starts_at.isoformat()} has passed")
    if spec.district is not None and pack.district(spec.district) is None:
        known = ", ".join(d.id for d in pack.districts) or "none in this pack"
        raise EventFileError(f"{source}: district: unknown {spec.district!r} (known: {known})")
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
    return await events.create(event, spec.remind_at(), now)
