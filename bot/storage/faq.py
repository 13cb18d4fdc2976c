"""Staff-written questions and answers (よくある質問), and questions the bot could not answer."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.localized import Localized
from bot.storage.database import Database, Row
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class StaffFaq:
    """One entry staff wrote in the dashboard. `answer_en`/`answer_easy` may be missing."""

    id: int
    questions: tuple[str, ...]
    answer_ja: str
    answer_en: str | None
    answer_easy: str | None
    source: str | None
    updated_at: datetime

    @property
    def answer(self) -> Localized:
        return Localized(self.answer_ja, self.answer_en, self.answer_easy)


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    id: int
    text: str
    language: str
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """One text as staff see it: asked `times` times, last on `last_asked_at`; `id` is its
    latest question's, the handle to add it as an entry or dismiss it."""

    id: int
    text: str
    last_asked_at: datetime
    times: int


_FAQ_COLUMNS = "id, questions, answer_ja, answer_en, answer_easy, source, updated_at"


def _faq(row: Row) -> StaffFaq:
    return StaffFaq(
        row[0], tuple(json.loads(row[1])), row[2], row[3], row[4], row[5], from_db(row[6])
    )


class FaqRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def entries(self) -> list[StaffFaq]:
        rows = await self._db.fetch_all(f"SELECT {_FAQ_COLUMNS} FROM faq_entries ORDER BY id")
        return [_faq(row) for row in rows]

    async def get(self, entry_id: int) -> StaffFaq | None:
        row = await self._db.fetch_one(
            f"SELECT {_FAQ_COLUMNS} FROM faq_entries WHERE id = ?", (entry_id,)
        )
        return _faq(row) if row else None

    async def version(self) -> str:
        """Changes whenever an entry is added, changed or removed: the answerer's cue to reload."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), ''), COALESCE(MAX(id), 0) FROM faq_entries"
        )
        assert row is not None
        return f"{row[0]}:{row[1]}:{row[2]}"

    async def add(
        self,
        questions: list[str],
        answer_ja: str,
        answer_en: str | None,
        answer_easy: str | None,
        source: str | None,
        now: datetime,
    ) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO faq_entries (questions, answer_ja, answer_en, answer_easy, source,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    json.dumps(questions, ensure_ascii=False),
                    answer_ja,
                    answer_en,
                    answer_easy,
                    source,
                    to_db(now),
                    to_db(now),
                ),
            )
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def update(
        self,
        entry_id: int,
        questions: list[str],
        answer_ja: str,
        answer_en: str | None,
        answer_easy: str | None,
        source: str | None,
        now: datetime,
    ) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE faq_entries SET questions = ?, answer_ja = ?, answer_en = ?,"
                " answer_easy = ?, source = ?, updated_at = ? WHERE id = ?",
                (
                    json.dumps(questions, ensure_ascii=False),
                    answer_ja,
                    answer_en,
                    answer_easy,
                    source,
                    to_db(now),
                    entry_id,
                ),
            )
            return cursor.rowcount == 1

    async def remove(self, entry_id: int) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM faq_entries WHERE id = ?", (entry_id,))
            return cursor.rowcount == 1


# Unanswered questions kept from one resident a day: far more than anyone asking in earnest;
# without it a script sending thousands of distinct texts filled the staff's list (and the
# disk) for the whole retention period. Counted in memory per instance, never stored, per
# platform identity (a resident row is new after /forget) and per client address (fresh web
# identities cost nothing else).
UNANSWERED_PER_RESIDENT_PER_DAY = 30
UNANSWERED_PER_ADDRESS_PER_DAY = 90
_MAX_ASKERS_COUNTED = 50_000


class UnansweredRepository:
    """Kept without who asked, so staff can see what residents want to know."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._asked_today: OrderedDict[str, tuple[date, int]] = OrderedDict()

    def _within_daily_share(self, key: str, day: date, share: int) -> bool:
        counted_day, count = self._asked_today.pop(key, (day, 0))
        count = count + 1 if counted_day == day else 1
        self._asked_today[key] = (day, count)
        if len(self._asked_today) > _MAX_ASKERS_COUNTED:
            self._asked_today.popitem(last=False)
        return count <= share

    async def record(
        self,
        text: str,
        language: str,
        now: datetime,
        asker: str | None = None,
        address: str | None = None,
    ) -> bool:
        """Keep the text (never `asker`, the platform identity, nor `address`, the client's:
        used only to count); False when either's share for the day is used up and nothing was
        kept."""
        day = now.date()
        shares = []
        if asker is not None:
            shares.append(
                self._within_daily_share(f"id:{asker}", day, UNANSWERED_PER_RESIDENT_PER_DAY)
            )
        if address is not None:
            shares.append(
                self._within_daily_share(f"address:{address}", day, UNANSWERED_PER_ADDRESS_PER_DAY)
            )
        if not all(shares):
            return False
        await self._db.execute(
            "INSERT INTO unanswered_questions (text, language, asked_at) VALUES (?, ?, ?)",
            (text, language, to_db(now)),
        )
        return True

    async def latest(self, limit: int = 200) -> list[UnansweredQuestion]:
        rows = await self._db.fetch_all(
            "SELECT id, text, language, asked_at FROM unanswered_questions"
            " ORDER BY asked_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [UnansweredQuestion(r[0], r[1], r[2], from_db(r[3])) for r in rows]

    async def get(self, question_id: int) -> UnansweredQuestion | None:
        row = await self._db.fetch_one(
            "SELECT id, text, language, asked_at FROM unanswered_questions WHERE id = ?",
            (question_id,),
        )
        return UnansweredQuestion(row[0], row[1], row[2], from_db(row[3])) if row else None

    async def remove(self, question_id: int) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM unanswered_questions WHERE id = ?", (question_id,)
            )
            return cursor.rowcount == 1

    async def grouped(self, limit: int, offset: int = 0) -> list[UnansweredGroup]:
        """The same text asked again is one line, newest first."""
        rows = await self._db.fetch_all(
            "SELECT MAX(id), text, MAX(asked_at), COUNT(*) FROM unanswered_questions"
            " GROUP BY text ORDER BY MAX(asked_at) DESC, MAX(id) DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [UnansweredGroup(r[0], r[1], from_db(r[2]), int(r[3])) for r in rows]

    async def count_texts(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(DISTINCT text) FROM unanswered_questions")
        assert row is not None
        return int(row[0])

    async def dismiss(self, question_id: int) -> int:
        """Remove the question and every other asking of the same text; how many went."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM unanswered_questions WHERE text ="
                " (SELECT text FROM unanswered_questions WHERE id = ?)",
                (question_id,),
            )
            return cursor.rowcount

    async def remove_before(self, cutoff: datetime) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM unanswered_questions WHERE asked_at < ?", (to_db(cutoff),)
            )
            return cursor.rowcount
