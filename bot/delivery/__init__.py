"""Getting messages to platforms: retries now; the outbox and rate limits come with broadcasts."""

from bot.delivery.retry import RetryPolicy, send_with_retries

__all__ = ["RetryPolicy", "send_with_retries"]
