"""Where each resident is in a multi-step conversation; a state expires on its own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class ConversationState:
    state: str
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self, resident_id: int, now: datetime) -> ConversationState | None:
        row = await self._db.fetch_one(
            "SELECT state, data, expires_at FROM conversation_state"
            " WHERE resident_id = ? AND expires_at > ?",
            (resident_id, to_db(now)),
        )
        if row is None:
            return None
        return ConversationState(row["state"], from_db(row["expires_at"]), json.loads(row["data"]))

    async def enter(
        self,
        resident_id: int,
        state: str,
        expires_at: datetime,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO conversation_state (resident_id, state, data, expires_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (resident_id) DO UPDATE SET"
            " state = excluded.state, data = excluded.data, expires_at = excluded.expires_at",
            (resident_id, state, json.dumps(data or {}, ensure_ascii=False), to_db(expires_at)),
        )

    async def leave(self, resident_id: int) -> None:
        # Most residents are in no conversation (every vote leaves one): a query, which does
        # not queue behind the one writer, spares them a write.
        held = await self._db.fetch_one(
            "SELECT 1 FROM conversation_state WHERE resident_id = ?", (resident_id,)
        )
        if held is not None:
            await self._db.execute(
                "DELETE FROM conversation_state WHERE resident_id = ?", (resident_id,)
            )
