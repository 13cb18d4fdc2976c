"""The texts of everything sent through the outbox, in every language, from the catalog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content import LANGUAGES, Catalog, Localized
from bot.content.moments import written_time
from bot.content.readings import for_reader
from bot.storage.broadcasts import NewBroadcast
from bot.storage.events import Event
from bot.storage.outcomes import NewOutcome, Subject
from bot.storage.voices import Voice, VoiceState
from bot.storage.watch.schedule import Route, Shift


class Notices:
    """Each notice keeps the district of what it is about (an event, a route, a voice): the
    audience is chosen by the caller, the district says whose broadcast it is (a district
    account's history shows its own)."""

    def __init__(self, catalog: Catalog, timezone: ZoneInfo) -> None:
        self._catalog = catalog
        self._tz = timezone

    def time(self, moment: datetime, language: str) -> str:
        return written_time(self._catalog, language, moment.astimezone(self._tz))

    def _texts(self, key: str, **values: object) -> tuple[str, ...]:
        """The phrase in every language, in LANGUAGES order (ja, en, easy); a callable value is
        asked for the text in each language."""
        return tuple(
            self._catalog.text(
                key,
                language,
                **{k: v(language) if callable(v) else v for k, v in values.items()},
            )
            for language in LANGUAGES
        )

    def event_reminder(self, event: Event) -> NewBroadcast:
        # Reminders promise "never twice": a send cut short by a crash is not repeated.
        return NewBroadcast(
            "reminder",
            *self._event_texts("events.reminder", event),
            district=event.district,
            resend_in_flight=False,
        )

    def event_cancelled(self, event: Event) -> NewBroadcast:
        return NewBroadcast(
            "event_cancelled",
            *self._event_texts("events.cancelled", event),
            district=event.district,
        )

    def _event_texts(self, key: str, event: Event) -> tuple[str, ...]:
        return self._texts(
            key,
            title=_staff(event.title),
            time=lambda language: self.time(event.starts_at, language),
            place=_staff(event.place),
        )

    def poll_opened(
        self, question_ja: str, question_en: str | None, closes_at: datetime, district: str | None
    ) -> NewBroadcast:
        texts = self._texts(
            "polls.announcement",
            question=_staff(Localized(question_ja, question_en)),
            time=lambda language: self.time(closes_at, language),
        )
        return NewBroadcast("poll_announcement", *texts, district=district)

    def outcome(
        self, subject: Subject, outcome: NewOutcome, actors: Callable[[str], str]
    ) -> NewBroadcast:
        return NewBroadcast(
            "outcome",
            *self._texts(
                "outcomes.notice",
                subject=_staff(subject.title),
                decided=_staff(outcome.decided),
                actors=actors,
            ),
        )

    def voice_changed(self, voice: Voice) -> NewBroadcast:
        """What the author of a voice is told when staff answer it, decline it (with the
        reason) or take it up at a meeting."""
        key = {
            VoiceState.ANSWERED: "voices.notice_answered",
            VoiceState.DECLINED: "voices.notice_declined",
            VoiceState.TAKEN_UP: "voices.notice_taken_up",
        }[voice.state]
        answer = voice.answer
        return NewBroadcast(
            "voice",
            *self._texts(
                key,
                receipt=voice.receipt,
                answer=_staff(answer or Localized("")),
                reason=_staff(Localized(voice.reason or "")),
            ),
            district=voice.district,
        )

    def _shift_texts(self, key: str, shift: Shift, route: Route) -> tuple[str, ...]:
        return self._texts(
            key,
            route=_staff(route.name),
            time=lambda language: self.time(shift.starts_at, language),
            place=_staff(route.meeting_point),
            reason=_staff(Localized(shift.cancel_reason or "")),
        )

    def shift_promoted(self, shift: Shift, route: Route) -> NewBroadcast:
        return NewBroadcast(
            "shift_promoted",
            *self._shift_texts("watch.promoted", shift, route),
            district=route.district,
        )

    def shift_cancelled(self, shift: Shift, route: Route) -> NewBroadcast:
        return NewBroadcast(
            "shift_cancelled",
            *self._shift_texts("watch.cancelled", shift, route),
            district=route.district,
        )

    def shift_reminder(self, shift: Shift, route: Route, kind: str) -> NewBroadcast:
        key = "watch.reminder_evening" if kind == "evening" else "watch.reminder_hour"
        return NewBroadcast(
            "reminder",
            *self._shift_texts(key, shift, route),
            district=route.district,
            resend_in_flight=False,
        )


def _staff(text: Localized) -> Callable[[str], str]:
    """A text staff wrote, asked for in each language: with readings for easy readers."""
    return lambda language: for_reader(text, language)
