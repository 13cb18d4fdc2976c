"""Staff roles and the checks every bot/staff function makes before reading or changing.

- admin: everything, and manages accounts and reads the audit log;
- district: only the districts listed on the account (their polls, events, watch routes,
  broadcasts and voices); city-wide items (no district) can be read, not changed;
- viewer: reads only, and exports nothing personal (rosters with names are personal).

The dashboard hides what a role cannot do, but the check that counts is here: a district
account that edits a URL or a form field still meets it.
"""

from __future__ import annotations

from bot.errors import ChiikiError
from bot.staff.actor import ADMIN, StaffActor

DISTRICT = "district"
VIEWER = "viewer"
ROLES = (ADMIN, DISTRICT, VIEWER)


class StaffRoleError(ChiikiError):
    """The actor's role does not allow this."""


def check_role(role: str, districts: list[str] | tuple[str, ...] | frozenset[str]) -> None:
    """A role as set on an account: a district role names at least one district, others none."""
    if role not in ROLES:
        raise StaffRoleError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    if role == DISTRICT and not districts:
        raise StaffRoleError("a district account needs at least one --district")
    if role != DISTRICT and districts:
        raise StaffRoleError("only a district account has districts")


def require_admin(actor: StaffActor) -> None:
    if actor.role != ADMIN:
        raise StaffRoleError("only an admin account may do this")


def can_read(actor: StaffActor, district: str | None) -> bool:
    """Admins and viewers read everything; a district account its districts and city-wide
    items (district None)."""
    return actor.role != DISTRICT or district is None or district in actor.districts


def read_scope(actor: StaffActor) -> frozenset[str] | None:
    """For queries that filter before they cap: None when the actor reads every district,
    else the districts it reads besides city-wide items."""
    return actor.districts if actor.role == DISTRICT else None


def require_read(actor: StaffActor, district: str | None) -> None:
    if not can_read(actor, district):
        raise StaffRoleError("this belongs to another district")


def can_change(actor: StaffActor, district: str | None) -> bool:
    """Admins change everything; a district account only items of its own districts (never a
    city-wide one); a viewer nothing."""
    if actor.role == ADMIN:
        return True
    return actor.role == DISTRICT and district is not None and district in actor.districts


def require_change(actor: StaffActor, district: str | None) -> None:
    if actor.role == VIEWER:
        raise StaffRoleError("a viewer account reads only")
    if not can_change(actor, district):
        raise StaffRoleError(
            "a city-wide item can be changed by an admin only"
            if district is None
            else "this belongs to another district"
        )


def require_personal_export(actor: StaffActor) -> None:
    """Names (rosters) leave the service only for admins and district accounts."""
    if actor.role == VIEWER:
        raise StaffRoleError("a viewer account exports nothing personal")
