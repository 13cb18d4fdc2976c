"""Dashboard forms → the models the YAML files use, so one set of rules checks both.

What is wrong comes back as `FormErrors`: each form field with a text key of texts.yaml and its
values, so the page says it in its own language next to the field (the models' messages are
English, for the YAML files and the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from bot.errors import ChiikiError
from bot.staff.events import EventSpec
from bot.staff.polls import PollSpec
from bot.web.admin.site import Page

M = TypeVar("M", bound=BaseModel)

# pydantic's error types → the dashboard's words for them (texts.yaml `form.error.*`).
_ERROR_KEYS = {
    "missing": "form.error.required",
    "string_too_short": "form.error.required",
    "string_too_long": "form.error.too_long",
    "too_short": "form.error.too_few",
    "too_long": "form.error.too_many",
    "value_error": "form.error.duration",
}


@dataclass(frozen=True)
class FieldProblem:
    key: str  # a texts.yaml key
    values: dict[str, Any] = field(default_factory=dict)


class FormErrors(ChiikiError):
    """What is wrong with a form: form field name → the problem with it."""

    def __init__(self, problems: dict[str, FieldProblem]) -> None:
        super().__init__(", ".join(f"{name}: {p.key}" for name, p in problems.items()))
        self.problems = problems


def local_datetime(text: str, tz: ZoneInfo, name: str) -> datetime:
    """An <input type="datetime-local"> value, read in the city's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FormErrors({name: FieldProblem("form.error.datetime")}) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _optional(text: str) -> str | None:
    return text or None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _validate(raw: dict[str, Any], model: type[M], field_of: dict[tuple[str, ...], str]) -> M:
    """The model, or FormErrors naming each form field (`field_of`: the model's location,
    without list positions, → the form field) with the first problem found in it."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems: dict[str, FieldProblem] = {}
        for error in exc.errors():
            where = tuple(str(part) for part in error["loc"] if not isinstance(part, int))
            name = field_of.get(where) or field_of.get(where[:1]) or where[0]
            context = error.get("ctx") or {}
            limits = {
                "min": context.get("min_length", ""),
                "max": context.get("max_length", ""),
            }
            key = _ERROR_KEYS.get(error["type"], "form.error.invalid")
            problems.setdefault(name, FieldProblem(key, limits))
        raise FormErrors(problems) from None


def _future(moment: datetime, page: Page, name: str) -> None:
    if moment <= page.now:
        raise FormErrors({name: FieldProblem("form.error.past")})


def _district(page: Page) -> str | None:
    chosen = _optional(page.field("district"))
    if chosen is not None and page.runtime.services.pack.district(chosen) is None:
        raise FormErrors({"district": FieldProblem("form.error.invalid")})
    return chosen


_POLL_FIELDS = {
    ("question", "ja"): "question_ja",
    ("question", "en"): "question_en",
    ("question",): "question_ja",
    ("choices", "ja"): "choices_ja",
    ("choices", "en"): "choices_en",
    ("choices",): "choices_ja",
}


def poll_spec(page: Page) -> PollSpec:
    tz = page.runtime.settings.tz
    labels_ja, labels_en = _lines(page.field("choices_ja")), _lines(page.field("choices_en"))
    if labels_en and len(labels_en) != len(labels_ja):
        raise FormErrors({"choices_en": FieldProblem("form.error.choices_en")})
    closes_at = local_datetime(page.field("closes_at"), tz, "closes_at")
    raw: dict[str, Any] = {
        "question": {"ja": page.field("question_ja"), "en": _optional(page.field("question_en"))},
        "choices": [
            {"ja": ja, "en": labels_en[i] if labels_en else None} for i, ja in enumerate(labels_ja)
        ],
        "multiple": page.checked("multiple"),
        "closes_at": closes_at,
        "district": _district(page),
        "comment": page.checked("comment"),
        "announce": page.checked("announce"),
    }
    spec = _validate(raw, PollSpec, _POLL_FIELDS)
    _future(spec.closes_at, page, "closes_at")
    return spec


_EVENT_FIELDS = {
    (name, language): f"{name}_{language}"
    for name in ("title", "place", "description")
    for language in ("ja", "en")
} | {("title",): "title_ja", ("place",): "place_ja", ("description",): "description_ja"}


def event_spec(page: Page) -> EventSpec:
    tz = page.runtime.settings.tz
    remind = [part.strip() for part in page.field("remind_before").split(",") if part.strip()]
    raw: dict[str, Any] = {
        "title": {"ja": page.field("title_ja"), "en": _optional(page.field("title_en"))},
        "place": {"ja": page.field("place_ja"), "en": _optional(page.field("place_en"))},
        "description": {"ja": page.field("description_ja")},
        "starts_at": local_datetime(page.field("starts_at"), tz, "starts_at"),
        "district": _district(page),
        "remind_before": remind,
    }
    spec = _validate(raw, EventSpec, _EVENT_FIELDS)
    _future(spec.starts_at, page, "starts_at")
    return spec
