"""One conversation pipeline for every channel: read → dispatch → send.

A platform event (LINE, Telegram) comes from the inbox (bot/inbound.py), which stores it, reads
it with its channel's adapter (bot/channels/base.py) and hands the `ChannelEvent` here:
`answer` takes the turn it asks for (a state change, or the dispatcher's replies to a message)
and `deliver` sends the replies with the adapter. The inbox stores the replies between the two,
so a failed send is tried again as a send, never by taking the turn again, and keeps how many
messages went out, so the retry starts at the first one that did not.

The web chat and the console have a synchronous send (they show what the turn returns): they
call `converse`, the same turn with its counting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import metrics
from bot.channels.base import ChannelAdapter, ChannelEvent, StateChange, TurnSend
from bot.core import Channel, IncomingMessage, Reply
from bot.core.choices import COMMAND_CHOICE, encode_choice
from bot.core.commands import WELCOME
from bot.errors import PermanentDeliveryError

logger = logging.getLogger(__name__)

# Answers a resident's message: the dispatcher.
HandleMessage = Callable[[IncomingMessage], Awaitable[list[Reply]]]
# Told when the platform says a resident cannot be reached (blocked, unfollowed).
MarkUnreachable = Callable[[Channel, str], Awaitable[None]]
# What a follow (an add, or an unblock) says: the welcome, then the district question if any.
FOLLOW_CHOICE = encode_choice(COMMAND_CHOICE, WELCOME.name)


class Pipeline:
    def __init__(self, handle: HandleMessage, mark_unreachable: MarkUnreachable) -> None:
        self._handle = handle
        self._mark_unreachable = mark_unreachable

    async def turn(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message (the dispatcher: it never raises for bad input)."""
        return await self._handle(message)

    async def converse(self, message: IncomingMessage) -> list[Reply]:
        """A turn of a channel that shows its replies itself (web chat, console), counted
        like a platform event in /metrics."""
        counted = metrics.for_channel(message.channel)
        counted.received.inc()
        started = time.perf_counter()
        replies = await self.turn(message)
        counted.handling_seconds.observe(time.perf_counter() - started)
        counted.handled.inc()
        counted.replies_sent.inc(len(replies))
        return replies

    async def answer(self, channel: Channel, event: ChannelEvent[Any]) -> list[Reply]:
        """The turn a platform event asks for: the replies to send (none for a state change
        that needs no answer, or an event with nothing to answer)."""
        if event.change is StateChange.UNREACHABLE and event.sender is not None:
            await self._unreachable(channel, event.sender)
            return []
        message = event.message
        if event.change is StateChange.FOLLOWED and event.sender is not None:
            message = IncomingMessage(channel, event.sender, data=FOLLOW_CHOICE)
        if message is None or event.address is None:
            return []
        return await self.turn(message)

    async def deliver(
        self,
        adapter: ChannelAdapter[Any],
        event: ChannelEvent[Any],
        replies: Sequence[Reply],
        turn: TurnSend | None = None,
    ) -> None:
        """Send a turn's replies (from where `turn` says earlier attempts stopped); a resident
        who blocked us is marked unreachable instead (the rest is not sent). Any other failure
        is raised: the inbox tries the send again, from the first message not delivered."""
        if not replies or event.address is None:
            return
        try:
            await adapter.send(event.address, replies, turn)
        except PermanentDeliveryError as exc:
            if not exc.unreachable or event.sender is None:
                raise
            await self._unreachable(adapter.channel, event.sender)

    async def _unreachable(self, channel: Channel, user_id: str) -> None:
        logger.info("a %s resident can no longer be reached", channel)
        await self._mark_unreachable(channel, user_id)
