"""Content packs (one per municipality) and the message catalog: data that residents read."""

from bot.content.catalog import Catalog, load_catalog, load_pack_catalog
from bot.content.loader import check_packs, list_packs, load_pack
from bot.content.schema import Pack, Text
from bot.core.localized import EASY, LANGUAGES, Localized

__all__ = [
    "EASY",
    "LANGUAGES",
    "Catalog",
    "Localized",
    "Pack",
    "Text",
    "check_packs",
    "list_packs",
    "load_catalog",
    "load_pack",
    "load_pack_catalog",
]
