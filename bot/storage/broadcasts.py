"""Broadcasts: who a notice is for (its outbox rows, written with it), and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Connection, Database, inserted_id, placeholders
from bot.storage.timestamps import from_db, to_db

# Channels a broadcast can reach; the console is a developer's tool, never an audience.
PUSH_CHANNELS = ("telegram", "line", "web")
# An outbox row's states, in the order staff read them.
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "unreachable")
# Kinds whose broadcasts carry no district only when they went to the whole city (a staff
# notice, a city-wide poll's announcement). The others were stored without their subject's
# district before it was kept, so a missing district says nothing about where they went.
CITY_WIDE_KINDS = ("notice", "poll_announcement")
DISTRICT_AUDIENCE = (
    "SELECT id FROM residents WHERE linked_to IS NULL"
    " AND (CAST(? AS TEXT) IS NULL OR district = ?)"
)


@dataclass(frozen=True, slots=True)
class NewBroadcast:
    kind: str
    text_ja: str
    text_en: str | None = None
    text_easy: str | None = None
    district: str | None = None
    channel: str = "all"
    resend_in_flight: bool = True

    def channels(self) -> tuple[str, ...]:
        return PUSH_CHANNELS if self.channel == "all" else (self.channel,)


@dataclass(frozen=True, slots=True)
class BroadcastSummary:
    id: int
    kind: str
    text_ja: str
    district: str | None
    channel: str
    created_at: datetime
    counts: dict[str, int]  # outbox rows per state
    # Of the sent rows, those put in a web chat's mailbox: the resident sees them at their
    # next visit, so staff are told they wait there rather than that they were delivered.
    in_chat: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def settled(self) -> int:
        return self.counts["sent"] + self.counts["failed"] + self.counts["unreachable"]


async def insert_broadcast(
    conn: Connection,
    broadcast: NewBroadcast,
    now: datetime,
    audience_sql: str,
    audience_params: tuple[object, ...],
) -> int:
    """Write a broadcast and its outbox rows inside the caller's transaction.

    `audience_sql` selects resident (person) ids; each gets one row, addressed to the channel
    that receives their notices, when it is reachable and one of the broadcast's channels.
    """
    cursor = await conn.execute(
        "INSERT INTO broadcasts (kind, text_ja, text_en, text_easy, district, channel,"
        " resend_in_flight, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            broadcast.kind,
            broadcast.text_ja,
            broadcast.text_en,
            broadcast.text_easy,
            broadcast.district,
            broadcast.channel,
            int(broadcast.resend_in_flight),
            to_db(now),
        ),
    )
    broadcast_id = await inserted_id(cursor)
    channels = broadcast.channels()
    await conn.execute(
        "INSERT INTO outbox (broadcast_id, resident_id, channel, next_attempt_at)"
        " SELECT CAST(? AS INTEGER), r.id, r.channel, CAST(? AS TEXT) FROM residents r"
        " WHERE r.reachable = 1 AND r.receives_notices = 1"
        f" AND r.channel IN ({placeholders(len(channels))})"
        f" AND coalesce(r.linked_to, r.id) IN ({audience_sql})",
        (broadcast_id, to_db(now), *channels, *audience_params),
    )
    return broadcast_id


class BroadcastRepository:
    """Staff broadcasts: their audience, their creation, their history."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def audience(self, district: str | None, channel: str) -> dict[str, int]:
        """Reachable residents per channel that a broadcast would reach."""
        channels = NewBroadcast("", "", channel=channel).channels()
        rows = await self._db.fetch_all(
            "SELECT channel, count(*) FROM residents"
            " WHERE reachable = 1 AND receives_notices = 1"
            f" AND channel IN ({placeholders(len(channels))})"
            f" AND coalesce(linked_to, id) IN ({DISTRICT_AUDIENCE}) GROUP BY channel",
            (*channels, district, district),
        )
        counts = {name: 0 for name in channels}
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

    async def create(self, broadcast: NewBroadcast, now: datetime) -> int:
        """A broadcast to everyone reachable (in its district, if any), in one transaction."""
        async with self._db.transaction() as conn:
            return await insert_broadcast(
                conn, broadcast, now, DISTRICT_AUDIENCE, (broadcast.district, broadcast.district)
            )

    async def queued(self, broadcast_id: int) -> dict[str, int]:
        """A broadcast's outbox rows per channel: whom it was queued for (rows are only ever
        written with the broadcast, so this is its audience as queued)."""
        rows = await self._db.fetch_all(
            "SELECT channel, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY channel",
            (broadcast_id,),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def create_for(
        self, broadcast: NewBroadcast, resident_ids: list[int], now: datetime
    ) -> int:
        """A broadcast to these residents (those still reachable), in one transaction."""
        async with self._db.transaction() as conn:
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (id INTEGER PRIMARY KEY)")
            await conn.execute("DELETE FROM chosen")
            await conn.executemany(
                "INSERT INTO chosen (id) VALUES (?)", [(i,) for i in resident_ids]
            )
            broadcast_id = await insert_broadcast(
                conn, broadcast, now, "SELECT id FROM chosen", ()
            )
            await conn.execute("DELETE FROM chosen")
            return broadcast_id

    async def history(
        self,
        limit: int,
        broadcast_id: int | None = None,
        districts: frozenset[str] | None = None,
    ) -> list[BroadcastSummary]:
        """The newest broadcasts (or one of them) with their outbox rows counted by state;
        with `districts`, only theirs and those that went to the whole city."""
        scope = ""
        scope_params: tuple[str, ...] = ()
        if districts is not None:
            kinds = placeholders(len(CITY_WIDE_KINDS))
            scope = f" AND (b.district IS NULL AND b.kind IN ({kinds})"
            scope_params = CITY_WIDE_KINDS
            if districts:
                scope += f" OR b.district IN ({placeholders(len(districts))})"
                scope_params += tuple(sorted(districts))
            scope += ")"
        rows = await self._db.fetch_all(
            "SELECT b.id, b.kind, b.text_ja, b.district, b.channel, b.created_at,"
            + ", ".join(
                f" sum(CASE WHEN o.state = '{state}' THEN 1 ELSE 0 END)" for state in OUTBOX_STATES
            )
            + ", sum(CASE WHEN o.state = 'sent' AND o.channel = 'web' THEN 1 ELSE 0 END)"
            " FROM broadcasts b LEFT JOIN outbox o ON o.broadcast_id = b.id"
            " WHERE (CAST(? AS INTEGER) IS NULL OR b.id = ?)" + scope + " GROUP BY b.id"
            " ORDER BY b.id DESC LIMIT ?",
            (broadcast_id, broadcast_id, *scope_params, limit),
        )
        return [
            BroadcastSummary(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                from_db(row[5]),
                {state: int(row[6 + i] or 0) for i, state in enumerate(OUTBOX_STATES)},
                int(row[6 + len(OUTBOX_STATES)] or 0),
            )
            for row in rows
        ]
