"""Paper ballots (紙・窓口) staff count at the counter or from a 公民館's box and enter for a
poll: checked, stored as the staff member's own entry for one district (a correction replaces
it), and recorded in the audit log with the counts.

Rules (README: 窓口での紙の投票):
- the counts are whole numbers from 0 to PAPER_LIMIT; every choice of the poll has a count
  (missing ones are 0), no other choice;
- a single-choice poll: the choices' votes add up to exactly the ballots (a blank or spoilt
  paper is not entered as a ballot, so online and paper ballots mean the same); a multiple-
  choice poll: no choice has more votes than the ballots, and every ballot has at least one
  mark, so the votes add up to at least the ballots;
- entries are taken while the poll is open and for PAPER_GRACE after it closed (papers are
  counted at the 公民館 after the deadline); the audit detail says "after close";
- an admin enters for any district or none; a district account only for its own districts,
  for a poll of one of them or a city-wide one; a viewer never. A district poll's paper
  ballots belong to that district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.content import Pack
from bot.errors import ChiikiError
from bot.staff.actor import ADMIN, StaffActor
from bot.staff.audit import POLL_PAPER_BALLOTS, record
from bot.staff.districts import unknown_district
from bot.staff.polls import readable_poll
from bot.staff.roles import can_change, require_change
from bot.storage.paper_ballots import PaperEntry
from bot.storage.polls import Poll, PollRepository

PAPER_LIMIT = 100_000
PAPER_GRACE = timedelta(days=14)


class PaperBallotError(ChiikiError):
    """Paper counts that cannot be stored: the message says why in English; `field` names the
    form field (district, ballots, votes or votes_<position>; None for the whole form) and
    `reason` a short key the dashboard words in its own language."""

    def __init__(self, message: str, field: str | None, reason: str, **values: object) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class PaperRecorded:
    entry: PaperEntry
    earlier: PaperEntry | None  # the staff member's entry it replaced
    after_close: bool


@dataclass(frozen=True)
class PaperForm:
    """What staff entered: district (None: none), ballots, votes by choice position."""

    district: str | None
    ballots: int
    votes: dict[int, int] = field(default_factory=dict)


def _check_counts(poll: Poll, form: PaperForm) -> dict[int, int]:
    """The votes for every choice of the poll, or PaperBallotError."""
    if not 0 <= form.ballots <= PAPER_LIMIT:
        raise PaperBallotError(
            f"ballots: a number from 0 to {PAPER_LIMIT}, not {form.ballots}",
            "ballots",
            "range",
            max=PAPER_LIMIT,
        )
    known = {choice.position for choice in poll.choices}
    if unknown := sorted(set(form.votes) - known):
        raise PaperBallotError(
            f"votes: poll {poll.id} has no choice {unknown[0]} (its choices are"
            f" {', '.join(str(p) for p in sorted(known))})",
            "votes",
            "unknown_choice",
        )
    votes = {position: form.votes.get(position, 0) for position in sorted(known)}
    for position, count in votes.items():
        if not 0 <= count <= form.ballots:
            raise PaperBallotError(
                f"votes for choice {position}: a number from 0 to the {form.ballots} ballots,"
                f" not {count}",
                f"votes_{position}",
                "votes_range",
                max=form.ballots,
            )
    total = sum(votes.values())
    if not poll.multiple and total != form.ballots:
        raise PaperBallotError(
            f"votes: a single-choice poll's votes add up to the ballots ({form.ballots}),"
            f" not {total}",
            "votes",
            "single_sum",
            ballots=form.ballots,
            total=total,
        )
    if poll.multiple and total < form.ballots:
        raise PaperBallotError(
            f"votes: every ballot has at least one mark, so the votes add up to at least"
            f" {form.ballots}, not {total}",
            "votes",
            "multiple_sum",
            ballots=form.ballots,
            total=total,
        )
    return votes


def _check_district(poll: Poll, pack: Pack, district: str | None) -> None:
    if problem := unknown_district(pack, district):
        raise PaperBallotError(f"district: {problem}", "district", "unknown_district")
    if poll.district is not None and district != poll.district:
        raise PaperBallotError(
            f"district: poll {poll.id} is for district {poll.district} only",
            "district",
            "poll_district",
            district=poll.district,
        )


def paper_deadline(poll: Poll) -> datetime:
    """Until when paper ballots are taken: PAPER_GRACE after the poll closed."""
    closed = poll.closed_at if poll.closed_at is not None else poll.closes_at
    return min(closed, poll.closes_at) + PAPER_GRACE


def _summary(entry: PaperEntry) -> str:
    votes = " ".join(f"{p}={v}" for p, v in sorted(entry.votes.items()))
    return f"{entry.ballots} ballots ({votes})"


async def record_paper_ballots(
    polls: PollRepository,
    pack: Pack,
    poll_id: int,
    form: PaperForm,
    now: datetime,
    *,
    actor: StaffActor,
) -> PaperRecorded | None:
    """Store the actor's paper ballots for one district of the poll in place of their earlier
    entry for it; None when there is no such poll the actor may read."""
    poll = await readable_poll(polls, poll_id, actor=actor)
    if poll is None:
        return None
    require_change(actor, form.district)
    _check_district(poll, pack, form.district)
    if now > paper_deadline(poll):
        raise PaperBallotError(
            f"poll {poll_id} closed more than {PAPER_GRACE.days} days ago: its results stand",
            None,
            "too_late",
            days=PAPER_GRACE.days,
        )
    votes = _check_counts(poll, form)
    entry = PaperEntry(poll_id, actor.login, form.district, form.ballots, votes, now)
    earlier = await polls.paper.replace(entry)
    after_close = not poll.is_open(now)
    detail = f"district {form.district or 'none'}: {_summary(entry)}"
    if earlier is not None:
        detail += f"; replaces {earlier.ballots}"
    if after_close:
        detail += "; after close"
    await record(actor, POLL_PAPER_BALLOTS, now, "poll", poll_id, detail)
    return PaperRecorded(entry, earlier, after_close)


async def paper_entries(
    polls: PollRepository, poll_id: int, *, actor: StaffActor
) -> list[PaperEntry] | None:
    """The entries the actor may see for the poll: an admin everyone's, anyone else their own
    (None when there is no such poll the actor may read)."""
    poll = await readable_poll(polls, poll_id, actor=actor)
    if poll is None:
        return None
    return await polls.paper.entries(poll_id, None if actor.role == ADMIN else actor.login)


def paper_districts(poll: Poll, pack: Pack, actor: StaffActor) -> list[str | None]:
    """The districts the actor may enter paper ballots for on this poll (None: no district),
    in the pack's order; empty for a viewer. The form offers these; the check that counts is
    record_paper_ballots'."""
    candidates: list[str | None] = (
        [poll.district] if poll.district is not None else [None, *(d.id for d in pack.districts)]
    )
    return [d for d in candidates if can_change(actor, d)]
