"""Staff accounts for the dashboard: login names, password hashes, adding and removing.

The dashboard's login check (bot/web/admin/auth.py) verifies with the same hasher.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher

from bot.content import Pack
from bot.errors import ChiikiError
from bot.staff.actor import ADMIN, StaffActor
from bot.staff.audit import (
    ACCOUNT_ADDED,
    ACCOUNT_REMOVED,
    ACCOUNT_ROLE_CHANGED,
    ACCOUNT_UNLOCKED,
    record,
)
from bot.staff.roles import StaffRoleError, check_role, require_admin
from bot.storage.staff import LastAdminError, StaffRepository, StaffRole

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


def role_detail(role: str, districts: frozenset[str]) -> str:
    return f"{role} {','.join(sorted(districts))}".strip()


def _checked_role(pack: Pack | None, role: str, districts: frozenset[str]) -> None:
    check_role(role, districts)
    if pack is not None:
        unknown = sorted(d for d in districts if pack.district(d) is None)
        if unknown:
            raise StaffRoleError(f"no district {', '.join(unknown)} in the pack")


async def add_account(
    staff: StaffRepository,
    login: str,
    password_hash: str,
    now: datetime,
    *,
    actor: StaffActor,
    role: str = ADMIN,
    districts: frozenset[str] = frozenset(),
    pack: Pack | None = None,
) -> None:
    """Add an account (the login checked with check_login_name, the password hashed first)
    with its role; admins only."""
    require_admin(actor)
    _checked_role(pack, role, districts)
    if not await staff.add(login, password_hash, now, role, districts):
        raise StaffAccountError(f"{login!r} already exists")
    await record(actor, ACCOUNT_ADDED, now, "account", login, role_detail(role, districts))


async def change_role(
    staff: StaffRepository,
    login: str,
    role: str,
    districts: frozenset[str],
    now: datetime,
    *,
    actor: StaffActor,
    pack: Pack | None = None,
) -> None:
    """Give an account another role (and districts); admins only."""
    require_admin(actor)
    _checked_role(pack, role, districts)
    try:
        changed = await staff.set_role(login, role, districts)
    except LastAdminError as refused:  # checked in the change's own transaction
        raise StaffAccountError(str(refused)) from refused
    if not changed:
        raise StaffAccountError(f"no account {login!r}")
    await record(actor, ACCOUNT_ROLE_CHANGED, now, "account", login, role_detail(role, districts))


async def remove_account(
    staff: StaffRepository, login: str, now: datetime, *, actor: StaffActor
) -> None:
    """Remove an account; its sessions end with it. Admins only, and never the last one."""
    require_admin(actor)
    try:
        removed = await staff.remove(login)
    except LastAdminError as refused:
        raise StaffAccountError(str(refused)) from refused
    if not removed:
        raise StaffAccountError(f"no account {login!r}")
    await record(actor, ACCOUNT_REMOVED, now, "account", login)


async def unlock_account(
    staff: StaffRepository, login: str, now: datetime, *, actor: StaffActor
) -> int:
    """Forget a login name's failed logins; returns how many there were. Admins only."""
    require_admin(actor)
    cleared = await staff.unlock(login)
    await record(actor, ACCOUNT_UNLOCKED, now, "account", login, f"{cleared} failures")
    return cleared


async def list_accounts(staff: StaffRepository, *, actor: StaffActor) -> list[StaffRole]:
    require_admin(actor)
    return await staff.roles()
