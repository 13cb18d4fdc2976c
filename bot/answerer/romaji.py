"""Japanese typed in Latin letters (chiiki zukuri tte nani, kouminkan no yakuwari) read as kana.

Residents without a Japanese keyboard, or who speak Japanese but do not read it, write it in
romaji. Such a message is turned into hiragana, word by word, so that it meets the pack's words
through their readings like any kana-only question. English is left alone: a message counts as
romaji only when every word spells out in kana and at least one is a word only Japanese has (a
particle, a question word, a polite ending).
"""

from __future__ import annotations

import re

_VOWELS = {"a": "あ", "i": "い", "u": "う", "e": "え", "o": "お"}
_ROWS = {
    "k": "かきくけこ",
    "s": "さしすせそ",
    "t": "たちつてと",
    "n": "なにぬねの",
    "h": "はひふへほ",
    "m": "まみむめも",
    "r": "らりるれろ",
    "g": "がぎぐげご",
    "z": "ざじずぜぞ",
    "d": "だぢづでど",
    "b": "ばびぶべぼ",
    "p": "ぱぴぷぺぽ",
}
_SMALL_Y = {"a": "ゃ", "u": "ゅ", "o": "ょ"}


def _syllables() -> dict[str, str]:
    table = dict(_VOWELS)
    for consonant, kana in _ROWS.items():
        for vowel, mora in zip("aiueo", kana, strict=True):
            table[consonant + vowel] = mora
        i_mora = kana[1]
        for vowel, small in _SMALL_Y.items():
            table[f"{consonant}y{vowel}"] = i_mora + small  # kya, nyu, ryo …
    table |= {"ya": "や", "yu": "ゆ", "yo": "よ", "wa": "わ", "wo": "を", "n'": "ん"}
    # Hepburn spellings (shi, chi, tsu, fu, ji) beside the ones the table made (si, ti, tu, hu).
    table |= {"shi": "し", "chi": "ち", "tsu": "つ", "fu": "ふ", "ji": "じ"}
    for vowel, small in {**_SMALL_Y, "e": "ぇ"}.items():
        table[f"sh{vowel}"] = "し" + small
        table[f"ch{vowel}"] = "ち" + small
        table[f"j{vowel}"] = "じ" + small
    table |= {"fa": "ふぁ", "fi": "ふぃ", "fe": "ふぇ", "fo": "ふぉ", "ti": "ち", "di": "ぢ"}
    return table


_TABLE = _syllables()
_LONGEST = max(len(key) for key in _TABLE)
# Words only Japanese has: one of them makes a message of kana-like words romaji, not English.
_JAPANESE_ONLY = frozenset(
    """
    wa wo ga ni no de tte te desu desuka masu masuka ka kana nani nan doko itsu dare naze doushite
    dou shitai onegai onegaishimasu kudasai oshiete towa toha mo ne yo ya shimasu arimasu
    dekimasu dekiru hoshii aru nai kara made dake
    """.split()  # noqa: SIM905 (a word list reads better this way)
)
_WORD = re.compile(r"[a-z']+|\d+")


def _to_kana(word: str) -> str | None:
    """One word in hiragana, or None when it does not spell out as Japanese."""
    kana: list[str] = []
    at = 0
    while at < len(word):
        rest = word[at:]
        if rest[0] == "n" and (len(rest) == 1 or rest[1] not in "aiueoy'"):
            kana.append("ん")  # n before a consonant or at the end (nn: the second n is read next)
            at += 1
            continue
        # A doubled consonant is a small っ (kitte, matcha).
        doubled = rest[1:2] == rest[0] or rest[:3] == "tch"
        if doubled and rest[0] not in "aiueon'":
            kana.append("っ")
            at += 1
            continue
        for size in range(min(_LONGEST, len(rest)), 0, -1):
            mora = _TABLE.get(rest[:size])
            if mora is not None:
                kana.append(mora)
                at += size
                break
        else:
            return None
    return "".join(kana)


# The particles は, を and へ are written as they sound (wa, o, e).
_PARTICLES = {"wa": "は", "wo": "を", "o": "を", "e": "へ"}


def is_romaji(text: str) -> bool:
    """Whether `text` (folded to lower case) is Japanese in Latin letters rather than English."""
    if not text.isascii():
        return False
    words = _WORD.findall(text)
    return (
        len(words) >= 2
        and any(word in _JAPANESE_ONLY for word in words)
        and all(word.isdigit() or _to_kana(word) is not None for word in words)
    )


def spell_in_kana(word: str) -> str:
    """A romaji word in hiragana; anything else (a digit, a word already in Japanese) as it is."""
    if not word.isascii() or word.isdigit():
        return word
    return _PARTICLES.get(word) or _to_kana(word) or word
