"""No text or id of a resident outlives its use in the inbox: a given-up event loses its
payload and the replies kept for its send, /forget reaches the events still waiting (their
replies too), retention removes every old event."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot import inbound
from bot.core import Reply
from bot.core.reply_json import dump_replies, load_replies
from bot.runtime import Runtime
from bot.storage.inbound_events import MAX_ATTEMPTS, InboundEventRepository
from tests.conftest import FakeClock
from tests.platforms import Platforms, line_text
from tests.test_link import linked_pair


async def stored_events(runtime: Runtime) -> list[tuple[object, ...]]:
    rows = await runtime.db.fetch_all(
        "SELECT event_id, payload, sender, attempts, handled_at, replies FROM inbound_events"
    )
    return [tuple(row) for row in rows]


async def test_an_event_given_up_after_its_attempts_keeps_no_payload_or_sender(
    platforms: Platforms, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound, "RETRY_SECONDS", 0.001)

    async def broken(*args: object) -> None:
        raise RuntimeError("sending fails every time")

    monkeypatch.setattr(platforms.runtime.line, "send", broken)
    event = line_text("秘密の相談です", clock, platforms.line.new_reply_token(), "U-secret")
    assert await platforms.post_line([event]) == 200
    for _ in range(500):
        rows = await stored_events(platforms.runtime)
        if rows and rows[0][3] == MAX_ATTEMPTS and rows[0][1] is None:
            break
        await asyncio.sleep(0.01)
    (row,) = await stored_events(platforms.runtime)
    # Its turn was taken and its replies kept for the sends; those go with the payload.
    assert row == (event["webhookEventId"], None, None, MAX_ATTEMPTS, None, None)


async def test_forget_drops_the_payloads_of_events_still_waiting_on_every_channel(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web, _ = await linked_pair(runtime)  # Telegram user 42, linked to the web resident
    # Two events still waiting (a retry due, say): one of theirs, one of someone else's.
    waiting = {"update_id": 9001, "message": {"text": "私の住所は…", "from": {"id": 42}}}
    other = {"update_id": 9002, "message": {"text": "ほかの人", "from": {"id": 77}}}
    accepted = await InboundEventRepository(runtime.db).accept(
        [("telegram", "9001", waiting), ("telegram", "9002", other)],
        clock.now,
        "elsewhere",
        ["42", "77"],
    )
    assert accepted == [True, True]
    # Both were answered and their sends failed: the replies wait with the payloads.
    await InboundEventRepository(runtime.db).store_replies(
        [
            ("telegram", "9001", dump_replies([Reply("あなたの住所は…ですね")])),
            ("telegram", "9002", dump_replies([Reply("ほかの人への答え")])),
        ]
    )
    await on_web.say("/forget")
    await on_web.tap("はい、消します")
    rows = {row[0]: row for row in await stored_events(runtime)}
    assert rows["9001"][1:4] == (None, None, MAX_ATTEMPTS)  # and never tried again
    assert rows["9001"][5] is None
    assert json.loads(str(rows["9002"][1]))["message"]["text"] == "ほかの人"
    assert rows["9002"][2] == "77"
    assert load_replies(str(rows["9002"][5]))[0].text == "ほかの人への答え"
    assert await runtime.services.residents.find("telegram", "42") is None
    assert await runtime.services.residents.find("web", "web-user") is None
