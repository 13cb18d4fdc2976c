"""What every handler is given: the resident, the time, and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.answerer import LiveAnswerer
from bot.content import Catalog, Localized, Pack, Text
from bot.content.moments import written_date, written_span, written_time
from bot.content.readings import for_reader
from bot.core.clock import Clock
from bot.notices import Notices
from bot.storage.conversations import ConversationRepository
from bot.storage.events import EventRepository
from bot.storage.faq import UnansweredRepository
from bot.storage.links import LinkRepository
from bot.storage.outcomes import OutcomeRepository
from bot.storage.polls import PollRepository
from bot.storage.residents import Resident, ResidentRepository
from bot.storage.retention import RetentionRules
from bot.storage.voices import VoiceRepository
from bot.storage.watch import WatchRepository


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived collaborators, built once at start-up."""

    residents: ResidentRepository
    conversations: ConversationRepository
    polls: PollRepository
    events: EventRepository
    watch: WatchRepository
    links: LinkRepository
    outcomes: OutcomeRepository
    pack: Pack
    catalog: Catalog
    notices: Notices
    clock: Clock
    timezone: ZoneInfo
    retention: RetentionRules
    # Questions in residents' own words (None: every free text gets the menu).
    answerer: LiveAnswerer | None = None
    unanswered: UnansweredRepository | None = None
    # 地域の声 (handlers/voices.py).
    voices: VoiceRepository | None = None


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """One resident's request: who they are, when it is, and the services."""

    services: Services
    resident: Resident
    now: datetime

    @property
    def language(self) -> str:
        return self.resident.language

    @property
    def pack(self) -> Pack:
        return self.services.pack

    def t(self, key: str, /, **values: object) -> str:
        """A catalog phrase in the resident's language."""
        return self.services.catalog.text(key, self.language, **values)

    def staff(self, text: Localized) -> str:
        """What staff wrote (a poll's question, an event's title …) as this resident reads it:
        readings added for an easy reader (bot/content/readings.py)."""
        return for_reader(text, self.language)

    def local(self, text: Text) -> str:
        """A pack text in the resident's language."""
        return text.pick(self.language)

    def local_time(self, moment: datetime) -> str:
        """A moment in the city's time zone, written the resident's way."""
        local = moment.astimezone(self.services.timezone)
        return written_time(self.services.catalog, self.language, local)

    def local_date(self, day: date) -> str:
        """A day, written the resident's way (「2026年12月5日」, "5 Dec 2026")."""
        return written_date(self.services.catalog, self.language, day)

    def local_span(self, start: datetime, end: datetime, key: str = "time.shift") -> str:
        """A span on one day in the city's time zone (a watch shift), worded by `key`."""
        tz = self.services.timezone
        return written_span(
            self.services.catalog, self.language, start.astimezone(tz), end.astimezone(tz), key
        )
