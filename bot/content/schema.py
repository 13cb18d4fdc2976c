"""The shape of a content pack, validated by pydantic.

A pack explains one municipality's community-building ordinance. Every text exists in Japanese
and English; やさしい日本語 (easy Japanese) where the pack has written it, Japanese otherwise
(`chiiki content check` lists what is missing). Every section names its source page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.core.localized import LANGUAGES, Localized

# Ids travel inside choice data (`goal:<id>`), so they stay short and plain.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """One text in every language chiiki speaks."""

    ja: NonEmpty
    en: NonEmpty
    easy: NonEmpty | None = None

    def pick(self, language: str) -> str:
        """The text in `language`, by the one rule (bot/core/localized.py)."""
        return self.localized().pick(language)

    def localized(self) -> Localized:
        return Localized(self.ja, self.en, self.easy)


class Message(_Model):
    """A pack's own wording of a catalog phrase: every language, the catalog's placeholders."""

    ja: NonEmpty
    en: NonEmpty
    easy: NonEmpty


# A catalog key: help.roles, menu.goals.
MessageKey = Annotated[str, StringConstraints(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]


class Source(_Model):
    id: Slug
    title: Text
    publisher: Text
    registered: dt.date | None = None
    url: str | None = None


class _Sourced(_Model):
    source: Slug


Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class Theme(_Model):
    """The city's colours, for pictures chiiki draws (the LINE rich menu)."""

    primary: Colour = "#2e7d32"
    background: Colour = "#ffffff"
    text: Colour = "#1b1b1b"


class Municipality(_Model):
    name: Text
    prefecture: Text
    theme: Theme = Theme()


class Contact(_Sourced):
    office: Text
    address: Text | None = None
    phone: str | None = None
    fax: str | None = None
    # The office is the city's switchboard (代表), which puts residents through to any office:
    # questions about other offices' business are sent there.
    switchboard: bool = False


class Vision(_Sourced):
    statement: Text
    text: Text


class Challenge(_Model):
    title: Text
    text: Text


class Background(_Sourced):
    heading: Text
    intro: Text
    challenges: list[Challenge] = Field(default_factory=list)


class Goal(_Model):
    """A numbered goal (Tomioka) or a basic principle (Matsumoto)."""

    id: Slug
    title: Text
    subtitle: Text | None = None
    text: Text | None = None
    # What each actor does for this goal, keyed by actor id; principles may have none.
    actions: dict[Slug, Text] = Field(default_factory=dict)


class Goals(_Sourced):
    kind: Literal["goals", "principles"]
    heading: Text
    intro: Text | None = None
    items: list[Goal] = Field(min_length=1, max_length=12)
    # How the page heads an actor's part under each goal when it differs from the actor's
    # name (Tomioka: 市（公民館）), keyed by actor id.
    actor_labels: dict[Slug, Text] = Field(default_factory=dict)

    def actor_label(self, actor: Actor) -> Text:
        return self.actor_labels.get(actor.id, actor.name)


class Actor(_Model):
    id: Slug
    name: Text
    who: Text
    roles: list[Text] = Field(min_length=1)


class Actors(_Sourced):
    # Said before the list when the page has no such list and chiiki grouped it (Matsumoto).
    note: Text | None = None
    items: list[Actor] = Field(min_length=1, max_length=12)


class About(_Sourced):
    definition: Text
    why: Text | None = None
    basic_idea: Text | None = None
    examples: list[Text] = Field(default_factory=list)


class SystemPart(_Model):
    id: Slug
    name: Text
    text: Text
    group: Slug | None = None  # the id of the SystemGroup the page puts it under


class SystemGroup(_Model):
    """A heading the page puts parts under (Matsumoto: 地域システム and 行政システム)."""

    id: Slug
    name: Text
    text: Text


class LocalSystem(_Sourced):
    heading: Text
    intro: Text | None = None
    groups: list[SystemGroup] = Field(default_factory=list)
    parts: list[SystemPart] = Field(min_length=1)

    def parts_of(self, group_id: str | None) -> list[SystemPart]:
        return [part for part in self.parts if part.group == group_id]


class District(_Model):
    id: Slug
    name: Text


class Pack(_Model):
    id: Slug
    municipality: Municipality
    sources: list[Source] = Field(min_length=1)
    contact: Contact
    vision: Vision
    background: Background | None = None
    goals: Goals
    actors: Actors
    about: About
    system: LocalSystem
    districts: list[District] = Field(default_factory=list)
    # Catalog phrases worded for this city (content/messages.yaml has the shared wording).
    messages: dict[MessageKey, Message] = Field(default_factory=dict)
    # Words this city's easy texts may use without a reading (bot/content/easy_check.py).
    easy_exceptions: list[NonEmpty] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> Pack:
        source_ids = _unique([s.id for s in self.sources], "sources")
        for name in ("contact", "vision", "background", "goals", "actors", "about", "system"):
            section = getattr(self, name)
            if section is not None and section.source not in source_ids:
                raise ValueError(f"{name}.source: no source with id {section.source!r}")
        actor_ids = _unique([a.id for a in self.actors.items], "actors.items")
        _unique([g.id for g in self.goals.items], "goals.items")
        _unique([d.id for d in self.districts], "districts")
        _unique([p.id for p in self.system.parts], "system.parts")
        group_ids = _unique([g.id for g in self.system.groups], "system.groups")
        for index, part in enumerate(self.system.parts):
            if part.group is not None and part.group not in group_ids:
                raise ValueError(f"system.parts.{index}.group: no group with id {part.group!r}")
        for actor_id in self.goals.actor_labels:
            if actor_id not in actor_ids:
                raise ValueError(f"goals.actor_labels: {actor_id!r} is not an actor id")
        for index, goal in enumerate(self.goals.items):
            for actor_id in goal.actions:
                if actor_id not in actor_ids:
                    raise ValueError(
                        f"goals.items.{index}.actions: {actor_id!r} is not an actor id "
                        f"({', '.join(sorted(actor_ids))})"
                    )
        return self

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals.items if g.id == goal_id), None)

    def actor(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors.items if a.id == actor_id), None)

    def actor_names(self, actor_ids: tuple[str, ...], language: str) -> str:
        """The named actors in `language`, as a list a sentence can hold: 市民、市 in Japanese,
        "Residents, groups and the city" in English."""
        actors = (self.actor(actor_id) for actor_id in actor_ids)
        names = [actor.name.pick(language) for actor in actors if actor is not None]
        if language != "en":
            return "、".join(names)
        if len(names) < 2:
            return "".join(names)
        # Inside a list, "The city" after the first name reads "the city" (acronyms stay).
        later = [_lower_first(name) for name in names[1:]]
        return ", ".join([names[0], *later[:-1]]) + " and " + later[-1]

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)


def texts_in(node: object, where: str = "") -> list[tuple[str, Text]]:
    """Every Text in a pack or a part of one, with where it stands (`events.0.title`)."""
    if isinstance(node, Text):
        return [(where, node)]
    if isinstance(node, BaseModel):
        items: list[tuple[str, object]] = [
            (name, getattr(node, name)) for name in type(node).model_fields
        ]
    elif isinstance(node, dict):
        items = [(str(key), value) for key, value in node.items()]
    elif isinstance(node, list):
        items = [(str(index), value) for index, value in enumerate(node)]
    else:
        return []
    return [
        found for name, value in items for found in texts_in(value, f"{where}.{name}".lstrip("."))
    ]


def missing_texts(node: object) -> list[str]:
    """Where a pack text has no version in some language (only `easy` may be left out)."""
    return [
        f"{where} ({language})"
        for where, text in texts_in(node)
        for language in LANGUAGES
        if not getattr(text, language)
    ]


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _unique(ids: list[str], where: str) -> set[str]:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"{where}: id {value!r} is used twice")
        seen.add(value)
    return seen
