"""Counts of a poll's ballots, online or on paper."""

from __future__ import annotations

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
