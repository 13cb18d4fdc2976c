"""Retention: how long each kind of stored data is kept, and the daily job that removes it.

A rule is "fiscal-year" (kept until the end of the Japanese fiscal year, 31 March, in which it
was stored), "fiscal-year+1" (until the end of the fiscal year after that one), "<N>d" (N days
after it was stored) or "forever".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.storage.database import Database
from bot.storage.timestamps import to_db
from bot.storage.voices import ADDRESS_WINDOW

logger = logging.getLogger(__name__)

FISCAL_YEAR = "fiscal-year"
NEXT_FISCAL_YEAR = "fiscal-year+1"
FOREVER = "forever"
_DAYS = re.compile(r"^(\d{1,5})d$")
# The audit log's default (five years, leap days included) and its shortest allowed rule: the
# database itself refuses to delete a row less than a year old (migration 0020).
AUDIT_DEFAULT = "1827d"
AUDIT_MINIMUM = timedelta(days=366)
# Link codes and wrong-code records are only needed while they can matter.
LINK_RECORDS_KEPT = timedelta(days=1)


def check_rule(value: str) -> str:
    if value in (FISCAL_YEAR, NEXT_FISCAL_YEAR, FOREVER) or _DAYS.match(value):
        return value
    raise ValueError(
        f"use {FISCAL_YEAR}, {NEXT_FISCAL_YEAR}, {FOREVER} or a number of days like 180d,"
        f" not {value!r}"
    )


def check_audit_rule(value: str) -> str:
    """A rule for the audit log: kept at least a year and a day whenever stored."""
    check_rule(value)
    match = _DAYS.match(value)
    if value == FISCAL_YEAR or (match and timedelta(days=int(match.group(1))) < AUDIT_MINIMUM):
        raise ValueError(f"the audit log is kept at least {AUDIT_MINIMUM.days} days")
    return value


def fiscal_year_start(day: date) -> date:
    """1 April of the fiscal year `day` falls in."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


@dataclass(frozen=True, slots=True)
class Rule:
    text: str

    def expires(self, stored_at: datetime, tz: ZoneInfo) -> datetime | None:
        """When something stored at `stored_at` is removed; None for never."""
        if self.text == FOREVER:
            return None
        if self.text in (FISCAL_YEAR, NEXT_FISCAL_YEAR):
            start = fiscal_year_start(stored_at.astimezone(tz).date())
            return datetime.combine(date(start.year + 1 + self._years(), 4, 1), time(), tz)
        return stored_at + self._days()

    def cutoff(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """Whatever was stored before this moment is due for removal now."""
        if self.text == FOREVER:
            return None
        if self.text in (FISCAL_YEAR, NEXT_FISCAL_YEAR):
            start = fiscal_year_start(now.astimezone(tz).date())
            return datetime.combine(date(start.year - self._years(), 4, 1), time(), tz)
        return now - self._days()

    def _years(self) -> int:
        """Fiscal years kept after the one something was stored in."""
        return 1 if self.text == NEXT_FISCAL_YEAR else 0

    def _days(self) -> timedelta:
        match = _DAYS.match(self.text)
        assert match is not None  # check_rule let only these three forms in
        return timedelta(days=int(match.group(1)))


@dataclass(frozen=True, slots=True)
class RetentionRules:
    roster_names: Rule
    comments: Rule
    event_ids: Rule
    # Questions the bot could not answer (kept without who asked, for staff to improve answers).
    unanswered: Rule = Rule("90d")
    # 地域の声 (voices, their photos and supports): answered in one fiscal year, read in the next.
    voices: Rule = Rule(NEXT_FISCAL_YEAR)
    # The staff audit log: five years (the database refuses removing rows under a year old).
    audit: Rule = Rule(AUDIT_DEFAULT)
    # When the daily job runs (city time): something is gone at the first run after it expires.
    runs_at: time = time(3, 30)

    def removal_day(self, rule: Rule, stored_at: datetime, tz: ZoneInfo) -> date | None:
        """The day the daily job removes something stored at `stored_at` under `rule`."""
        expires = rule.expires(stored_at, tz)
        if expires is None:
            return None
        local = expires.astimezone(tz)
        run = datetime.combine(local.date(), self.runs_at, tz)
        return (run if run >= local else run + timedelta(days=1)).date()


async def apply_retention(
    db: Database, rules: RetentionRules, now: datetime, tz: ZoneInfo
) -> dict[str, int]:
    """Remove what the rules say is due, and nothing else; return and log counts per kind."""
    removed: dict[str, int] = {}
    async with db.transaction() as conn:
        if (cutoff := rules.roster_names.cutoff(now, tz)) is not None:
            cursor = await conn.execute(
                "UPDATE residents SET display_name = NULL, consent_at = NULL, updated_at = ?"
                " WHERE display_name IS NOT NULL AND consent_at < ?",
                (to_db(now), to_db(cutoff)),
            )
            removed["roster_names"] = cursor.rowcount
            # Counter volunteers' names (on their sign-ups, which are all there is of them) by
            # the same rule, counted from the later of the sign-up and its shift: a name phoned
            # in for a shift after the cutoff is still needed on that day's roster.
            cursor = await conn.execute(
                "UPDATE watch_signups SET counter_name = NULL"
                " WHERE counter_name IS NOT NULL AND created_at < ?"
                " AND shift_id IN (SELECT id FROM watch_shifts WHERE starts_at < ?)",
                (to_db(cutoff), to_db(cutoff)),
            )
            removed["counter_names"] = cursor.rowcount
        if (cutoff := rules.comments.cutoff(now, tz)) is not None:
            cursor = await conn.execute(
                "UPDATE ballots SET comment = NULL, commented_at = NULL"
                " WHERE comment IS NOT NULL AND commented_at < ?",
                (to_db(cutoff),),
            )
            removed["comments"] = cursor.rowcount
        if (cutoff := rules.event_ids.cutoff(now, tz)) is not None:
            # Handled ones by when they were handled; any other (given up, or never handled:
            # attempts stop within minutes) by when it came, payload and all.
            cursor = await conn.execute(
                "DELETE FROM inbound_events WHERE coalesce(handled_at, received_at) < ?",
                (to_db(cutoff),),
            )
            removed["event_ids"] = cursor.rowcount
        if (cutoff := rules.unanswered.cutoff(now, tz)) is not None:
            cursor = await conn.execute(
                "DELETE FROM unanswered_questions WHERE asked_at < ?", (to_db(cutoff),)
            )
            removed["unanswered"] = cursor.rowcount
        if (cutoff := rules.voices.cutoff(now, tz)) is not None:
            # Their photos and supports go with them (ON DELETE CASCADE).
            cursor = await conn.execute(
                "DELETE FROM voices WHERE created_at < ?", (to_db(cutoff),)
            )
            removed["voices"] = cursor.rowcount
        if (cutoff := rules.audit.cutoff(now, tz)) is not None:
            # The only removal of audit rows; the database refuses it for rows under a year old.
            cursor = await conn.execute(
                "DELETE FROM staff_audit WHERE at < ?", (to_db(min(cutoff, now - AUDIT_MINIMUM)),)
            )
            removed["audit"] = cursor.rowcount
        old = to_db(now - LINK_RECORDS_KEPT)
        cursor = await conn.execute("DELETE FROM link_codes WHERE expires_at < ?", (to_db(now),))
        removed["link_codes"] = cursor.rowcount
        cursor = await conn.execute("DELETE FROM link_failures WHERE failed_at < ?", (old,))
        removed["link_failures"] = cursor.rowcount
        cursor = await conn.execute("DELETE FROM link_guesses WHERE failed_at < ?", (old,))
        removed["link_guesses"] = cursor.rowcount
        cursor = await conn.execute(
            "DELETE FROM voice_senders WHERE sent_at < ?", (to_db(now - ADDRESS_WINDOW),)
        )
        removed["voice_senders"] = cursor.rowcount
    logger.info(
        "retention removed %s", " ".join(f"{kind}={count}" for kind, count in removed.items())
    )
    return removed
