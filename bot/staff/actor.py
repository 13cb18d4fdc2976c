"""Who does a staff action: every mutating function in bot/staff takes one.

The dashboard builds it from the logged-in session, the `chiiki` command with `cli_actor`
(someone at the server's own terminal). Having it in every service call means the role check
and the audit row live in one place, the service, for both the CLI and the dashboard.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from bot.storage.audit import AuditRepository
from bot.storage.database import Database

ADMIN = "admin"
# The CLI's "from where" in the audit log.
CLI_ADDRESS = "cli"


@dataclass(frozen=True)
class StaffActor:
    """A staff member acting: login name, role, the districts the role covers, from where
    (a client address for the dashboard, "cli" for the command line), and the audit log their
    actions are written to (None only in tests that do not look at it)."""

    login: str
    role: str = ADMIN
    districts: frozenset[str] = frozenset()
    address: str | None = None
    audit: AuditRepository | None = field(default=None, compare=False, repr=False)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "unknown"


def cli_actor(db: Database) -> StaffActor:
    """The `chiiki` command's actor: whoever can open the database may do anything; the
    audit log names their operating-system user, from "cli"."""
    return StaffActor(login=os_user(), role=ADMIN, address=CLI_ADDRESS, audit=AuditRepository(db))
