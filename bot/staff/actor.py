"""Who does a staff action: every mutating function in bot/staff takes one.

The dashboard builds it from the logged-in session, the `chiiki` command uses `CLI_ACTOR`
(someone at the server's own terminal). Having it in every service call means a role check or
an audit row can be added in one place, the service, for both the CLI and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"


@dataclass(frozen=True)
class StaffActor:
    """A staff member acting: login name, role, the districts the role covers, and from where
    (a client address for the dashboard, "local" for the CLI)."""

    login: str
    role: str = ADMIN
    districts: frozenset[str] = frozenset()
    address: str | None = None


# The `chiiki` command runs on the server itself, by whoever can open its database.
CLI_ACTOR = StaffActor(login="cli", role=ADMIN, address="local")
