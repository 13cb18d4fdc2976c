"""`chiiki serve`'s uvicorn server, stopping gently on SIGTERM (or Ctrl-C).

uvicorn stops at once on a signal: its listening sockets close, and work in the background
(events being handled, sends in flight) is cut off. Here the first signal drains the runtime
first: webhooks are answered 503 (the platforms deliver them again, to this instance after a
restart or to another), events being handled and sends in flight finish within
CHIIKI_SHUTDOWN_GRACE_SECONDS, claims not started go back at once; then uvicorn stops and the
process exits 0. A second signal stops at once, as uvicorn does.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

logger = logging.getLogger(__name__)

Drain = Callable[[], Awaitable[None]]


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Drain) -> None:
        super().__init__(config)
        self._drain = drain
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is None or self._draining is not None or self.should_exit:
            super().handle_exit(sig, frame)  # a second signal: uvicorn's own, at once
            return
        # Not recorded as uvicorn's captured signal: uvicorn would raise it again at the end,
        # and the process would end by the signal instead of exiting 0.
        self._loop.call_soon_threadsafe(self._begin_draining)

    def _begin_draining(self) -> None:
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain_then_stop())

    async def _drain_then_stop(self) -> None:
        logger.info("stopping: finishing work in hand, then exiting")
        try:
            await self._drain()
        except Exception:
            logger.exception("draining failed; stopping all the same")
        finally:
            self.should_exit = True
