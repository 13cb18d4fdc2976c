"""Logging for operators: one format (text, or JSON for machines), noisy libraries kept quiet,
and no configured secret in any line."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

from bot.config import Settings
from bot.log_format import JsonFormatter

# httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
_QUIET = ("httpx", "httpcore", "apscheduler", "telegram", "aiosqlite")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# Shorter values would blank out ordinary words; no real token or secret is that short.
MIN_SECRET_LENGTH = 6


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value (each SecretStr field, so a new one is covered too)."""
    found = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            found.append(value.get_secret_value())
    return found


class SecretScrubber:
    """Replaces secrets with *** in a log record's message and traceback, at the moment the
    record is made, so every handler and formatter gets the scrubbed text. Needed because
    libraries put secrets where we cannot reach: aiohttp's connection timeout names the URL,
    and Telegram's URLs hold the bot token."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants = {
            variant
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            for variant in (secret, quote(secret, safe=""), quote(secret))
        }
        # Longest first, so a secret containing another is masked whole.
        ordered = sorted(variants, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def scrub(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text

    def __call__(self, record: logging.LogRecord) -> logging.LogRecord:
        # A record without a secret is left exactly as it was made (arguments, exc_info).
        if self._pattern is None:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it when the line is written
            return record
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and record.exc_info[0] is not None:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            scrubbed = self.scrub(formatted)
            if scrubbed != formatted:
                # Formatters write exc_text as it stands; without exc_info none formats it again.
                record.exc_text, record.exc_info = scrubbed, None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return record


_base_factory: Callable[..., logging.LogRecord] | None = None


def scrub_secrets(secrets: Iterable[str]) -> None:
    """From now on, every log record made in this process is scrubbed of `secrets` (calling
    again replaces the list)."""
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
    base, scrubber = _base_factory, SecretScrubber(secrets)

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrubber(base(*args, **kwargs))

    logging.setLogRecordFactory(make_record)


def stop_scrubbing() -> None:
    """Back to the record factory before `scrub_secrets` (for tests)."""
    global _base_factory
    if _base_factory is not None:
        logging.setLogRecordFactory(_base_factory)
        _base_factory = None


def configure_logging(level: str, log_format: str = "text", secrets: Iterable[str] = ()) -> None:
    """Log to standard error at `level`, as text lines or (`json`) one JSON object a line,
    with every one of `secrets` shown as ***."""
    scrub_secrets(secrets)
    logging.basicConfig(level=level, format=TEXT_FORMAT, force=True)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
