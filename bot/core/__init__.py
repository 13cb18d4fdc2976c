"""The neutral vocabulary shared by channels and handlers. Imports nothing of ours."""

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
    "MAX_CARDS",
    "MAX_CHOICES",
    "MAX_CHOICE_DATA_BYTES",
    "BarChart",
    "Card",
    "Channel",
    "Choice",
    "IncomingMessage",
    "Reply",
    "fold_keyword",
    "normalize_input",
    "split_text",
]
