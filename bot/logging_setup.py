"""Logging for operators: one format (text, or JSON for machines), noisy libraries kept quiet."""

from __future__ import annotations

import logging

from bot.log_format import JsonFormatter

# httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
_QUIET = ("httpx", "httpcore", "apscheduler", "telegram", "aiosqlite")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log to standard error at `level`, as text lines or (`json`) one JSON object a line."""
    logging.basicConfig(level=level, format=TEXT_FORMAT, force=True)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
