"""A reply of several messages whose send fails part-way: the retry starts at the first message
not delivered, so the resident gets each message once (bot/inbound.py, bot/channels/base.py
SendProgress); and what a crash between a send and its record can repeat, as documented in
docs/ARCHITECTURE.md (Delivery guarantees)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from bot import inbound
from bot.core import Reply
from tests.conftest import FakeClock
from tests.platforms import FAST_RETRIES, Platforms, line_text, telegram_text

THREE = ["一つめです。", "二つめです。", "三つめです。"]
SEVEN = [f"お知らせ{n}です。" for n in range(1, 8)]  # LINE: a reply of 5, then a push of 2
# A message that fails this often fails its send: the adapter's own retries are used up.
EVERY_TRY = FAST_RETRIES.max_attempts


@pytest.fixture(autouse=True)
def _no_retry_before_the_test_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound, "RETRY_SECONDS", 600.0)


@pytest.fixture
def turns(platforms: Platforms, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Every turn answers with the texts the test puts here (one list per turn); the turns
    taken are counted by what is left."""
    answers: list[list[str]] = []

    async def answer(message: object) -> list[Reply]:
        return [Reply(text) for text in answers.pop(0)]

    monkeypatch.setattr(platforms.runtime.pipeline, "turn", answer)
    yield answers


async def progress(platforms: Platforms, event_id: str) -> tuple[int, bool, bool]:
    """(messages recorded as delivered, reply unclear, handled)."""
    row = await platforms.runtime.db.fetch_one(
        "SELECT parts_sent, reply_unclear, handled_at FROM inbound_events WHERE event_id = ?",
        (event_id,),
    )
    assert row is not None
    return int(row[0]), bool(row[1]), row[2] is not None


async def retry_now(platforms: Platforms) -> None:
    """The inbox's planned retry (or a restart's resume), run at once."""
    inbox = platforms.runtime.inbox
    inbox.stop_retries()
    assert await inbox.resume_pending() == 1
    await inbox.drain()


@contextmanager
def crash_before_marking_handled(platforms: Platforms) -> Iterator[None]:
    """Inside: the process dies once the send is done, before the event is marked handled
    (its task ends there, as a kill would end it; the database keeps what was written)."""

    async def die(key: object) -> None:
        raise asyncio.CancelledError

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(platforms.runtime.inbox._marking, "add", die)
        yield


async def test_a_telegram_reply_whose_second_part_fails_resumes_at_the_second(
    platforms: Platforms, turns: list[list[str]]
) -> None:
    turns.append(THREE)
    platforms.telegram.fail_text[THREE[1]] = EVERY_TRY
    update = telegram_text("/goals", user_id=801)
    assert await platforms.post_telegram(update) == 200
    event_id = str(update["update_id"])
    assert platforms.telegram.received[801] == THREE[:1]
    assert await progress(platforms, event_id) == (1, False, False)
    await retry_now(platforms)
    assert platforms.telegram.received[801] == THREE  # each once, in order
    assert turns == []  # one turn, sent in two attempts
    assert (await progress(platforms, event_id))[2]


async def test_a_telegram_part_whose_answer_is_lost_is_sent_again_and_only_that_part(
    platforms: Platforms, turns: list[list[str]]
) -> None:
    """Telegram has no idempotency key: a call that timed out or got a 5xx may have been
    delivered, and counts as not delivered (at least once)."""
    turns.append(THREE)
    platforms.telegram.lose_text[THREE[1]] = 1
    await platforms.post_telegram(telegram_text("/goals", user_id=802))
    assert platforms.telegram.received[802] == [THREE[0], THREE[1], THREE[1], THREE[2]]


async def test_a_line_push_that_fails_resumes_after_the_reply_already_delivered(
    platforms: Platforms, clock: FakeClock, turns: list[list[str]]
) -> None:
    turns.append(SEVEN)
    platforms.line.fail_text[SEVEN[5]] = EVERY_TRY
    token = platforms.line.new_reply_token("U-seven")
    event = line_text("/goals", clock, token, user_id="U-seven")
    assert await platforms.post_line([event]) == 200
    assert platforms.line.received["U-seven"] == SEVEN[:5]  # the reply went out
    assert await progress(platforms, event["webhookEventId"]) == (5, False, False)
    await retry_now(platforms)
    assert platforms.line.received["U-seven"] == SEVEN
    assert len(platforms.line.sent("reply")) == 1
    pushes = [body["messages"] for body in platforms.line.sent("push")]
    assert all(len(messages) == 2 for messages in pushes)  # only the two not delivered


async def test_a_line_push_accepted_but_unanswered_is_answered_409_when_tried_again(
    platforms: Platforms, clock: FakeClock, turns: list[list[str]]
) -> None:
    turns.append(THREE)
    event = line_text("/goals", clock, "lapsed-token", user_id="U-lost")
    clock.advance(seconds=70)  # the token has lapsed: the reply goes as a push
    platforms.line.lose_text[THREE[0]] = 1
    assert await platforms.post_line([event]) == 200
    assert platforms.line.received["U-lost"] == THREE  # once, though pushed twice
    pushes = [headers for name, _, headers in platforms.line.calls if name == "push"]
    assert len(pushes) == 2 and len({h["x-line-retry-key"] for h in pushes}) == 1
    assert (await progress(platforms, event["webhookEventId"]))[2]


async def test_a_line_reply_accepted_but_unanswered_is_not_pushed_again(
    platforms: Platforms, clock: FakeClock, turns: list[list[str]]
) -> None:
    """The reply token is single-use: refused after a call that got no answer, it went out."""
    turns.append(THREE)
    platforms.line.lose_text[THREE[0]] = 1
    token = platforms.line.new_reply_token("U-unclear")
    assert await platforms.post_line([line_text("/goals", clock, token, "U-unclear")]) == 200
    assert platforms.line.received["U-unclear"] == THREE
    assert platforms.line.sent("push") == []


async def test_a_telegram_crash_after_the_last_send_repeats_only_the_last_message(
    platforms: Platforms, turns: list[list[str]]
) -> None:
    turns.append(THREE)
    update = telegram_text("/goals", user_id=803)
    with crash_before_marking_handled(platforms):
        await platforms.post_telegram(update)
    assert platforms.telegram.received[803] == THREE
    assert await progress(platforms, str(update["update_id"])) == (2, False, False)
    await retry_now(platforms)  # the restart
    assert platforms.telegram.received[803] == [*THREE, THREE[2]]  # the documented repeat
    assert (await progress(platforms, str(update["update_id"])))[2]


async def test_a_line_crash_after_the_last_send_repeats_nothing(
    platforms: Platforms, clock: FakeClock, turns: list[list[str]]
) -> None:
    """The pushed part goes again with the same retry key (LINE answers 409); the part the
    reply token carried is not sent again."""
    turns.append(SEVEN)
    token = platforms.line.new_reply_token("U-crash")
    event = line_text("/goals", clock, token, user_id="U-crash")
    with crash_before_marking_handled(platforms):
        await platforms.post_line([event])
    assert platforms.line.received["U-crash"] == SEVEN
    await retry_now(platforms)
    assert platforms.line.received["U-crash"] == SEVEN
    assert (await progress(platforms, event["webhookEventId"]))[2]


async def test_a_line_crash_after_a_reply_is_safe_while_the_token_lives_and_not_after(
    platforms: Platforms, clock: FakeClock, turns: list[list[str]]
) -> None:
    """Restarted within the token's minute, LINE's refusal of the used token shows the reply
    went out; restarted later, nothing can tell, and the reply is pushed again (at least
    once: the documented limit)."""
    for user_id, restart_after in (("U-quick", 5), ("U-slow", 120)):
        turns.append(THREE)
        token = platforms.line.new_reply_token(user_id)
        with crash_before_marking_handled(platforms):
            await platforms.post_line([line_text("/goals", clock, token, user_id)])
        clock.advance(seconds=restart_after)
        await retry_now(platforms)
    assert platforms.line.received["U-quick"] == THREE
    assert platforms.line.received["U-slow"] == THREE * 2


async def test_the_fake_line_honours_retry_keys_as_line_does(platforms: Platforms) -> None:
    """Same key within 24 hours: 409 naming the accepted request (a push: its sentMessages),
    nothing delivered; a key is a UUID, and only push and the casts take one."""
    fake, base = platforms.line, platforms.runtime.settings.line_api_base
    headers = {"Authorization": f"Bearer {fake.access_token}"}
    push = {"to": "U-key", "messages": [{"type": "text", "text": "一度だけ"}]}
    key = {"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        first = await http.post("/v2/bot/message/push", json=push, headers=key)
        again = await http.post("/v2/bot/message/push", json=push, headers=key)
        assert (first.status_code, again.status_code) == (200, 409)
        assert again.headers["x-line-accepted-request-id"]
        assert again.json()["sentMessages"] == first.json()["sentMessages"]
        assert fake.received["U-key"] == ["一度だけ"]
        later = fake.now() + 24 * 3600 + 1
        fake.now = lambda: later  # LINE keeps a key for 24 hours
        assert (await http.post("/v2/bot/message/push", json=push, headers=key)).status_code == 200
        assert fake.received["U-key"] == ["一度だけ"] * 2
        bad = await http.post("/v2/bot/message/push", json=push, headers={"X-Line-Retry-Key": "x"})
        reply = {"replyToken": fake.new_reply_token(), "messages": push["messages"]}
        keyed = await http.post("/v2/bot/message/reply", json=reply, headers=key)
        assert (bad.status_code, keyed.status_code) == (400, 400)
