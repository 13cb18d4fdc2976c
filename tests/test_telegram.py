from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage.inbound_events import InboundEventRepository
from tests.conftest import FakeClock
from tests.databases import database_for
from tests.platforms import (
    WEBHOOK_SECRET,
    Platforms,
    open_platforms,
    telegram_callback,
    telegram_text,
    telegram_user,
)


async def test_start_up_publishes_the_command_list_in_both_languages(platforms: Platforms) -> None:
    commands = platforms.telegram.sent("setMyCommands")
    assert len(commands) == 2
    by_language = {c.get("language_code"): c["commands"] for c in commands}
    assert {"command": "goals", "description": "目標"} in by_language[None]
    assert {"command": "goals", "description": "Goals"} in by_language["en"]
    (menu_button,) = platforms.telegram.sent("setChatMenuButton")
    assert menu_button["menu_button"] == {"type": "commands"}


async def test_goals_gets_one_message_with_an_inline_keyboard(platforms: Platforms) -> None:
    assert await platforms.post_telegram(telegram_text("/goals")) == 200
    sent = platforms.telegram.sent("sendMessage")
    assert len(sent) == 1
    assert sent[0]["chat_id"] == 111
    assert "地域を知ろう" in sent[0]["text"]
    rows = sent[0]["reply_markup"]["inline_keyboard"]
    buttons = [button for row in rows for button in row]
    assert buttons[0]["text"] == "地域を知ろう"
    assert all(len(row) <= 8 for row in rows)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


async def test_a_button_press_is_answered_and_shows_the_goal(platforms: Platforms) -> None:
    await platforms.post_telegram(telegram_text("/goals"))
    data = platforms.telegram.sent("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]
    await platforms.post_telegram(telegram_callback(data["callback_data"]))
    answers = platforms.telegram.sent("answerCallbackQuery")
    assert len(answers) == 1 and answers[0]["callback_query_id"].startswith("cbq-")
    detail = platforms.telegram.sent("sendMessage")[-1]["text"]
    assert "■ 市民" in detail and "関心を持ちましょう" in detail


async def test_a_button_press_is_answered_in_the_webhooks_own_response(
    platforms: Platforms,
) -> None:
    press = telegram_callback("cmd:goals")
    response = await platforms.http.post(
        "/webhook/telegram",
        json=press,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    await platforms.runtime.inbox.drain()
    assert response.status_code == 200
    assert response.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": press["callback_query"]["id"],
    }
    # Answered once, by Telegram running the method in our answer; chiiki made no call of it.
    assert platforms.telegram.sent("answerCallbackQuery") == []
    assert len(platforms.telegram.sent("sendMessage")) == 1
    typed = await platforms.http.post(
        "/webhook/telegram",
        json=telegram_text("/goals"),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert typed.json() == {"ok": True}


async def test_the_same_update_id_again_produces_nothing(platforms: Platforms) -> None:
    update = telegram_text("/goals")
    await platforms.post_telegram(update)
    assert await platforms.post_telegram(update) == 200
    assert len(platforms.telegram.sent("sendMessage")) == 1


async def test_a_redelivery_after_a_restart_is_still_ignored(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    update = telegram_text("/roles")
    async with open_platforms(tmp_path, content_dir, clock) as first:
        await first.post_telegram(update)
    async with open_platforms(tmp_path, content_dir, clock) as second:
        await second.post_telegram(update)
        assert second.telegram.sent("sendMessage") == []


@pytest.mark.parametrize("secret", ["", "wrong", "webhook-secret_12"])
async def test_a_wrong_secret_gets_403_and_no_call(platforms: Platforms, secret: str) -> None:
    before = len(platforms.telegram.calls)
    assert await platforms.post_telegram(telegram_text("/goals"), secret=secret) == 403
    assert len(platforms.telegram.calls) == before
    row = await platforms.runtime.db.fetch_one("SELECT count(*) FROM inbound_events")
    assert row is not None and row[0] == 0


async def test_malformed_and_oversized_bodies(platforms: Platforms) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "webhook-secret_123"}
    bad_json = await platforms.http.post("/webhook/telegram", content=b"{oops", headers=headers)
    assert bad_json.status_code == 400
    no_id = await platforms.http.post("/webhook/telegram", json={"message": {}}, headers=headers)
    assert no_id.status_code == 400
    # JSON's true is a Python int: it was stored as event "True".
    for update_id in (True, False, "7", 7.0):
        body = {"update_id": update_id, "message": {}}
        response = await platforms.http.post("/webhook/telegram", json=body, headers=headers)
        assert response.status_code == 400, update_id
    huge = b'{"update_id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    too_big = await platforms.http.post("/webhook/telegram", content=huge, headers=headers)
    assert too_big.status_code == 413
    assert (await platforms.http.get("/healthz")).status_code == 200


async def test_429_is_waited_out_and_the_reply_still_arrives(platforms: Platforms) -> None:
    platforms.telegram.refuse_next = 1
    await platforms.post_telegram(telegram_text("/about"))
    attempts = platforms.telegram.sent("sendMessage")
    assert len(attempts) == 4  # the first refused and sent again, then the two that follow
    assert attempts[0]["text"] == attempts[1]["text"]
    assert "地域づくりとは" in attempts[1]["text"]


async def test_5xx_is_retried_with_backoff(platforms: Platforms) -> None:
    platforms.telegram.fail_next = 2
    await platforms.post_telegram(telegram_text("/help"))
    assert len(platforms.telegram.sent("sendMessage")) == 3


async def test_a_blocked_resident_is_marked_unreachable(platforms: Platforms) -> None:
    platforms.telegram.blocked_chats.add(222)
    assert await platforms.post_telegram(telegram_text("/goals", user_id=222)) == 200
    resident = await platforms.runtime.services.residents.find("telegram", "222")
    assert resident is not None and resident.reachable is False
    # Writing again means they unblocked us.
    platforms.telegram.blocked_chats.clear()
    await platforms.post_telegram(telegram_text("/goals", user_id=222))
    resident = await platforms.runtime.services.residents.find("telegram", "222")
    assert resident is not None and resident.reachable is True


async def test_a_failure_that_outlasts_the_retries_keeps_the_update_for_later(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock) as first:
        first.telegram.fail_next = 100
        await first.post_telegram(telegram_text("/system"))
        assert first.telegram.sent("sendMessage")  # it tried
    async with open_platforms(tmp_path, content_dir, clock) as second:
        await second.runtime.inbox.drain()
        sent = second.telegram.sent("sendMessage")
        assert len(sent) == 1 and "地域づくり協議会" in sent[0]["text"]


async def test_a_failed_update_is_tried_again_shortly_without_a_restart(
    platforms: Platforms,
) -> None:
    from bot import inbound

    repository = platforms.runtime.inbox._events

    async def pending() -> list[tuple[str, str]]:
        return await repository.pending(
            "anyone", platforms.runtime.services.clock() + timedelta(days=1)
        )

    update = telegram_text("/system", user_id=909)
    inbound.RETRY_SECONDS = 0.05  # the module's 1 s, shortened for the test
    try:
        platforms.telegram.fail_next = 4  # outlasts the send retries of the first attempt
        await platforms.post_telegram(update)
        assert await pending() == [("telegram", str(update["update_id"]))]
        for _ in range(100):
            if not await pending():
                break
            await asyncio.sleep(0.05)
    finally:
        inbound.RETRY_SECONDS = 1.0
    assert await pending() == []
    assert platforms.telegram.delivered[909] >= 1


async def test_webhooks_arriving_together_are_each_answered_once(platforms: Platforms) -> None:
    # Stored together (one write for all that arrive during the previous one), yet each webhook
    # is answered 200 after its own update is stored, and a repeat among them is handled once.
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    updates = [telegram_text("/goals", user_id=7000 + n) for n in range(20)]
    updates.append(updates[3])  # Telegram delivering one update twice
    answers = await asyncio.gather(
        *(platforms.http.post("/webhook/telegram", json=u, headers=headers) for u in updates)
    )
    await platforms.runtime.inbox.drain()
    assert {a.status_code for a in answers} == {200}
    replied = [c["chat_id"] for c in platforms.telegram.sent("sendMessage")]
    assert sorted(chat for chat in replied if chat >= 7000) == [7000 + n for n in range(20)]
    assert await platforms.runtime.inbox.resume_pending() == 0  # all marked handled


async def test_an_id_repeated_in_one_stored_batch_is_new_only_once(
    platforms: Platforms, clock: FakeClock
) -> None:
    events = InboundEventRepository(platforms.runtime.db)
    first, again = telegram_text("/goals", user_id=1), telegram_text("/goals", user_id=2)
    batch = [
        ("telegram", "900", first),
        ("line", "900", first),  # the same id on another channel is another event
        ("telegram", "900", first),
        ("telegram", "901", again),
    ]
    assert await events.accept(batch, clock.now, "a") == [True, True, False, True]
    assert await events.accept(batch[:1], clock.now, "a") == [False]  # stored already


async def test_long_text_is_split_within_4096(platforms: Platforms) -> None:
    from bot.channels.telegram import render
    from bot.core import Reply

    messages = render([Reply("長い文です。" * 1500)])
    assert len(messages) == 3
    assert all(len(text) <= 4096 for text, _, _ in messages)
    # An emoji outside the BMP is two UTF-16 units: 3,000 of them do not fit one message.
    emoji = render([Reply("🌸" * 3000)])
    assert len(emoji) == 2
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text, _, _ in emoji)
    assert "".join(text for text, _, _ in emoji) == "🌸" * 3000


async def test_stickers_and_group_messages_get_a_polite_answer_or_none(
    platforms: Platforms,
) -> None:
    sticker = telegram_text("x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "f",
        "file_unique_id": "u",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    await platforms.post_telegram(sticker)
    assert "文字のメッセージ" in platforms.telegram.sent("sendMessage")[-1]["text"]
    group = telegram_text("/goals")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "町内会"}
    await platforms.post_telegram(group)
    assert len(platforms.telegram.sent("sendMessage")) == 1


async def test_removing_the_bot_from_a_group_does_not_silence_the_residents_own_chat(
    platforms: Platforms,
) -> None:
    """my_chat_member comes for groups too: a resident (an admin of their 町内会 group) who
    removes the bot there has not blocked it in their own chat, and must keep getting notices."""
    await platforms.post_telegram(telegram_text("/goals", user_id=655))
    sent = len(platforms.telegram.sent("sendMessage"))
    for update_id, (chat_type, status) in enumerate(
        [("supergroup", "kicked"), ("group", "left"), ("channel", "kicked")], start=987_700
    ):
        removed = {
            "update_id": update_id,
            "my_chat_member": {
                "chat": {"id": -100_123, "type": chat_type, "title": "町内会"},
                "from": telegram_user(655),
                "date": 1,
                "old_chat_member": {"status": "member", "user": telegram_user(42)},
                "new_chat_member": {"status": status, "user": telegram_user(42), "until_date": 0},
            },
        }
        assert await platforms.post_telegram(removed) == 200
    resident = await platforms.runtime.services.residents.find("telegram", "655")
    assert resident is not None and resident.reachable is True
    assert len(platforms.telegram.sent("sendMessage")) == sent


async def test_polling_mode_feeds_updates_through_the_inbox(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    import asyncio

    from bot.web import build_app
    from tests.conftest import make_settings
    from tests.fakes.server import serve_on_loopback
    from tests.fakes.telegram import FakeTelegram
    from tests.platforms import WEBHOOK_SECRET

    fake = FakeTelegram()
    update = telegram_text("/goals", update_id=900)
    press = telegram_callback("cmd:roles")
    press["update_id"] = 899
    fake.pending_updates += [press, update]
    async with serve_on_loopback(fake.app()) as base:
        settings = make_settings(
            tmp_path,
            content_dir,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TELEGRAM_API_BASE=f"{base}/bot",
        )
        app = build_app(settings, telegram_polling=True)
        async with app.router.lifespan_context(app):
            for _ in range(200):
                if len(fake.sent("sendMessage")) == 2:
                    break
                await asyncio.sleep(0.02)
            # The next poll asks past the update it has, so it is not fetched again.
            for _ in range(200):
                offsets = [p.get("offset") for p in fake.sent("getUpdates")]
                if 901 in offsets:
                    break
                await asyncio.sleep(0.02)
    assert fake.sent("deleteWebhook")
    assert len(fake.sent("sendMessage")) == 2
    assert any("地域を知ろう" in m["text"] for m in fake.sent("sendMessage"))
    assert 901 in offsets
    # No webhook answer to carry it: the press is answered with a call of its own.
    (answer,) = fake.sent("answerCallbackQuery")
    assert answer["callback_query_id"] == press["callback_query"]["id"]


async def test_set_webhook_command_registers_url_secret_and_update_types(
    tmp_path: Path,
) -> None:
    import asyncio

    from click.testing import CliRunner

    from bot.cli import main
    from tests.fakes.server import serve_on_loopback
    from tests.fakes.telegram import FakeTelegram

    fake = FakeTelegram()
    async with serve_on_loopback(fake.app()) as base:
        env = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_token",
            "TELEGRAM_API_BASE": f"{base}/bot",
            "CHIIKI_DB": database_for(tmp_path, "x"),
        }
        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["telegram", "set-webhook", "https://city.example.jp/webhook/telegram"],
            env=env,
        )
    assert result.exit_code == 0, result.output
    (call,) = fake.sent("setWebhook")
    assert call["url"] == "https://city.example.jp/webhook/telegram"
    assert call["secret_token"] == "s3cret_token"
    assert set(call["allowed_updates"]) == {"message", "callback_query", "my_chat_member"}
    assert fake.token not in result.output


async def test_the_bot_token_never_reaches_the_logs(platforms: Platforms) -> None:
    import logging

    from bot.logging_setup import configure_logging

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(self.format(record))

    configure_logging("INFO")  # what `chiiki serve` does; httpx would log URLs with the token
    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        platforms.telegram.refuse_next = 1
        await platforms.post_telegram(telegram_text("/goals"))
    finally:
        logging.getLogger().removeHandler(collect)
    assert any("route=goals" in line for line in collect.lines)
    assert all(platforms.telegram.token not in line for line in collect.lines)
    assert all("地域を知ろう" not in line for line in collect.lines)  # no message bodies
