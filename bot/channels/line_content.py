"""LINE images, files and locations as neutral attachments; bytes fetched only when asked.

A LINE webhook carries only a message id for an image or file; the bytes come from
`GET {data host}/v2/bot/message/{id}/content` and LINE keeps them only for a while. The call
is plain HTTP with a capped streaming download, not the SDK's
`AsyncMessagingApiBlob.get_message_content`: that reads any size into memory and its host is
fixed to api-data.line.me, so no test could point it at a fake.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any
from urllib.parse import quote

from bot.channels.downloads import DOWNLOADS_AT_ONCE, download_capped
from bot.core import Attachment, Location
from bot.core.attachments import Fetch
from bot.errors import AttachmentUnavailableError

DATA_API_BASE = "https://api-data.line.me"


class LineContent:
    """Makes the lazy fetches of message content for one LINE channel."""

    def __init__(self, data_api_base: str, access_token: str, timeout: float) -> None:
        self._base = data_api_base.rstrip("/")
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = timeout
        self._downloads = asyncio.Semaphore(DOWNLOADS_AT_ONCE)

    def fetcher(self, message_id: str) -> Fetch:
        return functools.partial(self.download, message_id)

    async def download(self, message_id: str, max_bytes: int) -> bytes:
        url = f"{self._base}/v2/bot/message/{quote(message_id, safe='')}/content"
        async with self._downloads:
            return await download_capped(url, max_bytes, self._headers, self._timeout)


async def _external(max_bytes: int) -> bytes:
    # An image sent from a LIFF app lives on someone else's server (`originalContentUrl`);
    # fetching an address a message names is not something the bot does for anyone.
    raise AttachmentUnavailableError("this image is not kept by LINE")


async def _no_client(max_bytes: int) -> bytes:
    raise AttachmentUnavailableError("this event was read without a LINE client")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def attachments_of(message: dict[str, Any], content: LineContent | None) -> tuple[Attachment, ...]:
    """The image, file or location of a LINE message event's `message` object; () for text,
    stickers, video, audio and anything not shaped as LINE sends it."""
    kind, message_id = message.get("type"), message.get("id")
    if kind == "location":
        latitude, longitude = _number(message.get("latitude")), _number(message.get("longitude"))
        if latitude is None or longitude is None:
            return ()
        try:
            place = Location(
                latitude, longitude, _text(message.get("title")), _text(message.get("address"))
            )
        except ValueError:
            return ()
        return (Attachment.place(place),)
    if kind not in ("image", "file") or not isinstance(message_id, str) or not message_id:
        return ()
    provider_part = message.get("contentProvider")
    provider = provider_part.get("type", "line") if isinstance(provider_part, dict) else "line"
    if provider != "line":
        fetch: Fetch = _external
    else:
        fetch = content.fetcher(message_id) if content is not None else _no_client
    if kind == "image":
        return (Attachment.photo(fetch),)
    size = message.get("fileSize")
    declared = size if isinstance(size, int) and not isinstance(size, bool) else None
    return (Attachment.file(fetch, name=_text(message.get("fileName")), size=declared),)
