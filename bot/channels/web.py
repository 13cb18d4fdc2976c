"""The built-in web chat: JSON in, JSON out, choices as buttons."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core import Channel, IncomingMessage, Reply, split_text

TEXT_LIMIT = 4096
# The browser makes its own id (see static/chat.html); it is opaque and short.
_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class WebRequestError(ValueError):
    """The chat API body is not what the page sends; the message says what to fix."""


def parse_chat_request(body: Any) -> IncomingMessage:
    """Turn `{"user": id, "text": ...}` or `{"user": id, "data": ...}` into an IncomingMessage."""
    if not isinstance(body, dict):
        raise WebRequestError('expected a JSON object like {"user": "abc", "text": "/goals"}')
    user = body.get("user")
    if not isinstance(user, str) or not _USER_ID.match(user):
        raise WebRequestError('"user" must be 1-64 letters, digits, "_" or "-"')
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
        user_id=user,
        text=text,
        data=data or None,
        language_hint=language if isinstance(language, str) else None,
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
            url = (chart_urls or {}).get(number)
            if last and url and reply.chart is not None:
                bubble["image"] = {"url": url, "alt": reply.chart.alt}
            bubbles.append(bubble)
    return {"replies": bubbles}
