"""Paper ballots staff enter for a poll (紙・窓口): one entry per staff member and district,
kept apart from the online ballots (migration 0021)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database
from bot.storage.tallies import Tally, tallies_by_district
from bot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class PaperEntry:
    """What one staff member counted for one district (None: no district) of one poll."""

    poll_id: int
    entered_by: str
    district: str | None
    ballots: int
    votes: dict[int, int]  # choice position → votes
    entered_at: datetime


def _key(district: str | None) -> str:
    return district or ""  # '' is "no district", as in the online count tables


class PaperBallotRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace(self, entry: PaperEntry) -> PaperEntry | None:
        """Store the staff member's entry for this poll and district in place of their earlier
        one (never added to it), in one transaction; return the earlier one, if any."""
        key = (entry.poll_id, entry.entered_by, _key(entry.district))
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT 0, ballots, entered_at FROM paper_tallies"
                " WHERE poll_id = ? AND entered_by = ? AND district = ?"
                " UNION ALL SELECT position, votes, '' FROM paper_tally_votes"
                " WHERE poll_id = ? AND entered_by = ? AND district = ?",
                (*key, *key),
            )
            rows = await cursor.fetchall()
            earlier = None
            for position, count, entered_at in rows:
                if position == 0:
                    votes = {int(p): int(v) for p, v, _ in rows if p != 0}
                    earlier = PaperEntry(
                        entry.poll_id,
                        entry.entered_by,
                        entry.district,
                        int(count),
                        votes,
                        from_db(entered_at),
                    )
            # The votes go with their entry (ON DELETE CASCADE).
            await conn.execute(
                "DELETE FROM paper_tallies WHERE poll_id = ? AND entered_by = ? AND district = ?",
                key,
            )
            await conn.execute(
                "INSERT INTO paper_tallies (poll_id, entered_by, district, ballots, entered_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (*key, entry.ballots, to_db(entry.entered_at)),
            )
            if entry.votes:
                await conn.executemany(
                    "INSERT INTO paper_tally_votes"
                    " (poll_id, entered_by, district, position, votes) VALUES (?, ?, ?, ?, ?)",
                    [(*key, position, votes) for position, votes in sorted(entry.votes.items())],
                )
        return earlier

    async def entries(self, poll_id: int, entered_by: str | None = None) -> list[PaperEntry]:
        """The poll's entries (only `entered_by`'s when given), by staff member and district."""
        where, params = "poll_id = ?", [poll_id]
        if entered_by is not None:
            where += " AND entered_by = ?"
            params.append(entered_by)
        tallies = await self._db.fetch_all(
            f"SELECT entered_by, district, ballots, entered_at FROM paper_tallies WHERE {where}"
            " ORDER BY entered_by, district",
            params,
        )
        votes = await self._db.fetch_all(
            f"SELECT entered_by, district, position, votes FROM paper_tally_votes WHERE {where}",
            params,
        )
        by_entry: dict[tuple[str, str], dict[int, int]] = {}
        for login, district, position, count in votes:
            by_entry.setdefault((login, district), {})[int(position)] = int(count)
        return [
            PaperEntry(
                poll_id,
                login,
                district or None,
                int(ballots),
                by_entry.get((login, district), {}),
                from_db(entered_at),
            )
            for login, district, ballots, entered_at in tallies
        ]

    async def tally(self, poll_id: int) -> Tally:
        """Every staff member's paper ballots for the poll, added up."""
        return Tally.total((await self.tally_by_district(poll_id)).values())

    async def tally_by_district(self, poll_id: int) -> dict[str | None, Tally]:
        """Paper ballots per district, every staff member's entries added up; position 0 in the
        rows carries a district's ballots (as in PollRepository.tally_by_district)."""
        rows = await self._db.fetch_all(
            "SELECT district, 0, sum(ballots) FROM paper_tallies WHERE poll_id = ?"
            " GROUP BY district HAVING sum(ballots) > 0"
            " UNION ALL SELECT district, position, sum(votes) FROM paper_tally_votes"
            " WHERE poll_id = ? GROUP BY district, position HAVING sum(votes) > 0",
            (poll_id, poll_id),
        )
        return tallies_by_district(rows)

    async def ballots_by_poll(self) -> dict[int, int]:
        """Each poll's paper ballots (for lists of polls)."""
        rows = await self._db.fetch_all(
            "SELECT poll_id, sum(ballots) FROM paper_tallies GROUP BY poll_id"
        )
        return {int(poll_id): int(total) for poll_id, total in rows}
