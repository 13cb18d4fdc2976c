"""What the answerer reads besides the pack: synonyms and example phrasings, and the pack's FAQ.

content/synonyms.yaml (shared) and content/<pack>/synonyms.yaml:
    synonyms: [[word the pack uses, other word, …], …]
    questions: {topic id: [a way residents ask, …]}
    greetings: {hello|morning|evening|thanks|ok|bye: [a whole message that only greets, …]}
content/<pack>/faq.yaml:
    faq: [{id, questions: [...], answer: {ja, en, easy}, source: <pack source id or URL>}]
Topic ids are listed in tests/answerer/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, StringConstraints, ValidationError

from bot.content.schema import NonEmpty, Pack, Slug, Text, _Model, missing_texts
from bot.errors import PackError

SYNONYMS_FILE = "synonyms.yaml"
FAQ_FILE = "faq.yaml"

# section:about, goal:know, feature:polls, faq:bus-stop …
TopicId = Annotated[
    str,
    StringConstraints(pattern=r"^(section|challenge|goal|actor|system|feature|faq):[a-z0-9-]+$"),
]
SECTIONS = ("about", "examples", "vision", "background", "goals", "roles", "system", "contact")
FEATURES = (
    "polls",
    "events",
    "watch",
    "shifts",
    "outcomes",
    "voice",
    "settings",
    "language",
    "easy",
    "district",
    "link",
    "mydata",
    "forget",
    "help",
    "menu",
)


# A message that only greets, thanks, agrees or says goodbye (こんにちは, ありがとう!, はい, 👍,
# またね) is not a question: it gets a friendly word and the menu, while the answerer's outcome
# stays "not answered" (and it is not kept for staff as an unanswered question).
GreetingKind = Literal["hello", "morning", "evening", "thanks", "ok", "bye"]


class SynonymFile(_Model):
    synonyms: list[Annotated[list[NonEmpty], Field(min_length=2)]] = Field(default_factory=list)
    questions: dict[TopicId, list[NonEmpty]] = Field(default_factory=dict)
    # Questions the bot must not answer (other offices' business): the honest "I don't know".
    out_of_scope: list[NonEmpty] = Field(default_factory=list)
    # Other offices and services named without an office's ending (消防, けいさつ, police):
    # a question naming one is theirs to answer, unless the pack speaks of it.
    other_offices: list[NonEmpty] = Field(default_factory=list)
    greetings: dict[GreetingKind, list[NonEmpty]] = Field(default_factory=dict)


class FaqEntry(_Model):
    id: Slug
    questions: list[NonEmpty] = Field(min_length=1)
    answer: Text
    # A pack source id, or the address of the page the answer was written from.
    source: NonEmpty


class FaqFile(_Model):
    faq: list[FaqEntry] = Field(default_factory=list)


def _read(path: Path) -> object:
    if not path.is_file():
        return {}
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from None


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
        for error in exc.errors()
    )


def _synonym_file(path: Path) -> SynonymFile:
    try:
        return SynonymFile.model_validate(_read(path))
    except ValidationError as exc:
        raise PackError(f"{path}: {_describe(exc)}") from None


def load_synonyms(content_dir: Path, pack: str) -> SynonymFile:
    """The shared synonyms and phrasings with the pack's own added (both files optional)."""
    shared = _synonym_file(content_dir / SYNONYMS_FILE)
    own = _synonym_file(content_dir / pack / SYNONYMS_FILE)
    questions = {topic: list(phrasings) for topic, phrasings in shared.questions.items()}
    for topic, phrasings in own.questions.items():
        questions.setdefault(topic, []).extend(phrasings)
    greetings = {kind: list(words) for kind, words in shared.greetings.items()}
    for kind, words in own.greetings.items():
        greetings.setdefault(kind, []).extend(words)
    return SynonymFile(
        synonyms=[*own.synonyms, *shared.synonyms],
        questions=questions,
        out_of_scope=[*shared.out_of_scope, *own.out_of_scope],
        other_offices=[*shared.other_offices, *own.other_offices],
        greetings=greetings,
    )


def load_faq(content_dir: Path, pack: Pack) -> list[FaqEntry]:
    """The pack's FAQ entries (content/<pack>/faq.yaml, optional); sources must resolve."""
    path = content_dir / pack.id / FAQ_FILE
    try:
        entries = FaqFile.model_validate(_read(path)).faq
    except ValidationError as exc:
        raise PackError(f"{path}: {_describe(exc)}") from None
    source_ids = {source.id for source in pack.sources}
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise PackError(f"{path}: faq.{index}.id: {entry.id!r} is used twice")
        seen.add(entry.id)
        if entry.source not in source_ids and not re.match(r"^https?://", entry.source):
            raise PackError(
                f"{path}: faq.{index}.source: {entry.source!r} is neither a source id of the"
                f" pack ({', '.join(sorted(source_ids))}) nor an http(s) address"
            )
    return entries


def check_answer_files(content_dir: Path, pack: Pack) -> list[str]:
    """Problems in the pack's FAQ and synonym files, topic ids the pack does not have included."""
    problems: list[str] = []
    try:
        entries = load_faq(content_dir, pack)
        load_synonyms(content_dir, pack.id)
    except PackError as exc:
        return [str(exc)]
    path = content_dir / pack.id / FAQ_FILE
    problems += [f"{path}: faq.{gap}: missing" for gap in missing_texts(entries)]
    # The shared file may name topics only some packs have; the pack's own may not.
    own = content_dir / pack.id / SYNONYMS_FILE
    known = known_topic_ids(pack, entries)
    for topic in _synonym_file(own).questions:
        if topic not in known:
            problems.append(f"{own}: questions: {topic!r} is not a topic of {pack.id}")
    return problems


def known_topic_ids(pack: Pack, faq: list[FaqEntry]) -> set[str]:
    """Every topic id the answerer can answer from this pack (live topics aside)."""
    sections = set(SECTIONS)
    if pack.background is None:
        sections.discard("background")
    if not pack.about.examples:
        sections.discard("examples")
    ids = {f"section:{name}" for name in sections}
    ids |= {f"feature:{name}" for name in FEATURES}
    if pack.background is not None:
        ids |= {f"challenge:{n}" for n in range(1, len(pack.background.challenges) + 1)}
    ids |= {f"goal:{goal.id}" for goal in pack.goals.items}
    ids |= {f"actor:{actor.id}" for actor in pack.actors.items}
    ids |= {f"system:{part.id}" for part in pack.system.parts}
    ids |= {f"faq:{entry.id}" for entry in faq}
    return ids
