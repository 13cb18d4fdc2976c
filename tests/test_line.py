from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.line_event import LineAddress
from bot.core import Reply
from tests.conftest import FakeClock
from tests.fakes.line import sign
from tests.platforms import Platforms, line_event, line_text


def quick_reply_labels(message: dict[str, Any]) -> list[str]:
    return [item["action"]["label"] for item in message["quickReply"]["items"]]


async def test_goals_gets_exactly_one_reply_with_quick_replies(
    platforms: Platforms, clock: FakeClock
) -> None:
    token = platforms.line.new_reply_token()
    assert await platforms.post_line([line_text("/goals", clock, token)]) == 200
    replies = platforms.line.sent("reply")
    assert len(replies) == 1 and platforms.line.sent("push") == []
    assert replies[0]["replyToken"] == token
    message = replies[0]["messages"][-1]
    assert "地域を知ろう" in message["text"]
    assert quick_reply_labels(message)[:3] == [
        "地域を知ろう",
        "地域について話し合おう",
        "地域づくりに関わろう",
    ]


async def test_a_redelivered_event_produces_no_call(
    platforms: Platforms, clock: FakeClock
) -> None:
    event = line_text("/goals", clock, platforms.line.new_reply_token())
    await platforms.post_line([event])
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    assert await platforms.post_line([again]) == 200
    assert len(platforms.line.calls) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", sign(b"another body")])
async def test_a_missing_or_forged_signature_gets_400_and_nothing_happens(
    platforms: Platforms, clock: FakeClock, signature: str
) -> None:
    event = line_text("/goals", clock, platforms.line.new_reply_token())
    assert await platforms.post_line([event], signature=signature) == 400
    assert platforms.line.calls == []
    row = await platforms.runtime.db.fetch_one("SELECT count(*) FROM inbound_events")
    assert row is not None and row[0] == 0


async def test_a_postback_runs_the_choice(platforms: Platforms, clock: FakeClock) -> None:
    await platforms.post_line([line_text("目標", clock, platforms.line.new_reply_token())])
    data = platforms.line.sent("reply")[0]["messages"][-1]["quickReply"]["items"][2]["action"]
    assert data["displayText"] == "地域づくりに関わろう"
    postback = line_event(
        "postback",
        clock,
        replyToken=platforms.line.new_reply_token(),
        postback={"data": data["data"]},
    )
    await platforms.post_line([postback])
    assert "身近な課題の解決" in platforms.line.sent("reply")[-1]["messages"][0]["text"]


async def test_follow_welcomes_and_unfollow_marks_unreachable_silently(
    platforms: Platforms, clock: FakeClock
) -> None:
    follow = line_event(
        "follow", clock, replyToken=platforms.line.new_reply_token(), follow={"isUnblocked": False}
    )
    await platforms.post_line([follow])
    assert "こんにちは" in platforms.line.sent("reply")[0]["messages"][0]["text"]
    calls = len(platforms.line.calls)
    await platforms.post_line([line_event("unfollow", clock)])
    assert len(platforms.line.calls) == calls
    resident = await platforms.runtime.services.residents.find("line", "U111")
    assert resident is not None and not resident.reachable


def every_event_kind(clock: FakeClock, token: str) -> list[dict[str, Any]]:
    """One of each webhook event kind, in the Messaging API's documented shapes."""
    group = {"type": "group", "groupId": "Cgroup", "userId": "U111"}
    room = {"type": "room", "roomId": "Rroom", "userId": "U111"}
    media = {"contentProvider": {"type": "line"}, "quoteToken": "q"}
    shapes: list[tuple[str, dict[str, Any]]] = [
        ("message", {"message": {"id": "1", "type": "image", **media}}),
        ("message", {"message": {"id": "2", "type": "video", "duration": 1000, **media}}),
        ("message", {"message": {"id": "3", "type": "audio", "duration": 1000, **media}}),
        (
            "message",
            {
                "message": {
                    "id": "4",
                    "type": "location",
                    "title": "市役所",
                    "address": "富岡市",
                    "latitude": 36.26,
                    "longitude": 138.89,
                }
            },
        ),
        (
            "message",
            {
                "message": {
                    "id": "5",
                    "type": "sticker",
                    "packageId": "1",
                    "stickerId": "1",
                    "stickerResourceType": "STATIC",
                }
            },
        ),
        ("message", {"message": {"id": "6", "type": "file", "fileName": "a.pdf", "fileSize": 10}}),
        ("message", {"source": group, "message": {"id": "7", "type": "text", "text": "hi"}}),
        ("message", {"source": room, "message": {"id": "8", "type": "text", "text": "hi"}}),
        ("join", {"source": group}),
        ("leave", {"source": group}),
        (
            "memberJoined",
            {"source": group, "joined": {"members": [{"type": "user", "userId": "U2"}]}},
        ),
        ("memberLeft", {"source": group, "left": {"members": [{"type": "user", "userId": "U2"}]}}),
        (
            "postback",
            {"postback": {"data": "action=buy&item=1", "params": {"date": "2013-04-01"}}},
        ),
        ("postback", {"postback": {"data": "x", "params": {"datetime": "2017-12-25T01:00"}}}),
        ("beacon", {"beacon": {"hwid": "d41d8cd98f", "type": "enter"}}),
        ("accountLink", {"link": {"result": "ok", "nonce": "n"}}),
        ("unsend", {"source": group, "unsend": {"messageId": "325708"}}),
        ("videoPlayComplete", {"videoPlayComplete": {"trackingId": "t"}}),
        ("undefined", {"undefinedField": {"1": 1}}),
    ]
    events = []
    for kind, fields in shapes:
        event = line_event(kind, clock, replyToken=token)
        event.update(fields)
        events.append(event)
    return events


async def test_every_event_kind_is_taken_without_a_500(
    platforms: Platforms, clock: FakeClock
) -> None:
    token = platforms.line.new_reply_token()
    assert await platforms.post_line(every_event_kind(clock, token)) == 200
    assert (await platforms.http.get("/healthz")).status_code == 200
    texts = [m["text"] for call in platforms.line.calls for m in call[1]["messages"]]
    # Only the one-to-one media messages and postbacks are answered; groups are left alone.
    assert any("文字のメッセージ" in text for text in texts)
    assert any("古くなっている" in text for text in texts)
    pending = await platforms.runtime.db.fetch_one(
        "SELECT count(*) FROM inbound_events WHERE handled_at IS NULL"
    )
    assert pending is not None and pending[0] == 0


async def test_a_used_reply_token_falls_back_to_a_push_with_a_retry_key(
    platforms: Platforms, clock: FakeClock
) -> None:
    token = platforms.line.new_reply_token()
    await platforms.post_line([line_text("/roles", clock, token)])
    await platforms.post_line([line_text("/goals", clock, token)])  # the token is spent
    assert len(platforms.line.sent("reply")) == 2
    pushes = [(body, headers) for name, body, headers in platforms.line.calls if name == "push"]
    assert len(pushes) == 1
    assert pushes[0][0]["to"] == "U111"
    assert len(pushes[0][1]["x-line-retry-key"]) == 36


async def test_an_event_older_than_the_token_lifetime_is_pushed(
    platforms: Platforms, clock: FakeClock
) -> None:
    event = line_text("/goals", clock, platforms.line.new_reply_token())
    clock.advance(seconds=70)
    await platforms.post_line([event])
    assert platforms.line.sent("reply") == []
    assert len(platforms.line.sent("push")) == 1


async def test_more_than_five_messages_reply_five_and_push_the_rest(platforms: Platforms) -> None:
    assert platforms.runtime.line is not None
    replies = [Reply(f"お知らせ{n}") for n in range(7)]
    now_ms = int(platforms.runtime.services.clock().timestamp() * 1000)
    token = platforms.line.new_reply_token()
    await platforms.runtime.line.send(LineAddress("U111", token, now_ms), replies)
    assert [len(b["messages"]) for b in platforms.line.sent("reply")] == [5]
    assert [len(b["messages"]) for b in platforms.line.sent("push")] == [2]


async def test_429_on_reply_is_retried(platforms: Platforms, clock: FakeClock) -> None:
    platforms.line.refuse_next = 2
    await platforms.post_line([line_text("/help", clock, platforms.line.new_reply_token())])
    assert len(platforms.line.sent("reply")) == 3
    assert platforms.line.sent("push") == []


async def test_a_blocked_user_is_marked_unreachable_on_push(
    platforms: Platforms, clock: FakeClock
) -> None:
    platforms.line.blocked_users.add("U999")
    event = line_text("/goals", clock, "never-issued-token", user_id="U999")
    assert await platforms.post_line([event]) == 200
    resident = await platforms.runtime.services.residents.find("line", "U999")
    assert resident is not None and resident.reachable is False


async def test_long_text_and_labels_fit_lines_limits(platforms: Platforms) -> None:
    from bot.channels.line import render
    from bot.core import Choice

    messages = render(
        [Reply("😀" * 6000, (Choice("とても長いボタンの名前です、二十文字を超えます", "x"),))]
    )
    assert len(messages) == 3
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 5000 for m in messages)
    assert len(messages[-1].quick_reply.items[0].action.label) <= 20


async def test_malformed_and_oversized_line_bodies(platforms: Platforms) -> None:
    bad = b"{not json"
    response = await platforms.http.post(
        "/webhook/line", content=bad, headers={"X-Line-Signature": sign(bad)}
    )
    assert response.status_code == 400
    wrong_shape = json.dumps({"events": [{"type": "message"}]}).encode()
    response = await platforms.http.post(
        "/webhook/line", content=wrong_shape, headers={"X-Line-Signature": sign(wrong_shape)}
    )
    assert response.status_code == 400
    huge = b"x" * (1024 * 1024 + 1)
    response = await platforms.http.post(
        "/webhook/line", content=huge, headers={"X-Line-Signature": sign(huge)}
    )
    assert response.status_code == 413
    assert (await platforms.http.get("/healthz")).status_code == 200


async def test_events_older_than_the_deduplication_window_are_refused_as_replays(
    platforms: Platforms, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Ids are kept 7 days (CHIIKI_RETAIN_EVENT_IDS): a signed event older than that could be
    # replayed after its id is gone. It is acknowledged, never stored or answered.
    replay = line_text("/goals", clock, platforms.line.new_reply_token(), user_id="U-replay")
    replay["timestamp"] = int((clock.now.timestamp() - 8 * 86400) * 1000)
    recent = line_text("/goals", clock, platforms.line.new_reply_token(), user_id="U-recent")
    recent["timestamp"] = int((clock.now.timestamp() - 6 * 86400) * 1000)
    with caplog.at_level("WARNING", logger="bot.web.webhooks"):
        assert await platforms.post_line([replay, recent]) == 200
    stored = await platforms.runtime.db.fetch_all("SELECT event_id FROM inbound_events")
    assert [row[0] for row in stored] == [recent["webhookEventId"]]
    assert [body["to"] for body in platforms.line.sent("push")] == ["U-recent"]
    assert await platforms.runtime.services.residents.find("line", "U-replay") is None
    (warning,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert replay["webhookEventId"] in warning and "U-replay" not in warning


@pytest.mark.parametrize("timestamp", [10**15, 2**62])
async def test_a_timestamp_out_of_any_calendar_is_answered_once_by_push(
    platforms: Platforms, clock: FakeClock, caplog: pytest.LogCaptureFixture, timestamp: int
) -> None:
    # Signed, so only LINE (or whoever holds the secret) sends it; year 33658 made the
    # reply-token check raise after the message was handled, and the inbox handled it again.
    event = line_text("/goals", clock, platforms.line.new_reply_token())
    event["timestamp"] = timestamp
    with caplog.at_level("ERROR"):
        assert await platforms.post_line([event]) == 200
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert platforms.line.sent("reply") == []
    assert len(platforms.line.sent("push")) == 1
