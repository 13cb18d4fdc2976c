"""Dashboard forms → the models the YAML files use, so one set of rules checks both."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import ChiikiError
from bot.staff.events import EventFileError, EventSpec
from bot.staff.files import validate_model
from bot.staff.polls import PollFileError, PollSpec
from bot.web.admin.site import Page


class FormError(ChiikiError):
    pass


def local_datetime(text: str, tz: ZoneInfo, field: str) -> datetime:
    """An <input type="datetime-local"> value, read in the city's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FormError(f"{field}: choose a date and time") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _optional(text: str) -> str | None:
    return text or None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def poll_spec(page: Page) -> PollSpec:
    tz = page.runtime.settings.tz
    labels_ja, labels_en = _lines(page.field("choices_ja")), _lines(page.field("choices_en"))
    if labels_en and len(labels_en) != len(labels_ja):
        raise FormError("choices_en: give an English label for every choice, or none")
    raw: dict[str, Any] = {
        "question": {"ja": page.field("question_ja"), "en": _optional(page.field("question_en"))},
        "choices": [
            {"ja": ja, "en": labels_en[i] if labels_en else None} for i, ja in enumerate(labels_ja)
        ],
        "multiple": page.checked("multiple"),
        "closes_at": local_datetime(page.field("closes_at"), tz, "closes_at"),
        "district": _optional(page.field("district")),
        "comment": page.checked("comment"),
        "announce": page.checked("announce"),
    }
    return validate_model(raw, "form", PollSpec, PollFileError)


def event_spec(page: Page) -> EventSpec:
    tz = page.runtime.settings.tz
    remind = [part.strip() for part in page.field("remind_before").split(",") if part.strip()]
    raw: dict[str, Any] = {
        "title": {"ja": page.field("title_ja"), "en": _optional(page.field("title_en"))},
        "place": {"ja": page.field("place_ja"), "en": _optional(page.field("place_en"))},
        "description": {"ja": page.field("description_ja")},
        "starts_at": local_datetime(page.field("starts_at"), tz, "starts_at"),
        "district": _optional(page.field("district")),
        "remind_before": remind,
    }
    return validate_model(raw, "form", EventSpec, EventFileError)
