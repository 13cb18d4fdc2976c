"""Ranked retrieval over the topics' phrasings, with a score that means the same everywhere.

Why not BM25 (bm25s): its scores grow with the question's length and the corpus' statistics, so
no one threshold separates "a clear winner" from "nothing fits", and honest "I don't know" is
half of the job. Phrasings are a handful of words each, where BM25's length normalisation and
term saturation have nothing to work on. Instead each topic gets a score in [0, 1]:

  fit      = the cosine between the question and the topic's closest phrasing (tf-idf weights);
  coverage = how much of the question's weight the topic's words explain at all.

A question that names something no topic knows (ゴミの収集日, 天気) keeps that weight unexplained
(an unseen word gets the highest idf), so its coverage, and its score, stay low.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.answerer.text import Analysis, Unit

# Weight of the two parts of a topic's score.
FIT_SHARE = 0.5
# A word no phrasing holds weighs as if this many held it.
UNSEEN_DF = 4.0
# What an unknown one-character word weighs, as a share of an unknown word.
SHORT_UNSEEN = 0.3
# A word matched only by most of its reading's bigrams (a typo, a kana spelling) counts this much.
FUZZY_MATCH = 0.8


@dataclass(frozen=True, slots=True)
class Scored:
    topic: str
    score: float


class TopicIndex:
    """Built once from (topic id, phrasing terms) pairs; `rank` is pure and thread-safe."""

    def __init__(
        self,
        phrasings: Iterable[tuple[str, dict[str, float]]],
        contexts: Iterable[tuple[str, dict[str, float]]] = (),
    ) -> None:
        items = [(topic, terms) for topic, terms in phrasings if terms]
        context_items = [(topic, terms) for topic, terms in contexts if terms]
        count = len(items)
        frequency: dict[str, int] = defaultdict(int)
        for _, terms in (*items, *context_items):
            for term in terms:
                frequency[term] += 1
        count += len(context_items)
        self._idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
        # What an unseen term weighs: a word nobody wrote weighs most; a bigram less (particles
        # and kana cut in odd places make new bigrams without meaning anything).
        self._unseen = math.log(1 + count / UNSEEN_DF) if count else 1.0
        self._phrasing_topic: list[str] = []
        self._phrasing_norm: list[float] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._topic_terms: dict[str, set[str]] = defaultdict(set)
        for index, (topic, terms) in enumerate(items):
            vector = {term: weight * self._idf[term] for term, weight in terms.items()}
            self._phrasing_topic.append(topic)
            self._phrasing_norm.append(math.sqrt(sum(w * w for w in vector.values())))
            for term, weight in vector.items():
                self._postings[term].append((index, weight))
            self._topic_terms[topic] |= set(terms)
        for topic, terms in context_items:
            self._topic_terms[topic] |= set(terms)
        self._order = {topic: n for n, topic in enumerate(self._topic_terms)}
        # Which topics hold a term anywhere (phrasings or text): coverage in one pass per word.
        self._term_topics: dict[str, frozenset[str]] = {}
        holders: dict[str, set[str]] = defaultdict(set)
        for topic, known in self._topic_terms.items():
            for term in known:
                holders[term].add(topic)
        self._term_topics = {term: frozenset(topics) for term, topics in holders.items()}

    def _weight(self, term: str, kind_weight: float) -> float:
        idf = self._idf.get(term)
        if idf is None:
            idf = self._unseen if term[0] in "wr" else self._unseen * 0.5
        return kind_weight * idf

    def knows(self, unit: Unit) -> bool:
        """Whether any phrasing or text holds this word (or its reading)."""
        return unit.word in self._idf or (unit.reading is not None and unit.reading in self._idf)

    def holders(self, unit: Unit) -> frozenset[str]:
        """The topics whose phrasings or text hold this word (or its reading)."""
        none: frozenset[str] = frozenset()
        found = self._term_topics.get(unit.word, none)
        if unit.reading is not None:
            found = found | self._term_topics.get(unit.reading, none)
        return found

    def recognises(self, unit: Unit) -> bool:
        """Known, or spelled close to something known (most of its reading's bigrams are)."""
        if self.knows(unit):
            return True
        if unit.written:
            return False
        shared = sum(1 for bigram in unit.bigrams if bigram in self._idf)
        return len(unit.bigrams) >= 2 and shared * 2 >= len(unit.bigrams) + 1

    def _unit_weight(self, unit: Unit) -> float:
        idf = self._idf.get(unit.word)
        if idf is None and unit.reading is not None:
            idf = self._idf.get(unit.reading)
        if idf is not None:
            return idf
        # An unknown single character is more often a typo's fragment (円卓会義 → 会, 義) than
        # the subject of the question.
        return self._unseen * (SHORT_UNSEEN if len(unit.word) <= 3 else 1.0)

    def _coverage(self, units: tuple[Unit, ...]) -> dict[str, float]:
        """For every topic that explains any word: the share of the question's weight it
        explains (a word by its form or reading fully, else by its reading's bigrams)."""
        weights = [self._unit_weight(unit) for unit in units]
        total = sum(weights)
        matched: dict[str, float] = defaultdict(float)
        none: frozenset[str] = frozenset()
        for unit, weight in zip(units, weights, strict=True):
            exact = self._term_topics.get(unit.word, none)
            if unit.reading is not None:
                exact = exact | self._term_topics.get(unit.reading, none)
            for topic in exact:
                matched[topic] += weight
            if not unit.bigrams:
                continue
            shared: dict[str, int] = defaultdict(int)
            for bigram in unit.bigrams:
                for topic in self._term_topics.get(bigram, none):
                    if topic not in exact:
                        shared[topic] += 1
            share = weight * FUZZY_MATCH / len(unit.bigrams)
            for topic, count in shared.items():
                matched[topic] += share * count
        return {topic: value / total for topic, value in matched.items()}

    def rank(self, question: Analysis, keep: Callable[[str], bool] | None = None) -> list[Scored]:
        """Topics by score, best first (only those sharing a term with the question)."""
        query = {term: self._weight(term, weight) for term, weight in question.terms.items()}
        total = sum(query.values())
        norm = math.sqrt(sum(w * w for w in query.values()))
        if not total:
            return []
        dots: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            for index, phrasing_weight in self._postings.get(term, ()):
                dots[index] += weight * phrasing_weight
        fit: dict[str, float] = defaultdict(float)
        for index, dot in dots.items():
            topic = self._phrasing_topic[index]
            cosine = dot / (norm * self._phrasing_norm[index])
            if cosine > fit[topic]:
                fit[topic] = cosine
        coverage = self._coverage(question.units) if question.units else None
        # A topic may explain the question only by its own text (福祉ひろば is in the
        # センター's text, in none of its phrasings): it is scored too.
        candidates = set(fit) | set(coverage or ())
        scored = []
        for topic in candidates:
            if keep is not None and not keep(topic):
                continue
            if coverage is not None:
                covered = coverage.get(topic, 0.0)
            else:
                known = self._topic_terms[topic]
                covered = sum(w for term, w in query.items() if term in known) / total
            best = fit.get(topic, 0.0)
            scored.append(Scored(topic, FIT_SHARE * best + (1 - FIT_SHARE) * covered))
        # Equal scores keep the order topics were given in (the pack's order).
        order = self._order
        scored.sort(key=lambda s: (-s.score, order[s.topic]))
        return scored
