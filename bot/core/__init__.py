"""The neutral vocabulary shared by channels and handlers. Imports nothing of ours."""

from bot.core.attachments import (
    DEFAULT_FETCH_BYTES,
    MAX_ATTACHMENT_BYTES,
    Ask,
    Attachment,
    AttachmentKind,
    Location,
)
from bot.core.messages import (
    MAX_CARDS,
    MAX_CHOICE_DATA_BYTES,
    MAX_CHOICES,
    BarChart,
    Card,
    Channel,
    Choice,
    IncomingMessage,
    Reply,
)
from bot.core.text import fold_keyword, normalize_input, split_text

__all__ = [
    "DEFAULT_FETCH_BYTES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_CARDS",
    "MAX_CHOICES",
    "MAX_CHOICE_DATA_BYTES",
    "Ask",
    "Attachment",
    "AttachmentKind",
    "BarChart",
    "Card",
    "Channel",
    "Choice",
    "IncomingMessage",
    "Location",
    "Reply",
    "fold_keyword",
    "normalize_input",
    "split_text",
]
