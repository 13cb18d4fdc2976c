"""The answerer: a question in; the topic it asks about, candidates, or honest ignorance out."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.answerer.index import Scored, TopicIndex
from bot.answerer.offices import Offices
from bot.answerer.text import (
    QUOTED,
    Synonyms,
    analyse_text,
    is_english,
    normalise,
    strip_filler,
    terms,
)
from bot.answerer.topics import OUT_OF_SCOPE, Topic
from bot.core.text import fold_keyword


class Outcome(StrEnum):
    ANSWERED = "answered"
    CLARIFIED = "clarified"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Thresholds:
    # A topic scoring this much is an answer (if no other is close), from `sure` up; below
    # that, it is offered as a button.
    answer: float = 0.38
    # Candidates within this of the best are offered together as 「どれについて…」.
    margin: float = 0.08
    # Nothing below this is offered at all.
    floor: float = 0.38
    most_candidates: int = 3
    # A lone topic scoring less than this is offered as a button, with the topics within
    # `unsure_margin` of it, instead of being answered.
    sure: float = 0.5
    unsure_margin: float = 0.2


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    # The answer's topic, or the candidates offered (best first); empty when unknown.
    topics: tuple[str, ...]
    # "en" when the question was written in English, else "ja".
    language: str
    score: float = 0.0
    # The message only greets or thanks (hello, thanks …): not answered, but worth a kind word.
    greeting: str | None = None
    # Another office's or service's business (税務課の電話, ゴミの収集日): the resident is
    # better sent to the city's switchboard, where the pack has one, than to the pack's office.
    elsewhere: bool = False

    @property
    def topic(self) -> str | None:
        return self.topics[0] if self.outcome is Outcome.ANSWERED else None


OutcomeListener = Callable[[Answer], None]
# A quoted part of a question names a topic when that topic wins this clearly on its own.
QUOTED_CLEAR = 0.7
QUOTED_MARGIN = 0.15
# Hiragana, spaces and punctuation only: nothing written in kanji or katakana.
_KANA_ONLY = re.compile(r"[\u3040-\u309f\u30fc\s\W\d]*")
# How many recent questions keep their answer (a few hundred kB).
ANSWERS_KEPT = 4096
# A message this long is a letter: news of the family, then the question. Its sentences that
# ask something are decided one by one, so that the rest (孫が東京の大学に…) does not drown it.
LONG_MESSAGE = 80
# The last few asking sentences only, and at most the last 200 characters of any text: a
# question sits at a letter's end, and LINE lets 5,000 characters through (that much text took
# 0.3 s to analyse: a cost anyone could repeat).
MOST_ASKING = 3
LONGEST_READ = 200
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")
# 「年金暮らしの年寄りですが、…」: who asks, then the question; the preface's words (年金) say
# nothing about what is asked. Only a noun's です (年寄りです, 帰りなんです): 「地区を変更したい
# のですが、どうすれば」 puts the question itself first.
_PREFACE = re.compile(
    r"^(.{2,40}?(?:[^\sのん]ですが|[^\sのん]ですけど|なんですが|なのですが|[^\sのん]だけど|ますが|ますけど))"
    r"[、,，\s]+(?=\S{3})"
)
# The topic that gives the pack's own phone and address.
CONTACT = "section:contact"
_ASKS = re.compile(r"(か|の|かね|かな|たい|たいです|ください|下さい|教えて|って|[?？])[\s。!！]*$")


# A whole sentence in katakana (old phones type ｴﾝﾀｸｶｲｷﾞｯﾃﾅﾆ) is read as kana-only, like the
# same sentence in hiragana; a short one is more likely one word (アンケート, ボランティア).
_KATAKANA_SENTENCE = re.compile(r"[\u30a0-\u30ff\s\W\d]{7,}")
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


# Said longer or softer, a greeting is the same one: おはよー, こんにちは〜, ありがとね.
_DRAWN_OUT = re.compile(r"[ー〜~っッ]+")
_SOFT_ENDING = re.compile(r"(?<=..)[ねよなぁぃぅぇぉ]+$")
# A message of pictures alone (👍, 🙇, 😊😊): a reaction, not a question.
PICTURES_ONLY = "ok"


def _greeting_key(text: str) -> str:
    """こんにちは！ / Thanks :) / ありがとう😊 / おはよー → the words alone, folded (a final う
    too: おはよ and ありがと are said as often)."""
    key = "".join(ch for ch in fold_keyword(text) if unicodedata.category(ch)[0] != "S")
    key = _DRAWN_OUT.sub("", key)
    return key.removesuffix("う") if len(key) > 3 else key


def _pictures_only(text: str) -> bool:
    kinds = {unicodedata.category(ch) for ch in text if not ch.isspace()}
    return "So" in kinds and not any(kind[0] in "LN" for kind in kinds)


# A lone small number that counts nothing (not 2年度, 10人, 3回): a place in a list, as in
# 「理念の2つ目」 (normalised to 理念の2). Counts (3つ) have become いくつ before this.
_PLACE = re.compile(r"(?<![\d.])([1-9])(?![\d.年月日度人名回歳時分円万千百])")
# The sections that are lists, and the kind of their items, in the pack's order.
_LISTS = {"section:goals": "goal:", "section:background": "challenge:"}


def _place_in_list(text: str) -> int | None:
    places = _PLACE.findall(strip_filler(normalise(text)))
    return int(places[0]) if len(places) == 1 else None


def _out_of_scope(topic: str) -> bool:
    return topic.startswith(OUT_OF_SCOPE)


def _one_entity(close: list[str]) -> list[str]:
    """An actor and the part of the system of the same name (Matsumoto's 町会, 地域づくり
    センター) are one thing to a resident: answer with the actor, who it is and what it does."""
    if len(close) == 2 and {topic.split(":")[0] for topic in close} == {"actor", "system"}:
        names = {topic.split(":", 1)[1] for topic in close}
        if len(names) == 1:
            return [f"actor:{names.pop()}"]
    return close


def _details_aside(close: list[str]) -> list[str]:
    """An FAQ entry about a topic (円卓会議はどこで開かれますか) comes close whenever the topic
    is named; when the topic itself fits best (円卓会議とは), the question is about it, and
    the entries about its details are no reason to ask which one."""
    pack_topic_first = len(close) > 1 and not close[0].startswith("faq:")
    if pack_topic_first and all(topic.startswith("faq:") for topic in close[1:]):
        return close[:1]
    return close


@dataclass
class Answerer:
    """Built once at start from the pack's topics; live topics (polls, events, routes, staff
    FAQ) are swapped in with `with_live`, which re-analyses only phrasings it has not seen."""

    topics: list[Topic]
    synonyms: Synonyms
    thresholds: Thresholds = field(default_factory=Thresholds)
    listeners: list[OutcomeListener] = field(default_factory=list)
    # {kind: [a whole message that only greets]} (content/synonyms.yaml `greetings:`).
    greetings: dict[str, list[str]] = field(default_factory=dict)
    # Other offices and services named without an office's ending (消防, けいさつ): content/
    # synonyms.yaml `other_offices:`.
    other_offices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cache: dict[str, dict[str, float]] = {}
        # The same text gets the same answer until the topics change: residents type the same
        # few things (アンケート, 見守り, a button's label) again and again.
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self._by_id = {topic.id: topic for topic in self.topics}
        self._index, self._exact, self._offices = self._build(self.topics)
        self._lists = {
            section: [topic.id for topic in self.topics if topic.id.startswith(kind)]
            for section, kind in _LISTS.items()
        }
        self._greetings = {
            _greeting_key(word): kind for kind, words in self.greetings.items() for word in words
        }

    def _terms(self, text: str) -> dict[str, float]:
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = terms(text, self.synonyms)
        return cached

    def _build(self, topics: list[Topic]) -> tuple[TopicIndex, dict[str, set[str]], Offices]:
        """The index, each phrasing word for word (folded) with the topics that hold it, and
        the offices the topics speak of (any other office is not this bot's to answer for)."""
        exact: dict[str, set[str]] = {}
        for topic in topics:
            for phrasing in topic.phrasings:
                exact.setdefault(fold_keyword(phrasing), set()).add(topic.id)
        index = TopicIndex(
            [(topic.id, self._terms(p)) for topic in topics for p in topic.phrasings],
            [(topic.id, self._terms(text)) for topic in topics for text in topic.context],
        )
        answerable = [topic for topic in topics if not _out_of_scope(topic.id)]
        known = [text for topic in answerable for text in (*topic.phrasings, *topic.context)]
        known += list(self.synonyms.phrases)
        return index, exact, Offices(known, self.other_offices, self.synonyms.apply)

    def with_live(self, live: list[Topic]) -> None:
        """Replace the live topics (everything staff created) and rebuild the index."""
        with self._lock:
            every = [*self.topics, *live]
            used = {text for topic in every for text in (*topic.phrasings, *topic.context)}
            self._cache = {text: t for text, t in self._cache.items() if text in used}
            index, exact, offices = self._build(every)
            self._by_id = {topic.id: topic for topic in every}
            # One assignment each, so a question meanwhile sees the old or the new index.
            self._index, self._exact, self._offices = index, exact, offices
            self._answers = OrderedDict()

    def _named_exactly(self, text: str) -> str | None:
        """The one topic a quoted part of the question names: word for word, or as the clear
        winner for the quoted words alone (「お互いさま」という言葉 → お互いさまの精神で)."""
        for quoted in QUOTED.findall(text):
            topics = self._exact.get(fold_keyword(quoted), set())
            if len(topics) == 1 and not _out_of_scope(next(iter(topics))):
                return next(iter(topics))
            ranked = self._index.rank(analyse_text(quoted, self.synonyms))
            if not ranked or _out_of_scope(ranked[0].topic):
                continue
            runner_up = ranked[1].score if len(ranked) > 1 else 0.0
            if ranked[0].score >= QUOTED_CLEAR and ranked[0].score - runner_up >= QUOTED_MARGIN:
                return ranked[0].topic
        return None

    def topic(self, topic_id: str) -> Topic | None:
        return self._by_id.get(topic_id)

    def rank(self, text: str) -> list[Scored]:
        return self._index.rank(analyse_text(text, self.synonyms))

    def answer(self, text: str) -> Answer:
        """Answer, ask which one, or say it does not know; listeners hear every outcome."""
        answers = self._answers
        result = answers.get(text)
        if result is None:
            result = self._decide(text, "en" if is_english(text) else "ja")
            answers[text] = result
            if len(answers) > ANSWERS_KEPT:
                answers.popitem(last=False)
        for listener in self.listeners:
            listener(result)
        return result

    def forget_answers(self) -> None:
        """Decide every question afresh (the benchmark measures the work, not the memory)."""
        self._answers = OrderedDict()

    def _decide(self, text: str, language: str) -> Answer:
        if len(text) > LONG_MESSAGE:
            sentences = [part for part in _SENTENCE_END.split(text) if part.strip()]
            asking = [sentence for sentence in sentences if _ASKS.search(sentence)]
            if asking and len(asking) < len(sentences):
                answers = [self._decide(sentence, language) for sentence in asking[-MOST_ASKING:]]
                return max(answers, key=lambda a: (a.outcome is not Outcome.UNKNOWN, a.score))
        text = text[-LONGEST_READ:]
        preface = _PREFACE.match(text)
        if preface is not None:
            asked = self._decide(text[preface.end() :], language)
            whole = self._decide_one(text, language)
            return asked if asked.outcome is Outcome.ANSWERED else whole
        return self._decide_one(text, language)

    def _decide_one(self, text: str, language: str) -> Answer:
        key = _greeting_key(text)
        greeting = self._greetings.get(key) or self._greetings.get(_SOFT_ENDING.sub("", key))
        if greeting is None and _pictures_only(text):
            greeting = PICTURES_ONLY
        if greeting is not None:
            return Answer(Outcome.UNKNOWN, (), language, greeting=greeting)
        katakana = unicodedata.normalize("NFKC", text)
        if _KATAKANA_SENTENCE.fullmatch(katakana) and not self._exact.get(fold_keyword(text)):
            text = katakana.translate(_KATAKANA_TO_HIRAGANA)
        named = self._named_exactly(text)
        if named is not None:
            # 「地域を知ろう」ってどういう意味? / What does "get to know your community" mean?
            return Answer(Outcome.ANSWERED, (named,), language, 1.0)
        analysis = analyse_text(text, self.synonyms)
        index = self._index
        if any(unit.place and not index.knows(unit) for unit in analysis.units):
            # About another place (前橋市役所, 高崎市の地域づくり): not this city's to answer.
            return Answer(Outcome.UNKNOWN, (), language)
        if self._offices.elsewhere(text) is not None:
            # 税務課の電話番号は / election commission's phone: another office's business; the
            # pack's contact would send the resident to the wrong desk.
            return Answer(Outcome.UNKNOWN, (), language, elsewhere=True)
        nouns = [unit for unit in analysis.units if unit.noun]
        # Not for kana-only questions: Sudachi cuts unknown kana into odd nouns (小母ん).
        if (
            nouns
            and not _KANA_ONLY.fullmatch(text)
            and not any(index.recognises(unit) for unit in nouns)
        ):
            # Every thing it names is unknown here (芋煮会には何を持っていけば): a shared verb
            # (持つ, in 関心を持とう) is no reason to answer.
            return Answer(Outcome.UNKNOWN, (), language)
        ranked = index.rank(analysis)
        limits = self.thresholds
        best = ranked[0].score if ranked else 0.0
        if best < limits.floor:
            return Answer(Outcome.UNKNOWN, (), language, best)
        if _out_of_scope(ranked[0].topic):
            return Answer(Outcome.UNKNOWN, (), language, best, elsewhere=True)
        close = [s.topic for s in ranked if s.score >= max(best - limits.margin, limits.floor)]
        if any(_out_of_scope(topic) for topic in close):
            # As close to something we cannot answer: do not guess.
            return Answer(Outcome.UNKNOWN, (), language, best)
        close = _details_aside(_one_entity(close))
        # What names the thing asked about: a Japanese question's nouns, an English one's words.
        named_things = nouns if language == "ja" else analysis.units
        if close[0] == CONTACT and any(
            (held := index.holders(unit)) and all(_out_of_scope(topic) for topic in held)
            for unit in named_things
        ):
            # 年金の相談窓口の電話: the contact of a service the pack does not cover (年金) is
            # not the pack's contact.
            return Answer(Outcome.UNKNOWN, (), language, best, elsewhere=True)
        items = self._lists.get(close[0], [])
        place = _place_in_list(text) if items else None
        if place is not None and place <= len(items):
            # 「理念の2つ目」: the section wins on its word, the number names one of its items.
            return Answer(Outcome.ANSWERED, (items[place - 1],), language, best)
        if len(close) == 1:
            if best >= limits.sure:
                return Answer(Outcome.ANSWERED, (close[0],), language, best)
            if best < limits.answer:
                return Answer(Outcome.UNKNOWN, (), language, best)
            # A fit, but a loose one: asked which one (or whether it is this one) rather than
            # answered, since a wrong answer given with confidence misleads more than a button.
            nearby = [
                s.topic
                for s in ranked[1:]
                if s.score >= best - limits.unsure_margin and not _out_of_scope(s.topic)
            ]
            close = _details_aside([close[0], *nearby])
        return Answer(Outcome.CLARIFIED, tuple(close[: limits.most_candidates]), language, best)
