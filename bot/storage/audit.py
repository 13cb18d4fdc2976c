"""The staff audit log: rows are added and read, never changed or removed here.

The database refuses changes itself (migration 0020's triggers); the only removal is the
retention job's (bot/storage/retention.py), for rows older than CHIIKI_RETAIN_AUDIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database
from bot.storage.timestamps import from_db, to_db

# What one page of the log shows at most; the CSV export has its own, larger cap.
PAGE_ROWS = 200


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One staff action: who, what, on which object, from where. `detail` is a short note
    written by the service (a count, a state), never text a resident wrote."""

    at: datetime
    login: str
    action: str
    object_kind: str | None = None
    object_id: str | None = None
    detail: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    login: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, entry: AuditEntry) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO staff_audit"
                " (at, login, action, object_kind, object_id, detail, address)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    to_db(entry.at),
                    entry.login,
                    entry.action,
                    entry.object_kind,
                    entry.object_id,
                    entry.detail,
                    entry.address,
                ),
            )

    async def entries(self, where: AuditFilter, limit: int = PAGE_ROWS) -> list[AuditEntry]:
        """The newest first."""
        clauses: list[str] = []
        values: list[object] = []
        if where.login:
            clauses.append("login = ?")
            values.append(where.login)
        if where.action:
            clauses.append("action = ?")
            values.append(where.action)
        if where.since is not None:
            clauses.append("at >= ?")
            values.append(to_db(where.since))
        if where.until is not None:
            clauses.append("at < ?")
            values.append(to_db(where.until))
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.fetch_all(
            "SELECT at, login, action, object_kind, object_id, detail, address FROM staff_audit"
            f"{condition} ORDER BY at DESC, id DESC LIMIT ?",
            (*values, limit),
        )
        return [AuditEntry(from_db(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    async def actions(self) -> list[str]:
        """Every action name in the log, for the page's filter."""
        rows = await self._db.fetch_all("SELECT DISTINCT action FROM staff_audit ORDER BY action")
        return [row[0] for row in rows]
