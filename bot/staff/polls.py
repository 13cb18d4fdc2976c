"""Creating polls from YAML files, and reporting results without exposing anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    field_validator,
)

from bot.content import Pack
from bot.errors import ChiikiError
from bot.notices import Notices
from bot.staff.actor import StaffActor
from bot.staff.audit import CSV_EXPORTED, POLL_CLOSED, POLL_CREATED, record
from bot.staff.csv_export import Cell, csv_text
from bot.staff.districts import unknown_district
from bot.staff.files import StaffSpec, japanese_only, load_yaml_model
from bot.staff.roles import can_read, require_change
from bot.storage.polls import NewPoll, Poll, PollRepository, Tally

# A district with fewer ballots than this is merged into "other" in exports.
MIN_GROUP_SIZE = 5
OTHER = "other"

Label = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Question = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class PollFileError(ChiikiError):
    """A poll file is invalid; the message names the file and the field."""


class ChoiceSpec(StaffSpec):
    ja: Label
    en: Label | None = None


class QuestionSpec(StaffSpec):
    ja: Question
    en: Question | None = None


class PollSpec(StaffSpec):
    question: QuestionSpec
    choices: list[ChoiceSpec] = Field(min_length=2, max_length=10)
    multiple: bool = False
    closes_at: AwareDatetime
    district: str | None = None
    comment: bool = False
    announce: bool = False

    @field_validator("question", mode="before")
    @classmethod
    def _plain_question(cls, value: Any) -> Any:
        return japanese_only(value)

    @field_validator("choices", mode="before")
    @classmethod
    def _plain_choices(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [japanese_only(item) for item in value]
        return value


def load_poll_file(path: Path) -> PollSpec:
    return load_yaml_model(path, PollSpec, PollFileError)


async def create_poll(
    spec: PollSpec,
    polls: PollRepository,
    pack: Pack,
    now: datetime,
    source: str = "poll",
    notices: Notices | None = None,
    *,
    actor: StaffActor,
) -> tuple[int, int | None]:
    """Check what needs the pack and the clock, then store the poll (and, when the file asks,
    queue its announcement). Returns (poll id, announcement broadcast id or None)."""
    require_change(actor, spec.district)
    if spec.closes_at <= now:
        raise PollFileError(
            f"{source}: closes_at: {spec.closes_at.isoformat()} is not in the future"
        )
    if problem := unknown_district(pack, spec.district):
        raise PollFileError(f"{source}: district: {problem}")
    announcement = None
    if spec.announce and notices is not None:
        announcement = notices.poll_opened(
            spec.question.ja, spec.question.en, spec.closes_at, spec.district
        )
    created = await polls.create(
        NewPoll(
            question_ja=spec.question.ja,
            question_en=spec.question.en,
            choices=tuple((c.ja, c.en) for c in spec.choices),
            multiple=spec.multiple,
            allow_comment=spec.comment,
            announce=spec.announce,
            district=spec.district,
            closes_at=spec.closes_at,
        ),
        now,
        announcement,
    )
    detail = f"district {spec.district or 'all'}" + (", announced" if announcement else "")
    await record(actor, POLL_CREATED, now, "poll", created[0], detail)
    return created


@dataclass(frozen=True)
class PollReport:
    """A poll's results as staff see them: totals, per district, and how many comments."""

    poll: Poll
    tally: Tally
    by_district: dict[str | None, Tally]
    comments: int

    def csv(self) -> str:
        return results_csv(self.poll, self.tally, self.by_district)


async def list_polls(polls: PollRepository, *, actor: StaffActor) -> list[tuple[Poll, int]]:
    """Every poll the actor may read, oldest first, with its number of ballots."""
    return [
        (poll, (await polls.tally(poll.id)).ballots)
        for poll in await polls.all()
        if can_read(actor, poll.district)
    ]


async def readable_poll(polls: PollRepository, poll_id: int, *, actor: StaffActor) -> Poll | None:
    """The poll, or None when there is none or it is another district's (a district account
    learns nothing of other districts' polls, not even that they exist)."""
    item = await polls.get(poll_id)
    return item if item is not None and can_read(actor, item.district) else None


async def poll_report(
    polls: PollRepository, poll_id: int, *, actor: StaffActor
) -> PollReport | None:
    item = await readable_poll(polls, poll_id, actor=actor)
    if item is None:
        return None
    return PollReport(
        item,
        await polls.tally(poll_id),
        await polls.tally_by_district(poll_id),
        len(await polls.comments(poll_id)),
    )


async def close_poll(
    polls: PollRepository, poll_id: int, now: datetime, *, actor: StaffActor
) -> bool:
    """Close a poll now; False when there is no such poll or it is already closed."""
    item = await polls.get(poll_id)
    if item is None:
        return False
    require_change(actor, item.district)
    closed = await polls.close(poll_id, now)
    if closed:
        await record(actor, POLL_CLOSED, now, "poll", poll_id)
    return closed


async def export_results_csv(
    polls: PollRepository, poll_id: int, now: datetime, *, actor: StaffActor
) -> str | None:
    """A poll's results as CSV (totals only: nothing personal), recorded in the audit log."""
    report = await poll_report(polls, poll_id, actor=actor)
    if report is None:
        return None
    await record(actor, CSV_EXPORTED, now, "poll", poll_id, "results")
    return report.csv()


def merge_small_groups(by_district: dict[str | None, Tally]) -> dict[str, Tally]:
    """Districts with fewer than MIN_GROUP_SIZE ballots (and no district) become "other"."""
    merged: dict[str, Tally] = {}
    other = Tally(0, {})
    for district, tally in sorted(by_district.items(), key=lambda item: item[0] or ""):
        if district is not None and tally.ballots >= MIN_GROUP_SIZE:
            merged[district] = tally
        else:
            counts = dict(other.counts)
            for position, count in tally.counts.items():
                counts[position] = counts.get(position, 0) + count
            other = Tally(other.ballots + tally.ballots, counts)
    if other.ballots:
        merged[OTHER] = other
    return merged


def results_csv(poll: Poll, total: Tally, by_district: dict[str | None, Tally]) -> str:
    """Counts per choice, in total and per district (small districts merged): nobody's vote."""
    groups = merge_small_groups(by_district)
    rows: list[list[Cell]] = [
        ["choice", "label", "total", *groups],
        ["", "ballots", total.ballots, *(g.ballots for g in groups.values())],
    ]
    for choice in poll.choices:
        rows.append(
            [
                choice.position,
                choice.label_ja,
                total.counts.get(choice.position, 0),
                *(g.counts.get(choice.position, 0) for g in groups.values()),
            ]
        )
    return csv_text(rows)
