"""Keys the service makes once and keeps: signing the web identity, keying link codes' HMAC."""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import to_db

KEY_BYTES = 32


class ServerKeyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_or_create(self, name: str, now: datetime) -> bytes:
        """The key called `name`; the first caller makes it, everyone after reads the same one
        (instances starting together included: the insert does nothing when it is there)."""
        row = await self._db.fetch_one("SELECT key_hex FROM server_keys WHERE name = ?", (name,))
        if row is not None:
            return bytes.fromhex(row[0])
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO server_keys (name, key_hex, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_hex(KEY_BYTES), to_db(now)),
            )
            cursor = await conn.execute("SELECT key_hex FROM server_keys WHERE name = ?", (name,))
            row = await cursor.fetchone()
        assert row is not None
        return bytes.fromhex(row[0])
