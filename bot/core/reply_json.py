"""Replies as JSON: a turn's answer is stored with its inbox event until it is sent."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from bot.core.messages import Reply

# pydantic reads the dataclasses' own fields: a field added to Reply, Card or Choice is kept.
_REPLIES = TypeAdapter(list[Reply])


def dump_replies(replies: Sequence[Reply]) -> str:
    return _REPLIES.dump_json(list(replies)).decode("utf-8")


def load_replies(text: str | bytes) -> list[Reply]:
    return _REPLIES.validate_json(text)
