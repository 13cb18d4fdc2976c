"""Keep what staff create answerable: open polls, upcoming events, watch routes, staff FAQ.

Checked at most every `REFRESH_SECONDS` on the question path (a few cheap queries), and
rebuilt only when something changed; `invalidate()` makes the next question look at once
(the dashboard calls it after an FAQ edit, so the answer is there without a restart).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.answerer.answerer import Answer, Answerer
from bot.answerer.topics import Topic
from bot.content import Text
from bot.content.answers import FaqEntry
from bot.storage.events import EventRepository
from bot.storage.faq import FaqRepository, StaffFaq
from bot.storage.polls import PollRepository
from bot.storage.watch import WatchRepository

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 30
# Events further ahead than this are not worth a topic each.
EVENTS_AHEAD = 50


def staff_faq_topic(entry: StaffFaq) -> Topic:
    return Topic(
        f"faq:staff-{entry.id}",
        Text(ja=entry.questions[0][:20], en=entry.questions[0][:20]),
        entry.questions,
    )


@dataclass
class LiveAnswerer:
    """The answerer plus what staff created; `answer` is what handlers call."""

    answerer: Answerer
    polls: PollRepository
    events: EventRepository
    watch: WatchRepository
    faq: FaqRepository | None = None
    # The pack's own FAQ (content/<pack>/faq.yaml) by topic id.
    pack_faq: dict[str, FaqEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._checked_at: datetime | None = None
        self._fingerprint: object = None
        self.staff_faq: dict[str, StaffFaq] = {}

    def invalidate(self) -> None:
        self._checked_at = None

    async def answer(self, text: str, now: datetime) -> Answer:
        if self._checked_at is None or now - self._checked_at >= timedelta(
            seconds=REFRESH_SECONDS
        ):
            self._checked_at = now
            try:
                await self.refresh(now)
            except Exception:
                # A failed refresh keeps the last topics: the pack's answers still work.
                logger.exception("answerer refresh failed")
        return self.answerer.answer(text)

    async def refresh(self, now: datetime) -> None:
        polls = await self.polls.still_open()
        events = await self.events.upcoming_for(None, now, EVENTS_AHEAD)
        routes = await self.watch.schedule.routes_for(None)
        entries = await self.faq.entries() if self.faq is not None else []
        fingerprint = (
            tuple((p.id, p.question_ja, p.question_en) for p in polls),
            tuple((e.id, e.title_ja, e.title_en, e.place_ja) for e in events),
            tuple((r.id, r.name_ja, r.name_en) for r in routes),
            tuple((f.id, f.updated_at) for f in entries),
        )
        if fingerprint == self._fingerprint:
            return
        live: list[Topic] = []
        for poll in polls:
            # Named together with the word for what it is, so 「防災訓練のアンケートに答えたい」
            # finds this poll rather than the list of every poll.
            phrasings = tuple(
                q
                for q in (
                    poll.question_ja,
                    poll.question_en,
                    f"{poll.question_ja}のアンケートに答えたい",
                )
                if q
            )
            live.append(
                Topic(f"poll:{poll.id}", _label(poll.question_ja, poll.question_en), phrasings)
            )
        for event in events:
            phrasings = tuple(
                t
                for t in (
                    event.title_ja,
                    event.title_en,
                    f"{event.title_ja} {event.place_ja}",
                    f"{event.title_ja}のイベントはいつ",
                )
                if t
            )
            live.append(
                Topic(f"event:{event.id}", _label(event.title_ja, event.title_en), phrasings)
            )
        for route in routes:
            phrasings = tuple(
                n for n in (route.name_ja, route.name_en, f"{route.name_ja}の見守りをしたい") if n
            )
            live.append(
                Topic(f"route:{route.id}", _label(route.name_ja, route.name_en), phrasings)
            )
        live += [staff_faq_topic(entry) for entry in entries]
        # Rebuilding the index takes tens of milliseconds: not on the event loop's thread.
        await asyncio.to_thread(self.answerer.with_live, live)
        self.staff_faq = {f"faq:staff-{entry.id}": entry for entry in entries}
        self._fingerprint = fingerprint


def _label(ja: str, en: str | None) -> Text:
    def cut(value: str) -> str:
        return value if len(value) <= 20 else value[:19] + "…"

    return Text(ja=cut(ja), en=cut(en or ja))
