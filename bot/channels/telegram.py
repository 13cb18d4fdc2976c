"""Telegram through python-telegram-bot's Bot: updates in, inline keyboards out.

Updates reach us from our own webhook endpoint or polling loop, by way of the inbox; they are
read with the small models of `telegram_update`. PTB's Bot makes every Bot API call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import html
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import Bot, BotCommand, MenuButtonCommands
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.channels.base import ChannelEvent, ChartPictures, SendProgress, TurnSend
from bot.channels.telegram_files import TelegramFiles, file_base_url
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_update import TelegramAddress, read_update
from bot.core import BarChart, Channel, Reply, split_text
from bot.core.text import utf16_length
from bot.delivery import RetryPolicy, send_with_retries
from bot.errors import PermanentDeliveryError, RetryableDeliveryError

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # counted in UTF-16 code units, as Telegram's entities are: an emoji may be two
PHOTO_CAPTION_LIMIT = 1024
BUTTONS_PER_ROW = 2  # Telegram allows 8; two keeps Japanese labels readable on a phone
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
POLL_TIMEOUT_SECONDS = 25
POLL_ERROR_PAUSE_SECONDS = 3

# send_text calls do_api_request("sendMessage") on purpose (see there): PTB's nudge towards
# send_message is silenced for that one method.
warnings.filterwarnings(
    "ignore", r"Please use 'Bot\.sendMessage'", PTBUserWarning, r"bot\.channels\.telegram"
)

T = TypeVar("T")
SINGLE_ATTEMPT = RetryPolicy(max_attempts=1)
# Stores a batch of read updates (raw update, its event) in the inbox; returns how many were new.
AcceptUpdates = Callable[
    [list[tuple[dict[str, Any], ChannelEvent[TelegramAddress]]]], Awaitable[int]
]


def retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns that retry_after turns from int into timedelta; accept both, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def call_telegram(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Run one Bot API call with retries, turning PTB errors into chiiki's delivery errors."""

    async def attempt() -> T:
        try:
            return await call()
        except RetryAfter as exc:
            raise RetryableDeliveryError(str(exc), retry_after_seconds(exc)) from exc
        except Forbidden as exc:  # blocked by the user, or kicked from the chat
            raise PermanentDeliveryError(str(exc), unreachable=True) from exc
        except BadRequest as exc:
            unreachable = "chat not found" in str(exc).lower()
            raise PermanentDeliveryError(str(exc), unreachable=unreachable) from exc
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise RetryableDeliveryError(str(exc)) from exc

    return await send_with_retries(attempt, policy)


# The Bot API's InlineKeyboardMarkup as JSON. Built as plain data, not PTB's button objects:
# those were a tenth of the webhook's CPU under load (measured), only to be turned into this.
Keyboard = dict[str, list[list[dict[str, str]]]]


def _button(label: str, data: str) -> dict[str, str]:
    return {"text": label, "callback_data": data}


def render_keyboard(reply: Reply) -> Keyboard | None:
    """A card's buttons get a row each, named with the card (they stand apart from its text);
    the reply's own buttons follow, a few to a row."""
    card_rows = [
        [
            _button(card.title if len(card.choices) == 1 else f"{card.title}: {c.label}", c.data)
            for c in card.choices
        ]
        for card in reply.cards
        if card.choices
    ]
    buttons = [_button(c.label, c.data) for c in reply.choices]
    rows = card_rows + [
        buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)
    ]
    return {"inline_keyboard": rows} if rows else None


def cards_html(reply: Reply) -> str:
    """The heading and each card (title in bold) in Telegram's HTML; every text is escaped,
    since titles and places are written by staff and may hold <, > or &."""
    blocks = [html.escape(reply.text)]
    for card in reply.cards:
        lines = "\n".join(html.escape(line) for line in card.lines)
        blocks.append(f"<b>{html.escape(card.title)}</b>\n{lines}".rstrip("\n"))
    return "\n\n".join(blocks)


Rendered = tuple[str, Keyboard | None, str | None]  # text, keyboard, parse mode


def render(replies: Sequence[Reply]) -> list[Rendered]:
    """Each reply as one or more messages; the keyboard goes under the last part. A reply with
    cards is one HTML message when it fits, plain text otherwise."""
    messages: list[Rendered] = []
    for reply in replies:
        if reply.cards:
            formatted = cards_html(reply)
            if utf16_length(formatted) <= TEXT_LIMIT:
                messages.append((formatted, render_keyboard(reply), ParseMode.HTML))
                continue
        parts = split_text(reply.plain_text, TEXT_LIMIT, utf16_length)
        messages += [(part, None, None) for part in parts[:-1]]
        messages.append((parts[-1], render_keyboard(reply), None))
    return messages


async def set_webhook(token: str, api_base: str, url: str, secret: str) -> None:
    """Register our webhook with its secret token and the update types we handle."""
    async with Bot(token, base_url=api_base) as bot:
        await call_telegram(
            lambda: bot.set_webhook(
                url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
            ),
            RetryPolicy(),
        )


class TelegramChannel:
    """The Telegram adapter (bot/channels/base.py): reads updates, sends replies."""

    channel = Channel.TELEGRAM

    def __init__(
        self,
        token: str,
        api_base: str,
        policy: RetryPolicy | None = None,
        charts: ChartPictures | None = None,
    ) -> None:
        self._charts = charts
        self._policy = policy or RetryPolicy()
        self.bot = Bot(
            token,
            base_url=api_base,
            base_file_url=file_base_url(api_base),
            request=AiohttpRequest(connection_pool_size=64),
            # Long polling (getUpdates) holds its connection open: a pool of its own.
            get_updates_request=AiohttpRequest(connection_pool_size=1),
        )
        self.files = TelegramFiles(self.bot)
        self._initialized = False
        self._initializing = asyncio.Lock()

    async def _initialize(self) -> None:
        async with self._initializing:  # many sends may start at once; log in only once
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True

    async def start(self, commands: dict[str, list[tuple[str, str]]]) -> None:
        """Log in (getMe), publish the command list per language and show it behind the menu
        button beside the text field; failures are logged."""
        try:
            await self._initialize()
            await self.bot.set_chat_menu_button(menu_button=MenuButtonCommands())
            for language, pairs in commands.items():
                await self.bot.set_my_commands(
                    [BotCommand(command, description) for command, description in pairs],
                    language_code=None if language == "ja" else language,
                )
        except TelegramError:
            logger.exception("Telegram start-up failed; updates will be retried at next start")

    async def stop(self) -> None:
        if self._initialized:
            await self.bot.shutdown()
            self._initialized = False

    async def poll(self, accept: AcceptUpdates) -> None:
        """Polling mode: long-poll getUpdates forever, handing each batch to `accept` (the inbox).

        The offset moves past a batch only after `accept` stored it, so a crash in between
        means Telegram sends the batch again, and the inbox drops what it already has. Button
        presses are answered once stored (a webhook answers them in its response instead).
        """
        await self._initialize()
        await call_telegram(lambda: self.bot.delete_webhook(), self._policy)
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT_SECONDS,
                    allowed_updates=list(ALLOWED_UPDATES),
                    read_timeout=POLL_TIMEOUT_SECONDS + 10,
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except NetworkError:
                logger.warning("getUpdates failed; polling again shortly", exc_info=True)
                await asyncio.sleep(POLL_ERROR_PAUSE_SECONDS)
                continue
            if not updates:
                continue
            read = [(payload, self.read(payload)) for payload in (u.to_dict() for u in updates)]
            await accept([(payload, event) for payload, event in read if event is not None])
            offset = updates[-1].update_id + 1
            for update in updates:
                if update.callback_query is not None:
                    await self._answer_button(update.callback_query.id)

    async def _answer_button(self, query_id: str) -> None:
        """Stop a pressed button's spinner; a refusal (too old, already answered) is logged."""
        try:
            await call_telegram(lambda: self.bot.answer_callback_query(query_id), SINGLE_ATTEMPT)
        except (PermanentDeliveryError, RetryableDeliveryError) as exc:
            logger.info("answerCallbackQuery failed: %s", exc)

    @staticmethod
    def webhook_answer(event: ChannelEvent[TelegramAddress]) -> dict[str, Any]:
        """The body of our 200 to a webhook. For a button press it asks Telegram to answer the
        press (the Bot API runs a method named in a webhook's response): the spinner stops as
        soon as the update is stored, at no cost of a call. Its outcome is not reported, which
        is no loss: a failed answer only leaves the spinner to time out."""
        if event.press_id is None:
            return {"ok": True}
        return {"method": "answerCallbackQuery", "callback_query_id": event.press_id}

    def read(self, payload: dict[str, Any]) -> ChannelEvent[TelegramAddress] | None:
        return read_update(payload, self.files.fetcher)

    async def send_text(self, chat_id: str, text: str) -> None:
        """One outbox message, tried once: the outbox decides about retries and pauses."""
        if not self._initialized:
            await call_telegram(self._initialize, SINGLE_ATTEMPT)
        await call_telegram(
            functools.partial(
                self._send_message, int(chat_id), split_text(text, TEXT_LIMIT, utf16_length)[0]
            ),
            SINGLE_ATTEMPT,
        )

    async def _send_message(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        parse_mode: str | None = None,
    ) -> object:
        """sendMessage through `do_api_request`, which returns the Bot API's raw answer: we need
        only success or PTB's error, and building a Message from every answer was a sixth of a
        broadcast's CPU. (PTB's nudge towards send_message is silenced above.)"""
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if keyboard is not None:
            params["reply_markup"] = keyboard
        if parse_mode is not None:
            params["parse_mode"] = parse_mode
        return await self.bot.do_api_request("sendMessage", api_kwargs=params)

    async def send(
        self, address: TelegramAddress, replies: Sequence[Reply], turn: TurnSend | None = None
    ) -> None:
        """Each reply's messages and chart, in order, one call each, from the first one `turn`
        has not seen delivered; progress is noted after each call that leaves more to send. A
        refusal because the resident blocked us raises PermanentDeliveryError(unreachable=True)
        at once.

        A call that times out or fails with a 5xx may still have been delivered (the Bot API
        has no idempotency key): it counts as not delivered and is sent again, so such a
        message may come twice; nothing before it does."""
        if not self._initialized:
            await call_telegram(self._initialize, self._policy)
        chat_id = address.chat_id
        parts: list[Rendered | BarChart] = []
        for reply in replies:
            parts += render([reply])
            if reply.chart is not None and self._charts is not None:
                parts.append(reply.chart)
        for index in range(turn.done.sent if turn else 0, len(parts)):
            await call_telegram(await self._part_call(chat_id, parts[index]), self._policy)
            metrics.for_channel(Channel.TELEGRAM).replies_sent.inc()
            if turn is not None and index + 1 < len(parts):
                await turn.note(SendProgress(index + 1))

    async def _part_call(
        self, chat_id: int, part: Rendered | BarChart
    ) -> Callable[[], Awaitable[object]]:
        if isinstance(part, BarChart):
            assert self._charts is not None
            png = await self._charts.png(part)  # drawn only when it is to be sent
            caption = part.alt[:PHOTO_CAPTION_LIMIT]
            return functools.partial(self.bot.send_photo, chat_id, png, caption=caption)
        text, keyboard, parse_mode = part
        return functools.partial(self._send_message, chat_id, text, keyboard, parse_mode)
