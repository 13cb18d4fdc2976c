"""Telegram photos and documents, downloaded only when a handler asks (`Attachment.fetch`).

getFile (PTB's `Bot.get_file`) names the file's path and usually its size; the bytes come
from the file URL, which holds the bot's token, with a capped streaming download: PTB's
`File.download_as_bytearray` would read any size into memory. The Bot API serves files up
to 20 MB and refuses larger ones in getFile ("file is too big").
"""

from __future__ import annotations

import asyncio
import functools
import posixpath
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.channels.downloads import DOWNLOADS_AT_ONCE, download_capped
from bot.core.attachments import Fetch
from bot.errors import AttachmentTooLargeError, AttachmentUnavailableError

BOT_API_DOWNLOAD_BYTES = 20 * 1024 * 1024

# One file as Telegram offers it: (file_id, file_size when Telegram told).
FileOffer = tuple[str, int | None]


def file_base_url(api_base: str) -> str:
    """Where files are downloaded, next to the API: https://api.telegram.org/bot becomes
    https://api.telegram.org/file/bot (a fake's http://127.0.0.1:PORT/bot the same way)."""
    root, sep, tail = api_base.rstrip("/").rpartition("/")
    if not sep or tail != "bot":
        raise ValueError(f"a Telegram API base ends in /bot, not {api_base!r}")
    return f"{root}/file/bot"


class TelegramFiles:
    """Makes the lazy fetches of one bot's files."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._downloads = asyncio.Semaphore(DOWNLOADS_AT_ONCE)

    def fetcher(self, offers: Sequence[FileOffer]) -> Fetch:
        """A fetch of the largest of `offers` (a photo's sizes, smallest first, or one
        document) that fits the cap a handler gives."""
        return functools.partial(self.download, tuple(offers))

    async def download(self, offers: tuple[FileOffer, ...], max_bytes: int) -> bytes:
        fitting = [o for o in offers if o[1] is None or o[1] <= max_bytes]
        if not fitting:
            raise AttachmentTooLargeError(max_bytes)
        file_id = fitting[-1][0]
        try:
            file = await self._bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise AttachmentTooLargeError(min(max_bytes, BOT_API_DOWNLOAD_BYTES)) from None
            raise AttachmentUnavailableError(f"getFile refused the file: {exc}") from None
        except TelegramError as exc:
            raise AttachmentUnavailableError(f"getFile failed: {type(exc).__name__}") from None
        if file.file_size is not None and file.file_size > max_bytes:
            raise AttachmentTooLargeError(max_bytes)
        if not file.file_path:
            raise AttachmentUnavailableError("Telegram gave no path for this file")
        url = checked_file_url(file.file_path, self._bot.base_file_url)
        async with self._downloads:
            return await download_capped(url, max_bytes)


def checked_file_url(file_url: str, base_file_url: str) -> str:
    """`file_url` when it names a file under the bot's file URL, else AttachmentUnavailableError.

    PTB builds it as base + "/" + getFile's file_path, but keeps a file_path that happens to
    name a file on this machine as it is ("/etc/passwd"), and a path with "../" would climb out
    of /file/bot<token>/ to any method of the Bot API: only a plain relative path passes.
    """
    prefix = base_file_url.rstrip("/") + "/"
    path = file_url.removeprefix(prefix) if file_url.startswith(prefix) else None
    if path is None or not path or urlsplit(file_url).query or "#" in file_url:
        raise AttachmentUnavailableError("Telegram gave a file path outside its file URL")
    decoded = unquote(path)
    if (
        "\\" in decoded
        or decoded.startswith("/")
        or any(part in ("", ".", "..") for part in decoded.split("/"))
        or posixpath.normpath(decoded) != decoded
    ):
        raise AttachmentUnavailableError("Telegram gave a file path outside its file URL")
    return file_url


def unavailable_fetcher(offers: Sequence[FileOffer]) -> Fetch:
    """For updates read without a bot (parsing alone): every fetch says so."""

    async def fetch(max_bytes: int) -> bytes:
        raise AttachmentUnavailableError("this update was read without a Telegram bot")

    return fetch
