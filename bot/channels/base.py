"""What the inbox needs from a platform channel, and what a channel needs from chiiki."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.core import Channel, IncomingMessage, Reply

# Answers a resident's message: the dispatcher, seen from a channel.
HandleMessage = Callable[[IncomingMessage], Awaitable[list[Reply]]]
# Told when the platform says a resident cannot be reached (blocked, unfollowed).
MarkUnreachable = Callable[[Channel, str], Awaitable[None]]


class PlatformChannel(Protocol):
    channel: Channel

    def ordering_key(self, payload: dict[str, Any]) -> str | None:
        """Events with the same key are handled one at a time, in order (one resident)."""

    async def process(self, payload: dict[str, Any]) -> None:
        """Handle one stored platform event: parse, dispatch, send the replies."""
