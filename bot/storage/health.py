"""What /readyz asks the database: its migration version, and whether it takes a write."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import to_db


async def schema_version(db: Database) -> int:
    """The newest migration applied (0 for a database without any)."""
    row = await db.fetch_one("SELECT max(version) FROM schema_migrations")
    return int(row[0]) if row is not None and row[0] is not None else 0


async def takes_writes(db: Database, now: datetime, timeout: float) -> bool:
    """Write the one probe row within `timeout` seconds: False when the database is read-only,
    full, gone, or held by another writer for longer."""
    try:
        await asyncio.wait_for(
            db.execute(
                "INSERT INTO readiness_probe (id, probed_at) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                (to_db(now),),
            ),
            timeout,
        )
    except Exception:  # a timeout, a lock, a closed or read-only database: all say "no"
        return False
    return True
