"""Downloading a resident's photo or file from a platform, never more than a cap.

Shared by Telegram's file download and LINE's message content. The URL or its headers carry
the bot's token (Telegram puts it in the path), so no error raised here names either. Redirects
are not followed: the platforms serve the bytes themselves, and a redirect would send our
request (from inside the city's network) wherever the answer points, such as 169.254.169.254
or an admin page on localhost.
"""

from __future__ import annotations

import aiohttp

from bot.errors import AttachmentTooLargeError, AttachmentUnavailableError

CHUNK_BYTES = 64 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 30.0
# Downloads one channel runs at once: each may hold its cap (5 MB for a voice's photo) in
# memory, so many residents sending photos together queue instead of adding up.
DOWNLOADS_AT_ONCE = 4


async def download_capped(
    url: str,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
) -> bytes:
    """The body at `url`, refused as soon as it is over `max_bytes`: before reading any of it
    when Content-Length says so, otherwise once that many bytes came in."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status == 404:
                raise AttachmentUnavailableError("the platform no longer has this content")
            if response.status != 200:
                raise AttachmentUnavailableError(f"the platform answered {response.status}")
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                raise AttachmentTooLargeError(max_bytes)
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise AttachmentTooLargeError(max_bytes)
            return bytes(body)
    except (aiohttp.ClientError, TimeoutError) as exc:
        # aiohttp's message names the URL, and with it Telegram's token: not passed on.
        raise AttachmentUnavailableError(f"the download failed ({type(exc).__name__})") from None
