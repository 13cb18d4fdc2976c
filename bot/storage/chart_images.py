"""Chart pictures kept briefly at unguessable names, for a page (or LINE) to fetch.

In the database rather than in memory, so that whichever instance a download reaches has the
picture. A lost one costs nothing but the picture: the text says the same. A picture is named
by a keyed hash of what it shows, so the same results are stored once however often they are
asked for, and each resident may cause only a few new drawings in a while: tapping
グラフで見る 300 times added 300 pictures (4 MB) before.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.storage.database import Database
from bot.storage.server_keys import ServerKeyRepository
from bot.storage.timestamps import to_db

LIFETIME = timedelta(minutes=10)
KEY_NAME = "chart-names"
DRAWINGS_PER_RESIDENT = 5
DRAWING_WINDOW = timedelta(minutes=10)
NAME_CHARACTERS = 32  # 128 bits of the HMAC: as unguessable as a random name


class ChartImageRepository:
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = LIFETIME) -> None:
        self._db = db
        self._clock = clock
        self._lifetime = lifetime
        self._key: bytes | None = None

    async def _hmac(self, text: str) -> str:
        if self._key is None:
            keys = ServerKeyRepository(self._db)
            self._key = await keys.get_or_create(KEY_NAME, self._clock())
        digest = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:NAME_CHARACTERS]

    async def name_for(self, content: str) -> str:
        """The picture's name, from what it shows: keyed, so nobody can work it out."""
        return await self._hmac("picture:" + content)

    async def drawer_for(self, requester: str) -> str:
        """How a requester (channel and user id) is kept: a keyed hash, not the id."""
        return await self._hmac("requester:" + requester)

    async def keep(self, name: str) -> bool:
        """True when the picture is stored and still fresh; it then lives another lifetime."""
        now = self._clock()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE chart_images SET expires_at = ? WHERE name = ? AND expires_at > ?",
                (to_db(now + self._lifetime), name, to_db(now)),
            )
            return cursor.rowcount == 1

    async def may_draw(self, drawer: str) -> bool:
        """Whether this requester may cause one more drawing now."""
        return await self._drawings(drawer, self._clock()) < DRAWINGS_PER_RESIDENT

    async def _drawings(self, drawer: str, now: datetime) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM chart_images WHERE drawn_for = ? AND drawn_at > ?",
            (drawer, to_db(now - DRAWING_WINDOW)),
        )
        return int(row[0]) if row else 0

    async def put(self, name: str, png: bytes, drawer: str | None = None) -> bool:
        """Keep the picture under `name` (lapsed ones go now); False, keeping nothing, when
        `drawer` has caused its share of drawings lately."""
        now = self._clock()
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM chart_images WHERE expires_at <= ?", (to_db(now),))
            if drawer is not None:
                async with conn.execute(
                    "SELECT count(*) FROM chart_images WHERE drawn_for = ? AND drawn_at > ?",
                    (drawer, to_db(now - DRAWING_WINDOW)),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None and int(row[0]) >= DRAWINGS_PER_RESIDENT:
                    return False
            await conn.execute(
                "INSERT INTO chart_images (name, png, expires_at, drawn_for, drawn_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at",
                (name, png, to_db(now + self._lifetime), drawer, to_db(now)),
            )
        return True

    async def get(self, name: str) -> bytes | None:
        row = await self._db.fetch_one(
            "SELECT png FROM chart_images WHERE name = ? AND expires_at > ?",
            (name, to_db(self._clock())),
        )
        return bytes(row[0]) if row else None
