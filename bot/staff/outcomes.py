"""Recording what came of a poll or a meeting; the CLI and the dashboard both use this."""

from __future__ import annotations

from datetime import datetime

from bot.content import Pack
from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import OUTCOME_RECORDED, record
from bot.staff.roles import can_change, read_scope, require_change
from bot.storage.events import EventRepository
from bot.storage.outcomes import NewOutcome, Outcome, OutcomeRepository
from bot.storage.polls import PollRepository

MAX_DECIDED_CHARS = 500
SUBJECT_KINDS = ("poll", "event")


class OutcomeError(ChiikiError):
    """A staff entry that cannot be recorded; the message says which field and why."""


def new_outcome(
    pack: Pack,
    kind: str,
    subject_id: int,
    decided_ja: str,
    decided_en: str | None,
    decided_easy: str | None,
    next_actors: list[str],
) -> NewOutcome:
    """A checked outcome: a known subject kind, the decision in Japanese, actors of the pack."""
    if kind not in SUBJECT_KINDS:
        raise OutcomeError(f"subject: a poll or an event, not {kind!r}")
    texts = {"decided": decided_ja, "decided-en": decided_en, "decided-easy": decided_easy}
    for name, text in texts.items():
        if text is not None and len(text.strip()) > MAX_DECIDED_CHARS:
            raise OutcomeError(f"--{name}: at most {MAX_DECIDED_CHARS} characters")
    if not decided_ja.strip():
        raise OutcomeError("--decided: what was decided, in Japanese, is required")
    actor_ids = [a.strip() for a in next_actors if a.strip()]
    known = [a.id for a in pack.actors.items]
    unknown = [a for a in actor_ids if a not in known]
    if unknown or not actor_ids:
        raise OutcomeError(
            f"--next: one or more of {', '.join(known)} (got {', '.join(unknown) or 'none'})"
        )
    return NewOutcome(
        kind,
        subject_id,
        decided_ja.strip(),
        (decided_en or "").strip() or None,
        (decided_easy or "").strip() or None,
        tuple(dict.fromkeys(actor_ids)),
    )


async def record_outcome(
    outcomes: OutcomeRepository,
    notices: Notices,
    pack: Pack,
    outcome: NewOutcome,
    now: datetime,
    *,
    actor: StaffActor,
) -> tuple[int, int | None]:
    """Store the outcome and queue the notice to everyone who took part. A district account
    records outcomes of its own districts' polls and events."""
    require_change(actor, await outcomes.subject_district(outcome.kind, outcome.subject_id))

    recorded = await outcomes.add(
        outcome,
        lambda subject, new: notices.outcome(
            subject, new, lambda language: pack.actor_names(new.next_actors, language)
        ),
        now,
    )
    if recorded is None:
        raise OutcomeError(f"there is no {outcome.kind} {outcome.subject_id}")
    await record(
        actor, OUTCOME_RECORDED, now, outcome.kind, outcome.subject_id, f"outcome {recorded[0]}"
    )
    return recorded


async def recent_outcomes(
    outcomes: OutcomeRepository, limit: int, *, actor: StaffActor
) -> list[Outcome]:
    """The newest outcomes the actor may read (of its districts' and city-wide polls and
    events, for a district account)."""
    return await outcomes.recent(limit, read_scope(actor))


async def outcome_subjects(
    polls: PollRepository, events: EventRepository, *, actor: StaffActor
) -> list[tuple[str, str]]:
    """The polls and events the actor may record an outcome of, newest first, as
    ("poll:<id>" or "event:<id>", title)."""
    subjects = [
        (f"poll:{p.id}", p.question_ja)
        for p in sorted(await polls.all(), key=lambda p: p.id, reverse=True)
        if can_change(actor, p.district)
    ]
    subjects += [
        (f"event:{e.id}", e.title_ja)
        for e in sorted(await events.all(), key=lambda e: e.starts_at, reverse=True)
        if can_change(actor, e.district)
    ]
    return subjects
