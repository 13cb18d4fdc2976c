"""Polls, their choices and anonymous ballots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.localized import Localized
from bot.storage.broadcasts import DISTRICT_AUDIENCE, NewBroadcast, insert_broadcast
from bot.storage.database import Connection, Database, Row, chunked, inserted_id, placeholders
from bot.storage.group_commit import GroupCommit
from bot.storage.paper_ballots import PaperBallotRepository
from bot.storage.tallies import Tally, tallies_by_district
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class PollChoice:
    position: int
    label_ja: str
    label_en: str | None

    @property
    def label(self) -> Localized:
        return Localized(self.label_ja, self.label_en)


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    question_ja: str
    question_en: str | None
    choices: tuple[PollChoice, ...]
    multiple: bool
    allow_comment: bool
    announce: bool
    district: str | None
    closes_at: datetime
    closed_at: datetime | None
    created_at: datetime

    @property
    def question(self) -> Localized:
        return Localized(self.question_ja, self.question_en)

    def is_open(self, now: datetime) -> bool:
        return self.closed_at is None and now < self.closes_at

    def choice(self, position: int) -> PollChoice | None:
        return next((c for c in self.choices if c.position == position), None)


@dataclass(frozen=True, slots=True)
class NewPoll:
    question_ja: str
    question_en: str | None
    choices: tuple[tuple[str, str | None], ...]
    multiple: bool
    allow_comment: bool
    announce: bool
    district: str | None
    closes_at: datetime


class VoteOutcome(StrEnum):
    CAST = "cast"
    REPLACED = "replaced"
    CLOSED = "closed"
    NOT_ELIGIBLE = "not_eligible"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class _Vote:
    poll_id: int
    resident_id: int
    district: str | None
    positions: frozenset[int]
    now: datetime


class PollRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # The paper ballots staff enter (紙・窓口), kept apart from the online ones.
        self.paper = PaperBallotRepository(db)
        # Votes arriving together are checked and written together (a few statements for the
        # batch, in one transaction), each with its own outcome: in a burst every vote would
        # otherwise wait for the one writer, three or four statements at a time.
        self._votes: GroupCommit[_Vote, VoteOutcome] = GroupCommit(self._cast_all)

    async def create(
        self, poll: NewPoll, now: datetime, announcement: NewBroadcast | None = None
    ) -> tuple[int, int | None]:
        """Store the poll, and queue its announcement to its audience in the same transaction.

        Returns (poll id, announcement broadcast id or None).
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO polls (question_ja, question_en, multiple, allow_comment, announce,"
                " district, closes_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    poll.question_ja,
                    poll.question_en,
                    int(poll.multiple),
                    int(poll.allow_comment),
                    int(poll.announce),
                    poll.district,
                    to_db(poll.closes_at),
                    to_db(now),
                ),
            )
            poll_id = await inserted_id(cursor)
            await conn.executemany(
                "INSERT INTO poll_choices (poll_id, position, label_ja, label_en)"
                " VALUES (?, ?, ?, ?)",
                [(poll_id, n, ja, en) for n, (ja, en) in enumerate(poll.choices, start=1)],
            )
            broadcast_id = None
            if announcement is not None:
                broadcast_id = await insert_broadcast(
                    conn,
                    announcement,
                    now,
                    DISTRICT_AUDIENCE,
                    (poll.district, poll.district),
                )
        return poll_id, broadcast_id

    async def get(self, poll_id: int) -> Poll | None:
        # One query with its choices (every vote reads its poll first).
        rows = await self._db.fetch_all(
            "SELECT polls.*, position, label_ja, label_en FROM polls"
            " JOIN poll_choices ON poll_choices.poll_id = polls.id"
            " WHERE polls.id = ? ORDER BY position",
            (poll_id,),
        )
        if not rows:
            return None
        choices = (PollChoice(r["position"], r["label_ja"], r["label_en"]) for r in rows)
        return _poll(rows[0], tuple(choices))

    async def all(self) -> list[Poll]:
        return await self._polls("ORDER BY id", ())

    async def still_open(self) -> list[Poll]:
        """Polls not yet marked closed (their time may have passed: see close_due)."""
        return await self._polls("WHERE closed_at IS NULL ORDER BY closes_at", ())

    async def open_for(self, district: str | None, now: datetime) -> list[Poll]:
        """Open polls a resident of `district` may answer, soonest closing first."""
        return await self._polls(
            "WHERE closed_at IS NULL AND closes_at > ? AND (district IS NULL OR district = ?)"
            " ORDER BY closes_at",
            (to_db(now), district),
        )

    async def close(self, poll_id: int, now: datetime) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE polls SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                (to_db(now), poll_id),
            )
            return cursor.rowcount == 1

    async def close_due(self, now: datetime) -> list[int]:
        """Mark closed every poll whose closing time has come; return their ids."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE polls SET closed_at = closes_at"
                " WHERE closed_at IS NULL AND closes_at <= ? RETURNING id",
                (to_db(now),),
            )
            return sorted(row[0] for row in await cursor.fetchall())

    async def vote(
        self,
        poll_id: int,
        resident_id: int,
        district: str | None,
        positions: frozenset[int],
        now: datetime,
    ) -> VoteOutcome:
        """Cast or replace the resident's one ballot, checking the poll inside the transaction."""
        if not positions:
            return VoteOutcome.INVALID
        return await self._votes.add(_Vote(poll_id, resident_id, district, positions, now))

    async def _cast_all(self, votes: list[_Vote]) -> list[VoteOutcome]:
        async with self._db.transaction() as conn:
            return await _cast_together(conn, votes)

    async def set_comment(
        self, poll_id: int, resident_id: int, comment: str, now: datetime
    ) -> bool:
        """Attach a comment to the resident's ballot while the poll is open."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE ballots SET comment = ?, commented_at = ?, updated_at = ?"
                " WHERE poll_id = ? AND resident_id = ? AND EXISTS (SELECT 1 FROM polls"
                " WHERE id = ? AND allow_comment = 1 AND closed_at IS NULL AND closes_at > ?)",
                (comment, to_db(now), to_db(now), poll_id, resident_id, poll_id, to_db(now)),
            )
            return cursor.rowcount == 1

    async def ballot_of(self, poll_id: int, resident_id: int) -> frozenset[int] | None:
        rows = await self._db.fetch_all(
            "SELECT bc.position FROM ballots b JOIN ballot_choices bc ON bc.ballot_id = b.id"
            " WHERE b.poll_id = ? AND b.resident_id = ?",
            (poll_id, resident_id),
        )
        return frozenset(row[0] for row in rows) if rows else None

    async def comment_times(self, resident_id: int) -> list[datetime]:
        """When each of the resident's comments was written, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT commented_at FROM ballots WHERE resident_id = ? AND comment IS NOT NULL"
            " ORDER BY commented_at",
            (resident_id,),
        )
        return [from_db(row[0]) for row in rows if row[0]]

    async def ballots_by(self, resident_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM ballots WHERE resident_id = ?", (resident_id,)
        )
        return int(row[0]) if row else 0

    async def tally(self, poll_id: int) -> Tally:
        return Tally.total((await self.tally_by_district(poll_id)).values())

    async def tally_by_district(self, poll_id: int) -> dict[str | None, Tally]:
        """The running counts (migration 0009: kept by triggers as ballots change), in one
        statement; position 0 in its rows carries a district's number of ballots."""
        rows = await self._db.fetch_all(
            "SELECT district, 0, ballots FROM poll_ballot_counts"
            " WHERE poll_id = ? AND ballots > 0"
            " UNION ALL SELECT district, position, votes FROM poll_choice_counts"
            " WHERE poll_id = ? AND votes > 0",
            (poll_id, poll_id),
        )
        return tallies_by_district(rows)

    async def comments(self, poll_id: int) -> list[str]:
        """Comments in text order, never with who or when."""
        rows = await self._db.fetch_all(
            "SELECT comment FROM ballots WHERE poll_id = ? AND comment IS NOT NULL"
            " ORDER BY comment",
            (poll_id,),
        )
        return [row[0] for row in rows]

    async def _polls(self, where: str, params: tuple[object, ...]) -> list[Poll]:
        rows = await self._db.fetch_all(f"SELECT * FROM polls {where}", params)
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        choice_rows = await self._db.fetch_all(
            f"SELECT * FROM poll_choices WHERE poll_id IN ({placeholders(len(ids))})"
            " ORDER BY position",
            ids,
        )
        choices: dict[int, list[PollChoice]] = {}
        for row in choice_rows:
            choices.setdefault(row["poll_id"], []).append(
                PollChoice(row["position"], row["label_ja"], row["label_en"])
            )
        return [_poll(row, tuple(choices.get(row["id"], []))) for row in rows]


def _poll(row: Row, choices: tuple[PollChoice, ...]) -> Poll:
    return Poll(
        id=row["id"],
        question_ja=row["question_ja"],
        question_en=row["question_en"],
        choices=choices,
        multiple=bool(row["multiple"]),
        allow_comment=bool(row["allow_comment"]),
        announce=bool(row["announce"]),
        district=row["district"],
        closes_at=from_db(row["closes_at"]),
        closed_at=from_db(row["closed_at"]) if row["closed_at"] else None,
        created_at=from_db(row["created_at"]),
    )


async def _cast_together(conn: Connection, votes: list[_Vote]) -> list[VoteOutcome]:
    """Check and write a batch of votes in a few statements, whatever its size: each statement
    is a trip to the database while the one writer waits. Votes count in arrival order, so a
    resident's later vote in the batch replaces the earlier one."""
    poll_ids = sorted({v.poll_id for v in votes})
    resident_ids = sorted({v.resident_id for v in votes})
    async with conn.execute(
        "SELECT p.id, p.multiple, p.district, p.closes_at, p.closed_at, c.position"
        " FROM polls p JOIN poll_choices c ON c.poll_id = p.id"
        f" WHERE p.id IN ({placeholders(len(poll_ids))})",
        poll_ids,
    ) as cursor:
        rows = await cursor.fetchall()
    polls = {row["id"]: row for row in rows}
    positions_of: dict[int, set[int]] = {}
    for row in rows:
        positions_of.setdefault(row["id"], set()).add(row["position"])
    earlier: dict[tuple[int, int], int] = {}  # the ballots the residents already have
    for chunk in chunked(resident_ids):
        async with conn.execute(
            "SELECT poll_id, resident_id, id FROM ballots"
            f" WHERE poll_id IN ({placeholders(len(poll_ids))})"
            f" AND resident_id IN ({placeholders(len(chunk))})",
            (*poll_ids, *chunk),
        ) as cursor:
            earlier.update({(row[0], row[1]): row[2] for row in await cursor.fetchall()})

    outcomes: list[VoteOutcome] = []
    latest: dict[tuple[int, int], _Vote] = {}  # each ballot as the batch leaves it
    first_cast: dict[tuple[int, int], datetime] = {}
    for vote in votes:
        refusal = _refusal(vote, polls.get(vote.poll_id), positions_of.get(vote.poll_id, set()))
        if refusal is not None:
            outcomes.append(refusal)
            continue
        key = (vote.poll_id, vote.resident_id)
        known = key in earlier or key in latest
        outcomes.append(VoteOutcome.REPLACED if known else VoteOutcome.CAST)
        first_cast.setdefault(key, vote.now)
        latest[key] = vote

    fresh = [key for key in latest if key not in earlier]
    ballot_ids = {key: earlier[key] for key in latest if key in earlier}
    for chunk in chunked(fresh):
        async with conn.execute(
            "INSERT INTO ballots (poll_id, resident_id, district, cast_at, updated_at) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
            + " RETURNING poll_id, resident_id, id",
            [
                value
                for key in chunk
                for value in (
                    *key,
                    latest[key].district,
                    to_db(first_cast[key]),
                    to_db(latest[key].now),
                )
            ],
        ) as cursor:
            ballot_ids.update({(row[0], row[1]): row[2] for row in await cursor.fetchall()})
    replaced = [key for key in latest if key in earlier]
    if replaced:
        await conn.executemany(
            "UPDATE ballots SET district = ?, updated_at = ? WHERE id = ?",
            [(latest[k].district, to_db(latest[k].now), earlier[k]) for k in replaced],
        )
        for chunk in chunked(replaced):
            ids = [earlier[key] for key in chunk]
            await conn.execute(
                f"DELETE FROM ballot_choices WHERE ballot_id IN ({placeholders(len(ids))})",
                ids,
            )
    if latest:
        await conn.executemany(
            "INSERT INTO ballot_choices (ballot_id, position) VALUES (?, ?)",
            [
                (ballot_ids[key], position)
                for key, vote in latest.items()
                for position in sorted(vote.positions)
            ],
        )
    return outcomes


def _refusal(vote: _Vote, poll: Row | None, positions: set[int]) -> VoteOutcome | None:
    """Why the vote cannot count, or None when it can."""
    if poll is None:
        return VoteOutcome.INVALID
    if poll["closed_at"] is not None or from_db(poll["closes_at"]) <= vote.now:
        return VoteOutcome.CLOSED
    if poll["district"] is not None and poll["district"] != vote.district:
        return VoteOutcome.NOT_ELIGIBLE
    if not vote.positions <= positions or (not poll["multiple"] and len(vote.positions) != 1):
        return VoteOutcome.INVALID
    return None
