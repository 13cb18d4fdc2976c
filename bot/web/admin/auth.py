"""Staff authentication: argon2 password hashes, login throttling, sessions and CSRF tokens."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from bot.staff.accounts import PASSWORD_HASHER
from bot.storage.staff import StaffRepository, login_key

SESSION_LIFETIME = timedelta(hours=8)
# Failed logins within the window that lock a login name, or a client address, out.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
# An address the account logged in from within this time counts its failures on its own.
KNOWN_ADDRESS_LIFETIME = timedelta(days=90)
# argon2 takes tens of milliseconds of CPU: it runs in worker threads, at most this many at
# once, so a burst of logins leaves the event loop (and the residents it answers) free.
PASSWORD_CHECKS_AT_ONCE = 2

_hasher = PASSWORD_HASHER
# Checked when the login does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def password_matches(password_hash: str, password: str) -> bool:
    """argon2's check (slow on purpose; call it in a worker thread)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginOutcome:
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: str
    session_token: str | None = None


class Authenticator:
    """Checks passwords, counts failures in the database (so every instance shares them) and
    opens and closes sessions."""

    def __init__(self, staff: StaffRepository, password_checks: asyncio.Semaphore) -> None:
        self._staff = staff
        self._password_checks = password_checks

    async def _matches(self, password_hash: str, password: str) -> bool:
        async with self._password_checks:
            return await asyncio.to_thread(password_matches, password_hash, password)

    async def log_in(self, login: str, password: str, address: str, now: datetime) -> LoginResult:
        account = await self._staff.find(login.strip())
        address_hash = await self._staff.address_hash(address, now)
        known = account is not None and await self._staff.is_known_address(
            account.id, address_hash, now - KNOWN_ADDRESS_LIFETIME
        )
        # From an address this account has logged in from, failures count apart: others
        # guessing from elsewhere cannot lock the owner out.
        key = login_key(login, address_hash if known else None)
        limits = {key: MAX_FAILURES_PER_LOGIN, f"address:{address}": MAX_FAILURES_PER_ADDRESS}
        # The attempt is counted (as a failure) before the password is checked, in the same
        # transaction that reads the counts: 40 attempts at once get 5 checks, not 40.
        reserved = await self._staff.reserve_attempt(limits, now - FAILURE_WINDOW, now)
        if reserved is None:
            return LoginResult(LoginOutcome.THROTTLED)
        verified = await self._matches(account.password_hash if account else _DUMMY_HASH, password)
        if not verified or account is None:
            await self._staff.prune_failures(now - 4 * FAILURE_WINDOW)
            return LoginResult(LoginOutcome.WRONG)
        await self._staff.attempt_succeeded(reserved, key, account.id, address_hash, now)
        if _hasher.check_needs_rehash(account.password_hash):
            new_hash = await asyncio.to_thread(_hasher.hash, password)
            await self._staff.set_password(account.id, new_hash)
        token = await self._staff.open_session(account.id, now, SESSION_LIFETIME)
        return LoginResult(LoginOutcome.OK, token)

    async def who(self, token: str | None, now: datetime) -> str | None:
        if not token:
            return None
        return await self._staff.session_login(token, now)

    async def log_out(self, token: str | None) -> None:
        if token:
            await self._staff.close_session(token)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and secrets.compare_digest(expected.encode(), given.encode())
    )
