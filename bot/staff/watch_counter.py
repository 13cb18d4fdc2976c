"""Counter sign-ups (窓口での代理入力): staff sign a person who phoned or came to the 公民館 up
for a watch shift by name, and cancel such a sign-up.

The person has no chat account: their sign-up row carries the name, how consent was given
(at the counter or on the phone) and which staff account recorded it. They take a place or a
waitlist position exactly as a resident does (the same rule in bot/storage/watch/places.py) and are
never sent anything. The audit log names the staff member and the sign-up's id, never the
volunteer's name: audit rows outlive the roster (five years against the roster-name rule).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import SHIFT_COUNTER_CANCELLED, SHIFT_COUNTER_SIGNUP, record
from bot.staff.roles import can_change, require_change
from bot.storage.watch import WatchRepository
from bot.storage.watch.counter import COUNTER_MARKS, CounterCancel, CounterVolunteer
from bot.storage.watch.places import SignupOutcome
from bot.storage.watch.rosters import RosterLine

MAX_NAME_CHARS = 40
CONSENT_VIAS = tuple(COUNTER_MARKS)  # counter (at the 公民館), phone


class CounterSignupError(ChiikiError):
    """A counter sign-up or its cancellation is refused. The message (for the command line)
    names the field; `field` and `problem` let the dashboard word it beside that field."""

    def __init__(self, field: str, problem: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.problem = problem  # required, too_long, consent, closed, already, missing


@dataclass(frozen=True, slots=True)
class CounterSignupResult:
    outcome: SignupOutcome  # confirmed or waitlisted
    waitlist_position: int | None
    signup_id: int


def roster_name(raw: str) -> str:
    """The name as it will stand on rosters: one line (a line break or tab would print as a
    row of its own), no control characters, 1 to MAX_NAME_CHARS characters."""
    name = " ".join(raw.split())
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    if not name:
        raise CounterSignupError("name", "required", "write the volunteer's name")
    if len(name) > MAX_NAME_CHARS:
        raise CounterSignupError("name", "too_long", f"at most {MAX_NAME_CHARS} characters")
    return name


async def sign_up_at_counter(
    watch: WatchRepository,
    shift_id: int,
    name: str,
    consent_via: str | None,
    now: datetime,
    *,
    actor: StaffActor,
) -> CounterSignupResult:
    """Sign a roster-only volunteer up: confirmed while the shift has room, else waitlisted
    (staff see which). `consent_via` is how the person agreed to their name on the roster
    (counter or phone); without it nothing is stored."""
    if consent_via not in CONSENT_VIAS:
        raise CounterSignupError(
            "consent",
            "consent",
            "record how the person agreed to their name on the roster"
            f" ({' or '.join(CONSENT_VIAS)})",
        )
    volunteer_name = roster_name(name)
    shift = await watch.schedule.shift(shift_id)
    route = await watch.schedule.route(shift.route_id) if shift is not None else None
    if shift is None or route is None:
        raise CounterSignupError("shift", "closed", f"no shift {shift_id} still open for sign-ups")
    require_change(actor, route.district)  # first: another district's shifts say nothing more
    if not shift.is_open(now):
        raise CounterSignupError("shift", "closed", f"no shift {shift_id} still open for sign-ups")
    outcome, place, signup_id = await watch.counter.sign_up(
        shift_id, CounterVolunteer(volunteer_name, consent_via, actor.login), now
    )
    if outcome == SignupOutcome.ALREADY:
        raise CounterSignupError("name", "already", "this name is already on the shift")
    if signup_id is None:  # closed between the check and the sign-up (cancelled meanwhile)
        raise CounterSignupError("shift", "closed", f"no shift {shift_id} still open for sign-ups")
    await record(
        actor,
        SHIFT_COUNTER_SIGNUP,
        now,
        "watch_signup",
        signup_id,
        f"shift {shift_id}, {outcome.value}, consent {consent_via}",
    )
    return CounterSignupResult(outcome, place, signup_id)


async def cancel_counter_signup(
    watch: WatchRepository,
    notices: Notices,
    signup_id: int,
    now: datetime,
    *,
    actor: StaffActor,
) -> CounterCancel:
    """Take a counter volunteer off their shift; the first on the waitlist moves up as when a
    resident withdraws (a resident is told; a counter volunteer moved up is returned, for staff
    to phone)."""
    signup = await watch.counter.find(signup_id)
    shift = await watch.schedule.shift(signup.shift_id) if signup is not None else None
    route = await watch.schedule.route(shift.route_id) if shift is not None else None
    if route is None:
        raise CounterSignupError("signup", "missing", f"no counter sign-up {signup_id}")
    require_change(actor, route.district)
    cancelled = await watch.counter.cancel(signup_id, now, notices.shift_promoted)
    if cancelled is None:
        raise CounterSignupError("signup", "missing", f"no counter sign-up {signup_id}")
    detail = f"shift {cancelled.shift.id}, was {cancelled.status}"
    if cancelled.promoted is not None:
        detail += f", moved up sign-up {cancelled.promoted.id}"
    await record(actor, SHIFT_COUNTER_CANCELLED, now, "watch_signup", signup_id, detail)
    return cancelled


def counter_lines(lines: list[RosterLine], now: datetime, actor: StaffActor) -> list[RosterLine]:
    """The roster lines the actor may sign someone up for or take a counter sign-up off:
    shifts still open, on routes the actor may change (none for a viewer)."""
    return [
        line
        for line in lines
        if line.shift.is_open(now) and can_change(actor, line.route.district)
    ]
