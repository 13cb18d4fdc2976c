"""One retry policy for every send: wait as told on 429, back off on 5xx and timeouts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import RetryableDeliveryError

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt `attempt + 1`: as told, else exponential backoff."""
        if retry_after is not None:
            return retry_after
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


async def send_with_retries(
    send: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Call `send` until it succeeds, a permanent error is raised, or attempts run out.

    `send` must raise RetryableDeliveryError for what is worth retrying; it is called again
    unchanged, so any idempotency key it carries is reused.
    """
    attempt = 1
    while True:
        try:
            return await send()
        except RetryableDeliveryError as exc:
            if attempt >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, exc.retry_after)
            logger.warning("send failed (%s); attempt %d, retrying in %.1fs", exc, attempt, wait)
            await sleep(wait)
            attempt += 1
