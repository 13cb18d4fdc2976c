"""Platform events received but maybe not yet handled: the inbox behind every webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import to_db

# An event that failed this often is given up on (and logged), so one bad event cannot loop.
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class InboundEvent:
    channel: str
    event_id: str
    payload: dict[str, Any]
    attempts: int


class InboundEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def accept(
        self, channel: str, events: list[tuple[str, dict[str, Any]]], now: datetime
    ) -> list[str]:
        """Store new events in one statement; return the ids that were not seen before."""
        if not events:
            return []
        stamp = to_db(now)
        params: list[object] = []
        for event_id, payload in events:
            params += [channel, event_id, stamp, json.dumps(payload, ensure_ascii=False)]
        rows = await self._db.execute(
            "INSERT INTO inbound_events (channel, event_id, received_at, payload) VALUES "
            + ", ".join(["(?, ?, ?, ?)"] * len(events))
            + " ON CONFLICT DO NOTHING RETURNING event_id",
            params,
        )
        inserted = {row[0] for row in rows}
        fresh: list[str] = []
        for event_id, _ in events:  # arrival order, each id once even if repeated in a batch
            if event_id in inserted:
                inserted.remove(event_id)
                fresh.append(event_id)
        return fresh

    async def start_attempt(self, channel: str, event_id: str) -> InboundEvent | None:
        """Count one more attempt and return the event, or None if it is done or given up."""
        rows = await self._db.execute(
            "UPDATE inbound_events SET attempts = attempts + 1 WHERE channel = ?"
            " AND event_id = ? AND handled_at IS NULL AND attempts < ?"
            " RETURNING payload, attempts",
            (channel, event_id, MAX_ATTEMPTS),
        )
        if not rows:
            return None
        row = rows[0]
        return InboundEvent(channel, event_id, json.loads(row["payload"]), row["attempts"])

    async def mark_handled(self, channel: str, event_id: str, now: datetime) -> None:
        """Done: keep the id for de-duplication, drop the payload."""
        await self._db.execute(
            "UPDATE inbound_events SET handled_at = ?, payload = NULL"
            " WHERE channel = ? AND event_id = ?",
            (to_db(now), channel, event_id),
        )

    async def pending(self) -> list[tuple[str, str]]:
        """(channel, event id) of events not yet handled, oldest first: the restart backlog."""
        rows = await self._db.fetch_all(
            "SELECT channel, event_id FROM inbound_events"
            " WHERE handled_at IS NULL AND attempts < ? ORDER BY received_at",
            (MAX_ATTEMPTS,),
        )
        return [(row["channel"], row["event_id"]) for row in rows]
