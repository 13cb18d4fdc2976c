"""Logging for operators: one format, and the noisy libraries kept quiet."""

from __future__ import annotations

import logging

# httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
_QUIET = ("httpx", "httpcore", "apscheduler", "telegram", "aiosqlite")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
