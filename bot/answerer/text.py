"""From a typed question to weighted terms: normalise, strip politeness, analyse, fold.

A question and every phrasing of a topic go through the same `terms()`, so whatever folding
happens here (width, kana, spelling variants, synonyms) happens on both sides.

Kinds of term (the prefix), from most to least telling:
  w: a content word's normalised form (見まもり → 見守る), after the synonym map;
  r: its reading in hiragana (円卓 → えんたく), so kana-only input meets kanji;
  b: a character bigram of the readings of the whole question, so a word Sudachi cuts
     wrongly in kana (えん/たく/かいぎ) or a typo still scores;
  s: a character bigram of the written text (kanji typos such as 円卓会義).
English words are w: terms too, lower-cased and crudely stemmed.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bot import japanese
from bot.answerer.romaji import is_romaji, spell_in_kana

KIND_WEIGHTS = {"w": 1.0, "r": 0.6, "b": 0.25, "s": 0.2, "q": 0.4}

# Morphemes that carry meaning; particles, auxiliaries and symbols do not.
_CONTENT_POS = frozenset(
    {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接尾辞", "接頭辞", "感動詞"}
)

# Normalised forms that say nothing about what is asked (politeness, question words, fillers).
STOP_WORDS = frozenset(
    """
    為る 有る 居る 成る 言う 良い 何 何故 事 物 所 方 時 此れ 其れ 彼れ 此の 其の 何れ 如何
    教える 知る 分かる 解る 出来る 思う 下さる 下さい 頂く 戴く 願う 御 お ご 様 さん 聞く
    尋ねる 見る 見せる 欲しい 今 ちょっと 一寸 少し どう どの どれ  誰 なに
    なん  こと もの ところ とき どんな どのような どういう どなた どちら どっち 頃 ごろ
    みたい よう ほう ため 為 場合 件 もう一度 一度 具体 具体的 詳しい 詳細 意味 内容 一緒
    いい 良く 皆 ちゃう 貰う 呉れる 置く 行く 来る 遣る たい 宜しい 一体 て 的 等 など 位
    くらい について 就く 関する 附く 付く 致す 申す 参る ござる 御座る 存じる 頂ける 此処
    其処 う ね よ な は が を に の で と も や か へ ぞ です ます ない 無い 要る 必要 とか
    って 即ち what how why when who which whom whose is are was were be been being am
    do does did the a an of to in on for at by with about from please me my i you your we
    our us it its this that these those can could would should will shall may might must
    tell know want like get have has had there here any some and or but if so then than as
    just too also whats what's supposed need needs going able way ways thing things something
    anything much many more most very really exactly actually still already ever even only well
    者 最近 指す
    """.split()  # noqa: SIM905 (a list of 200 quoted words reads worse)
)

# Phrases stripped before analysis: they ask, they do not say what about.
_FILLER = re.compile(
    r"(について|に関して|に就いて|ってなに|ってなん|って何|というのは|っていうのは|とはなに|とは何|とは|とわ$|"
    # How to be told is not what about (わかりやすく教えて asks about the topic, not for easy
    # Japanese); an apology or a polite request before the question says nothing either.
    r"(わかりやすく|分かりやすく|かんたんに|簡単に|詳しく|くわしく)(教えて|おしえて|説明して)|"
    r"すみません|すいません|恐れ入りますが|失礼ですが|"
    r"を?教えて(くださいませ|ください|下さい|くれ|ほしい|欲しい)?|を?知りたい(です)?|"
    r"(て|で)(いただけ|頂け|もらえ)(ませんでしょうか|ませんか|ますか|ないか)|"
    r"(ですか|ますか|でしょうか|ますでしょうか|かな|なの|のか)$|"
    r"くださいませ|ください|下さい|お願いします|おねがいします|お願い|おねがい)"
)
# Asking why asks for the reasons (the background): a hint of its own, light enough that
# phrasings asking why still meet questions that do not. Not なんです(か), なんでも, なんでしょう.
_WHY = re.compile(r"なぜ|何故|どうして|なんで(?![すもしょ])|理由|\bwhy\b")
# Asking when (いつから, 何年), by the same light hint; a text holding a date (令和4年,
# 2013年度, 1 april 2022) carries it too: it can answer when.
_WHEN = re.compile(
    r"いつ|何年|なんねん|何月|\bwhen\b|\bsince\b|令和|平成|昭和|\d+ ?年|\d+月|"
    r"\b(?:19|20)\d\d\b"
)
_PUNCTUATION = re.compile(r"[^\w]+")
_ASCII_WORD = re.compile(r"[a-z][a-z0-9']*")
_LATIN = re.compile(r"[a-z]")
_KANJI = re.compile(r"[\u4e00-\u9fff々]")
_KANA_OFFSET = ord("ァ") - ord("ぁ")


# Kana residents mix up, folded the same way on both sides (地域ずくり, ちぢむ).
# The long vowel mark is dropped (アンケト for アンケート).
_KANA_FOLDS = str.maketrans({"づ": "ず", "ぢ": "じ", "を": "お", "ー": None})


def to_hiragana(text: str) -> str:
    """Katakana to hiragana, with づ/ず and ぢ/じ folded together."""
    hiragana = "".join(chr(ord(ch) - _KANA_OFFSET) if "ァ" <= ch <= "ヶ" else ch for ch in text)
    return hiragana.translate(_KANA_FOLDS)


# A dash typed for the long vowel mark between katakana (マイデ－タ, デ-タ).
_DASH_IN_KATAKANA = re.compile(r"(?<=[ァ-ヶ])[-－―‐—–−─](?=[ァ-ヶ])")


_COUNTED = re.compile(r"[\d一二三四五六七八九十]+\s*(つ|個|こ)(?!目)")
# 「2つ目」「第2」「二番目」 name one of a list by its place: the number alone, as in 「目標2」.
_ORDINAL = re.compile(
    r"第\s*([\d一二三四五六七八九])|([\d一二三四五六七八九])\s*(?:つ目|番目|個目|こ目)"
)
_KANJI_DIGITS = str.maketrans("一二三四五六七八九", "123456789")
# 「AじゃなくてB」: B is what is asked. A's head stays when B names only a detail
# (「理念の1つ目じゃなくて3つ目」 is about 理念): that is, when B has no 「の」 of its own.
_CONTRAST = re.compile(r"(じゃ|では|で)なく(?:って|て)?(?!も)")
# Spaces typed between Japanese words (「この アプリ は」): Japanese has none, and a word cut
# off from its neighbour is read alone. Between two hiragana words they stay: there they are
# the only word boundary the analyser gets (「ちょうかい に はいれますか」).
_NOT_HIRAGANA = r"[^\x00-\x7f\u3040-\u309f]"
_SPACE_IN_JAPANESE = re.compile(
    rf"(?<=[^\x00-\x7f])\s+(?={_NOT_HIRAGANA})|(?<={_NOT_HIRAGANA})\s+(?=[^\x00-\x7f])"
)


def normalise(text: str) -> str:
    """NFKC, lower case, punctuation and spaces between Japanese words removed."""
    folded = unicodedata.normalize("NFKC", text).lower().strip()
    folded = _SPACE_IN_JAPANESE.sub("", folded)
    folded = _DASH_IN_KATAKANA.sub("ー", folded)
    # 「3つの目標」 counts them (いくつ); 「目標3」 names the third, so its number stays.
    folded = _ORDINAL.sub(lambda m: (m.group(1) or m.group(2)).translate(_KANJI_DIGITS), folded)
    folded = _COUNTED.sub(" いくつ ", folded)
    folded = folded.replace("〜", "").replace("～", "")
    return _PUNCTUATION.sub(" ", folded).strip()


def fold_keyword(text: str) -> str:
    """A typed keyword or button label for an exact lookup: 「アンケート。」 → 「アンケート」."""
    return "".join(normalise(text).split())


def is_english(text: str) -> bool:
    """Mostly Latin letters and no kana or kanji: written in English."""
    letters = [ch for ch in unicodedata.normalize("NFKC", text) if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if ch.isascii())
    return latin / len(letters) > 0.8


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Words residents use, folded onto the word the pack uses.

    `phrases` are replaced in the text before analysis (longest first, so 見守りボランティア
    wins over 見守り); `words` map single normalised forms and English words afterwards.
    """

    phrases: Mapping[str, str]
    pattern: re.Pattern[str] | None

    @classmethod
    def from_groups(cls, groups: list[list[str]], ignore: list[str] = ()) -> Synonyms:
        """`ignore`: phrases read as nothing (the city's own name says nothing about the topic)."""
        phrases: dict[str, str] = {}
        for group in groups:
            canonical = normalise(group[0])
            # The canonical word maps to itself, so 役所 → 市役所 does not rewrite 市役所.
            phrases.setdefault(canonical, canonical)
            for member in group[1:]:
                folded = normalise(member)
                if folded:
                    phrases.setdefault(folded, canonical)
        for phrase in ignore:
            if normalise(phrase):
                phrases.setdefault(normalise(phrase), " ")
        if not phrases:
            return cls({}, None)
        alternatives = sorted(phrases, key=len, reverse=True)
        # Not \b: it would not separate "npo" from the Japanese after it (both are \w).
        parts = [
            rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])" if p.isascii() else re.escape(p)
            for p in alternatives
        ]
        return cls(phrases, re.compile("|".join(parts)))

    def apply(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.phrases[m.group(0)], text)


NO_SYNONYMS = Synonyms({}, None)


# 「円卓会議って」「町会って」: the topic marker after a noun (Sudachi would read 会って as
# the verb 会う); after hiragana it may be part of a word (せってい), so it stays.
_TOPIC_TTE = re.compile(
    r"(?<=[\u4e00-\u9fff\u30a0-\u30ffa-z0-9])って"
    r"(?=\s|$|なに|なん|何|どう|どんな|どういう|誰|だれ|いつ|どこ|は|入|本当|ほんと)"
)


# Sounds of someone thinking aloud, which voice input writes down (えーと, あのー, うーん).
_HESITATIONS = re.compile(
    # Drawn out, they are never part of a word; short, only at a word's start.
    r"え[ーっ]+と(?:ですね)?|えー+|あのー+|うー+ん[とっ]*|んー+と|そのー+|あー+|まー+"
    r"|(?<![\u3040-\u309f])(?:えっと|あのですね|あの(?=[\s\u4e00-\u9fff\u30a0-\u30ff])|まあ)"
)
# Endings of the local speech (上州弁 〜だんべ, 信州弁 〜ずら, 〜だに) ask, they say nothing.
_DIALECT_ENDING = re.compile(r"(?:んだんべ|だんべ|だべ|ずら|だに)$")


def _after_contrast(text: str) -> str:
    match = _CONTRAST.search(text)
    if match is None or match.start() == 0 or not text[match.end() :].strip():
        return text
    before, after = text[: match.start()], text[match.end() :]
    head = before[: before.rfind("の") + 1] if "の" not in after else ""
    return f"{head}{after}"


def strip_filler(text: str) -> str:
    text = _HESITATIONS.sub(" ", text)
    text = _DIALECT_ENDING.sub("", text.strip())
    text = _after_contrast(text)
    text = _TOPIC_TTE.sub(" ", text)
    previous = None
    while previous != text:
        previous, text = text, _FILLER.sub(" ", text).strip()
    return text


@dataclass(frozen=True, slots=True)
class Unit:
    """One word of a question: what it is, how it reads, and its reading's bigrams (a kana
    spelling or a typo of a known word still shares most of them)."""

    word: str
    reading: str | None
    bigrams: tuple[str, ...]
    place: bool = False
    noun: bool = False  # a Japanese noun (名詞): what a question is about, more than its verbs
    # Written in two kanji or more: a word in its own right (芋煮会), not a typo or a kana
    # spelling of a known one, whatever bigrams its reading shares.
    written: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    terms: dict[str, float]
    units: tuple[Unit, ...]


def _bigrams(text: str) -> list[str]:
    return [a + b for a, b in itertools.pairwise(text) if not (a.isascii() or b.isascii())]


QUOTED = re.compile(r"[「『\"“]([^」』\"”]{1,30})[」』\"”]")


def analyse_text(text: str, synonyms: Synonyms = NO_SYNONYMS) -> Analysis:
    """The weighted terms of `text` (each kind weighted by KIND_WEIGHTS, repeats not summed)
    and its content words. A quoted word (「お互いさま」という言葉) is what is asked about:
    its words count twice."""
    quoted = " ".join(QUOTED.findall(text))
    folded = normalise(f"{text} {quoted}" if quoted else text)
    # Romaji: its own spellings first (entaku kaigi → 円卓会議), the rest read as kana.
    if is_romaji(folded):
        folded = " ".join(spell_in_kana(word) for word in synonyms.apply(folded).split())
    # Synonyms before fillers: a word may end where a filler starts (あんけーと|は → あんけー).
    cleaned = strip_filler(synonyms.apply(folded))
    found: dict[str, float] = {}
    units: list[Unit] = []

    def add(term: str, kind: str) -> None:
        found.setdefault(f"{kind}:{term}", KIND_WEIGHTS[kind])

    # A hint is also a part of the question a topic must explain (a topic with no date does
    # not answer 「いつから」).
    for hint, pattern in (("why", _WHY), ("when", _WHEN)):
        if pattern.search(cleaned):
            add(hint, "q")
            units.append(Unit(f"q:{hint}", None, ()))
    readings: list[str] = []
    for chunk in cleaned.split():
        if _LATIN.match(chunk) and chunk.isascii():
            for word in _ASCII_WORD.findall(chunk.replace("'s", "")):
                if word not in STOP_WORDS and len(word) > 1:
                    add(_stem(word), "w")
                    units.append(Unit(f"w:{_stem(word)}", None, ()))
            continue
        surfaces: list[str] = []
        for morpheme in japanese.analyse(chunk):
            if morpheme.part_of_speech in ("補助記号", "空白", "記号"):
                continue
            reading = to_hiragana(morpheme.reading)
            if morpheme.part_of_speech not in ("助詞", "助動詞"):
                readings.append(reading)
                surfaces.append(morpheme.surface)
            if morpheme.part_of_speech not in _CONTENT_POS:
                continue
            word = morpheme.normalized
            if word in STOP_WORDS or morpheme.surface in STOP_WORDS:
                continue
            if len(word) == 1 and "ぁ" <= word <= "ゖ":
                continue  # a lone kana (あ, ね) is a sound, not a word
            add(word, "w")
            has_reading = reading != word and len(reading) >= 2 and reading not in STOP_WORDS
            if has_reading:
                add(reading, "r")
            units.append(
                Unit(
                    f"w:{word}",
                    f"r:{reading}" if has_reading else None,
                    tuple(f"b:{b}" for b in _bigrams(reading)),
                    morpheme.place,
                    morpheme.part_of_speech == "名詞",
                    len(_KANJI.findall(morpheme.surface)) >= 2,
                )
            )
        for bigram in _bigrams("".join(surfaces)):
            add(bigram, "s")
    for bigram in _bigrams("".join(readings)):
        add(bigram, "b")
    return Analysis(found, tuple(units))


def terms(text: str, synonyms: Synonyms = NO_SYNONYMS) -> dict[str, float]:
    """The weighted terms of `text` (what a phrasing is indexed by)."""
    return analyse_text(text, synonyms).terms
