"""Files the fake platforms serve (a resident's photo or document), streamed in chunks so a
test can see how much a capped download really took."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import StreamingResponse

CHUNK = 64 * 1024


@dataclass
class HostedFile:
    """`data`, or (for sizes a test should not hold in memory) `size` zero bytes."""

    data: bytes | None = None
    size: int = 0
    # Bytes streamed to a client still connected, over every download. (Once the client is
    # gone the server drops what is sent, so this stops short of the size.)
    served: int = 0
    # Send only this many bytes after declaring the whole size in Content-Length: a client
    # that reads the body gets a broken download, one that believes the header reads nothing.
    cut_after: int | None = None

    def __post_init__(self) -> None:
        if self.data is not None:
            self.size = len(self.data)

    def response(
        self, request: Request, media_type: str, send_length: bool = True
    ) -> StreamingResponse:
        """The file as one download; without `send_length`, chunked with no Content-Length,
        so only the client's own count can stop it."""
        headers = {"content-length": str(self.size)} if send_length else {}
        return StreamingResponse(self._chunks(request), media_type=media_type, headers=headers)

    async def _chunks(self, request: Request) -> AsyncIterator[bytes]:
        end_of_body = self.size if self.cut_after is None else min(self.size, self.cut_after)
        for start in range(0, end_of_body, CHUNK):
            if await request.is_disconnected():
                return
            end = min(start + CHUNK, end_of_body)
            chunk = self.data[start:end] if self.data is not None else bytes(end - start)
            self.served += len(chunk)
            yield chunk
