"""One text in the languages chiiki speaks, and the one rule for picking a language.

Every text residents or staff read is picked here: catalog phrases (bot/content/catalog.py), pack
texts (`Text.pick`), what staff wrote (polls, events, routes, outcomes, FAQ answers: the storage
models' `Localized` properties) and the dashboard's words. The rule: English or やさしい日本語
when written, Japanese otherwise (Japanese is always written).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

JA, EN, EASY = "ja", "en", "easy"
LANGUAGES = (JA, EN, EASY)


@dataclass(frozen=True, slots=True)
class Localized:
    ja: str
    en: str | None = None
    easy: str | None = None

    def pick(self, language: str) -> str:
        """The text in `language`: easy → ja and en → ja where that one is not written."""
        if language == EN and self.en:
            return self.en
        if language == EASY and self.easy:
            return self.easy
        return self.ja

    @classmethod
    def from_mapping(cls, texts: Mapping[str, str]) -> Localized:
        """From `{language: text}` as YAML holds it (`ja` required; other keys are ignored)."""
        return cls(texts[JA], texts.get(EN), texts.get(EASY))

    def written(self) -> dict[str, str]:
        """The languages that are written, in LANGUAGES order."""
        texts = {JA: self.ja, EN: self.en, EASY: self.easy}
        return {language: text for language, text in texts.items() if text}
