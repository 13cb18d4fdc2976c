"""Residents: one row per platform identity, holding only what the bot needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.database import Database
from bot.storage.timestamps import from_db, to_db


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


def _resident(row: aiosqlite.Row) -> Resident:
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
        await self._update(resident_id, "language", language, now)

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
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET reachable = 0, updated_at = ?"
                " WHERE channel = ? AND platform_user_id = ?",
                (to_db(now), channel, platform_user_id),
            )

    async def delete(self, resident_id: int) -> bool:
        """Delete the resident and, by cascade, everything linked to them."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM residents WHERE id = ?", (resident_id,))
            return cursor.rowcount > 0

    async def census(self) -> list[tuple[str, str | None, bool, int]]:
        """(channel, district, reachable, residents) for every combination that has anyone."""
        rows = await self._db.fetch_all(
            "SELECT channel, district, reachable, count(*) FROM residents"
            " GROUP BY channel, district, reachable ORDER BY district, channel"
        )
        return [(row[0], row[1], bool(row[2]), int(row[3])) for row in rows]

    async def _update(self, resident_id: int, column: str, value: object, now: datetime) -> None:
        # `column` is always one of our literals above, never user input.
        await self._db.execute(
            f"UPDATE residents SET {column} = ?, updated_at = ? WHERE id = ?",
            (value, to_db(now), resident_id),
        )
