"""Staff accounts for the dashboard: login names, password hashes, adding and removing.

The dashboard's login check (bot/web/admin/auth.py) verifies with the same hasher.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher

from bot.errors import ChiikiError
from bot.staff.actor import StaffActor
from bot.storage.staff import StaffRepository

MIN_PASSWORD_LENGTH = 10
PASSWORD_HASHER = PasswordHasher()


class StaffAccountError(ChiikiError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return PASSWORD_HASHER.hash(password)


def check_login_name(login: str) -> str:
    login = login.strip()
    if (
        not (1 <= len(login) <= 64)
        or not login.replace("-", "").replace(".", "").replace("_", "").isalnum()
    ):
        raise StaffAccountError("a login is 1 to 64 letters, digits, '.', '-' or '_'")
    return login


async def add_account(
    staff: StaffRepository, login: str, password_hash: str, now: datetime, *, actor: StaffActor
) -> None:
    """Add an account (the login checked with check_login_name, the password hashed first)."""
    if not await staff.add(login, password_hash, now):
        raise StaffAccountError(f"{login!r} already exists")


async def remove_account(staff: StaffRepository, login: str, *, actor: StaffActor) -> None:
    """Remove an account; its sessions end with it."""
    if not await staff.remove(login):
        raise StaffAccountError(f"no account {login!r}")


async def unlock_account(staff: StaffRepository, login: str, *, actor: StaffActor) -> int:
    """Forget a login name's failed logins; returns how many there were."""
    return await staff.unlock(login)
