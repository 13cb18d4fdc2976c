"""Staff authentication: argon2 password hashes, login throttling, sessions and CSRF tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.errors import ChiikiError
from bot.storage.staff import StaffRepository

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=8)
# Failed logins within the window that lock a login name, or a client address, out.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()
# Checked when the login does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class StaffAccountError(ChiikiError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_login_name(login: str) -> str:
    login = login.strip()
    if (
        not (1 <= len(login) <= 64)
        or not login.replace("-", "").replace(".", "").replace("_", "").isalnum()
    ):
        raise StaffAccountError("a login is 1 to 64 letters, digits, '.', '-' or '_'")
    return login


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

    def __init__(self, staff: StaffRepository) -> None:
        self._staff = staff

    async def log_in(self, login: str, password: str, address: str, now: datetime) -> LoginResult:
        login_key, address_key = f"login:{login.strip().lower()}", f"address:{address}"
        since = now - FAILURE_WINDOW
        if (
            await self._staff.failures_since(login_key, since) >= MAX_FAILURES_PER_LOGIN
            or await self._staff.failures_since(address_key, since) >= MAX_FAILURES_PER_ADDRESS
        ):
            return LoginResult(LoginOutcome.THROTTLED)
        account = await self._staff.find(login.strip())
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
            verified = account is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified or account is None:
            await self._staff.record_failure([login_key, address_key], now)
            await self._staff.prune_failures(now - 4 * FAILURE_WINDOW)
            return LoginResult(LoginOutcome.WRONG)
        await self._staff.clear_failures(login_key)
        if _hasher.check_needs_rehash(account.password_hash):
            await self._staff.set_password(account.id, _hasher.hash(password))
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
