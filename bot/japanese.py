"""Japanese morphological analysis, loaded once per process and shared.

SudachiPy with sudachidict_core: the dictionary ships inside its wheel, so nothing is
downloaded at run time. Split mode C keeps compounds whole (円卓会議, 地域づくり協議会).
Each morpheme gives its normalised form (見まもり → 見守る) and its reading (エンタク),
which lets kana-only input meet words written in kanji.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from sudachipy import Dictionary, SplitMode, Tokenizer

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Morpheme:
    surface: str
    normalized: str
    reading: str  # katakana; the surface itself for symbols and unknown words
    part_of_speech: str  # the first level: 名詞, 動詞, 助詞, 補助記号 …
    place: bool = False  # a place name (固有名詞・地名): 前橋, 高崎市


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)


def analyse(text: str) -> list[Morpheme]:
    """The morphemes of `text`. Safe to call from several threads (Sudachi's tokenizer is not)."""
    if not text:
        return []
    with _lock:
        return [
            Morpheme(
                m.surface(),
                m.normalized_form(),
                m.reading_form(),
                (pos := m.part_of_speech())[0],
                pos[2] == "地名",
            )
            for m in _tokenizer().tokenize(text)
        ]


def load() -> None:
    """Load the dictionary now (at start-up) rather than on the first question."""
    _tokenizer()
