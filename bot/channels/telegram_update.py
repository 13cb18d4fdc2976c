"""The few fields of a Telegram Update that chiiki reads, checked by pydantic.

PTB's `Update.de_json` builds an object for every part of an update (entities, photos, the
chat's whole description) and checks none of their types; under load that was a sixth of the
webhook's CPU (measured). These models read only what a conversation needs, in strict mode: a
field of the wrong type makes the update unreadable, never a half-read message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot import core
from bot.channels.base import ChannelEvent, StateChange
from bot.channels.telegram_files import FileOffer, unavailable_fetcher
from bot.core import Attachment, Channel, IncomingMessage
from bot.core.attachments import Fetch

# Makes the lazy fetch of a file Telegram offers (TelegramFiles.fetcher, bound to our bot).
FileFetchers = Callable[[Sequence[FileOffer]], Fetch]
# Documents of these types are photos sent uncompressed: they reach handlers as photos (what
# the bytes really are is checked when read, bot/images.py).
PHOTO_DOCUMENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)  # extra fields are ignored


class User(_Part):
    id: int
    is_bot: bool = False
    language_code: str | None = None


class Chat(_Part):
    id: int
    type: str


class PhotoSize(_Part):
    file_id: str
    file_size: int | None = None


class Document(_Part):
    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class Location(_Part):
    latitude: float
    longitude: float


class Venue(_Part):
    location: Location
    title: str
    address: str


class Message(_Part):
    chat: Chat
    sender: User | None = Field(default=None, alias="from")
    text: str | None = None
    caption: str | None = None  # a photo's or document's words
    photo: list[PhotoSize] | None = None  # one photo in several sizes, the largest last
    document: Document | None = None
    location: Location | None = None
    venue: Venue | None = None  # a named place; its message carries `location` too

    def attachments(self, fetchers: FileFetchers) -> tuple[Attachment, ...]:
        """The photo, document or place of this message as neutral attachments."""
        if self.photo:
            offers = [(size.file_id, size.file_size) for size in self.photo]
            return (Attachment.photo(fetchers(offers), "image/jpeg", self.photo[-1].file_size),)
        if self.document is not None:
            doc = self.document
            fetch = fetchers([(doc.file_id, doc.file_size)])
            if doc.mime_type in PHOTO_DOCUMENT_TYPES:
                return (Attachment.photo(fetch, doc.mime_type, doc.file_size),)
            return (Attachment.file(fetch, doc.mime_type, doc.file_name, doc.file_size),)
        point = self.venue.location if self.venue is not None else self.location
        if point is None:
            return ()
        try:
            place = core.Location(
                point.latitude,
                point.longitude,
                self.venue.title if self.venue else None,
                self.venue.address if self.venue else None,
            )
        except ValueError:  # not a place on Earth: not Telegram's
            return ()
        return (Attachment.place(place),)


class CallbackQuery(_Part):
    id: str
    sender: User = Field(alias="from")
    data: str | None = None
    message: Message | None = None  # absent for buttons under inline-mode messages


class ChatMember(_Part):
    status: str


class ChatMemberUpdated(_Part):
    chat: Chat
    sender: User = Field(alias="from")
    new_chat_member: ChatMember


class Update(_Part):
    update_id: int
    message: Message | None = None
    callback_query: CallbackQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None

    @property
    def blocked_by(self) -> int | None:
        """The user who blocked the bot, when that is what this update says. Only in their
        own chat: removing the bot from a group (kicked or left there) blocks nothing."""
        member = self.my_chat_member
        if (
            member is not None
            and member.chat.type == "private"
            and member.new_chat_member.status == "kicked"
        ):
            return member.sender.id
        return None


@dataclass(frozen=True, slots=True)
class TelegramAddress:
    chat_id: int


def read_update(
    payload: dict[str, Any], fetchers: FileFetchers = unavailable_fetcher
) -> ChannelEvent[TelegramAddress] | None:
    """The event in one update, parsed once; None without an integer update_id. An update
    not shaped like anything Telegram sends is an event with nothing to answer. `fetchers`
    makes the lazy download of a photo or document (TelegramFiles.fetcher)."""
    try:
        update = Update.model_validate(payload)
    except ValidationError:
        update_id = payload.get("update_id")
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            return None  # JSON's true is an int to Python
        return ChannelEvent(str(update_id))
    event_id = str(update.update_id)
    query, message = update.callback_query, update.message
    press_id = query.id if query is not None else None
    if update.my_chat_member is not None:
        sender = str(update.my_chat_member.sender.id)
        if update.blocked_by is not None:
            return ChannelEvent(event_id, sender, change=StateChange.UNREACHABLE)
        return ChannelEvent(event_id, sender)
    attachments: tuple[Attachment, ...] = ()
    if query is not None:
        user, chat = query.sender, query.message.chat if query.message is not None else None
        text, data = None, query.data or ""
    elif message is not None and message.sender is not None:
        user, chat, data = message.sender, message.chat, None
        text = message.text if message.text is not None else message.caption
        attachments = message.attachments(fetchers)
    else:
        return ChannelEvent(event_id)
    sender = str(user.id)
    # Only what a resident sends us in a private chat is a conversation (not groups, channels,
    # other bots, or buttons under inline-mode messages).
    if chat is None or user.is_bot or chat.type != "private":
        return ChannelEvent(event_id, sender, press_id=press_id)
    incoming = IncomingMessage(
        Channel.TELEGRAM,
        sender,
        text=text,
        data=data,
        language_hint=user.language_code,
        attachments=attachments,
    )
    return ChannelEvent(
        event_id, sender, incoming, address=TelegramAddress(chat.id), press_id=press_id
    )
