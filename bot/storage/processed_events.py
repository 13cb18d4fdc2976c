"""Platform event ids already handled: the record that makes a redelivery harmless."""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import to_db


class ProcessedEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record the event; True when it is new, False when it was handled before."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO processed_events (channel, event_id, received_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (channel, event_id, to_db(now)),
            )
            return cursor.rowcount == 1
