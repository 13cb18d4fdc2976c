"""Residents: one row per platform identity, holding only what the bot needs.

A row with `linked_to` set is another channel of that resident (see bot.storage.links).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row
from bot.storage.inbound_events import MAX_ATTEMPTS
from bot.storage.timestamps import from_db, to_db
from bot.storage.voices import forget_voices


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    channel: str
    platform_user_id: str
    language: str
    district: str | None
    consent_at: datetime | None
    display_name: str | None
    reachable: bool
    created_at: datetime
    updated_at: datetime
    linked_to: int | None = None
    receives_notices: bool = True


def _resident(row: Row) -> Resident:
    return Resident(
        id=row["id"],
        channel=row["channel"],
        platform_user_id=row["platform_user_id"],
        language=row["language"],
        district=row["district"],
        consent_at=from_db(row["consent_at"]) if row["consent_at"] else None,
        display_name=row["display_name"],
        reachable=bool(row["reachable"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        linked_to=row["linked_to"],
        receives_notices=bool(row["receives_notices"]),
    )


class ResidentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, channel: str, platform_user_id: str) -> Resident | None:
        row = await self._db.fetch_one(
            "SELECT * FROM residents WHERE channel = ? AND platform_user_id = ?",
            (channel, platform_user_id),
        )
        return _resident(row) if row else None

    async def get(self, resident_id: int) -> Resident | None:
        row = await self._db.fetch_one("SELECT * FROM residents WHERE id = ?", (resident_id,))
        return _resident(row) if row else None

    async def get_or_create(
        self, channel: str, platform_user_id: str, language: str, now: datetime
    ) -> Resident:
        """The resident for this identity; a first contact creates it. Contact means reachable."""
        known = await self.find(channel, platform_user_id)
        if known is not None and known.reachable:
            return known  # the usual case: a read, nothing written
        stamp = to_db(now)
        rows = await self._db.execute(
            "INSERT INTO residents"
            " (channel, platform_user_id, language, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, platform_user_id) DO UPDATE SET reachable = 1,"
            " updated_at = excluded.updated_at RETURNING *",
            (channel, platform_user_id, language, stamp, stamp),
        )
        return _resident(rows[0])

    async def set_language(self, resident_id: int, language: str, now: datetime) -> None:
        """Every linked channel of the resident speaks the chosen language; help asks restart."""
        await self._db.execute(
            "UPDATE residents SET language = ?, help_asks = 0, updated_at = ?"
            " WHERE id = ? OR linked_to = ?",
            (language, to_db(now), resident_id, resident_id),
        )

    async def count_help_ask(self, resident_id: int, offer_at: int) -> bool:
        """Count one more ask for help; True (and the count restarts) when it reaches
        `offer_at`, the moment to offer easier words."""
        rows = await self._db.execute(
            "UPDATE residents SET help_asks = CASE WHEN help_asks + 1 >= ? THEN 0"
            " ELSE help_asks + 1 END WHERE id = ? RETURNING help_asks",
            (offer_at, resident_id),
        )
        return bool(rows) and rows[0][0] == 0

    async def set_district(self, resident_id: int, district: str | None, now: datetime) -> None:
        await self._update(resident_id, "district", district, now)

    async def give_consent(self, resident_id: int, display_name: str, now: datetime) -> None:
        """Store the roster name, with the moment the resident agreed to it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET display_name = ?, consent_at = ?, updated_at = ?"
                " WHERE id = ?",
                (display_name, to_db(now), to_db(now), resident_id),
            )

    async def mark_unreachable(self, channel: str, platform_user_id: str, now: datetime) -> None:
        """Stop sending to this identity; a linked resident's notices move to a channel that
        still reaches them."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET reachable = 0, updated_at = ?"
                " WHERE channel = ? AND platform_user_id = ?",
                (to_db(now), channel, platform_user_id),
            )
            cursor = await conn.execute(
                "UPDATE residents SET receives_notices = 1 WHERE id = (SELECT s.id"
                " FROM residents u JOIN residents s"
                " ON coalesce(s.linked_to, s.id) = coalesce(u.linked_to, u.id) AND s.id <> u.id"
                " WHERE u.channel = ? AND u.platform_user_id = ? AND u.receives_notices = 1"
                " AND s.reachable = 1 ORDER BY s.id LIMIT 1)",
                (channel, platform_user_id),
            )
            if cursor.rowcount:
                await conn.execute(
                    "UPDATE residents SET receives_notices = 0"
                    " WHERE channel = ? AND platform_user_id = ?",
                    (channel, platform_user_id),
                )

    async def delete(self, resident_id: int, now: datetime) -> bool:
        """Delete the resident and, by cascade, everything linked to them (other channels too).

        Their platform events still waiting in the inbox (a retry, or the one being handled)
        lose their payload, sender and replies and are never tried again: no text or id of
        theirs stays. A ballot in a poll still open is withdrawn (the same platform account,
        a new resident from now on, may answer it again: kept, it would count twice); one in
        a closed poll stays in the count without its voter.
        """
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM ballots WHERE resident_id = ? AND poll_id IN (SELECT id FROM polls"
                " WHERE closed_at IS NULL AND closes_at > ?)",
                (resident_id, to_db(now)),
            )
            await conn.execute(
                "UPDATE inbound_events SET payload = NULL, sender = NULL, replies = NULL,"
                " attempts = ?"
                " WHERE sender IS NOT NULL AND EXISTS (SELECT 1 FROM residents r"
                " WHERE (r.id = ? OR r.linked_to = ?) AND r.channel = inbound_events.channel"
                " AND r.platform_user_id = inbound_events.sender)",
                (MAX_ATTEMPTS, resident_id, resident_id),
            )
            # Published voices stay for the district as text without an author (issue 24).
            await forget_voices(conn, resident_id)
            cursor = await conn.execute("DELETE FROM residents WHERE id = ?", (resident_id,))
            return cursor.rowcount > 0

    async def census(self) -> list[tuple[str, str | None, bool, int]]:
        """(channel, district, reachable, residents) for every combination that has anyone."""
        # A linked channel counts where it is, in its person's district.
        rows = await self._db.fetch_all(
            "SELECT r.channel, p.district, r.reachable, count(*) FROM residents r"
            " JOIN residents p ON p.id = coalesce(r.linked_to, r.id)"
            " GROUP BY r.channel, p.district, r.reachable ORDER BY p.district, r.channel"
        )
        return [(row[0], row[1], bool(row[2]), int(row[3])) for row in rows]

    async def _update(self, resident_id: int, column: str, value: object, now: datetime) -> None:
        # `column` is always one of our literals above, never user input.
        await self._db.execute(
            f"UPDATE residents SET {column} = ?, updated_at = ? WHERE id = ?",
            (value, to_db(now), resident_id),
        )
