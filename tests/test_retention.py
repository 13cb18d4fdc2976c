"""Retention: the daily job removes exactly what the rules say, and /mydata says when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.storage.faq import UnansweredRepository
from bot.storage.retention import RetentionRules, Rule, apply_retention
from bot.storage.timestamps import to_db
from tests.conftest import FakeClock, Resident
from tests.test_polls import new_poll

TOKYO = ZoneInfo("Asia/Tokyo")
RULES = RetentionRules(Rule("fiscal-year"), Rule("180d"), Rule("7d"))


def test_fiscal_year_and_day_rules() -> None:
    stored = datetime(2026, 11, 23, 3, tzinfo=UTC)
    assert Rule("fiscal-year").expires(stored, TOKYO) == datetime(2027, 4, 1, tzinfo=TOKYO)
    march = datetime(2027, 3, 31, 14, 59, tzinfo=UTC)  # 23:59 on 31 March in Tokyo
    assert Rule("fiscal-year").expires(march, TOKYO) == datetime(2027, 4, 1, tzinfo=TOKYO)
    assert Rule("180d").expires(stored, TOKYO) == stored + timedelta(days=180)
    assert Rule("forever").expires(stored, TOKYO) is None
    assert Rule("fiscal-year").cutoff(datetime(2027, 4, 1, 1, tzinfo=TOKYO), TOKYO) == datetime(
        2027, 4, 1, tzinfo=TOKYO
    )


def test_a_malformed_rule_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CHIIKI_RETAIN_COMMENTS"):
        load_settings({"CHIIKI_RETAIN_COMMENTS": "six months"})


async def _resident_row(runtime: Runtime, user: str, consent_at: datetime | None) -> int:
    residents = runtime.services.residents
    resident = await residents.get_or_create("web", user, "ja", consent_at or datetime.now(UTC))
    if consent_at is not None:
        await residents.give_consent(resident.id, f"name-{user}", consent_at)
    return resident.id


async def test_the_job_removes_exactly_what_the_rules_say(
    runtime: Runtime, clock: FakeClock
) -> None:
    now = datetime(2027, 4, 2, 3, tzinfo=TOKYO)
    db = runtime.db
    await _resident_row(runtime, "last-year", datetime(2027, 3, 31, 12, tzinfo=TOKYO))
    await _resident_row(runtime, "this-year", datetime(2027, 4, 1, 9, tzinfo=TOKYO))
    await _resident_row(runtime, "no-name", None)
    poll_id = await new_poll(runtime, clock, comment=True)
    for user, written in (("old", now - timedelta(days=181)), ("new", now - timedelta(days=179))):
        resident = await _resident_row(runtime, f"c-{user}", None)
        await db.execute(
            "INSERT INTO ballots (poll_id, resident_id, comment, commented_at, cast_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (poll_id, resident, f"comment-{user}", to_db(written), to_db(written), to_db(written)),
        )
    for event_id, handled in (
        ("e-old", now - timedelta(days=8)),
        ("e-new", now - timedelta(days=6)),
    ):
        await db.execute(
            "INSERT INTO inbound_events (channel, event_id, received_at, handled_at)"
            " VALUES ('telegram', ?, ?, ?)",
            (event_id, to_db(handled), to_db(handled)),
        )
    # Never handled, or given up: removed by when they came, with whatever they hold.
    for event_id, received, attempts in (
        ("e-pending-old", now - timedelta(days=30), 1),
        ("e-given-up-old", now - timedelta(days=8), 5),
        ("e-given-up-new", now - timedelta(days=6), 5),
    ):
        await db.execute(
            "INSERT INTO inbound_events (channel, event_id, received_at, payload, sender,"
            " attempts, replies) VALUES ('telegram', ?, ?, '{\"text\": \"秘密\"}', '42', ?,"
            ' \'[{"text": "秘密への答え"}]\')',
            (event_id, to_db(received), attempts),
        )

    removed = await apply_retention(db, RULES, now, TOKYO)

    assert removed["roster_names"] == 1 and removed["comments"] == 1 and removed["event_ids"] == 3
    names = await db.fetch_all("SELECT platform_user_id, display_name FROM residents ORDER BY id")
    assert [tuple(row) for row in names][:3] == [
        ("last-year", None),
        ("this-year", "name-this-year"),
        ("no-name", None),
    ]
    comments = await db.fetch_all("SELECT comment FROM ballots ORDER BY id")
    assert [row[0] for row in comments] == [None, "comment-new"]
    assert (await db.fetch_one("SELECT count(*) FROM ballots"))[0] == 2  # the votes stay
    events = await db.fetch_all("SELECT event_id FROM inbound_events ORDER BY event_id")
    assert [row[0] for row in events] == ["e-given-up-new", "e-new"]
    kept = await db.fetch_all("SELECT event_id FROM inbound_events WHERE replies IS NOT NULL")
    assert [row[0] for row in kept] == ["e-given-up-new"]  # the old ones' replies went too
    again = await apply_retention(db, RULES, now, TOKYO)
    assert again["roster_names"] == again["comments"] == again["event_ids"] == 0


async def test_forever_keeps_everything(runtime: Runtime, clock: FakeClock) -> None:
    await _resident_row(runtime, "named", datetime(2020, 5, 1, tzinfo=TOKYO))
    rules = RetentionRules(Rule("forever"), Rule("forever"), Rule("forever"))
    removed = await apply_retention(runtime.db, rules, datetime(2030, 1, 1, tzinfo=TOKYO), TOKYO)
    assert "roster_names" not in removed
    row = await runtime.db.fetch_one("SELECT display_name FROM residents")
    assert row is not None and row[0] == "name-named"


async def test_mydata_shows_when_the_name_and_comments_will_be_deleted(
    runtime: Runtime, clock: FakeClock
) -> None:
    resident = Resident(runtime)
    await resident.say("/start")
    stored = await runtime.services.residents.find("web", "u1")
    assert stored is not None
    await runtime.services.residents.give_consent(stored.id, "やまだ", clock.now)
    poll_id = await new_poll(runtime, clock, comment=True)
    await runtime.services.polls.vote(poll_id, stored.id, None, frozenset({1}), clock.now)
    await runtime.services.polls.set_comment(poll_id, stored.id, "よい企画です", clock.now)
    await resident.say("/mydata")
    text = resident.text()
    assert "・名簿に載せる名前: やまだ" in text
    assert "2027年4月1日に自動で消えます" in text  # end of the fiscal year the name was given
    # Written at 18:00 Tokyo time: 180 days later the 03:30 run has passed, so the next day's.
    comment_gone = (clock.now + timedelta(days=181)).astimezone(TOKYO)
    assert (
        f"{comment_gone.year}年{comment_gone.month}月{comment_gone.day}日に自動で消えます" in text
    )


async def test_the_daily_job_is_armed_when_serving(runtime: Runtime) -> None:
    assert "retention" in runtime.timers.job_ids()


def test_the_removal_day_is_the_first_run_after_expiry() -> None:
    rules = RetentionRules(Rule("fiscal-year"), Rule("1d"), Rule("7d"))
    morning = datetime(2026, 11, 23, 2, 0, tzinfo=TOKYO)  # before 03:30
    evening = datetime(2026, 11, 23, 18, 0, tzinfo=TOKYO)
    assert str(rules.removal_day(rules.comments, morning, TOKYO)) == "2026-11-24"
    assert str(rules.removal_day(rules.comments, evening, TOKYO)) == "2026-11-25"
    assert str(rules.removal_day(rules.roster_names, evening, TOKYO)) == "2027-04-01"


async def test_unanswered_questions_are_removed_after_their_days(
    runtime: Runtime, clock: FakeClock
) -> None:
    now = datetime(2027, 4, 2, 3, tzinfo=TOKYO)
    unanswered = UnansweredRepository(runtime.db)
    await unanswered.record("old question", "en", now - timedelta(days=90, minutes=1))
    await unanswered.record("recent question", "en", now - timedelta(days=89))
    removed = await apply_retention(runtime.db, runtime.settings.retention, now, TOKYO)
    assert removed["unanswered"] == 1
    assert [q.text for q in await unanswered.latest()] == ["recent question"]
    kept = RetentionRules(Rule("fiscal-year"), Rule("180d"), Rule("7d"), Rule("forever"))
    assert "unanswered" not in await apply_retention(
        runtime.db, kept, now + timedelta(days=999), TOKYO
    )
    assert len(await unanswered.latest()) == 1


def test_the_unanswered_rule_is_a_setting() -> None:
    assert load_settings({}).retention.unanswered == Rule("90d")
    assert load_settings({"CHIIKI_RETAIN_UNANSWERED": "30d"}).retention.unanswered == Rule("30d")
    with pytest.raises(ConfigError, match="CHIIKI_RETAIN_UNANSWERED"):
        load_settings({"CHIIKI_RETAIN_UNANSWERED": "three months"})


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "ja",
            "だれが聞いたかは残さず、質問の文だけを保存します。職員が答えを良くするために使い、90日たつと自動で消えます。",
        ),
        (
            "en",
            "only the text is kept, never who asked, for staff to improve the answers;"
            " deleted automatically after 90 days.",
        ),
        (
            "easy",
            "だれが 聞いたかは 保存しません。係（かかり）の 人が こたえを よくする ために"
            " 見ます。90日 たつと きえます。",
        ),
    ],
)
async def test_mydata_says_unanswered_questions_are_kept_without_who_asked(
    runtime: Runtime, language: str, said: str
) -> None:
    resident = Resident(runtime)
    await resident.say("/start")
    stored = await runtime.services.residents.find("web", "u1")
    assert stored is not None
    await runtime.services.residents.set_language(stored.id, language, runtime.services.clock())
    await resident.say("/mydata")
    assert said in resident.text()
