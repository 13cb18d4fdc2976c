"""The web chat's mailbox: notices wait here until the resident's next visit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.database import Connection, Database
from bot.storage.timestamps import to_db


async def post_to_mailboxes(
    conn: Connection, notices: Sequence[tuple[int, str]], now: datetime
) -> None:
    """Put (resident id, text) notices in their mailboxes inside the caller's transaction."""
    await conn.executemany(
        "INSERT INTO web_mailbox (resident_id, text, created_at) VALUES (?, ?, ?)",
        [(resident_id, text, to_db(now)) for resident_id, text in notices],
    )


class WebMailbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, channel: str, platform_user_id: str, now: datetime) -> list[str]:
        """Unread web notices for this resident, oldest first, marked read."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE web_mailbox SET read_at = ? WHERE read_at IS NULL AND resident_id ="
                " (SELECT id FROM residents WHERE channel = ? AND platform_user_id = ?)"
                " RETURNING id, text",
                (to_db(now), channel, platform_user_id),
            )
            rows = await cursor.fetchall()
        return [row[1] for row in sorted(rows, key=lambda row: row[0])]
