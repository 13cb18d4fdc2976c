"""Log lines for machines: one JSON object a line (CHIIKI_LOG_FORMAT=json).

Only the fields below leave the process: the time, the level, the logger, the message as the
code wrote it (never a resident's text or a token: STYLE.md, "Logs are for operators"), the
ids a call passed in `extra=` and, for an error, its traceback.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Ids a log call may attach with `extra={...}`; anything else in `extra` stays out of the line.
EVENT_FIELDS = ("channel", "event_id", "broadcast_id", "instance", "owner", "route", "attempt")


class JsonFormatter(logging.Formatter):
    """`{"time": …, "level": …, "logger": …, "message": …}` plus the event ids it was given."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EVENT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)
