"""The one rule for picking a language (bot/core/localized.py), and the texts that follow it."""

from __future__ import annotations

import pytest

from bot.content import Text
from bot.core.localized import Localized
from bot.storage.outcomes import Subject


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (Localized("日本語", "English", "やさしい"), "ja", "日本語"),
        (Localized("日本語", "English", "やさしい"), "en", "English"),
        (Localized("日本語", "English", "やさしい"), "easy", "やさしい"),
        # Not written (or written empty): Japanese.
        (Localized("日本語"), "en", "日本語"),
        (Localized("日本語", "", None), "easy", "日本語"),
        (Localized("日本語", "English"), "easy", "日本語"),
        # A language chiiki does not speak: Japanese.
        (Localized("日本語", "English", "やさしい"), "fr", "日本語"),
    ],
)
def test_easy_and_english_fall_back_to_japanese(
    text: Localized, language: str, expected: str
) -> None:
    assert text.pick(language) == expected


def test_pack_texts_and_staff_texts_pick_by_the_same_rule() -> None:
    pack_text = Text(ja="市", en="City")
    subject = Subject("poll", 1, "市", None)
    assert pack_text.pick("easy") == "市" == subject.title.pick("en")
    assert pack_text.pick("en") == "City"


def test_from_mapping_reads_yaml_entries_and_ignores_other_keys() -> None:
    entry = {"ja": "回答 {count}件", "en": "{count} answers", "en_one": "1 answer"}
    text = Localized.from_mapping(entry)
    assert text == Localized("回答 {count}件", "{count} answers")
    assert text.written() == {"ja": "回答 {count}件", "en": "{count} answers"}
