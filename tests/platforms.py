"""A runtime wired to fake LINE and Telegram servers, and real-shaped platform payloads."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.delivery import RetryPolicy
from bot.runtime import Runtime, open_runtime
from bot.web import build_web_app
from tests.conftest import FakeClock, make_settings
from tests.fakes import line as fake_line
from tests.fakes import telegram as fake_telegram
from tests.fakes.server import serve_on_loopback

WEBHOOK_SECRET = "webhook-secret_123"
FAST_RETRIES = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


@dataclass
class Platforms:
    telegram: fake_telegram.FakeTelegram
    line: fake_line.FakeLine
    runtime: Runtime
    http: httpx.AsyncClient
    telegram_base: str  # the fake Bot API's address

    async def post_telegram(self, update: dict[str, Any], secret: str = WEBHOOK_SECRET) -> int:
        response = await self.http.post(
            "/webhook/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )
        if response.status_code == 200:
            await self._run_answered_method(response.json())
        await self.runtime.inbox.drain()
        return response.status_code

    async def _run_answered_method(self, answer: dict[str, Any]) -> None:
        """Like Telegram: a method named in the webhook's answer is called with its fields."""
        params = dict(answer)
        method = params.pop("method", None)
        if method is None:
            return
        async with httpx.AsyncClient() as client:
            url = f"{self.telegram_base}/bot{self.telegram.token}/{method}"
            await client.post(url, json=params)

    async def post_line(self, events: list[dict[str, Any]], signature: str | None = None) -> int:
        body = json.dumps({"destination": "Uchiiki", "events": events}).encode()
        headers = {"content-type": "application/json"}
        headers["X-Line-Signature"] = signature if signature is not None else fake_line.sign(body)
        response = await self.http.post("/webhook/line", content=body, headers=headers)
        await self.runtime.inbox.drain()
        return response.status_code


def platform_env(
    telegram: fake_telegram.FakeTelegram,
    telegram_base: str,
    line: fake_line.FakeLine,
    line_base: str,
) -> dict[str, str]:
    """The settings that point chiiki at fake Telegram and LINE servers on loopback."""
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE": f"{telegram_base}/bot",
        "LINE_CHANNEL_SECRET": fake_line.SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": line.access_token,
        "LINE_API_BASE": line_base,
    }


@asynccontextmanager
async def open_platforms(
    tmp_path: Path,
    content_dir: Path,
    clock: FakeClock,
    serving: bool = True,
    line_timeout: float | None = None,
    **extra: str,
) -> AsyncIterator[Platforms]:
    telegram, line = fake_telegram.FakeTelegram(), fake_line.FakeLine()
    async with (
        serve_on_loopback(telegram.app()) as telegram_base,
        serve_on_loopback(line.app()) as line_base,
    ):
        settings = make_settings(
            tmp_path,
            content_dir,
            **platform_env(telegram, telegram_base, line, line_base),
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            LINE_DATA_API_BASE=line_base,
            **extra,
        )
        async with open_runtime(
            settings,
            clock=clock,
            retry_policy=FAST_RETRIES,
            serving=serving,
            line_timeout=line_timeout,
        ) as runtime:
            transport = httpx.ASGITransport(app=build_web_app(runtime))
            async with httpx.AsyncClient(transport=transport, base_url="http://chiiki") as http:
                yield Platforms(telegram, line, runtime, http, telegram_base)


_update_ids = itertools.count(500_000)


def telegram_user(user_id: int = 111, language: str = "ja") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "花子", "language_code": language}


def telegram_text(text: str, user_id: int = 111, update_id: int | None = None) -> dict[str, Any]:
    """A private-chat message update, as the Bot API sends it."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "花子"},
        "from": telegram_user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def telegram_callback(data: str, user_id: int = 111) -> dict[str, Any]:
    """A button press on one of our inline keyboards."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cbq-{next(_update_ids)}",
            "from": telegram_user(user_id),
            "chat_instance": "-1234",
            "data": data,
            "message": {
                "message_id": 7,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": 42, "is_bot": True, "first_name": "chiiki"},
                "text": "選んでください",
            },
        },
    }


def line_event(
    kind: str, clock: FakeClock, user_id: str = "U111", **fields: Any
) -> dict[str, Any]:
    """A LINE webhook event from a one-to-one chat, as the Messaging API sends it."""
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(clock.now.timestamp() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": f"01HEVENT{next(_update_ids)}",
        "deliveryContext": {"isRedelivery": False},
    }
    event.update(fields)
    return event


def line_text(
    text: str, clock: FakeClock, reply_token: str, user_id: str = "U111"
) -> dict[str, Any]:
    return line_event(
        "message",
        clock,
        user_id,
        replyToken=reply_token,
        message={"id": "4680", "type": "text", "quoteToken": "q", "text": text},
    )


async def wait_until(condition: Callable[[], bool], seconds: float = 15) -> None:
    """Return once `condition()` holds, or after `seconds` (the caller asserts what it needs):
    a serving instance's own delivery loop may be sending what a test looks for."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
