"""よくある質問 written by staff, and the questions residents did not get answered.

The dashboard and the `chiiki faq` command both go through these functions, so an entry the
answerer reads has passed the same checks whichever way it came in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from bot.errors import ChiikiError
from bot.staff.actor import StaffActor
from bot.staff.audit import FAQ_ADDED, FAQ_CHANGED, FAQ_REMOVED, UNANSWERED_DISMISSED, record
from bot.staff.roles import require_change
from bot.storage.faq import FaqRepository, UnansweredRepository

MAX_QUESTIONS = 10
MAX_QUESTION_CHARS = 200
MAX_ANSWER_CHARS = 2000
MAX_SOURCE_CHARS = 500
FIELDS = ("questions", "answer_ja", "answer_en", "answer_easy", "source")
# Control characters other than line breaks and tabs: PostgreSQL refuses NUL in text, and
# none of them belongs in an answer residents read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class FaqProblem:
    """What is wrong with one field. `code` names the text shown (dashboard: `faq.error.<code>`
    in texts.yaml); `values` fill it in."""

    field: str
    code: str
    values: dict[str, int] = field(default_factory=dict)


# English for the command line and logs; the dashboard shows texts.yaml in its own language.
ENGLISH = {
    "questions_missing": "questions: give at least one way residents ask it",
    "questions_too_many": "questions: at most {limit} ways of asking (there are {count})",
    "question_too_long": "questions: line {line} is {length} characters, at most {limit}",
    "answer_missing": "answer_ja: the answer in Japanese is required",
    "answer_too_long": "{field}: {length} characters, at most {limit}",
    "source_not_url": "source: a web address starting with http:// or https://",
    "source_too_long": "source: {length} characters, at most {limit}",
}


class FaqError(ChiikiError):
    """An entry that cannot be saved; `problems` holds every field at fault, not only the first."""

    def __init__(self, problems: list[FaqProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(describe(p) for p in problems))

    def by_field(self) -> dict[str, FaqProblem]:
        found: dict[str, FaqProblem] = {}
        for problem in self.problems:
            found.setdefault(problem.field, problem)
        return found


def describe(problem: FaqProblem) -> str:
    return ENGLISH[problem.code].format(field=problem.field, **problem.values)


@dataclass(frozen=True, slots=True)
class FaqDraft:
    """A checked entry, ready to be stored."""

    questions: tuple[str, ...]
    answer_ja: str
    answer_en: str | None
    answer_easy: str | None
    source: str | None


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def question_lines(text: str) -> list[str]:
    """One way of asking per line; blank lines and repeats dropped, the order kept."""
    seen: dict[str, None] = {}
    for line in _clean(text).split("\n"):
        line = " ".join(line.split())
        if line:
            seen.setdefault(line, None)
    return list(seen)


def check_faq(
    questions: list[str],
    answer_ja: str,
    answer_en: str | None = None,
    answer_easy: str | None = None,
    source: str | None = None,
) -> FaqDraft:
    """The entry as it will be stored, or FaqError naming every field at fault."""
    problems: list[FaqProblem] = []
    asked = question_lines("\n".join(questions))
    if not asked:
        problems.append(FaqProblem("questions", "questions_missing"))
    elif len(asked) > MAX_QUESTIONS:
        values = {"limit": MAX_QUESTIONS, "count": len(asked)}
        problems.append(FaqProblem("questions", "questions_too_many", values))
    else:
        for number, line in enumerate(asked, 1):
            if len(line) > MAX_QUESTION_CHARS:
                values = {"line": number, "length": len(line), "limit": MAX_QUESTION_CHARS}
                problems.append(FaqProblem("questions", "question_too_long", values))
                break
    answers = {
        "answer_ja": _clean(answer_ja),
        "answer_en": _clean(answer_en or ""),
        "answer_easy": _clean(answer_easy or ""),
    }
    if not answers["answer_ja"]:
        problems.append(FaqProblem("answer_ja", "answer_missing"))
    for name, text in answers.items():
        if len(text) > MAX_ANSWER_CHARS:
            values = {"length": len(text), "limit": MAX_ANSWER_CHARS}
            problems.append(FaqProblem(name, "answer_too_long", values))
    address = _clean(source or "")
    if len(address) > MAX_SOURCE_CHARS:
        values = {"length": len(address), "limit": MAX_SOURCE_CHARS}
        problems.append(FaqProblem("source", "source_too_long", values))
    elif address and not _is_web_address(address):
        problems.append(FaqProblem("source", "source_not_url"))
    if problems:
        raise FaqError(problems)
    return FaqDraft(
        tuple(asked),
        answers["answer_ja"],
        answers["answer_en"] or None,
        answers["answer_easy"] or None,
        address or None,
    )


def _is_web_address(text: str) -> bool:
    # Shown to residents as a link: only http(s), so never javascript: or data:.
    if any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


async def add_faq(faq: FaqRepository, draft: FaqDraft, now: datetime, *, actor: StaffActor) -> int:
    """FAQ entries are city-wide: admins only."""
    require_change(actor, None)
    entry_id = await faq.add(
        list(draft.questions),
        draft.answer_ja,
        draft.answer_en,
        draft.answer_easy,
        draft.source,
        now,
    )
    await record(actor, FAQ_ADDED, now, "faq", entry_id)
    return entry_id


async def update_faq(
    faq: FaqRepository, entry_id: int, draft: FaqDraft, now: datetime, *, actor: StaffActor
) -> bool:
    require_change(actor, None)
    updated = await faq.update(
        entry_id,
        list(draft.questions),
        draft.answer_ja,
        draft.answer_en,
        draft.answer_easy,
        draft.source,
        now,
    )
    if updated:
        await record(actor, FAQ_CHANGED, now, "faq", entry_id)
    return updated


async def answer_unanswered(
    faq: FaqRepository,
    unanswered: UnansweredRepository,
    question_id: int | None,
    draft: FaqDraft,
    now: datetime,
    *,
    actor: StaffActor,
) -> int:
    """Add the entry; the unanswered question it came from (and its repeats) leave the list."""
    entry_id = await add_faq(faq, draft, now, actor=actor)
    if question_id is not None:
        await unanswered.dismiss(question_id)
    return entry_id


async def remove_faq(
    faq: FaqRepository, entry_id: int, now: datetime, *, actor: StaffActor
) -> bool:
    """False when there is no such entry (removed meanwhile, or never there)."""
    require_change(actor, None)
    removed = await faq.remove(entry_id)
    if removed:
        await record(actor, FAQ_REMOVED, now, "faq", entry_id)
    return removed


async def dismiss_unanswered(
    unanswered: UnansweredRepository, question_id: int, now: datetime, *, actor: StaffActor
) -> bool:
    """Take a question (and its repeats) off the unanswered list without answering it."""
    require_change(actor, None)
    dismissed = await unanswered.dismiss(question_id)
    if dismissed:
        await record(actor, UNANSWERED_DISMISSED, now, "unanswered", question_id)
    return dismissed


def one_line(text: str) -> str:
    """For a terminal: what residents typed cannot move the cursor or colour the screen."""
    return " ".join(_CONTROL.sub(" ", text).split())
