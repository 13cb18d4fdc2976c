"""The answerer of a shipped content pack (content/<city>), as the service builds it."""

from __future__ import annotations

from pathlib import Path

from bot.answerer import Answerer, build_answerer
from bot.content import load_pack, load_pack_catalog

CONTENT = Path(__file__).parent.parent / "content"


def shipped_answerer(city: str) -> Answerer:
    """A new answerer of the pack `city` (reads and indexes the pack: build one per module)."""
    pack = load_pack(CONTENT, city)
    return build_answerer(CONTENT, pack, load_pack_catalog(CONTENT, pack))
