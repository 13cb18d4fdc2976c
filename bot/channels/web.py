"""The built-in web chat: JSON in, JSON out, choices as buttons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core import Attachment, Channel, IncomingMessage, Reply, split_text
from bot.errors import AttachmentTooLargeError

TEXT_LIMIT = 4096


class WebRequestError(ValueError):
    """The chat API body is not what the page sends; the message says what to fix."""


def parse_chat_request(
    body: Any, user_id: str, client_address: str | None = None
) -> IncomingMessage:
    """Turn `{"text": ...}` or `{"data": ...}` from the resident `user_id` into an
    IncomingMessage. The identity comes from the server's cookie (bot/web/identity.py): a
    posted "user" field is ignored, since a client could name anyone there."""
    if not isinstance(body, dict):
        raise WebRequestError('expected a JSON object like {"text": "/goals"}')
    text, data = body.get("text"), body.get("data")
    if text is not None and not isinstance(text, str):
        raise WebRequestError('"text" must be a string')
    if data is not None and not isinstance(data, str):
        raise WebRequestError('"data" must be a string')
    if text is None and data is None:
        raise WebRequestError('send "text" or "data"')
    language = body.get("language")
    return IncomingMessage(
        channel=Channel.WEB,
        user_id=user_id,
        text=text,
        data=data or None,
        language_hint=language if isinstance(language, str) else None,
        client_address=client_address,
    )


def photo_message(
    data: bytes,
    media_type: str,
    user_id: str,
    client_address: str | None = None,
    language_hint: str | None = None,
) -> IncomingMessage:
    """A photo the resident uploaded (already checked: its real type is `media_type`) as a
    message with one attachment, held in memory for this turn only."""

    async def fetch(max_bytes: int) -> bytes:
        if len(data) > max_bytes:
            raise AttachmentTooLargeError(max_bytes)
        return data

    return IncomingMessage(
        channel=Channel.WEB,
        user_id=user_id,
        language_hint=language_hint,
        client_address=client_address,
        attachments=(Attachment.photo(fetch, media_type, len(data)),),
    )


def render_replies(
    replies: list[Reply], chart_urls: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The JSON the page renders: one bubble per text part, buttons under the last one, and
    a reply's chart (`chart_urls` by the reply's index) as a picture with its words as alt."""
    bubbles: list[dict[str, Any]] = []
    for number, reply in enumerate(replies):
        parts = split_text(reply.text, TEXT_LIMIT)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            choices = reply.choices if last else ()
            bubble: dict[str, Any] = {
                "text": part,
                "choices": [{"label": c.label, "data": c.data} for c in choices],
            }
            if last and reply.cards:
                bubble["cards"] = [
                    {
                        "title": card.title,
                        "lines": list(card.lines),
                        "choices": [{"label": c.label, "data": c.data} for c in card.choices],
                    }
                    for card in reply.cards
                ]
            if last and reply.asks:
                bubble["asks"] = [{"kind": ask.kind, "label": ask.label} for ask in reply.asks]
            url = (chart_urls or {}).get(number)
            if last and url and reply.chart is not None:
                bubble["image"] = {"url": url, "alt": reply.chart.alt}
            bubbles.append(bubble)
    return {"replies": bubbles}
