"""Readings in brackets for what staff wrote, when an easy-Japanese reader sees it.

Staff write poll questions, event titles, notices and outcomes in Japanese and rarely in
やさしい日本語 as well. An easy reader then gets the Japanese with the reading of each word above
the grade 2 kanji (bot/content/kanji.py) at its first use: 防災訓練（ぼうさいくんれん）.
The readings come from the analyser's dictionary (bot/japanese.py); a compound written in
kanji gets one reading, and no reading goes inside brackets (never brackets in brackets).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.content.kanji import KANJI_RUN, is_hard
from bot.core.localized import EASY, Localized
from bot.japanese import Morpheme, analyse

_KATAKANA = re.compile(r"^[\u30a1-\u30f6ー]+$")
_READING_AHEAD = re.compile(r"（[\u3041-\u309f\u30a0-\u30ff\s]+）")
OPENING, CLOSING = "（(", "）)"


def for_reader(text: Localized, language: str) -> str:
    """What staff wrote (a poll's question, an event's title …) in `language`; an easy-Japanese
    reader who would get the Japanese, because staff gave no easy version, gets it with
    readings."""
    picked = text.pick(language)
    if language == EASY and picked == text.ja:
        return add_readings(picked)
    return picked


@lru_cache(maxsize=4096)
def add_readings(text: str) -> str:
    """`text` with a reading after the first use of each word that needs one."""
    if not any(is_hard(run) for run in KANJI_RUN.findall(text)):
        return text  # nothing to read: no need to load the dictionary
    out: list[str] = []
    read: set[str] = set()
    depth = 0
    position = 0
    for surface, reading in _words(analyse(text)):
        position += len(surface)
        out.append(surface)
        depth += sum(surface.count(c) for c in OPENING) - sum(surface.count(c) for c in CLOSING)
        if depth > 0 or surface in read or not is_hard(surface):
            continue
        read.add(surface)
        kana = _hiragana(reading)
        if kana and not _READING_AHEAD.match(text, position):
            out.append(f"（{kana}）")
    return "".join(out)


def _words(morphemes: list[Morpheme]) -> list[tuple[str, str]]:
    """(surface, reading) of each word: neighbouring morphemes written only in kanji join into
    one (防災 + 訓練 → 防災訓練), so a compound gets one reading."""
    words: list[tuple[str, str]] = []
    joinable = False
    for m in morphemes:
        all_kanji = KANJI_RUN.fullmatch(m.surface) is not None
        if all_kanji and joinable:
            surface, reading = words[-1]
            words[-1] = (surface + m.surface, reading + m.reading)
        else:
            words.append((m.surface, m.reading))
        joinable = all_kanji
    return words


def _hiragana(reading: str) -> str:
    """The katakana reading in hiragana; empty when the dictionary had none (unknown word)."""
    if not _KATAKANA.match(reading):
        return ""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in reading)
