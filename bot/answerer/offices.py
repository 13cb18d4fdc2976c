"""Other offices and services named in a question (税務課, 選挙管理委員会, the tax office).

Their phone numbers, counters and procedures are their own: answering with the pack's contact
(the 地域づくり課) would send a resident to the wrong desk. An office is known when the pack's
texts, phrasings or synonyms name it (地域づくり課, 市役所, 公民館); any other is elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.answerer.text import normalise

# What an office's name ends with. Not 係 (関係) nor a bare 所 (場所, 住所, 近所); 課題, 課税,
# 結局, 署名 are no offices.
_ENDINGS = (
    r"課(?!題|金|税|外|程)|委員会|局(?!面)|署(?!名)|事務所|役所|支所|出張所|保健所|相談所"
    r"|協議会|センター|館|組合|協会|連合会"
)
# A name runs up to its ending without a particle (年金の相談窓口 is no office's name).
_JAPANESE_OFFICE = re.compile(rf"[^\x00-\x7f\sのはをにがでへとやもかね、。・]+?(?:{_ENDINGS})")
_KANA = "".join(chr(code) for code in range(ord("ぁ"), ord("ゖ") + 1)) + "ー"
_NOT_OFFICES = frozenset({"結局", "放課", "日課", "旅館"})
# A place or a department before the name (富岡市役所, 総務部地域づくり課) is not its name.
_PLACE_PREFIX = re.compile(r"^(?:[一-龥]{1,3}[市町村県])?(?:[一-龥]{1,4}部(?!署))?")
_ENGLISH_OFFICE = re.compile(
    r"\b([a-z]+)\s+(office|commission|committee|department|division|bureau|station|council"
    r"|association|centre|center|section)s?\b"
)
_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "your",
        "our",
        "my",
        "this",
        "that",
        "which",
        "what",
        "whose",
        "to",
        "for",
        "at",
        "in",
    ]
)


def _names(folded: str, read: str) -> set[str]:
    """The offices named in a normalised text: Japanese ones as read through the synonyms
    (`read`: 地域ずくり課 is 地域づくり課), English ones as written (the synonyms make
    'welfare department' 'welfare 担当課')."""
    names = set()
    for match in _JAPANESE_OFFICE.finditer(read):
        # Kana before a name is a word of its own (あのー公民館, ほら税務課).
        name = _PLACE_PREFIX.sub("", match.group().lstrip(_KANA))
        if len(name) >= 2 and name not in _NOT_OFFICES:
            names.add(name)
    for word, kind in _ENGLISH_OFFICE.findall(folded):
        if word not in _NOT_NAMES:
            names.add(f"{word} {kind}")
    return names


def _squeezed(text: str) -> str:
    """Normalised without spaces: 'letter to the mayor' is found in 'a letter to the  mayor'."""
    return "".join(normalise(text).split())


class Offices:
    """Built once from every text the bot can answer from; `elsewhere` is pure."""

    def __init__(
        self,
        known_texts: Iterable[str],
        others: Iterable[str] = (),
        synonyms: Callable[[str], str] = str,
    ) -> None:
        # Read through the synonyms, so that a typo or a kana spelling of a known office
        # (地域ずくり協議会) is that office.
        self._synonyms = synonyms
        texts = [normalise(text) for text in known_texts]
        self._known = set().union(*(_names(text, synonyms(text)) for text in texts))
        everything = "\n".join(_squeezed(text) for text in texts)
        # Offices and services named without an ending (消防, けいさつ, ハローワーク), unless
        # the pack speaks of them itself.
        self._others = tuple(
            word for word in map(_squeezed, others) if word and word not in everything
        )

    def elsewhere(self, text: str) -> str | None:
        """The first office or service the question names that is not this bot's, if any."""
        folded = normalise(text)
        # The synonyms only turn words into known ones: read through them (the costly part)
        # only when something ends like an office.
        read = self._synonyms(folded) if _JAPANESE_OFFICE.search(folded) else folded
        for name in _names(folded, read):
            # A short form of a known one (づくり課), or one after words the run took in
            # (町会じゃなくて地域づくりセンター).
            if not any(known.endswith(name) or name.endswith(known) for known in self._known):
                return name
        squeezed = "".join(folded.split())  # the words as typed: けいさつ, police
        for word in self._others:
            if word in squeezed:
                return word
        return None
