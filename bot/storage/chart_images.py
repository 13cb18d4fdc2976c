"""Chart pictures kept briefly at unguessable names, for a page (or LINE) to fetch.

In the database rather than in memory, so that whichever instance a download reaches has the
picture. A lost one costs nothing but the picture: the text says the same.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.core.clock import Clock
from bot.storage.database import Database
from bot.storage.timestamps import to_db

LIFETIME = timedelta(minutes=10)


class ChartImageRepository:
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = LIFETIME) -> None:
        self._db = db
        self._clock = clock
        self._lifetime = lifetime

    async def put(self, png: bytes) -> str:
        """Keep the picture; return its name (24 URL-safe characters). Lapsed ones go now."""
        now = self._clock()
        name = secrets.token_urlsafe(18)
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM chart_images WHERE expires_at <= ?", (to_db(now),))
            await conn.execute(
                "INSERT INTO chart_images (name, png, expires_at) VALUES (?, ?, ?)",
                (name, png, to_db(now + self._lifetime)),
            )
        return name

    async def get(self, name: str) -> bytes | None:
        row = await self._db.fetch_one(
            "SELECT png FROM chart_images WHERE name = ? AND expires_at > ?",
            (name, to_db(self._clock())),
        )
        return bytes(row[0]) if row else None
