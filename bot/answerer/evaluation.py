"""Score the answerer on a question set (tests/answerer/questions_<pack>.yaml).

Each item: q (the text as typed), expect (a topic id, a list of them, or `none`), group, and
optionally half (dev/test) and note. Scoring rules are in tests/answerer/README.md: a topic is
right when answered, or offered among the candidates of a clarification; `none` is right only
when the answerer says it does not know (`none` among topics: either is right); `greeting:<kind>`
is right when the message is taken as that greeting. A confident answer with a topic not
expected is also counted apart as a wrong answer: worse than an honest "I don't know".
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
    expect: tuple[str, ...]  # topics; empty: must not be answered (unless a greeting)
    group: str
    half: str | None = None
    # `none` was among the labels: the honest "I don't know" is right too.
    unknown_ok: bool = False
    # greeting:<kind>: the message only greets or thanks, and must be taken as that kind.
    greeting: str | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    question: Question
    answer: Answer


@dataclass
class Report:
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    asked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[Miss] = field(default_factory=list)
    # Confident answers with a topic that was not expected (a subset of the misses).
    wrong: dict[str, int] = field(default_factory=lambda: defaultdict(int))
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

    @property
    def wrong_share(self) -> float:
        asked = sum(self.asked.values())
        return sum(self.wrong.values()) / asked if asked else 0.0


def load_questions(path: Path) -> list[Question]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    questions = []
    for item in items:
        expect = item["expect"]
        labels = tuple(expect) if isinstance(expect, list) else (expect,)
        greetings = [label.split(":", 1)[1] for label in labels if label.startswith("greeting:")]
        questions.append(
            Question(
                str(item["q"]),
                tuple(t for t in labels if t != "none" and not t.startswith("greeting:")),
                str(item["group"]),
                item.get("half"),
                unknown_ok="none" in labels,
                greeting=greetings[0] if greetings else None,
            )
        )
    return questions


def _matches(topic: str, expected: tuple[str, ...]) -> bool:
    kind = topic.split(":")[0]
    return topic in expected or (kind in LIVE_KINDS and kind in expected)


def is_right(question: Question, answer: Answer) -> bool:
    if question.greeting is not None:
        return answer.greeting == question.greeting
    if answer.outcome is Outcome.UNKNOWN:
        return question.unknown_ok or not question.expect
    return any(_matches(topic, question.expect) for topic in answer.topics)


def is_wrong(question: Question, answer: Answer) -> bool:
    """A confident answer about something not asked (an "I don't know" would have been better)."""
    return answer.outcome is Outcome.ANSWERED and not any(
        _matches(topic, question.expect) for topic in answer.topics
    )


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
            report.wrong[question.group] += is_wrong(question, answer)
    return report


def describe(report: Report, halves: set[str] | None = None) -> list[str]:
    """Lines for `chiiki content eval`: score per group, then every miss (of `halves` only)."""
    lines = [
        f"{group:10} {report.right[group]:4}/{report.asked[group]:<4} "
        f"{100 * report.right[group] / report.asked[group]:5.1f} %"
        + (f"  ({report.wrong[group]} wrong)" if report.wrong[group] else "")
        for group in sorted(report.asked)
    ]
    lines.append(
        f"in scope {100 * report.in_scope:.1f} %, out of scope answered honestly "
        f"{100 * report.out_of_scope:.1f} %, overall {100 * report.overall:.1f} %"
        f" ({report.clarified} of the right ones by a choice between candidates)"
    )
    lines.append(
        f"wrong answers (a topic not asked about) {sum(report.wrong.values())}"
        f" = {100 * report.wrong_share:.1f} %"
    )
    for miss in report.misses:
        if halves is not None and miss.question.half not in halves:
            continue
        expected = ", ".join(miss.question.expect) or "none"
        if miss.question.greeting:
            expected = f"greeting:{miss.question.greeting}"
        got = ", ".join(miss.answer.topics) or "-"
        lines.append(
            f"miss [{miss.question.group}] {miss.question.text!r}: expected {expected};"
            f" got {miss.answer.outcome} {got} ({miss.answer.score:.2f})"
        )
    return lines
