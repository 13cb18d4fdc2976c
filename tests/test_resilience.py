"""Bad input and a busy database: never a 500, never a crash, nothing half-written."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FakeClock
from tests.databases import counts, hold_write_lock
from tests.fakes import line as fake_line
from tests.platforms import WEBHOOK_SECRET, Platforms, open_platforms, telegram_text

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLES = ("residents", "ballots", "inbound_events", "outbox", "conversation_state")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
# Shapes close to real updates, with the wrong types where the platform would put objects.
telegram_like = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=1, max_value=2**53)},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["message_id", "date", "chat", "from", "text", "entities"]),
            json_values,
        ),
        "callback_query": st.dictionaries(
            st.sampled_from(["id", "from", "data", "message", "chat_instance"]), json_values
        ),
        "edited_message": json_values,
    },
)
line_like = st.lists(
    st.dictionaries(
        st.sampled_from(
            ["type", "mode", "timestamp", "source", "webhookEventId", "replyToken", "message"]
        ),
        json_values,
    ),
    max_size=3,
)


async def post_raw_telegram(platforms: Platforms, body: bytes) -> int:
    """Bytes to the Telegram webhook with the right secret, as a platform (or not) might."""
    response = await platforms.http.post(
        "/webhook/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    return response.status_code


def snapshot(target: str) -> dict[str, int]:
    return counts(target, TABLES)


@pytest.fixture
async def site(tmp_path: Path, content_dir: Path, clock: FakeClock) -> Any:
    async with open_platforms(tmp_path, content_dir, clock) as platforms:
        yield platforms, platforms.runtime.settings.db


@FUZZ
@given(
    body=st.binary(max_size=2000),
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)
async def test_a_forged_telegram_secret_changes_nothing(
    site: tuple[Platforms, str], body: bytes, secret: str
) -> None:
    platforms, db = site
    before = snapshot(db)
    headers = {
        "X-Telegram-Bot-Api-Secret-Token": secret.encode("utf-8", "replace").decode("latin-1")
    }
    if secret == WEBHOOK_SECRET:
        return
    response = await platforms.http.post("/webhook/telegram", content=body, headers=headers)
    assert response.status_code == 403
    assert snapshot(db) == before


@FUZZ
@given(body=st.binary(max_size=2000) | json_values.map(lambda v: json.dumps(v).encode()))
async def test_a_wrongly_signed_line_body_changes_nothing(
    site: tuple[Platforms, str], body: bytes
) -> None:
    platforms, db = site
    before = snapshot(db)
    response = await platforms.http.post(
        "/webhook/line", content=body, headers={"X-Line-Signature": fake_line.sign(body + b"x")}
    )
    assert response.status_code == 400
    assert snapshot(db) == before


@FUZZ
@given(
    body=json_values.filter(
        lambda v: not (isinstance(v, dict) and isinstance(v.get("update_id"), int))
    ).map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=300).filter(lambda b: not _is_json(b))
)
async def test_malformed_telegram_bodies_are_refused_and_change_nothing(
    site: tuple[Platforms, str], body: bytes
) -> None:
    platforms, db = site
    before = snapshot(db)
    assert await post_raw_telegram(platforms, body) == 400
    assert snapshot(db) == before


@FUZZ
@given(update=telegram_like)
async def test_odd_telegram_updates_never_get_a_500_or_stop_the_inbox(
    site: tuple[Platforms, str], update: dict[str, Any]
) -> None:
    platforms, db = site
    ballots = snapshot(db)["ballots"]
    status = await platforms.post_telegram(update)
    assert status in {200, 400}
    assert snapshot(db)["ballots"] == ballots


@FUZZ
@given(events=line_like)
async def test_odd_signed_line_events_never_get_a_500(
    site: tuple[Platforms, str], events: list[dict[str, Any]]
) -> None:
    platforms, db = site
    ballots = snapshot(db)["ballots"]
    status = await platforms.post_line(events)
    assert status in {200, 400}
    assert snapshot(db)["ballots"] == ballots


async def test_after_the_fuzzing_kind_of_input_a_real_update_is_still_answered(
    site: tuple[Platforms, str],
) -> None:
    platforms, _ = site
    odd = {"update_id": 7, "message": {"chat": "not an object", "text": ["x"]}}
    assert await platforms.post_telegram(odd) in {200, 400}
    assert await platforms.post_telegram(telegram_text("/goals", user_id=321)) == 200
    assert any(call["chat_id"] == 321 for call in platforms.telegram.sent("sendMessage"))


async def test_huge_strings_and_bodies(site: tuple[Platforms, str]) -> None:
    platforms, db = site
    huge_text = telegram_text("あ" * 300_000, user_id=55)
    assert await platforms.post_telegram(huge_text) == 200
    assert any(call["chat_id"] == 55 for call in platforms.telegram.sent("sendMessage"))
    before = snapshot(db)
    too_big = b'{"update_id": 1, "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert await post_raw_telegram(platforms, too_big) == 413
    invalid_utf8 = b'{"update_id": 5, "message": {"text": "\xff\xfe"}}'
    assert await post_raw_telegram(platforms, invalid_utf8) == 400
    assert snapshot(db) == before


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


async def test_queries_answer_while_a_write_transaction_is_open(
    site: tuple[Platforms, str],
) -> None:
    """A resident's menu or a poll's counts do not wait behind a long write (a broadcast being
    queued): queries have a connection of their own, and see what was committed before."""
    platforms, _ = site
    db = platforms.runtime.db
    await db.execute(
        "INSERT INTO residents (channel, platform_user_id, language, created_at, updated_at)"
        " VALUES ('web', 'before', 'ja', '2026-11-23', '2026-11-23')"
    )
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO residents (channel, platform_user_id, language, created_at, updated_at)"
            " VALUES ('web', 'during', 'ja', '2026-11-23', '2026-11-23')"
        )
        query = db.fetch_all("SELECT platform_user_id FROM residents WHERE channel = 'web'")
        seen = await asyncio.wait_for(query, timeout=5)
    assert [row[0] for row in seen] == ["before"]  # not what the open transaction wrote


async def test_a_briefly_locked_database_makes_the_webhook_wait_then_succeed(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock) as platforms:
        locked = threading.Event()
        holder = hold_write_lock(platforms.runtime.settings.db, 0.5, locked)
        await asyncio.to_thread(locked.wait)
        status = await platforms.post_telegram(telegram_text("/goals", user_id=77))
        await asyncio.to_thread(holder.join)
        assert status == 200
        assert any(call["chat_id"] == 77 for call in platforms.telegram.sent("sendMessage"))


async def test_a_database_locked_too_long_gets_a_503_and_the_redelivery_is_handled_once(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(
        tmp_path, content_dir, clock, CHIIKI_DB_BUSY_TIMEOUT_MS="200"
    ) as platforms:
        update = telegram_text("/goals", user_id=78)
        locked = threading.Event()
        holder = hold_write_lock(platforms.runtime.settings.db, 1.0, locked)
        await asyncio.to_thread(locked.wait)
        status = await platforms.post_telegram(update)
        await asyncio.to_thread(holder.join)
        assert status == 503
        assert (
            snapshot(platforms.runtime.settings.db)["inbound_events"] == 0
        )  # nothing half-written
        # Telegram delivers an update again until it gets a 200.
        assert await platforms.post_telegram(update) == 200
        replies = [c for c in platforms.telegram.sent("sendMessage") if c["chat_id"] == 78]
        assert replies
        assert await platforms.post_telegram(update) == 200  # a late duplicate: ignored
        assert [c for c in platforms.telegram.sent("sendMessage") if c["chat_id"] == 78] == replies
