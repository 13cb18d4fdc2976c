"""What the answerer can answer: every section of the pack and every feature of the bot.

A topic is an id (tests/answerer/README.md lists them), a label for its button and the ways
a resident may ask about it: the pack's own titles and names in every language, the shared
and the pack's example phrasings (content/synonyms.yaml), and FAQ questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content import Catalog, Pack, Text
from bot.content.answers import FEATURES, FaqEntry, SynonymFile

# The catalog key of each topic's button label; the pack names the rest.
_LABEL_KEYS = {
    "section:about": "menu.about",
    "section:examples": "topic.examples",
    "section:vision": "topic.vision",
    "section:goals": "menu.goals",
    "section:roles": "menu.roles",
    "section:system": "menu.system",
    "section:contact": "menu.contact",
    "feature:polls": "menu.polls",
    "feature:events": "menu.events",
    "feature:watch": "menu.watch",
    "feature:shifts": "watch.mine_button",
    "feature:outcomes": "menu.outcomes",
    "feature:voice": "menu.voice",
    "feature:settings": "menu.settings",
    "feature:language": "topic.language",
    "feature:easy": "topic.easy",
    "feature:district": "settings.choose_district",
    "feature:link": "menu.link",
    "feature:mydata": "command.mydata",
    "feature:forget": "command.forget",
    "feature:help": "menu.help",
    "feature:menu": "topic.menu",
}
_LANGUAGES = ("ja", "en", "easy")
OUT_OF_SCOPE = "none:"


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: Text
    # Ways of asking: a question close to one of them is a close fit.
    phrasings: tuple[str, ...]
    # The topic's own text (the pack's body): its words count as "about this topic" when a
    # question asks a detail (円卓会議の座長は?), without being a way of asking.
    context: tuple[str, ...] = ()


def _texts(text: Text | None) -> list[str]:
    """A pack text in every language, easy Japanese without its readings in brackets."""
    if text is None:
        return []
    return [_without_readings(value) for value in (text.ja, text.en, text.easy) if value]


def _catalog_text(catalog: Catalog, key: str) -> Text:
    return Text(**{language: catalog.text(key, language) for language in _LANGUAGES})


def _without_readings(text: str) -> str:
    """富岡市（とみおかし） → 富岡市: a label's reading doubles every term otherwise."""
    return re.sub(r"（[ぁ-ゖー\s]+）", "", text)


def _short(text: Text, limit: int = 20) -> Text:
    """A label that fits a LINE quick-reply button."""

    def cut(value: str) -> str:
        value = _without_readings(value)
        return value if len(value) <= limit else value[: limit - 1] + "…"

    return Text(ja=cut(text.ja), en=cut(text.en), easy=cut(text.easy) if text.easy else None)


def build_topics(
    pack: Pack, catalog: Catalog, synonyms: SynonymFile, faq: list[FaqEntry]
) -> list[Topic]:
    """Every answerable topic of the pack, with its phrasings."""
    named: dict[str, tuple[Text, list[str]]] = {}
    contexts: dict[str, list[str]] = {}

    def add(topic_id: str, label: Text, phrasings: list[str], context: list[str] = ()) -> None:
        named[topic_id] = (label, [p for p in phrasings if p])
        contexts[topic_id] = list(context)

    def catalog_topic(topic_id: str, *extra: str, context: list[str] = ()) -> None:
        label = _catalog_text(catalog, _LABEL_KEYS[topic_id])
        add(topic_id, label, [*_texts(label), *extra], context)

    about = pack.about
    catalog_topic(
        "section:about",
        context=[*_texts(about.definition), *_texts(about.basic_idea), *_texts(about.why)],
    )
    # The examples' own words (ゴミ出し, 災害) would pull in questions about rubbish days and
    # disasters, which the bot cannot answer; residents ask for examples in general words.
    if about.examples:
        catalog_topic("section:examples", context=[t for e in about.examples for t in _texts(e)])
    catalog_topic(
        "section:vision", *_texts(pack.vision.statement), context=_texts(pack.vision.text)
    )
    if pack.background is not None:
        background = pack.background
        challenges = len(background.challenges)
        add(
            "section:background",
            _short(background.heading),
            [
                *_texts(background.heading),
                *([f"{challenges}つの課題"] if challenges else []),
            ],
            _texts(background.intro),
        )
        for number, challenge in enumerate(background.challenges, start=1):
            titles = _texts(challenge.title)
            # 「課題1 地域の声の反映」: also without its number, as residents would name it.
            bare = [
                re.sub(r"^(課題（かだい）|課題|challenge)\s*\d+[:：]?\s*", "", t, flags=re.I)
                for t in titles
            ]
            add(
                f"challenge:{number}",
                _short(challenge.title),
                [*titles, *bare, f"課題{number}", f"かだい{number}", f"challenge {number}"],
                _texts(challenge.text),
            )
    # 「3つの目標」 asks for all of them, 「目標3」 for the third.
    count = len(pack.goals.items)
    counted = (
        [f"{count}つの目標"]
        if pack.goals.kind == "goals"
        else [f"{count}つの基本理念", f"{count}つの理念"]
    )
    catalog_topic(
        "section:goals",
        *_texts(pack.goals.heading),
        *counted,
        context=_texts(pack.goals.intro),
    )
    numbered = pack.goals.kind == "goals"
    for number, goal in enumerate(pack.goals.items, start=1):
        titles = _texts(goal.title)
        # Numbered goals are asked for by number (目標1, goal 1); principles are not numbered.
        numbers = [f"目標{number}", f"もくひょう{number}", f"goal {number}"] if numbered else []
        add(
            f"goal:{goal.id}",
            _short(goal.title),
            [
                *titles,
                *_texts(goal.subtitle),
                *(f"「{_without_readings(t)}」とは" for t in titles),
                *numbers,
            ],
            [*_texts(goal.text), *(t for action in goal.actions.values() for t in _texts(action))],
        )
    catalog_topic("section:roles")
    for actor in pack.actors.items:
        names = [_without_readings(n) for n in _texts(actor.name)]
        add(
            f"actor:{actor.id}",
            _short(actor.name),
            [
                *names,
                f"{actor.name.ja}の役割",
                f"{actor.name.ja}は何をするの",
                f"{actor.name.ja}とは",
                f"What does {actor.name.en} do?",
                f"role of {actor.name.en}",
            ],
            [*_texts(actor.who), *(t for role in actor.roles for t in _texts(role))],
        )
    system = pack.system
    catalog_topic(
        "section:system",
        *_texts(system.heading),
        *(t for group in system.groups for t in _texts(group.name)),
        context=[*_texts(system.intro), *(t for g in system.groups for t in _texts(g.text))],
    )
    for part in pack.system.parts:
        names = [_without_readings(n) for n in _texts(part.name)]
        add(
            f"system:{part.id}",
            _short(part.name),
            [*names, *(f"{n}とは" for n in names[:1]), f"What is {part.name.en}?"],
            _texts(part.text),
        )
    contact = pack.contact
    catalog_topic(
        "section:contact",
        *_texts(contact.office),
        *(["FAX番号", "fax number"] if contact.fax else []),
        context=_texts(contact.address),
    )
    for feature in FEATURES:
        catalog_topic(f"feature:{feature}")
    for entry in faq:
        label = _short(Text(ja=entry.questions[0], en=entry.questions[0]))
        add(f"faq:{entry.id}", label, list(entry.questions), _texts(entry.answer))

    # Not a topic to answer: when it wins, the answer is an honest "I don't know".
    # One topic each: a union of every service would explain any word of any question.
    for number, phrasing in enumerate(synonyms.out_of_scope, start=1):
        add(f"{OUT_OF_SCOPE}{number}", Text(ja="-", en="-"), [phrasing])
    for topic_id, phrasings in synonyms.questions.items():
        if topic_id in named:
            named[topic_id][1].extend(phrasings)
    return [
        Topic(topic_id, label, tuple(dict.fromkeys(p)), tuple(contexts[topic_id]))
        for topic_id, (label, p) in named.items()
    ]
