"""Neutral message types: what a channel adapter produces and what handlers answer with."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.attachments import Ask, Attachment

# A choice must fit both a Telegram callback (64 bytes) and a LINE postback (300 characters),
# and a reply's choices must fit LINE's quick reply (13 items).
MAX_CHOICE_DATA_BYTES = 64
MAX_CHOICES = 13
# Cards fit a LINE carousel (12 bubbles) and a card's buttons a Flex footer row.
MAX_CARDS = 10
MAX_CARD_CHOICES = 3


class Channel(StrEnum):
    WEB = "web"
    CONSOLE = "console"
    TELEGRAM = "telegram"
    LINE = "line"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One thing a resident said or tapped, whatever the platform.

    Exactly one of `text` (typed) and `data` (a tapped choice) is normally set; a photo, place
    or file comes as `attachments` (with its caption, if any, as `text`). Nothing at all means
    the platform delivered something we cannot read (a sticker, a video, junk).
    """

    channel: Channel
    user_id: str
    text: str | None = None
    data: str | None = None
    language_hint: str | None = None
    # Where the request came from, when an outsider could repeat it cheaply from one place (the
    # web chat): the socket's address, or a trusted proxy's X-Forwarded-For. None on platforms.
    client_address: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: what the resident sees and the short data that comes back when tapped."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a choice needs a label")
        size = len(self.data.encode("utf-8"))
        if not 0 < size <= MAX_CHOICE_DATA_BYTES:
            raise ValueError(
                f"choice data is 1 to {MAX_CHOICE_DATA_BYTES} bytes, not {size}: {self.data!r}"
            )


@dataclass(frozen=True, slots=True)
class BarChart:
    """Counts to draw as a picture (poll results). The picture is drawn by the channel; `alt`
    says the same in words, for screen readers and for channels that show no pictures."""

    title: str
    bars: tuple[tuple[str, int], ...]
    alt: str


@dataclass(frozen=True, slots=True)
class Card:
    """One item of a list (an event): a title, a few lines, and its own buttons."""

    title: str
    lines: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()

    def __post_init__(self) -> None:
        if len(self.choices) > MAX_CARD_CHOICES:
            raise ValueError(f"a card has at most {MAX_CARD_CHOICES} choices")

    def plain_text(self) -> str:
        return "\n".join((self.title, *self.lines))


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: text, optionally followed by cards and choices, and a chart where one helps.

    With cards, `text` is their heading; `plain_text` says everything for channels (and
    LINE's altText) that show no cards.
    """

    text: str
    choices: tuple[Choice, ...] = field(default=())
    chart: BarChart | None = None
    cards: tuple[Card, ...] = field(default=())
    # Buttons asking for a photo or a place (bot.core.attachments.Ask); they share the choices'
    # room (LINE's quick reply holds 13 items).
    asks: tuple[Ask, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.choices) + len(self.asks) > MAX_CHOICES:
            raise ValueError(
                f"a reply has at most {MAX_CHOICES} choices and asks, "
                f"got {len(self.choices) + len(self.asks)}"
            )
        if len(self.cards) > MAX_CARDS:
            raise ValueError(f"a reply has at most {MAX_CARDS} cards, got {len(self.cards)}")

    @property
    def plain_text(self) -> str:
        return "\n\n".join((self.text, *(card.plain_text() for card in self.cards)))

    @property
    def all_choices(self) -> tuple[Choice, ...]:
        """The cards' buttons, then the reply's, for channels that show one row of buttons."""
        return (*(c for card in self.cards for c in card.choices), *self.choices)
