"""Text helpers every channel needs: cleaning what comes in, splitting what goes out."""

from __future__ import annotations

import re
import unicodedata

# Break after Japanese or Western sentence ends, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])|(?<=\.)(?=\s)")


def normalize_input(text: str) -> str:
    """Fold full-width forms (／ｇｏａｌｓ → /goals), drop control characters, trim."""
    folded = unicodedata.normalize("NFKC", text)
    cleaned = "".join(ch for ch in folded if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return cleaned.strip()


def split_text(text: str, limit: int) -> list[str]:
    """Split text into parts of at most `limit` characters, at sentence ends where possible."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > limit:  # one sentence longer than a whole message: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(current) + len(sentence) > limit:
            parts.append(current)
            current = sentence
        else:
            current += sentence
    if current:
        parts.append(current)
    return [part for part in (p.strip("\n") for p in parts) if part]
