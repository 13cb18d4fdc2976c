"""Score the answerer on a question set (tests/answerer/questions_<pack>.yaml).

Each item: q (the text as typed), expect (a topic id, a list of them, or `none`), group, and
optionally half (dev/test) and note. Scoring rules are in tests/answerer/README.md: a topic is
right when answered, or offered among the candidates of a clarification; `none` is right only
when the answerer says it does not know.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.answerer.answerer import Answer, Answerer, Outcome

OUT_OF_SCOPE = "oos"
LIVE_KINDS = ("poll", "event", "route")


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    expect: tuple[str, ...]  # empty: must not be answered
    group: str
    half: str | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    question: Question
    answer: Answer


@dataclass
class Report:
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    asked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[Miss] = field(default_factory=list)
    timings_ms: list[float] = field(default_factory=list)
    # Right answers that were a choice between candidates rather than the answer itself.
    clarified: int = 0

    def share(self, groups: set[str] | None = None, exclude: set[str] | None = None) -> float:
        chosen = [
            g
            for g in self.asked
            if (groups is None or g in groups) and g not in (exclude or set())
        ]
        asked = sum(self.asked[g] for g in chosen)
        return sum(self.right[g] for g in chosen) / asked if asked else 1.0

    @property
    def in_scope(self) -> float:
        return self.share(exclude={OUT_OF_SCOPE})

    @property
    def out_of_scope(self) -> float:
        return self.share({OUT_OF_SCOPE})

    @property
    def overall(self) -> float:
        return self.share()


def load_questions(path: Path) -> list[Question]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    questions = []
    for item in items:
        expect = item["expect"]
        expected = tuple(expect) if isinstance(expect, list) else (expect,)
        expected = tuple(topic for topic in expected if topic != "none")
        questions.append(Question(str(item["q"]), expected, str(item["group"]), item.get("half")))
    return questions


def _matches(topic: str, expected: tuple[str, ...]) -> bool:
    kind = topic.split(":")[0]
    return topic in expected or (kind in LIVE_KINDS and kind in expected)


def is_right(question: Question, answer: Answer) -> bool:
    if not question.expect:
        return answer.outcome is Outcome.UNKNOWN
    if answer.outcome is Outcome.UNKNOWN:
        return False
    return any(_matches(topic, question.expect) for topic in answer.topics)


def evaluate(answerer: Answerer, questions: list[Question]) -> Report:
    report = Report()
    for question in questions:
        started = time.perf_counter()
        answer = answerer.answer(question.text)
        report.timings_ms.append((time.perf_counter() - started) * 1000)
        report.asked[question.group] += 1
        if is_right(question, answer):
            report.right[question.group] += 1
            report.clarified += answer.outcome is Outcome.CLARIFIED
        else:
            report.misses.append(Miss(question, answer))
    return report


def describe(report: Report) -> list[str]:
    """Lines for `chiiki content eval`: score per group, then every miss."""
    lines = [
        f"{group:10} {report.right[group]:4}/{report.asked[group]:<4} "
        f"{100 * report.right[group] / report.asked[group]:5.1f} %"
        for group in sorted(report.asked)
    ]
    lines.append(
        f"in scope {100 * report.in_scope:.1f} %, out of scope answered honestly "
        f"{100 * report.out_of_scope:.1f} %, overall {100 * report.overall:.1f} %"
        f" ({report.clarified} of the right ones by a choice between candidates)"
    )
    for miss in report.misses:
        expected = ", ".join(miss.question.expect) or "none"
        got = ", ".join(miss.answer.topics) or "-"
        lines.append(
            f"miss [{miss.question.group}] {miss.question.text!r}: expected {expected};"
            f" got {miss.answer.outcome} {got} ({miss.answer.score:.2f})"
        )
    return lines
