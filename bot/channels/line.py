"""LINE through line-bot-sdk v3 (async): signed webhooks in, replies with quick replies out.

Replies use the event's reply token (free) while it is fresh; otherwise, or when the token is
refused, the same messages go as a push (counted against the monthly quota) with a retry key.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    CameraRollAction,
    Configuration,
    FlexMessage,
    ImageMessage,
    LocationAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuRequest,
    TextMessage,
)
from linebot.v3.webhook import SignatureValidator

from bot import metrics
from bot.channels.base import ChannelEvent, ChartPictures, SendProgress, TurnSend
from bot.channels.line_content import DATA_API_BASE, LineContent
from bot.channels.line_event import LineAddress, read_body, read_event
from bot.core import Ask, AttachmentKind, Channel, Choice, Reply, split_text
from bot.core.clock import Clock
from bot.core.text import utf16_length
from bot.delivery import RetryPolicy, send_with_retries
from bot.errors import (
    BatchRefusedError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

logger = logging.getLogger(__name__)

TEXT_LIMIT = 5000  # UTF-16 code units
MESSAGES_PER_REQUEST = 5
QUICK_REPLY_ITEMS = 13
LABEL_LIMIT = 20
# A reply token is good for one minute after the webhook; leave a margin for the network.
REPLY_TOKEN_TTL = timedelta(seconds=50)
REQUEST_TIMEOUT_SECONDS = 10
MULTICAST_LIMIT = 500
SINGLE_ATTEMPT = RetryPolicy(max_attempts=1)
# Push retry keys are UUIDs named in this namespace by the turn's key and the batch's first
# message: the same batch of the same turn always carries the same key, whichever attempt,
# process or instance sends it, with nothing to store.
RETRY_KEY_NAMESPACE = uuid.UUID("6f1c3e52-5b0a-4c1e-9f3d-2a7d8c0b9e41")

T = TypeVar("T")


async def call_line(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T | None:
    """Run one Messaging API call with retries; None when LINE says it was already accepted."""

    async def attempt() -> T | None:
        try:
            return await call()
        except ApiException as exc:
            status = exc.status or 0
            if status == 409:  # the retry key was accepted before: the send happened
                return None
            if status == 429 or status >= 500:
                raise RetryableDeliveryError(f"LINE answered {status}") from exc
            raise PermanentDeliveryError(
                f"LINE answered {status}: {exc.body!r}", unreachable=status == 403
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryableDeliveryError(f"LINE unreachable: {exc!r}") from exc

    return await send_with_retries(attempt, policy)


def _retry_key(turn_key: str, first_message: int) -> str:
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{turn_key}:{first_message}"))


@dataclass
class _ReplyToken:
    value: str
    unclear: bool  # a call with it ended without a clear answer (timeout, 5xx)


def _notice_messages(text: str) -> list[Any]:
    """A notice as LINE messages (capped well within one message: MAX_NOTICE_CHARS)."""
    parts = split_text(text, TEXT_LIMIT, utf16_length)
    return [TextMessage(text=p) for p in parts][:MESSAGES_PER_REQUEST]


def _label(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ask_item(ask: Ask) -> QuickReplyItem:
    """LINE's own pickers: the camera roll for a photo, the map for a place."""
    if ask.kind == AttachmentKind.PHOTO:
        return QuickReplyItem(action=CameraRollAction(label=_label(ask.label)))
    return QuickReplyItem(action=LocationAction(label=_label(ask.label)))


def _quick_reply(choices: Sequence[Choice], asks: Sequence[Ask] = ()) -> QuickReply | None:
    """The asks first (the step's own buttons), then the choices, 13 items at most."""
    if not choices and not asks:
        return None
    items = [_ask_item(ask) for ask in asks[:QUICK_REPLY_ITEMS]]
    items += [
        QuickReplyItem(
            action=PostbackAction(label=_label(c.label), data=c.data, displayText=c.label)
        )
        for c in choices[: QUICK_REPLY_ITEMS - len(items)]
    ]
    return QuickReply(items=items)


FLEX_ALT_TEXT_LIMIT = 400
FLEX_BUTTON_LABEL_LIMIT = 40
FLEX_CAROUSEL_BYTES = 50_000  # LINE's limit for a carousel's JSON (a bubble: 30,000)


def flex_cards(reply: Reply) -> dict[str, Any] | None:
    """The reply's cards as a Flex bubble, or a carousel of them; None when over LINE's size
    limit (the text is sent instead)."""
    bubbles = []
    for card in reply.cards:
        body = [{"type": "text", "text": card.title, "weight": "bold", "size": "md", "wrap": True}]
        body += [
            {"type": "text", "text": line, "size": "sm", "color": "#555555", "wrap": True}
            for line in card.lines
        ]
        bubble: dict[str, Any] = {
            "type": "bubble",
            "size": "kilo",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        }
        if card.choices:
            buttons = [
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "action": {
                        "type": "postback",
                        "label": _label(c.label, FLEX_BUTTON_LABEL_LIMIT),
                        "data": c.data,
                        "displayText": c.label,
                    },
                }
                for c in card.choices
            ]
            bubble["footer"] = {"type": "box", "layout": "vertical", "contents": buttons}
        bubbles.append(bubble)
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    if len(json.dumps(contents, ensure_ascii=False).encode("utf-8")) > FLEX_CAROUSEL_BYTES:
        return None
    return contents


def render(
    replies: Sequence[Reply], chart_urls: Mapping[int, str] | None = None
) -> list[TextMessage | ImageMessage | FlexMessage]:
    """Text messages; choices become the quick reply of the reply's last part. A reply's chart
    (`chart_urls` by the reply's index: HTTPS addresses LINE fetches) follows its text."""
    messages: list[TextMessage | ImageMessage | FlexMessage] = []
    for number, reply in enumerate(replies):
        contents = flex_cards(reply) if reply.cards else None
        # Under the last message; without the Flex cards, their buttons join the quick reply.
        quick_reply = _quick_reply(reply.choices if contents else reply.all_choices, reply.asks)
        if contents is not None:
            alt_text = _label(reply.plain_text, FLEX_ALT_TEXT_LIMIT)
            messages.append(TextMessage(text=reply.text))
            flex = {"type": "flex", "altText": alt_text, "contents": contents}
            message = FlexMessage.from_dict(flex)
            message.quick_reply = quick_reply
            messages.append(message)
            continue
        parts = split_text(reply.plain_text, TEXT_LIMIT, measure=utf16_length)
        messages += [TextMessage(text=part) for part in parts[:-1]]
        url = (chart_urls or {}).get(number)
        if url is None:
            messages.append(TextMessage(text=parts[-1], quickReply=quick_reply))
            continue
        # The quick reply goes on the last message, the picture, so the buttons stay in view.
        messages.append(TextMessage(text=parts[-1]))
        messages.append(
            ImageMessage(originalContentUrl=url, previewImageUrl=url, quickReply=quick_reply)
        )
    return messages


ReadEvents = list[tuple[dict[str, Any], ChannelEvent[LineAddress]]]


def split_replays(events: ReadEvents, oldest: datetime | None) -> tuple[ReadEvents, list[str]]:
    """The events sent at or after `oldest`, and the ids of the others. An event id is kept for
    de-duplication only so long (CHIIKI_RETAIN_EVENT_IDS), so an older event, signed or not,
    may be a replay the inbox would no longer recognise; one without a timestamp is not
    LINE's either. `oldest` None (ids kept forever) keeps every event."""
    if oldest is None:
        return events, []
    limit_ms = oldest.timestamp() * 1000
    fresh, replays = [], []
    for payload, event in events:
        if event.sent_at_ms is not None and event.sent_at_ms >= limit_ms:
            fresh.append((payload, event))
        else:
            replays.append(event.event_id)
    return fresh, replays


class LineChannel:
    """The LINE adapter (bot/channels/base.py): reads webhook events, sends replies."""

    channel = Channel.LINE

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        api_base: str,
        clock: Clock,
        policy: RetryPolicy | None = None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        charts: ChartPictures | None = None,
        data_api_base: str = DATA_API_BASE,
    ) -> None:
        self._charts = charts
        self.content = LineContent(data_api_base, access_token, request_timeout)
        self._timeout = request_timeout
        self._validator = SignatureValidator(channel_secret)
        self._configuration = Configuration(access_token=access_token, host=api_base)
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._configuration)
        self._api = AsyncMessagingApi(self._client)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None

    def verify(self, body: bytes, signature: str | None) -> bool:
        """True when X-Line-Signature is the HMAC-SHA256 of the raw body with our secret."""
        if not signature:
            return False
        try:
            return bool(self._validator.validate(body.decode("utf-8"), signature))
        except (UnicodeDecodeError, ValueError):
            return False

    def read(self, payload: dict[str, Any]) -> ChannelEvent[LineAddress] | None:
        return read_event(payload, self.content)

    def read_body(self, body: Any) -> ReadEvents:
        """Each event object of a webhook body, read; ValueError when it is not a body."""
        return read_body(body, self.content)

    def _token_is_fresh(self, timestamp_ms: int | None) -> bool:
        if timestamp_ms is None:
            return False
        # In whole milliseconds: a timestamp past year 9999 made datetime raise after the
        # event was handled, so the inbox ran it again and again. A token from the future is
        # not LINE's (beyond a little clock skew): push instead.
        age_ms = self._clock().timestamp() * 1000 - timestamp_ms
        ttl_ms = REPLY_TOKEN_TTL.total_seconds() * 1000
        return -ttl_ms < age_ms < ttl_ms

    async def send(
        self, address: LineAddress, replies: Sequence[Reply], turn: TurnSend | None = None
    ) -> None:
        """Reply with the token while it is fresh (free), push the rest, five messages a call,
        from the first message `turn` has not seen delivered; progress is noted after each
        call that leaves more to send. A refusal because the resident blocked us raises
        PermanentDeliveryError(unreachable=True) at once.

        A call is all or nothing. Each push carries a retry key made from the turn's key and
        its first message, so a push repeated after a timeout, a 5xx or a crash (within LINE's
        24 hours) gets 409 instead of a second delivery. The reply token is single-use: once a
        call with it ended unclear, LINE refusing it means that call went out."""
        api = self._require_api()
        user_id = address.user_id
        fresh = self._token_is_fresh(address.sent_at_ms)
        done = turn.done if turn is not None else SendProgress()
        token = None
        if fresh and address.reply_token:
            token = _ReplyToken(address.reply_token, done.reply_unclear)
        turn_key = turn.key if turn is not None else uuid.uuid4().hex
        chart_urls: dict[int, str] = {}
        for index, reply in enumerate(replies):
            if reply.chart is not None and self._charts is not None:
                url = await self._charts.public_url(reply.chart, f"line:{user_id}")
                if url is not None:
                    chart_urls[index] = url
        messages: list[Any] = render(replies, chart_urls)
        first = done.sent
        while first < len(messages):
            batch = messages[first : first + MESSAGES_PER_REQUEST]
            try:
                if not (first == 0 and token and await self._reply(api, token, batch)):
                    await self._push(api, user_id, batch, _retry_key(turn_key, first))
            except DeliveryError:
                # Always noted: the stored flag says "unclear" from the start (the inbox sets
                # it with the replies, for a crash mid-call), and a refusal here must undo it.
                if turn is not None:
                    unclear = token is not None and token.unclear
                    await turn.note(SendProgress(first, reply_unclear=unclear))
                raise
            first += len(batch)
            metrics.for_channel(Channel.LINE).replies_sent.inc(len(batch))
            if turn is not None and first < len(messages):
                await turn.note(SendProgress(first))

    async def _push(
        self, api: AsyncMessagingApi, user_id: str, batch: list[Any], retry_key: str
    ) -> None:
        push = functools.partial(
            api.push_message,
            PushMessageRequest(to=user_id, messages=batch),
            x_line_retry_key=retry_key,
            _request_timeout=self._timeout,
        )
        await call_line(push, self._policy)  # a 409 (the key accepted before) is success

    async def _reply(self, api: AsyncMessagingApi, token: _ReplyToken, batch: list[Any]) -> bool:
        """True when the batch went out with the token; False when the token was refused
        (used or expired) and never used by us: push instead."""
        request = ReplyMessageRequest(replyToken=token.value, messages=batch)

        async def attempt() -> object:
            try:
                return await api.reply_message(request, _request_timeout=self._timeout)
            except ApiException as exc:
                token.unclear = token.unclear or (exc.status or 0) >= 500
                raise
            except (aiohttp.ClientError, TimeoutError):
                token.unclear = True
                raise

        try:
            await call_line(attempt, self._policy)
        except PermanentDeliveryError as exc:
            if exc.unreachable:
                raise
            if token.unclear:
                logger.info("reply token refused after an unclear try: that try went out")
                return True
            logger.info("reply token refused, pushing instead: %s", exc)
            return False
        return True

    async def multicast(self, user_ids: Sequence[str], text: str, retry_key: str) -> None:
        """One outbox batch, tried once with its stored retry key; 409 counts as sent. LINE
        refusing it with 400 (all or nothing: one malformed user id is enough) raises
        BatchRefusedError when there are several recipients: the caller pushes to each."""
        if not 1 <= len(user_ids) <= MULTICAST_LIMIT:
            raise ValueError(f"a multicast takes 1 to {MULTICAST_LIMIT} user ids")
        api = self._require_api()
        request = MulticastRequest(to=list(user_ids), messages=_notice_messages(text))

        async def attempt() -> object:
            try:
                return await api.multicast(
                    request, x_line_retry_key=retry_key, _request_timeout=self._timeout
                )
            except ApiException as exc:
                if exc.status == 400 and len(user_ids) > 1:
                    raise BatchRefusedError(f"LINE answered 400: {exc.body!r}") from exc
                raise

        await call_line(attempt, SINGLE_ATTEMPT)

    async def push_text(self, user_id: str, text: str, retry_key: str) -> None:
        """One notice to one resident, tried once with `retry_key`; 409 counts as sent, a 400
        (a malformed user id) is a PermanentDeliveryError, a block unreachable."""
        request = PushMessageRequest(to=user_id, messages=_notice_messages(text))
        call = functools.partial(
            self._require_api().push_message,
            request,
            x_line_retry_key=retry_key,
            _request_timeout=self._timeout,
        )
        await call_line(call, SINGLE_ATTEMPT)

    async def quota(self) -> tuple[int | None, int]:
        """(monthly limit or None when unlimited, messages used this month)."""
        api = self._require_api()
        limit = await call_line(api.get_message_quota, self._policy)
        used = await call_line(api.get_message_quota_consumption, self._policy)
        assert limit is not None and used is not None
        monthly = limit.value if limit.type == "limited" else None
        metrics.set_line_quota(monthly, used.total_usage)
        return monthly, used.total_usage

    async def replace_rich_menu(
        self, body: dict[str, Any], image_png: bytes, data_api_base: str, name_prefix: str
    ) -> str:
        """Create the menu, upload its picture, make it the default, then delete the menus
        named with `name_prefix` it replaces (so residents never see a menu without a picture).
        Returns the new menu's id."""
        api = self._require_api()
        old = await call_line(api.get_rich_menu_list, self._policy)
        old_ids = [
            m.rich_menu_id
            for m in (old.richmenus if old else [])
            if m.name.startswith(name_prefix)
        ]
        created = await call_line(
            functools.partial(api.create_rich_menu, RichMenuRequest.from_dict(body)), self._policy
        )
        assert created is not None
        menu_id = created.rich_menu_id
        # The SDK's blob client always calls api-data.line.me, so the upload is plain HTTP here:
        # that keeps it pointable at a test server like every other call.
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{data_api_base.rstrip('/')}/v2/bot/richmenu/{menu_id}/content",
                data=image_png,
                headers={
                    "Authorization": f"Bearer {self._configuration.access_token}",
                    "Content-Type": "image/png",
                },
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response,
        ):
            if response.status != 200:
                detail = await response.text()
                await call_line(functools.partial(api.delete_rich_menu, menu_id), self._policy)
                raise PermanentDeliveryError(f"LINE refused the menu image: {detail[:200]}")
        await call_line(functools.partial(api.set_default_rich_menu, menu_id), self._policy)
        for old_id in old_ids:
            await call_line(functools.partial(api.delete_rich_menu, old_id), self._policy)
        return menu_id

    def _require_api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineChannel.start() was not called")
        return self._api
