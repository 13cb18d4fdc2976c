"""Which kanji an easy-Japanese reader is assumed to know: those taught in grades 1 and 2."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

# A run of kanji (々 repeats the one before it).
KANJI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")


@cache
def basic_kanji() -> frozenset[str]:
    """The 240 kanji of grades 1–2 (学年別漢字配当表), from data/kanji_grades_1_2.txt."""
    text = files("bot.content").joinpath("data/kanji_grades_1_2.txt").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return frozenset("".join(lines))


def is_hard(word: str) -> bool:
    """Whether `word` holds a kanji beyond grade 2 (々 counts as the kanji it repeats)."""
    known = basic_kanji()
    return any(
        char not in known and char != "々" for run in KANJI_RUN.findall(word) for char in run
    )
