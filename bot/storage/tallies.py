"""Counts of a poll's ballots, online or on paper."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per choice position, and how many ballots there are."""

    ballots: int
    counts: dict[int, int]

    def plus(self, other: Tally) -> Tally:
        """Both tallies added up (online and paper ballots, two districts)."""
        counts = dict(self.counts)
        for position, count in other.counts.items():
            counts[position] = counts.get(position, 0) + count
        return Tally(self.ballots + other.ballots, counts)

    @staticmethod
    def total(tallies: Iterable[Tally]) -> Tally:
        """All the tallies added up (a poll's districts)."""
        result = Tally(0, {})
        for tally in tallies:
            result = result.plus(tally)
        return result


def tallies_by_district(rows: Iterable[tuple[str, int, int]]) -> dict[str | None, Tally]:
    """Tallies from (district, position, count) rows of the count tables, where position 0
    carries a district's number of ballots and '' stands for "no district"."""
    rows = list(rows)
    result: dict[str | None, Tally] = {}
    for district_key, position, count in rows:
        if position == 0:
            result[district_key or None] = Tally(int(count), {})
    for district_key, position, count in rows:
        if position != 0 and (district_key or None) in result:
            result[district_key or None].counts[int(position)] = int(count)
    return result
