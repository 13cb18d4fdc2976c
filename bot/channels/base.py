"""A platform channel is an adapter with two narrow jobs: read an event, send replies.

`read` turns one platform event (the payload the inbox stores) into a `ChannelEvent`, parsing
it once with the adapter's own strict models; `send` delivers a turn's replies to the address
the event gave. Everything between (the resident, the dispatcher, the database) belongs to the
pipeline (bot/pipeline.py), so an adapter imports only its SDK, bot.core and the delivery
interface (tests/test_architecture.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from bot.core import BarChart, Channel, IncomingMessage, Reply

AddressT = TypeVar("AddressT")


class StateChange(StrEnum):
    """What an event says about the resident rather than to chiiki."""

    FOLLOWED = "followed"  # added (LINE follow, also after an unblock): greeted with the welcome
    UNREACHABLE = "unreachable"  # blocked (Telegram) or unfollowed (LINE): nothing more is sent


@dataclass(frozen=True, slots=True)
class ChannelEvent(Generic[AddressT]):
    """One platform event as chiiki sees it, read once from the payload.

    At most one of `message` and `change` is set; neither means there is nothing to answer (a
    group chat, an event kind we do not handle, an update we cannot read).
    """

    event_id: str  # the platform's id for the event: the inbox de-duplicates on it
    # The sender's platform user id: the ordering key (one resident's events are handled one
    # at a time, in order) and what /forget finds their waiting events by.
    sender: str | None = None
    message: IncomingMessage | None = None
    change: StateChange | None = None
    address: AddressT | None = None  # where the replies go; None: nowhere
    sent_at_ms: int | None = None  # when the platform says it happened (ms since the epoch)
    # A button press the platform wants acknowledged (Telegram's callback query id).
    press_id: str | None = None


@dataclass(frozen=True, slots=True)
class SendProgress:
    """How far the send of a turn's replies got, in the channel's own messages (the replies as
    its renderer splits them: on Telegram one per call, on LINE one per message object)."""

    sent: int = 0  # the first `sent` messages were delivered
    # LINE: a call with the reply token may have gone out unanswered (a timeout, a 5xx, or a
    # crash mid-call). The token is single-use and only we hold it, so LINE refusing it later
    # means that call went out.
    reply_unclear: bool = False


RecordProgress = Callable[[SendProgress], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TurnSend:
    """A turn's send that can be resumed: what earlier attempts delivered, and where to note
    what this one delivers (the inbox keeps it with the event)."""

    key: str  # the turn's stable name (channel and event id): LINE's retry keys derive from it
    done: SendProgress = SendProgress()
    record: RecordProgress | None = None

    async def note(self, progress: SendProgress) -> None:
        if self.record is not None:
            await self.record(progress)


class ChannelAdapter(Protocol[AddressT]):
    channel: Channel

    def read(self, payload: dict[str, Any]) -> ChannelEvent[AddressT] | None:
        """The event in a payload; None when it has no event id (not the platform's)."""

    async def send(
        self, address: AddressT, replies: Sequence[Reply], turn: TurnSend | None = None
    ) -> None:
        """Deliver the replies, from the first message `turn` has not seen delivered, noting
        progress as messages go out (after each call that leaves more to send). Raises
        RetryableDeliveryError or PermanentDeliveryError (bot/errors.py); `unreachable` on the
        latter when the resident blocked us."""


class ChartPictures(Protocol):
    """The charts a channel shows with its replies (bot/charts.py's ChartPublisher)."""

    async def png(self, chart: BarChart) -> bytes:
        """The picture, for a channel that uploads it (Telegram)."""

    async def public_url(self, chart: BarChart, requester: str) -> str | None:
        """An HTTPS address the platform fetches the picture from (LINE), or None."""
