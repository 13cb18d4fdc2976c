"""Staff accounts, their sessions and failed logins, for the dashboard."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.database import Database
from bot.storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: int
    login: str
    password_hash: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, login: str, password_hash: str, now: datetime) -> bool:
        """False when the login is taken."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO staff_accounts (login, password_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (login) DO NOTHING",
                (login, password_hash, to_db(now)),
            )
            return cursor.rowcount == 1

    async def set_password(self, account_id: int, password_hash: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE staff_accounts SET password_hash = ? WHERE id = ?",
                (password_hash, account_id),
            )

    async def remove(self, login: str) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM staff_accounts WHERE login = ?", (login,))
            return cursor.rowcount == 1

    async def find(self, login: str) -> StaffAccount | None:
        row = await self._db.fetch_one(
            "SELECT id, login, password_hash FROM staff_accounts WHERE login = ?", (login,)
        )
        return StaffAccount(row[0], row[1], row[2]) if row else None

    async def logins(self) -> list[str]:
        return [
            row[0]
            for row in await self._db.fetch_all("SELECT login FROM staff_accounts ORDER BY login")
        ]

    async def open_session(self, account_id: int, now: datetime, lifetime: timedelta) -> str:
        """A new session; returns the token for the cookie (never stored as is)."""
        token = secrets.token_urlsafe(32)
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", (to_db(now),))
            await conn.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (_token_hash(token), account_id, to_db(now), to_db(now + lifetime)),
            )
        return token

    async def session_login(self, token: str, now: datetime) -> str | None:
        """The login a live session belongs to, or None."""
        row = await self._db.fetch_one(
            "SELECT a.login FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id"
            " WHERE s.token_hash = ? AND s.expires_at > ?",
            (_token_hash(token), to_db(now)),
        )
        return row[0] if row else None

    async def close_session(self, token: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?", (_token_hash(token),)
            )

    async def record_failure(self, keys: list[str], now: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO staff_login_failures (key, at) VALUES (?, ?)",
                [(key, to_db(now)) for key in keys],
            )

    async def failures_since(self, key: str, since: datetime) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM staff_login_failures WHERE key = ? AND at > ?",
            (key, to_db(since)),
        )
        return int(row[0]) if row else 0

    async def clear_failures(self, key: str) -> None:
        """A good login wipes that login's record of failures."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM staff_login_failures WHERE key = ?", (key,))

    async def prune_failures(self, before: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM staff_login_failures WHERE at <= ?", (to_db(before),))
