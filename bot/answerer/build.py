"""Build the answerer for one pack from the content folder."""

from __future__ import annotations

from pathlib import Path

from bot import japanese
from bot.answerer.answerer import Answerer
from bot.answerer.live import LiveAnswerer
from bot.answerer.text import Synonyms
from bot.answerer.topics import build_topics
from bot.content import Catalog, Pack
from bot.content.answers import load_faq, load_synonyms
from bot.storage.events import EventRepository
from bot.storage.faq import FaqRepository
from bot.storage.polls import PollRepository
from bot.storage.watch import WatchRepository


def build_answerer(content_dir: Path, pack: Pack, catalog: Catalog) -> Answerer:
    """Load the dictionary, read synonyms and FAQ, analyse every phrasing once."""
    japanese.load()
    synonym_file = load_synonyms(content_dir, pack.id)
    faq = load_faq(content_dir, pack)
    topics = build_topics(pack, catalog, synonym_file, faq)
    # The city's own name is in half the questions and says nothing about what is asked.
    municipality = pack.municipality
    own_names = [
        name
        for text in (municipality.name,)
        for value in (text.ja, text.en, text.easy)
        if value
        for name in (value, value.removesuffix("市"), value.split()[0])
        if len(name) >= 2
    ]
    groups = [list(group) for group in synonym_file.synonyms]
    synonyms = Synonyms.from_groups(groups, ignore=own_names)
    return Answerer(
        topics,
        synonyms,
        greetings=dict(synonym_file.greetings),
        other_offices=list(synonym_file.other_offices),
    )


def open_answerer(
    content_dir: Path,
    pack: Pack,
    catalog: Catalog,
    polls: PollRepository,
    events: EventRepository,
    watch: WatchRepository,
    faq: FaqRepository | None,
) -> LiveAnswerer:
    """The answerer with what staff create kept current (what the bot's handlers use)."""
    answerer = build_answerer(content_dir, pack, catalog)
    pack_faq = {f"faq:{entry.id}": entry for entry in load_faq(content_dir, pack)}
    return LiveAnswerer(answerer, polls, events, watch, faq, pack_faq)
