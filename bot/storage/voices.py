"""地域の声: opinions, problems and questions residents send, staff's triage, and 賛同.

A voice belongs to the person's row (the dispatcher's resident), goes to their district (None:
the city), and moves through received → reviewing → taken_up (linked to an event) → answered
or declined (with a reason). Every notice to the resident is written to the outbox in the
transaction that changes the state, so it is sent once, whatever restarts in between.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.localized import Localized
from bot.storage.broadcasts import NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, inserted_id, placeholders
from bot.storage.server_keys import ServerKeyRepository
from bot.storage.timestamps import from_db, to_db

MAX_VOICE_CHARS = 1000
MAX_PLACE_CHARS = 100
MAX_REASON_CHARS = 500
MAX_ANSWER_CHARS = 2000
# A resident may send this many voices in a day (a script cannot flood the staff's list).
VOICES_PER_DAY = 5
DAY = timedelta(days=1)
# Voices one client address may send an hour, whoever sends them (the web chat gives each
# browser an identity, so one address could mint twenty fresh residents an hour, each with
# five voices: 100 an hour). A 公民館 PC residents take turns at, or a school class sending one
# each (new web residents from one address are capped at 20 an hour), stays under it.
VOICES_PER_ADDRESS = 30
ADDRESS_WINDOW = timedelta(hours=1)
ADDRESS_KEY_NAME = "voice-addresses"


class VoiceKind(StrEnum):
    OPINION = "opinion"  # 意見・提案
    PROBLEM = "problem"  # 困りごと・危険な場所
    QUESTION = "question"  # 質問


class VoiceState(StrEnum):
    RECEIVED = "received"  # 受付
    REVIEWING = "reviewing"  # 確認中
    TAKEN_UP = "taken_up"  # 円卓会議・協議会で扱う
    ANSWERED = "answered"  # 回答済み
    DECLINED = "declined"  # 対応しない

    @property
    def settled(self) -> bool:
        return self in (VoiceState.ANSWERED, VoiceState.DECLINED)


# Where each state may go next: forward only; a settled voice stays settled.
NEXT_STATES: dict[VoiceState, frozenset[VoiceState]] = {
    VoiceState.RECEIVED: frozenset(VoiceState) - {VoiceState.RECEIVED},
    VoiceState.REVIEWING: frozenset(
        {VoiceState.TAKEN_UP, VoiceState.ANSWERED, VoiceState.DECLINED}
    ),
    VoiceState.TAKEN_UP: frozenset({VoiceState.ANSWERED, VoiceState.DECLINED}),
    VoiceState.ANSWERED: frozenset(),
    VoiceState.DECLINED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a voice is about: a map point, a typed name, or both."""

    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class Photo:
    media_type: str
    data: bytes = b""

    def __repr__(self) -> str:  # never the bytes, in a log or a traceback
        return f"Photo({self.media_type}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class NewVoice:
    resident_id: int
    kind: VoiceKind
    body: str
    language: str
    district: str | None
    place: Place = Place()
    photo: Photo | None = None
    photo_public: bool = False
    contact_ok: bool = False

    def __post_init__(self) -> None:
        if not self.body.strip() or len(self.body) > MAX_VOICE_CHARS:
            raise ValueError(f"a voice is 1 to {MAX_VOICE_CHARS} characters")
        if self.place.name is not None and len(self.place.name) > MAX_PLACE_CHARS:
            raise ValueError(f"a place name is at most {MAX_PLACE_CHARS} characters")


# Staff's answer to a voice, in each language they wrote.
Answer = Localized


@dataclass(frozen=True, slots=True)
class Voice:
    id: int
    receipt: str
    resident_id: int | None
    kind: VoiceKind
    body: str
    language: str
    district: str | None
    place: Place
    contact_ok: bool
    photo_public: bool
    has_photo: bool
    state: VoiceState
    event_id: int | None
    reason: str | None
    answer: Answer | None
    published: bool
    supports: int
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:  # a resident's text never reaches a log through a repr
        return f"Voice({self.id}, {self.kind}, {self.state})"


class SendOutcome(StrEnum):
    STORED = "stored"
    TOO_MANY = "too_many"  # the resident sent VOICES_PER_DAY in the last day
    ADDRESS_BUSY = "address_busy"  # their address sent VOICES_PER_ADDRESS in the last hour


class ChangeOutcome(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    NOT_ALLOWED = "not_allowed"  # the state cannot go there from where it is
    NO_EVENT = "no_event"  # the meeting to link does not exist


# A notice for the voice's author, in every language: given the voice as it is after the
# change (its state, reason, answer), it returns the broadcast.
ComposeVoiceNotice = Callable[[Voice], NewBroadcast]

_COLUMNS = (
    "v.id, v.receipt, v.resident_id, v.kind, v.body, v.language, v.district, v.place_name,"
    " v.latitude, v.longitude, v.contact_ok, v.photo_public, v.state, v.event_id, v.reason,"
    " v.answer_ja, v.answer_en, v.answer_easy, v.published, v.created_at, v.updated_at,"
    " (SELECT count(*) FROM voice_photos p WHERE p.voice_id = v.id) AS photos,"
    " (SELECT count(*) FROM voice_supports s WHERE s.voice_id = v.id) AS supports"
)


def receipt_for(voice_id: int, created_at: datetime) -> str:
    """What the resident quotes when they ask about it: the year and the number."""
    return f"{created_at.year}-{voice_id:05d}"


def _voice(row: Row) -> Voice:
    answer = Answer(row["answer_ja"], row["answer_en"], row["answer_easy"])
    return Voice(
        id=row["id"],
        receipt=row["receipt"],
        resident_id=row["resident_id"],
        kind=VoiceKind(row["kind"]),
        body=row["body"],
        language=row["language"],
        district=row["district"],
        place=Place(row["place_name"], row["latitude"], row["longitude"]),
        contact_ok=bool(row["contact_ok"]),
        photo_public=bool(row["photo_public"]),
        has_photo=bool(row["photos"]),
        state=VoiceState(row["state"]),
        event_id=row["event_id"],
        reason=row["reason"],
        answer=answer if row["answer_ja"] else None,
        published=bool(row["published"]),
        supports=int(row["supports"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


_AUTHOR = "SELECT resident_id FROM voices WHERE id = ? AND resident_id IS NOT NULL"


class VoiceRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._key: bytes | None = None

    async def _address_hash(self, client_address: str | None, now: datetime) -> str | None:
        """The address as voice_senders keeps it (keyed, so the table names no address); None
        where there is none (LINE, Telegram, the console: an account there is not cheap)."""
        if client_address is None:
            return None
        if self._key is None:
            self._key = await ServerKeyRepository(self._db).get_or_create(ADDRESS_KEY_NAME, now)
        return hmac.new(self._key, client_address.encode("utf-8"), hashlib.sha256).hexdigest()

    async def address_busy(self, client_address: str | None, now: datetime) -> bool:
        """Whether voices from this client address are refused now (asked before the resident
        writes one; `send` checks again)."""
        address_hash = await self._address_hash(client_address, now)
        if address_hash is None:
            return False
        row = await self._db.fetch_one(
            "SELECT count(*) FROM voice_senders WHERE address_hash = ? AND sent_at > ?",
            (address_hash, to_db(now - ADDRESS_WINDOW)),
        )
        return row is not None and int(row[0]) >= VOICES_PER_ADDRESS

    async def send(
        self, voice: NewVoice, now: datetime, client_address: str | None = None
    ) -> tuple[SendOutcome, Voice | None]:
        """Store a voice with its receipt, unless the resident sent VOICES_PER_DAY in the last
        day or their client address VOICES_PER_ADDRESS in the last hour; counting and storing
        happen in one transaction."""
        address_hash = await self._address_hash(client_address, now)
        hour_ago = to_db(now - ADDRESS_WINDOW)
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT count(*) FROM voices WHERE resident_id = ? AND created_at > ?",
                (voice.resident_id, to_db(now - DAY)),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and int(row[0]) >= VOICES_PER_DAY:
                return SendOutcome.TOO_MANY, None
            if address_hash is not None:
                async with conn.execute(
                    "SELECT count(*) FROM voice_senders WHERE address_hash = ? AND sent_at > ?",
                    (address_hash, hour_ago),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None and int(row[0]) >= VOICES_PER_ADDRESS:
                    return SendOutcome.ADDRESS_BUSY, None
                await conn.execute("DELETE FROM voice_senders WHERE sent_at <= ?", (hour_ago,))
                await conn.execute(
                    "INSERT INTO voice_senders (address_hash, sent_at) VALUES (?, ?)",
                    (address_hash, to_db(now)),
                )
            cursor = await conn.execute(
                "INSERT INTO voices (resident_id, kind, body, language, district, place_name,"
                " latitude, longitude, contact_ok, photo_public, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    voice.resident_id,
                    voice.kind.value,
                    voice.body,
                    voice.language,
                    voice.district,
                    voice.place.name,
                    voice.place.latitude,
                    voice.place.longitude,
                    int(voice.contact_ok),
                    int(voice.photo_public and voice.photo is not None),
                    to_db(now),
                    to_db(now),
                ),
            )
            voice_id = await inserted_id(cursor)
            await conn.execute(
                "UPDATE voices SET receipt = ? WHERE id = ?",
                (receipt_for(voice_id, now), voice_id),
            )
            if voice.photo is not None:
                await conn.execute(
                    "INSERT INTO voice_photos (voice_id, media_type, data) VALUES (?, ?, ?)",
                    (voice_id, voice.photo.media_type, voice.photo.data),
                )
            stored = await _get(conn, voice_id)
        return SendOutcome.STORED, stored

    async def sent_since(self, resident_id: int, now: datetime) -> int:
        """Voices the resident sent in the day before `now` (the daily limit)."""
        row = await self._db.fetch_one(
            "SELECT count(*) FROM voices WHERE resident_id = ? AND created_at > ?",
            (resident_id, to_db(now - DAY)),
        )
        return int(row[0]) if row else 0

    async def get(self, voice_id: int) -> Voice | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM voices v WHERE v.id = ?", (voice_id,)
        )
        return _voice(row) if row else None

    async def photo(self, voice_id: int) -> Photo | None:
        row = await self._db.fetch_one(
            "SELECT media_type, data FROM voice_photos WHERE voice_id = ?", (voice_id,)
        )
        return Photo(row["media_type"], bytes(row["data"])) if row else None

    async def search(
        self,
        district: str | None = None,
        kind: VoiceKind | None = None,
        state: VoiceState | None = None,
        limit: int = 50,
        offset: int = 0,
        any_district: bool = True,
        within: frozenset[str] | None = None,
    ) -> list[Voice]:
        """Newest first; `district` narrows to one (with any_district False, None is the
        city's own: voices of residents with no district); `within` keeps only these
        districts' voices and the city's own, before the limit is applied."""
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if within is not None:
            inside = f" OR v.district IN ({placeholders(len(within))})" if within else ""
            where.append(f"(v.district IS NULL{inside})")
            params.extend(sorted(within))
        if district is not None:
            where.append("v.district = ?")
            params.append(district)
        elif not any_district:
            where.append("v.district IS NULL")
        if kind is not None:
            where.append("v.kind = ?")
            params.append(kind.value)
        if state is not None:
            where.append("v.state = ?")
            params.append(state.value)
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM voices v WHERE {' AND '.join(where)}"
            " ORDER BY v.created_at DESC, v.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_voice(row) for row in rows]

    async def count_new(
        self, district: str | None = None, within: frozenset[str] | None = None
    ) -> int:
        """Voices no one has looked at yet (received), for the dashboard's counter; `within`
        as for search."""
        scope = ""
        if within is not None:
            inside = f" OR district IN ({placeholders(len(within))})" if within else ""
            scope = f" AND (district IS NULL{inside})"
        row = await self._db.fetch_one(
            "SELECT count(*) FROM voices WHERE state = 'received'"
            f" AND (CAST(? AS TEXT) IS NULL OR district = ?){scope}",
            (district, district, *sorted(within or ())),
        )
        return int(row[0]) if row else 0

    async def of_resident(self, resident_id: int, limit: int = 10) -> list[Voice]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM voices v WHERE v.resident_id = ?"
            " ORDER BY v.created_at DESC, v.id DESC LIMIT ?",
            (resident_id, limit),
        )
        return [_voice(row) for row in rows]

    async def count_of_resident(self, resident_id: int) -> tuple[int, datetime | None]:
        """How many voices the resident has, and when the oldest was sent (for /mydata)."""
        row = await self._db.fetch_one(
            "SELECT count(*), min(created_at) FROM voices WHERE resident_id = ?", (resident_id,)
        )
        if row is None or not row[0]:
            return 0, None
        return int(row[0]), from_db(row[1])

    async def supports_of(self, person_id: int) -> int:
        """How many voices the person supports (for /mydata: a 賛同 is kept with their row)."""
        row = await self._db.fetch_one(
            "SELECT count(*) FROM voice_supports WHERE resident_id = ?", (person_id,)
        )
        return int(row[0]) if row else 0

    async def published_in(self, district: str | None, limit: int = 10) -> list[Voice]:
        """The district's published voices (the city's own when None), newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM voices v WHERE v.published = 1"
            " AND (v.district = ? OR (CAST(? AS TEXT) IS NULL AND v.district IS NULL))"
            " ORDER BY v.created_at DESC, v.id DESC LIMIT ?",
            (district, district, limit),
        )
        return [_voice(row) for row in rows]

    async def support(self, voice_id: int, person_id: int, now: datetime) -> bool | None:
        """Add the person's 賛同 once. True when added, False when they already had, None when
        the voice is not published (or gone)."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM voices WHERE id = ? AND published = 1", (voice_id,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    return None
            cursor = await conn.execute(
                "INSERT INTO voice_supports (voice_id, resident_id, supported_at)"
                " VALUES (?, ?, ?) ON CONFLICT (voice_id, resident_id) DO NOTHING",
                (voice_id, person_id, to_db(now)),
            )
            return cursor.rowcount == 1

    async def supported_by(self, person_id: int, voice_ids: list[int]) -> set[int]:
        if not voice_ids:
            return set()
        marks = ", ".join("?" * len(voice_ids))
        rows = await self._db.fetch_all(
            f"SELECT voice_id FROM voice_supports WHERE resident_id = ? AND voice_id IN ({marks})",
            (person_id, *voice_ids),
        )
        return {int(row[0]) for row in rows}

    async def change_state(
        self,
        voice_id: int,
        state: VoiceState,
        now: datetime,
        compose: ComposeVoiceNotice | None = None,
        reason: str | None = None,
        event_id: int | None = None,
        answer: Answer | None = None,
    ) -> ChangeOutcome:
        """Move the voice on; with `compose`, its author is told in the same transaction."""
        async with self._db.transaction() as conn:
            before = await _get(conn, voice_id)
            if before is None:
                return ChangeOutcome.MISSING
            if state not in NEXT_STATES[before.state]:
                return ChangeOutcome.NOT_ALLOWED
            if event_id is not None:
                async with conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)) as c:
                    if await c.fetchone() is None:
                        return ChangeOutcome.NO_EVENT
            await conn.execute(
                "UPDATE voices SET state = ?, reason = coalesce(?, reason),"
                " event_id = coalesce(?, event_id), answer_ja = coalesce(?, answer_ja),"
                " answer_en = coalesce(?, answer_en), answer_easy = coalesce(?, answer_easy),"
                " updated_at = ? WHERE id = ?",
                (
                    state.value,
                    reason,
                    event_id,
                    answer.ja if answer else None,
                    answer.en if answer else None,
                    answer.easy if answer else None,
                    to_db(now),
                    voice_id,
                ),
            )
            after = await _get(conn, voice_id)
            assert after is not None
            if compose is not None and after.resident_id is not None:
                await insert_broadcast(conn, compose(after), now, _AUTHOR, (voice_id,))
        return ChangeOutcome.CHANGED

    async def set_published(self, voice_id: int, published: bool, now: datetime) -> bool:
        rows = await self._db.execute(
            "UPDATE voices SET published = ?, updated_at = ? WHERE id = ? RETURNING id",
            (int(published), to_db(now), voice_id),
        )
        return bool(rows)


async def _get(conn: Connection, voice_id: int) -> Voice | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM voices v WHERE v.id = ?", (voice_id,)) as c:
        row = await c.fetchone()
    return _voice(row) if row else None


async def forget_voices(conn: Connection, person_id: int) -> None:
    """/forget, inside the caller's transaction: unpublished voices go; a published one stays
    as text only (no author, place, photo or contact), as the district has read it."""
    await conn.execute("DELETE FROM voices WHERE resident_id = ? AND published = 0", (person_id,))
    await conn.execute(
        "DELETE FROM voice_photos WHERE voice_id IN (SELECT id FROM voices WHERE resident_id = ?)",
        (person_id,),
    )
    await conn.execute(
        "UPDATE voices SET resident_id = NULL, place_name = NULL, latitude = NULL,"
        " longitude = NULL, contact_ok = 0, photo_public = 0 WHERE resident_id = ?",
        (person_id,),
    )
