"""Outcomes: what came of a poll or a meeting, who acts next, and telling those who took part."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, inserted_id, placeholders
from bot.storage.timestamps import from_db, to_db

# Who took part: a poll's voters; a meeting's residents who asked to be reminded of it, and
# those who raised or supported a voice (地域の声) the meeting took up.
_PARTICIPANTS = {
    "poll": "SELECT resident_id FROM ballots WHERE poll_id = ? AND resident_id IS NOT NULL",
    "event": "SELECT resident_id FROM event_subscriptions WHERE event_id = ?"
    " UNION SELECT resident_id FROM voices WHERE event_id = ? AND resident_id IS NOT NULL"
    " UNION SELECT s.resident_id FROM voice_supports s JOIN voices v ON v.id = s.voice_id"
    " WHERE v.event_id = ?",
}
_SUBJECT = {
    "poll": "SELECT question_ja, question_en FROM polls WHERE id = ?",
    "event": "SELECT title_ja, title_en FROM events WHERE id = ?",
}


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # "poll" or "event"
    id: int
    title_ja: str
    title_en: str | None

    @property
    def title(self) -> Localized:
        return Localized(self.title_ja, self.title_en)


@dataclass(frozen=True, slots=True)
class NewOutcome:
    kind: str
    subject_id: int
    decided_ja: str
    decided_en: str | None
    decided_easy: str | None
    next_actors: tuple[str, ...]

    @property
    def decided(self) -> Localized:
        return Localized(self.decided_ja, self.decided_en, self.decided_easy)


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    subject: Subject
    decided_ja: str
    decided_en: str | None
    decided_easy: str | None
    next_actors: tuple[str, ...]
    created_at: datetime
    broadcast_id: int | None

    @property
    def decided(self) -> Localized:
        return Localized(self.decided_ja, self.decided_en, self.decided_easy)


ComposeNotice = Callable[[Subject, NewOutcome], NewBroadcast]


class OutcomeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, outcome: NewOutcome, compose: ComposeNotice, now: datetime
    ) -> tuple[int, int | None] | None:
        """Record the outcome and, in the same transaction, the notice to everyone who took
        part. None when the poll or event does not exist."""
        async with self._db.transaction() as conn:
            subject = await _subject(conn, outcome.kind, outcome.subject_id)
            if subject is None:
                return None
            audience = _PARTICIPANTS[outcome.kind]
            broadcast_id = await insert_broadcast(
                conn, compose(subject, outcome), now, audience, (subject.id,) * audience.count("?")
            )
            cursor = await conn.execute(
                "INSERT INTO outcomes (poll_id, event_id, decided_ja, decided_en, decided_easy,"
                " next_actors, broadcast_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    subject.id if subject.kind == "poll" else None,
                    subject.id if subject.kind == "event" else None,
                    outcome.decided_ja,
                    outcome.decided_en,
                    outcome.decided_easy,
                    " ".join(outcome.next_actors),
                    broadcast_id,
                    to_db(now),
                ),
            )
            return await inserted_id(cursor), broadcast_id

    async def subject_district(self, kind: str, subject_id: int) -> str | None:
        """The district of the poll or event an outcome is about (None: city-wide or none)."""
        table = {"poll": "polls", "event": "events"}.get(kind)
        if table is None:
            return None
        row = await self._db.fetch_one(f"SELECT district FROM {table} WHERE id = ?", (subject_id,))
        return row[0] if row else None

    async def recent(
        self, limit: int = 10, districts: frozenset[str] | None = None
    ) -> list[Outcome]:
        """The newest first; with `districts`, only outcomes of their polls and events and of
        city-wide ones."""
        scope = ""
        if districts is not None:
            scope = " WHERE coalesce(p.district, e.district) IS NULL"
            if districts:
                scope += (
                    f" OR coalesce(p.district, e.district) IN ({placeholders(len(districts))})"
                )
        rows = await self._db.fetch_all(
            "SELECT o.*, coalesce(p.question_ja, e.title_ja) AS title_ja,"
            " coalesce(p.question_en, e.title_en) AS title_en"
            " FROM outcomes o LEFT JOIN polls p ON p.id = o.poll_id"
            f" LEFT JOIN events e ON e.id = o.event_id{scope}"
            " ORDER BY o.created_at DESC, o.id DESC LIMIT ?",
            (*sorted(districts or ()), limit),
        )
        return [_outcome(row) for row in rows]


async def _subject(conn: Connection, kind: str, subject_id: int) -> Subject | None:
    if kind not in _SUBJECT:
        return None
    async with conn.execute(_SUBJECT[kind], (subject_id,)) as cursor:
        row = await cursor.fetchone()
    return Subject(kind, subject_id, row[0], row[1]) if row else None


def _outcome(row: Row) -> Outcome:
    kind = "poll" if row["poll_id"] is not None else "event"
    subject = Subject(kind, row["poll_id"] or row["event_id"], row["title_ja"], row["title_en"])
    return Outcome(
        id=row["id"],
        subject=subject,
        decided_ja=row["decided_ja"],
        decided_en=row["decided_en"],
        decided_easy=row["decided_easy"],
        next_actors=tuple(row["next_actors"].split()),
        created_at=from_db(row["created_at"]),
        broadcast_id=row["broadcast_id"],
    )
