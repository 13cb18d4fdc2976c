"""The audit log of staff actions: `record` is called by the bot/staff function that does the
action, so the dashboard and the `chiiki` command both write the same row.

A row says when, who, what (an action name below), on which object (kind and id), a short
detail written here by the service (counts, states, an audience; never a resident's text) and
from where (the client address, or "cli").
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.text import shown_safely
from bot.staff.actor import StaffActor
from bot.staff.csv_export import csv_text
from bot.staff.roles import require_admin
from bot.storage.audit import AuditEntry, AuditFilter, AuditRepository

LOGIN = "login"
LOGIN_FAILED = "login.failed"
POLL_CREATED = "poll.created"
POLL_CLOSED = "poll.closed"
POLL_PAPER_BALLOTS = "poll.paper_ballots"
EVENT_CREATED = "event.created"
EVENT_CANCELLED = "event.cancelled"
# One row per watch file loaded, with counts of routes and shifts added and changed.
WATCH_LOADED = "watch.loaded"
SHIFT_CANCELLED = "shift.cancelled"
SHIFT_COUNTER_SIGNUP = "shift.counter_signup"
SHIFT_COUNTER_CANCELLED = "shift.counter_cancelled"
# Queued, with its audience and LINE cost: sending happens later, row by row (see README).
BROADCAST_QUEUED = "broadcast.queued"
OUTCOME_RECORDED = "outcome.recorded"
VOICE_ANSWERED = "voice.answered"
VOICE_STATE_CHANGED = "voice.state_changed"
VOICE_PUBLISHED = "voice.published"
FAQ_ADDED = "faq.added"
FAQ_CHANGED = "faq.changed"
FAQ_REMOVED = "faq.removed"
UNANSWERED_DISMISSED = "unanswered.dismissed"
DISTRICT_ADDED = "district.added"
ACCOUNT_ADDED = "account.added"
ACCOUNT_REMOVED = "account.removed"
ACCOUNT_ROLE_CHANGED = "account.role_changed"
ACCOUNT_UNLOCKED = "account.unlocked"
CSV_EXPORTED = "csv.exported"
ROSTER_PRINTED = "roster.printed"

DETAIL_LIMIT = 200
# The CSV export's cap: years of a city's staff actions fit well under it.
EXPORT_ROWS = 100_000


async def record(
    actor: StaffActor,
    action: str,
    now: datetime,
    object_kind: str | None = None,
    object_id: int | str | None = None,
    detail: str | None = None,
) -> None:
    """Write one row for `actor` doing `action`. An actor without a log (some tests) writes
    nothing; the dashboard's and the CLI's actors always have one."""
    if actor.audit is None:
        return
    await actor.audit.add(
        AuditEntry(
            at=now,
            login=actor.login,
            action=action,
            object_kind=object_kind,
            object_id=None if object_id is None else str(object_id),
            detail=detail[:DETAIL_LIMIT] if detail else None,
            address=actor.address,
        )
    )


async def record_login(
    audit: AuditRepository, login: str, succeeded: bool, address: str, now: datetime
) -> None:
    """A dashboard login or failed login (before there is an actor). The login name typed is
    kept as given, cut short: a failed one may be a mistyped name, never a password. Anyone
    can type one, so its control characters are kept visible (U+FFFD), never as they came:
    an ESC sequence for `chiiki audit`'s terminal, a U+202E turning "nimda" into "admin"."""
    await audit.add(
        AuditEntry(
            at=now,
            login=shown_safely(" ".join(login.split())[:64]) or "-",
            action=LOGIN if succeeded else LOGIN_FAILED,
            address=address,
        )
    )


async def audit_entries(audit: AuditRepository, where: AuditFilter) -> list[AuditEntry]:
    return await audit.entries(where)


def audit_rows(entries: list[AuditEntry], tz: tzinfo) -> list[list[str]]:
    """The entries as table rows (header first), times in the city's zone."""
    rows = [["at", "login", "action", "object", "id", "detail", "from"]]
    for e in entries:
        rows.append(
            [
                e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                e.login,
                e.action,
                e.object_kind or "",
                e.object_id or "",
                e.detail or "",
                e.address or "",
            ]
        )
    return rows


async def export_audit_csv(
    audit: AuditRepository, where: AuditFilter, tz: tzinfo, now: datetime, *, actor: StaffActor
) -> str:
    """The filtered log as CSV (admin only); the export itself is recorded."""
    require_admin(actor)
    entries = await audit.entries(where, limit=EXPORT_ROWS)
    await record(actor, CSV_EXPORTED, now, "audit", None, f"{len(entries)} rows")
    return csv_text(audit_rows(entries, tz))
