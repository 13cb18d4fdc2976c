"""Delivery workers' heartbeats: who is alive to send (and so how the Telegram rate is shared),
and, by the column `instance`, whose inbox claims still hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Database
from bot.storage.timestamps import to_db


class DeliveryWorkers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def heartbeat(
        self, owner: str, instance: str, now: datetime, forget_after: timedelta
    ) -> int:
        """Say this delivery worker (of `instance`) is alive; return how many workers are
        alive, itself included. Workers silent for `forget_after` are forgotten."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO delivery_workers (owner, instance, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
                (owner, instance, to_db(now)),
            )
            await conn.execute(
                "DELETE FROM delivery_workers WHERE seen_at < ?", (to_db(now - forget_after),)
            )
            cursor = await conn.execute("SELECT count(*) FROM delivery_workers")
            row = await cursor.fetchone()
        return int(row[0]) if row else 1

    async def leave(self, owner: str) -> None:
        """A worker stopping cleanly: the others need not wait for it to go stale to speed up."""
        await self._db.execute("DELETE FROM delivery_workers WHERE owner = ?", (owner,))
