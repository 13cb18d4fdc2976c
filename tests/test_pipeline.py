"""One pipeline for every channel: a turn is taken once, and a failed send is tried again as a
send (bot/pipeline.py, bot/inbound.py)."""

from __future__ import annotations

import pytest

from bot import inbound
from bot.channels.base import StateChange
from bot.channels.line_event import LineAddress, read_event
from bot.channels.telegram_update import TelegramAddress, read_update
from bot.core import Ask, AttachmentKind, BarChart, Card, Choice, Reply
from bot.core.reply_json import dump_replies, load_replies
from tests.conftest import FakeClock
from tests.platforms import (
    Platforms,
    line_event,
    line_text,
    telegram_callback,
    telegram_text,
    telegram_user,
)
from tests.test_polls import new_poll


async def event_row(platforms: Platforms, event_id: str) -> tuple[object, ...]:
    row = await platforms.runtime.db.fetch_one(
        "SELECT payload, sender, replies, handled_at FROM inbound_events WHERE event_id = ?",
        (event_id,),
    )
    assert row is not None
    return tuple(row)


async def try_again_now(platforms: Platforms) -> None:
    """The retry the inbox planned (RETRY_SECONDS later), run at once."""
    inbox = platforms.runtime.inbox
    inbox.stop_retries()
    assert await inbox.resume_pending() == 1
    await inbox.drain()


@pytest.fixture(autouse=True)
def _no_retry_before_the_test_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound, "RETRY_SECONDS", 600.0)


async def test_a_vote_whose_first_send_fails_is_thanked_once_and_counted_once(
    platforms: Platforms, clock: FakeClock
) -> None:
    poll_id = await new_poll(platforms.runtime, clock)
    vote = telegram_callback(f"vote:{poll_id}:2", user_id=321)
    platforms.telegram.refuse_sends = 1
    assert await platforms.post_telegram(vote) == 200
    event_id = str(vote["update_id"])
    payload, sender, replies, handled_at = await event_row(platforms, event_id)
    assert handled_at is None and sender == "321"  # waiting for its retry, the turn kept
    assert "回答ありがとうございました" in load_replies(str(replies))[0].text
    await try_again_now(platforms)
    delivered = [
        call["text"] for call in platforms.telegram.sent("sendMessage") if call["chat_id"] == 321
    ]
    assert len(delivered) == 2 and delivered[0] == delivered[1]  # refused, then sent again
    assert "回答ありがとうございました" in delivered[-1]
    assert "回答を変更しました" not in delivered[-1]
    tally = await platforms.runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {2: 1}
    payload, sender, replies, handled_at = await event_row(platforms, event_id)
    assert handled_at is not None and (payload, sender, replies) == (None, None, None)


async def test_a_line_reply_whose_send_fails_is_pushed_later_without_a_second_turn(
    platforms: Platforms, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = 0
    turn = platforms.runtime.pipeline.turn

    async def counted_turn(message: object) -> list[Reply]:
        nonlocal turns
        turns += 1
        return await turn(message)  # type: ignore[arg-type]

    monkeypatch.setattr(platforms.runtime.pipeline, "turn", counted_turn)
    platforms.line.fail_next = 4  # the reply and its retries fail
    event = line_text("/goals", clock, platforms.line.new_reply_token(), user_id="U-retry")
    assert await platforms.post_line([event]) == 200
    assert (await event_row(platforms, event["webhookEventId"]))[3] is None
    await try_again_now(platforms)
    assert (await event_row(platforms, event["webhookEventId"]))[3] is not None
    assert turns == 1
    sent = platforms.line.sent("reply") + platforms.line.sent("push")
    assert "地域を知ろう" in sent[-1]["messages"][-1]["text"]


def test_replies_survive_their_json_with_every_part() -> None:
    replies = [
        Reply(
            "結果です",
            (Choice("もう一度", "poll:1"),),
            BarChart("防災訓練", (("土曜", 3), ("日曜", 1)), "土曜 3、日曜 1"),
            (Card("祭り", ("11月3日", "公民館"), (Choice("参加", "ev:1"),)),),
            asks=(Ask(AttachmentKind.PHOTO, "写真を送る"),),
        ),
        Reply("ふたつめ"),
    ]
    assert load_replies(dump_replies(replies)) == replies


async def test_a_telegram_block_marks_the_resident_unreachable_and_sends_nothing(
    platforms: Platforms,
) -> None:
    await platforms.post_telegram(telegram_text("/goals", user_id=654))
    sent = len(platforms.telegram.sent("sendMessage"))
    blocked = {
        "update_id": 987_654,
        "my_chat_member": {
            "chat": {"id": 654, "type": "private"},
            "from": telegram_user(654),
            "date": 1,
            "old_chat_member": {"status": "member", "user": telegram_user(42)},
            "new_chat_member": {"status": "kicked", "user": telegram_user(42), "until_date": 0},
        },
    }
    assert await platforms.post_telegram(blocked) == 200
    resident = await platforms.runtime.services.residents.find("telegram", "654")
    assert resident is not None and resident.reachable is False
    assert len(platforms.telegram.sent("sendMessage")) == sent


def test_a_telegram_update_is_read_once_into_its_event() -> None:
    press = telegram_callback("cmd:goals", user_id=77)
    event = read_update(press)
    assert event is not None and event.event_id == str(press["update_id"])
    assert event.sender == "77" and event.press_id == press["callback_query"]["id"]
    assert event.message is not None and event.message.data == "cmd:goals"
    assert event.address == TelegramAddress(77)
    # Not shaped like an update but with its id: stored (Telegram would only send it again),
    # nothing to answer.
    odd = read_update({"update_id": 5, "message": {"text": 3}})
    assert odd is not None and (odd.event_id, odd.message, odd.address) == ("5", None, None)
    assert read_update({"update_id": True}) is None


def test_line_events_are_read_into_messages_and_state_changes(clock: FakeClock) -> None:
    text = read_event(line_text("こんにちは", clock, "token-1", user_id="U5"))
    assert text is not None and text.message is not None and text.message.text == "こんにちは"
    assert text.address == LineAddress("U5", "token-1", text.sent_at_ms)
    follow = read_event(line_event("follow", clock, "U5", replyToken="token-2"))
    assert follow is not None and follow.change is StateChange.FOLLOWED
    unfollow = read_event(line_event("unfollow", clock, "U5"))
    assert unfollow is not None and unfollow.change is StateChange.UNREACHABLE
    assert unfollow.address is None
    group = line_text("hi", clock, "token-3")
    group["source"] = {"type": "group", "groupId": "G1", "userId": "U5"}
    in_group = read_event(group)
    assert in_group is not None and (in_group.message, in_group.address) == (None, None)
    assert read_event({"type": "message"}) is None
