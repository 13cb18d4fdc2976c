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

EMPTY = Tally(0, {})

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
class Counted:
    """Ballots counted online and on paper (紙・窓口, entered by staff), and both together."""

    online: Tally
    paper: Tally = EMPTY

    @property
    def total(self) -> Tally:
        return self.online.plus(self.paper)


@dataclass(frozen=True)
class PollReport:
    """A poll's results as staff see them: online, paper and total, per district, and how
    many comments."""

    poll: Poll
    counted: Counted
    by_district: dict[str | None, Counted]
    comments: int

    @property
    def tally(self) -> Tally:
        return self.counted.total

    def csv(self) -> str:
        return results_csv(self.poll, self.counted, self.by_district)


async def list_polls(polls: PollRepository, *, actor: StaffActor) -> list[tuple[Poll, int]]:
    """Every poll the actor may read, oldest first, with its number of ballots (online and
    paper)."""
    on_paper = await polls.paper.ballots_by_poll()
    return [
        (poll, (await polls.tally(poll.id)).ballots + on_paper.get(poll.id, 0))
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
    online = await polls.tally_by_district(poll_id)
    on_paper = await polls.paper.tally_by_district(poll_id)
    by_district = {
        district: Counted(online.get(district, EMPTY), on_paper.get(district, EMPTY))
        for district in online.keys() | on_paper.keys()
    }
    return PollReport(
        item,
        Counted(await polls.tally(poll_id), await polls.paper.tally(poll_id)),
        by_district,
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


def _named(counted: Counted) -> bool:
    """Whether a district's counts may be shown under its name: each part (online, paper)
    empty or of at least MIN_GROUP_SIZE ballots. Checking the total alone would let anyone
    subtract the online counts from the total and read the few paper ballots of a district."""
    return all(
        part.ballots == 0 or part.ballots >= MIN_GROUP_SIZE
        for part in (counted.online, counted.paper)
    )


def merge_small_groups(by_district: dict[str | None, Counted]) -> dict[str, Counted]:
    """Districts with fewer than MIN_GROUP_SIZE ballots online or on paper (and no district)
    become "other", online and paper alike."""
    merged: dict[str, Counted] = {}
    other = Counted(EMPTY, EMPTY)
    for district, counted in sorted(by_district.items(), key=lambda item: item[0] or ""):
        if district is not None and _named(counted):
            merged[district] = counted
        else:
            other = Counted(other.online.plus(counted.online), other.paper.plus(counted.paper))
    if other.total.ballots:
        merged[OTHER] = other
    return merged


# The CSV's "counted" column: every count appears as all, online and paper (紙・窓口).
CSV_PARTS = ("all", "online", "paper")


def _parts(counted: Counted) -> tuple[Tally, Tally, Tally]:
    return counted.total, counted.online, counted.paper


def results_csv(poll: Poll, total: Counted, by_district: dict[str | None, Counted]) -> str:
    """Counts per choice, all/online/paper, in total and per district (small districts
    merged): nobody's vote."""
    groups = merge_small_groups(by_district)
    columns = [_parts(total), *(_parts(g) for g in groups.values())]
    rows: list[list[Cell]] = [["choice", "label", "counted", "total", *groups]]
    for n, part in enumerate(CSV_PARTS):
        rows.append(["", "ballots", part, *(c[n].ballots for c in columns)])
    for choice in poll.choices:
        for n, part in enumerate(CSV_PARTS):
            rows.append(
                [
                    choice.position,
                    choice.label_ja,
                    part,
                    *(c[n].counts.get(choice.position, 0) for c in columns),
                ]
            )
    return csv_text(rows)
