"""What a resident sent besides words: a photo, a place, a file, whatever the platform.

A photo or file is not downloaded when the message arrives: `Attachment.fetch(max_bytes)` asks
the channel for the bytes only when a handler wants them, refusing anything over the cap the
handler gives (without reading it all), so nothing is downloaded or kept that no flow uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

# The Bot API downloads at most 20 MB; no flow of ours wants more than a phone's photo.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# What `fetch()` takes when the handler names no cap: a phone's photo, with room to spare.
DEFAULT_FETCH_BYTES = 10 * 1024 * 1024

# The channel's download: takes the cap in bytes, returns the bytes or raises
# AttachmentTooLargeError / AttachmentUnavailableError (bot.errors).
Fetch = Callable[[int], Awaitable[bytes]]


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    LOCATION = "location"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Location:
    """A place a resident shared (a map pin): WGS84 degrees, and the place's name and address
    when the platform gives them (LINE always, Telegram for a venue)."""

    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError(f"not a place on Earth: {self.latitude}, {self.longitude}")


# What a reply may ask for with a button of its own.
ASKABLE = frozenset({"photo", "location"})


@dataclass(frozen=True, slots=True)
class Ask:
    """A button in a reply that asks the resident for a photo or their place: LINE shows its
    camera roll or map picker (a quick reply item), the web chat a photo picker. Telegram has
    no such inline button; its paperclip sends both."""

    kind: AttachmentKind
    label: str

    def __post_init__(self) -> None:
        if self.kind not in ASKABLE:
            raise ValueError(f"a reply can ask for a photo or a location, not a {self.kind}")
        if not self.label:
            raise ValueError("an ask needs a label")


@dataclass(frozen=True, slots=True)
class Attachment:
    """One photo, place or file in a message.

    `location` is set for a place; a photo or file has `fetch()` instead. `media_type`, `name`
    and `size` are what the platform declared (or None): a hint, never proof; read the bytes
    (bot/images.py) before trusting what they are.
    """

    kind: AttachmentKind
    location: Location | None = None
    media_type: str | None = None
    name: str | None = None
    size: int | None = None
    _fetch: Fetch | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.kind is AttachmentKind.LOCATION) != (self.location is not None):
            raise ValueError("a location attachment, and only one, carries a location")
        if self.kind is not AttachmentKind.LOCATION and self._fetch is None:
            raise ValueError(f"a {self.kind} attachment needs a fetch")

    @classmethod
    def place(cls, location: Location) -> Attachment:
        return cls(AttachmentKind.LOCATION, location=location)

    @classmethod
    def photo(
        cls, fetch: Fetch, media_type: str | None = None, size: int | None = None
    ) -> Attachment:
        return cls(AttachmentKind.PHOTO, media_type=media_type, size=size, _fetch=fetch)

    @classmethod
    def file(
        cls,
        fetch: Fetch,
        media_type: str | None = None,
        name: str | None = None,
        size: int | None = None,
    ) -> Attachment:
        return cls(AttachmentKind.FILE, media_type=media_type, name=name, size=size, _fetch=fetch)

    async def fetch(self, max_bytes: int = DEFAULT_FETCH_BYTES) -> bytes:
        """The photo's or file's bytes, downloaded now, at most `max_bytes` of them.

        Raises AttachmentTooLargeError (bot.errors) when it is larger, having read at most
        `max_bytes`, and AttachmentUnavailableError when the platform no longer has it or
        failed. Every call downloads again: keep the bytes if you need them twice.
        """
        if self._fetch is None:
            raise TypeError("a location has nothing to fetch")
        if not 0 < max_bytes <= MAX_ATTACHMENT_BYTES:
            raise ValueError(f"max_bytes is 1 to {MAX_ATTACHMENT_BYTES}, not {max_bytes}")
        return await self._fetch(max_bytes)
