"""Text helpers every channel needs: cleaning what comes in, splitting what goes out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# What a terminal obeys rather than shows: C0 controls but line feed and tab (ESC starts colour,
# screen clearing, OSC 52 clipboard writes and OSC 8 links; CR overwrites a line), DEL, C1
# (0x9b is a one-byte CSI), and the bidi controls that reorder what follows (U+202E shows
# "nimda" as "admin").
_UNSAFE_TO_SHOW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# Break after Japanese or Western sentence ends, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])|(?<=\.)(?=\s)")


def normalize_input(text: str) -> str:
    """Fold full-width forms (／ｇｏａｌｓ → /goals), drop control characters, trim."""
    folded = unicodedata.normalize("NFKC", text)
    cleaned = "".join(ch for ch in folded if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return cleaned.strip()


def shown_safely(text: str) -> str:
    """`text` as a terminal or a spreadsheet may show it: every control character but line
    feed and tab, and every bidi control, becomes U+FFFD (visible: something was there)."""
    return _UNSAFE_TO_SHOW.sub("\ufffd", text)


def fold_keyword(text: str) -> str:
    """A typed keyword or button label for an exact lookup: 「アンケート。」 → 「アンケート」,
    「地域の しくみ」 → 「地域のしくみ」 (punctuation and spaces out, width and case folded)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")


def utf16_length(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji may count two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split text into parts of at most `limit` (by `measure`), at sentence ends where possible."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if measure(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        if measure(current + sentence) <= limit:
            current += sentence
            continue
        if current:
            parts.append(current)
        current = sentence
        while measure(current) > limit:  # one sentence longer than a whole message: cut it
            cut = _longest_prefix(current, limit, measure)
            parts.append(current[:cut])
            current = current[cut:]
    if current:
        parts.append(current)
    return [part for part in (p.strip("\n") for p in parts) if part]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    cut = min(len(text), limit)
    while cut > 1 and measure(text[:cut]) > limit:
        cut -= 1
    return cut
