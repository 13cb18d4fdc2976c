"""The few fields of a LINE webhook event that chiiki reads, checked by pydantic.

Like `telegram_update`: small strict models instead of the SDK's (`linebot.v3.webhook`
builds an object for every event kind and part), read once per event. A field of the wrong
type makes the event unreadable (nothing is answered), never a half-read message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.channels.base import ChannelEvent, StateChange
from bot.channels.line_content import LineContent, attachments_of
from bot.core import Channel, IncomingMessage


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)  # extra fields are ignored


class Source(_Part):
    type: str
    userId: str | None = None  # LINE's names, as sent


class Message(_Part):
    type: str
    text: str | None = None


class Postback(_Part):
    data: str = ""


class Event(_Part):
    webhookEventId: str
    type: str
    timestamp: int | None = None
    source: Source | None = None
    replyToken: str | None = None
    message: Message | None = None
    postback: Postback | None = None


@dataclass(frozen=True, slots=True)
class LineAddress:
    """A resident, and the event's reply token (free to use within a minute of `sent_at_ms`)."""

    user_id: str
    reply_token: str | None = None
    sent_at_ms: int | None = None


def read_event(
    payload: dict[str, Any], content: LineContent | None = None
) -> ChannelEvent[LineAddress] | None:
    """The event in one webhook event object, parsed once; None without a webhookEventId.
    `content` fetches an image's or file's bytes when a handler asks."""
    try:
        event = Event.model_validate(payload)
    except ValidationError:
        event_id = payload.get("webhookEventId")
        return ChannelEvent(event_id) if isinstance(event_id, str) else None
    source = event.source
    user_id = source.userId if source is not None else None
    sent_at = event.timestamp
    if source is None or source.type != "user" or user_id is None:
        # Groups and rooms are not conversations with one resident.
        return ChannelEvent(event.webhookEventId, user_id, sent_at_ms=sent_at)
    address = LineAddress(user_id, event.replyToken, sent_at)
    message: IncomingMessage | None = None
    change: StateChange | None = None
    if event.type == "follow":
        change = StateChange.FOLLOWED
    elif event.type == "unfollow":
        change, address = StateChange.UNREACHABLE, None
    elif event.type == "postback":
        data = event.postback.data if event.postback is not None else ""
        message = IncomingMessage(Channel.LINE, user_id, data=data)
    elif event.type == "message":
        kind = event.message.type if event.message is not None else None
        text = event.message.text if event.message is not None and kind == "text" else None
        # Attachments are read from the message object by line_content (validated here).
        raw = payload["message"] if event.message is not None else {}
        attachments = attachments_of(raw, content)
        message = IncomingMessage(Channel.LINE, user_id, text=text, attachments=attachments)
    else:
        address = None  # nothing to answer
    return ChannelEvent(
        event.webhookEventId, user_id, message, change, address, sent_at_ms=sent_at
    )


def read_body(
    body: Any, content: LineContent | None = None
) -> list[tuple[dict[str, Any], ChannelEvent[LineAddress]]]:
    """Each event object of a webhook body with its event; ValueError when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise ValueError('expected {"destination": ..., "events": [...]}')
    read = []
    for payload in body["events"]:
        event = read_event(payload, content) if isinstance(payload, dict) else None
        if event is None:
            raise ValueError("every event needs a webhookEventId")
        read.append((payload, event))
    return read
