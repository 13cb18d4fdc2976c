"""Staff accounts, their sessions and failed logins, for the dashboard."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import ChiikiError
from bot.storage.database import Connection, Database, placeholders
from bot.storage.server_keys import ServerKeyRepository
from bot.storage.timestamps import to_db

ADDRESS_KEY_NAME = "staff-addresses"
ADMIN = "admin"  # the role that manages accounts (bot/staff/actor.py names the same)


class LastAdminError(ChiikiError):
    """The change would leave the accounts without an admin: nobody could manage accounts or
    read the audit log on the dashboard again."""


async def _keep_an_admin(conn: Connection, login: str, *, removing: bool) -> None:
    """LastAdminError when `login` is the only admin and other accounts would stay without
    one. (Removing the very last account is allowed: `chiiki staff add` starts again.) Run
    inside the transaction that makes the change, which no other writer interleaves with."""
    async with conn.execute(
        "SELECT (SELECT role FROM staff_accounts WHERE login = ?),"
        " (SELECT count(*) FROM staff_accounts WHERE role = ? AND login <> ?),"
        " (SELECT count(*) FROM staff_accounts WHERE login <> ?)",
        (login, ADMIN, login, login),
    ) as cursor:
        role, other_admins, others = await cursor.fetchone()
    if role == ADMIN and other_admins == 0 and (others > 0 or not removing):
        raise LastAdminError(f"{login!r} is the only admin: make another account admin first")


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: int
    login: str
    password_hash: str


# Longer than any login name (at most 64 characters, bot/staff/accounts.py): a name typed
# longer is counted under its start. Kept whole, the 512 KB a form may hold filled the table,
# and on PostgreSQL passed its index's row size (about 2,700 bytes): the login answered 500.
COUNTED_LOGIN_CHARS = 100


def login_key(login: str, known_address_hash: str | None = None) -> str:
    """What failed logins of this name are counted under: one count for strange addresses,
    and one for each address the account has logged in from before."""
    key = f"login:{login.strip().lower()[:COUNTED_LOGIN_CHARS]}"
    return f"{key}@{known_address_hash[:16]}" if known_address_hash else key


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StaffRole:
    """An account's role and, for a district account, its districts."""

    login: str
    role: str
    districts: frozenset[str]


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._key: bytes | None = None

    async def address_hash(self, address: str, now: datetime) -> str:
        """A client address as kept for staff logins: keyed, so the table names no address."""
        if self._key is None:
            self._key = await ServerKeyRepository(self._db).get_or_create(ADDRESS_KEY_NAME, now)
        return hmac.new(self._key, address.encode("utf-8"), hashlib.sha256).hexdigest()

    async def add(
        self,
        login: str,
        password_hash: str,
        now: datetime,
        role: str = ADMIN,
        districts: frozenset[str] = frozenset(),
    ) -> bool:
        """False when the login is taken."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO staff_accounts (login, password_hash, created_at, role)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (login) DO NOTHING RETURNING id",
                (login, password_hash, to_db(now), role),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            for district in sorted(districts):
                await conn.execute(
                    "INSERT INTO staff_account_districts (staff_id, district) VALUES (?, ?)",
                    (row[0], district),
                )
            return True

    async def set_role(self, login: str, role: str, districts: frozenset[str]) -> bool:
        """Replace an account's role and districts; False when there is no such account.
        LastAdminError, with nothing changed, when it would take the role from the only admin:
        the check and the change are one transaction, so two admins demoting each other at
        once leave one of them admin."""
        async with self._db.transaction() as conn:
            if role != ADMIN:
                await _keep_an_admin(conn, login, removing=False)
            async with conn.execute(
                "UPDATE staff_accounts SET role = ? WHERE login = ? RETURNING id", (role, login)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            await conn.execute("DELETE FROM staff_account_districts WHERE staff_id = ?", (row[0],))
            for district in sorted(districts):
                await conn.execute(
                    "INSERT INTO staff_account_districts (staff_id, district) VALUES (?, ?)",
                    (row[0], district),
                )
            return True

    async def role(self, login: str) -> StaffRole | None:
        rows = await self._db.fetch_all(
            "SELECT a.role, d.district FROM staff_accounts a"
            " LEFT JOIN staff_account_districts d ON d.staff_id = a.id WHERE a.login = ?",
            (login,),
        )
        if not rows:
            return None
        return StaffRole(login, rows[0][0], frozenset(r[1] for r in rows if r[1] is not None))

    async def roles(self) -> list[StaffRole]:
        """Every account with its role, by login."""
        rows = await self._db.fetch_all(
            "SELECT a.login, a.role, d.district FROM staff_accounts a"
            " LEFT JOIN staff_account_districts d ON d.staff_id = a.id ORDER BY a.login"
        )
        found: dict[str, tuple[str, set[str]]] = {}
        for login, role, district in rows:
            entry = found.setdefault(login, (role, set()))
            if district is not None:
                entry[1].add(district)
        return [StaffRole(login, role, frozenset(d)) for login, (role, d) in found.items()]

    async def set_password(self, account_id: int, password_hash: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE staff_accounts SET password_hash = ? WHERE id = ?",
                (password_hash, account_id),
            )

    async def remove(self, login: str) -> bool:
        """False when there is no such account; LastAdminError, with nothing removed, when it is
        the only admin and other accounts would stay (checked in the same transaction)."""
        async with self._db.transaction() as conn:
            await _keep_an_admin(conn, login, removing=True)
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

    async def reserve_attempt(
        self, limits: Mapping[str, int], since: datetime, now: datetime
    ) -> list[int] | None:
        """Count a login attempt as failed before its password is checked, unless a key has
        reached its limit of failures since `since` (then None). Reading the counts and adding
        the rows is one transaction, so attempts arriving together cannot all pass the limit.
        Returns the rows' ids, for `attempt_succeeded`."""
        async with self._db.transaction() as conn:
            for key, limit in limits.items():
                async with conn.execute(
                    "SELECT count(*) FROM staff_login_failures WHERE key = ? AND at > ?",
                    (key, to_db(since)),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None and int(row[0]) >= limit:
                    return None
            ids = []
            for key in limits:
                async with conn.execute(
                    "INSERT INTO staff_login_failures (key, at) VALUES (?, ?) RETURNING id",
                    (key, to_db(now)),
                ) as cursor:
                    row = await cursor.fetchone()
                assert row is not None
                ids.append(int(row[0]))
            return ids

    async def attempt_succeeded(
        self, reserved: list[int], login_key: str, staff_id: int, address_hash: str, now: datetime
    ) -> None:
        """The password was right: the attempt was no failure, the login's record of failures
        is wiped, and the address becomes one the account is known to log in from."""
        async with self._db.transaction() as conn:
            await conn.execute(
                f"DELETE FROM staff_login_failures WHERE key = ? OR id IN"
                f" ({placeholders(len(reserved))})",
                (login_key, *reserved),
            )
            await conn.execute(
                "INSERT INTO staff_known_addresses (staff_id, address_hash, last_login_at)"
                " VALUES (?, ?, ?) ON CONFLICT (staff_id, address_hash)"
                " DO UPDATE SET last_login_at = excluded.last_login_at",
                (staff_id, address_hash, to_db(now)),
            )

    async def is_known_address(self, staff_id: int, address_hash: str, since: datetime) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM staff_known_addresses"
            " WHERE staff_id = ? AND address_hash = ? AND last_login_at > ?",
            (staff_id, address_hash, to_db(since)),
        )
        return row is not None

    async def unlock(self, login: str) -> int:
        """Wipe the failed logins of this login name (from every address): `chiiki staff
        unlock`. Returns how many there were."""
        key = login_key(login)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM staff_login_failures WHERE key = ? OR substr(key, 1, ?) = ?",
                (key, len(key) + 1, key + "@"),
            )
            return int(cursor.rowcount)

    async def prune_failures(self, before: datetime) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM staff_login_failures WHERE at <= ?", (to_db(before),))
