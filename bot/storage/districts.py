"""Districts staff added on the dashboard, kept beside the pack's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class StaffDistrict:
    id: str
    name_ja: str
    name_en: str | None
    name_easy: str | None


class DistrictRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[StaffDistrict]:
        rows = await self._db.fetch_all(
            "SELECT id, name_ja, name_en, name_easy FROM staff_districts ORDER BY created_at, id"
        )
        return [StaffDistrict(row[0], row[1], row[2], row[3]) for row in rows]

    async def add(self, district: StaffDistrict, now: datetime) -> bool:
        """Store it; False when a district of that id is stored already."""
        rows = await self._db.execute(
            "INSERT INTO staff_districts (id, name_ja, name_en, name_easy, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
            (district.id, district.name_ja, district.name_en, district.name_easy, to_db(now)),
        )
        return bool(rows)
