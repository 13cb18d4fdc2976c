"""One resident across channels: /link codes, the attempts limit, merging and unlinking.

A person is one residents row (the one that issued the code); each other channel is a row whose
`linked_to` names it. Everything the person does is kept on the person's row; identity rows keep
only what is addressed to that channel (outbox rows, the web mailbox).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.storage.database import Connection, Database
from bot.storage.server_keys import ServerKeyRepository
from bot.storage.timestamps import to_db

# 12 digits: with at most GLOBAL_GUESSES_PER_HOUR wrong codes an hour in all, and say 100
# codes alive at once, a year of guessing finds one with probability
# 300 × 8,760 × 100 / 10**12 ≈ 0.00026 (README: Security).
CODE_DIGITS = 12
CODE_LIFETIME = timedelta(minutes=10)
KEY_NAME = "link-codes"
# Wrong codes an identity may type in the window before it must wait.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
# Fresh identities are cheap on the web chat, so wrong codes are also counted per client
# address, and in all: past the overall figure nobody can link until the hour has passed,
# which bounds what any number of addresses can try.
GUESS_WINDOW = timedelta(hours=1)
ADDRESS_GUESSES_PER_HOUR = 20
GLOBAL_GUESSES_PER_HOUR = 300
# LINE and Telegram give no client address: an identity there is an account on the platform,
# and the identity lock and the overall limit hold. A web request without one shares a bucket.
PLATFORM_CHANNELS = frozenset({"line", "telegram"})

# Tables whose rows belong to the person and move to it on linking; where the person already
# has the same row (a ballot in the same poll, the same shift), the person's own row is kept.
# Each with the column that, beside resident_id, makes a row unique (None: resident_id alone).
PERSON_TABLES: dict[str, str | None] = {
    "ballots": "poll_id",
    "event_subscriptions": "event_id",
    "event_followers": None,
    "watch_signups": "shift_id",
    # Every voice moves (no two are "the same": their own id never matches another's).
    "voices": "id",
    "voice_supports": "voice_id",
}
# Tables addressed to one channel identity; they stay where they are.
IDENTITY_TABLES = ("outbox", "web_mailbox", "link_failures")
# Tables emptied for the identity on linking.
DROPPED_TABLES = ("conversation_state", "link_codes")


class LinkOutcome(StrEnum):
    LINKED = "linked"
    WRONG = "wrong"
    LOCKED = "locked"
    BUSY = "busy"  # too many wrong codes from everyone: linking waits for the hour to pass
    SAME = "same"
    ALREADY_LINKED = "already_linked"


@dataclass(frozen=True, slots=True)
class LinkResult:
    outcome: LinkOutcome
    person_id: int | None = None
    tries_left: int = 0
    wait: timedelta = FAILURE_WINDOW  # how long a LOCKED or BUSY resident should wait


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    channel: str
    platform_user_id: str
    receives_notices: bool
    reachable: bool


def normalize_code(text: str) -> str:
    """The digits of a typed code: spaces and hyphens are allowed, full width is folded."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if ch in "0123456789")


def show_code(code: str) -> str:
    """The code as residents see it, in groups of four: 1234-5678-9012."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class LinkRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._key: bytes | None = None

    async def _hmac(self, text: str, now: datetime) -> str:
        # Keyed, so a copy of the table cannot be searched through 10**12 codes offline.
        if self._key is None:
            self._key = await ServerKeyRepository(self._db).get_or_create(KEY_NAME, now)
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    async def issue_code(self, person_id: int, now: datetime) -> str:
        """A fresh code for the person; any earlier code of theirs stops working."""
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        code_hash = await self._hmac(code, now)
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM link_codes WHERE resident_id = ?", (person_id,))
            await conn.execute(
                "INSERT INTO link_codes (code_hash, resident_id, expires_at) VALUES (?, ?, ?)",
                (code_hash, person_id, to_db(now + CODE_LIFETIME)),
            )
        return code

    async def _address_bucket(
        self, channel: str, client_address: str | None, now: datetime
    ) -> str | None:
        if channel in PLATFORM_CHANNELS:
            return None
        return await self._hmac(f"address:{client_address or 'unknown:' + channel}", now)

    async def redeem(
        self,
        identity_id: int,
        linked_to: int | None,
        typed: str,
        now: datetime,
        channel: str = "web",
        client_address: str | None = None,
    ) -> LinkResult:
        """Join the identity that typed a code to the person who issued it.

        Refused while the identity, its client address or everyone together has typed too
        many wrong codes lately; counting and checking happen in one transaction."""
        code = normalize_code(typed)
        code_hash = await self._hmac(code, now)
        bucket = await self._address_bucket(channel, client_address, now)
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT count(*) FROM link_failures WHERE resident_id = ? AND failed_at > ?",
                (identity_id, to_db(now - FAILURE_WINDOW)),
            ) as cursor:
                row = await cursor.fetchone()
            failures = int(row[0]) if row else 0
            if failures >= MAX_FAILURES:
                return LinkResult(LinkOutcome.LOCKED)
            hour_ago = to_db(now - GUESS_WINDOW)
            async with conn.execute(
                "SELECT count(*), count(CASE WHEN address_hash = ? THEN 1 END)"
                " FROM link_guesses WHERE failed_at > ?",
                (bucket, hour_ago),
            ) as cursor:
                row = await cursor.fetchone()
            everyone, from_address = (int(row[0]), int(row[1])) if row else (0, 0)
            if everyone >= GLOBAL_GUESSES_PER_HOUR:
                return LinkResult(LinkOutcome.BUSY, wait=GUESS_WINDOW)
            if from_address >= ADDRESS_GUESSES_PER_HOUR:
                return LinkResult(LinkOutcome.LOCKED, wait=GUESS_WINDOW)
            async with conn.execute(
                "SELECT resident_id FROM link_codes WHERE code_hash = ? AND expires_at > ?",
                (code_hash, to_db(now)),
            ) as cursor:
                found = await cursor.fetchone()
            if found is None or len(code) != CODE_DIGITS:
                await conn.execute(
                    "INSERT INTO link_failures (resident_id, failed_at) VALUES (?, ?)",
                    (identity_id, to_db(now)),
                )
                await conn.execute("DELETE FROM link_guesses WHERE failed_at <= ?", (hour_ago,))
                await conn.execute(
                    "INSERT INTO link_guesses (address_hash, failed_at) VALUES (?, ?)",
                    (bucket, to_db(now)),
                )
                return LinkResult(LinkOutcome.WRONG, tries_left=MAX_FAILURES - failures - 1)
            person_id = int(found[0])
            if person_id in (identity_id, linked_to):
                return LinkResult(LinkOutcome.SAME, person_id)
            if linked_to is not None:
                return LinkResult(LinkOutcome.ALREADY_LINKED)
            await conn.execute("DELETE FROM link_codes WHERE resident_id = ?", (person_id,))
            await _merge(conn, identity_id, person_id, now)
        return LinkResult(LinkOutcome.LINKED, person_id)

    async def identities(self, person_id: int) -> list[Identity]:
        rows = await self._db.fetch_all(
            "SELECT id, channel, platform_user_id, receives_notices, reachable FROM residents"
            " WHERE id = ? OR linked_to = ? ORDER BY id",
            (person_id, person_id),
        )
        return [Identity(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows]

    async def unlink(self, person_id: int, identity_id: int, now: datetime) -> bool:
        """Detach one channel; it starts afresh, the person keeps what was done so far."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE residents SET linked_to = NULL, receives_notices = 1, updated_at = ?"
                " WHERE id = ? AND linked_to = ?",
                (to_db(now), identity_id, person_id),
            )
            if cursor.rowcount == 0:
                return False
            # If the detached channel was the one getting notices, the person's own row takes over.
            await conn.execute(
                "UPDATE residents SET receives_notices = 1 WHERE id = ? AND NOT EXISTS"
                " (SELECT 1 FROM residents WHERE linked_to = ? AND receives_notices = 1)",
                (person_id, person_id),
            )
        return True

    async def send_notices_to(self, person_id: int, identity_id: int) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE residents SET receives_notices = CASE WHEN id = ? THEN 1 ELSE 0 END"
                " WHERE id = ? OR linked_to = ?",
                (identity_id, person_id, person_id),
            )
            async with conn.execute(
                "SELECT count(*) FROM residents WHERE receives_notices = 1"
                " AND (id = ? OR linked_to = ?)",
                (person_id, person_id),
            ) as check:
                row = await check.fetchone()
            if cursor.rowcount == 0 or row is None or row[0] != 1:
                raise LookupError(f"identity {identity_id} is not a channel of {person_id}")
        return True


async def _merge(conn: Connection, identity_id: int, person_id: int, now: datetime) -> None:
    """Move the identity's own doings (and any channels already linked to it) to the person."""
    # Both signed up for one shift: the person keeps the confirmed place if either had it, so
    # dropping the identity's row frees no place that the waitlist would then be owed.
    await conn.execute(
        "UPDATE watch_signups SET status = 'confirmed' WHERE resident_id = ?"
        " AND status = 'waitlisted' AND shift_id IN (SELECT shift_id FROM watch_signups"
        " WHERE resident_id = ? AND status = 'confirmed')",
        (person_id, identity_id),
    )
    for table, key in PERSON_TABLES.items():
        # Rows the person already has an equal of stay behind and are deleted below. Table and
        # column names are our literals above, never input.
        same = f" AND theirs.{key} = {table}.{key}" if key else ""
        await conn.execute(
            f"UPDATE {table} SET resident_id = ? WHERE resident_id = ? AND NOT EXISTS"
            f" (SELECT 1 FROM {table} theirs WHERE theirs.resident_id = ?{same})",
            (person_id, identity_id, person_id),
        )
        await conn.execute(f"DELETE FROM {table} WHERE resident_id = ?", (identity_id,))
    for table in DROPPED_TABLES:
        await conn.execute(f"DELETE FROM {table} WHERE resident_id = ?", (identity_id,))
    # What the person has not set yet is taken from the identity (district, roster consent).
    await conn.execute(
        "UPDATE residents SET"
        " district = coalesce(district, (SELECT district FROM residents WHERE id = ?)),"
        " consent_at = CASE WHEN display_name IS NULL"
        "   THEN (SELECT consent_at FROM residents WHERE id = ?) ELSE consent_at END,"
        " display_name = coalesce(display_name,"
        "   (SELECT display_name FROM residents WHERE id = ?)),"
        " updated_at = ? WHERE id = ?",
        (identity_id, identity_id, identity_id, to_db(now), person_id),
    )
    await conn.execute(
        "UPDATE residents SET linked_to = ?, receives_notices = 0, district = NULL,"
        " display_name = NULL, consent_at = NULL, help_asks = 0,"
        " language = (SELECT language FROM residents WHERE id = ?), updated_at = ?"
        " WHERE id = ? OR linked_to = ?",
        (person_id, person_id, to_db(now), identity_id, identity_id),
    )
