"""The answerer's evaluation questions (tests/answerer/questions_<pack>.yaml) stay well formed.

Every label must name something the pack (or the bot) really has, so a renamed goal, actor or
system part in a pack shows up here instead of as a silent miss in the evaluation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content import load_pack

CONTENT = PROJECT_ROOT / "content"
QUESTIONS = Path(__file__).parent / "answerer"
PACKS = ("tomioka", "matsumoto")
GROUPS = (
    *("polite", "casual", "kana", "typo", "elderly"),
    *("easy", "english", "label", "action", "oos"),
)
# Sections every pack has; `examples` and `background` only where the pack holds them.
SECTIONS = ("about", "vision", "goals", "roles", "system", "contact")
FEATURES = (
    *("polls", "events", "watch", "shifts", "outcomes", "voice", "settings", "language"),
    *("easy", "district", "link", "mydata", "forget", "help", "menu"),
)


def _questions(pack: str) -> list[dict]:
    return yaml.safe_load((QUESTIONS / f"questions_{pack}.yaml").read_text(encoding="utf-8"))


def _faq_ids(pack: str) -> set[str]:
    """Ids of the pack's FAQ entries, if it has a faq.yaml (a list, or a mapping with `faq:`)."""
    path = CONTENT / pack / "faq.yaml"
    if not path.is_file():
        return set()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    entries = raw.get("faq", []) if isinstance(raw, dict) else raw
    return {str(entry["id"]) for entry in entries if isinstance(entry, dict) and "id" in entry}


def _topic_ids(pack_name: str) -> set[str]:
    pack = load_pack(CONTENT, pack_name)
    challenges = pack.background.challenges if pack.background else []
    sections = set(SECTIONS)
    sections |= {"examples"} if pack.about.examples else set()
    sections |= {"background"} if pack.background else set()
    return (
        {f"section:{name}" for name in sections}
        | {f"feature:{name}" for name in FEATURES}
        | {f"challenge:{number}" for number in range(1, len(challenges) + 1)}
        | {f"goal:{goal.id}" for goal in pack.goals.items}
        | {f"actor:{actor.id}" for actor in pack.actors.items}
        | {f"system:{part.id}" for part in pack.system.parts}
        | {f"faq:{faq_id}" for faq_id in _faq_ids(pack_name)}
    )


@pytest.mark.parametrize("pack", PACKS)
def test_every_label_names_a_topic_the_pack_has(pack: str) -> None:
    known = _topic_ids(pack)
    unknown = set()
    for item in _questions(pack):
        expected = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        assert expected, item
        unknown |= {topic for topic in expected if topic != "none" and topic not in known}
    assert not unknown, f"labels with no such topic in {pack}: {sorted(unknown)}"


@pytest.mark.parametrize("pack", PACKS)
def test_items_are_complete_and_only_out_of_scope_ones_expect_none(pack: str) -> None:
    questions = _questions(pack)
    for item in questions:
        assert set(item) <= {"q", "expect", "group", "half", "note"}, item
        assert isinstance(item["q"], str) and item["q"].strip(), item
        assert item["group"] in GROUPS, item
        assert item["half"] in ("dev", "test"), item
        assert (item["group"] == "oos") == (item["expect"] == "none"), item
    texts = Counter(item["q"] for item in questions)
    assert [text for text, count in texts.items() if count > 1] == []


@pytest.mark.parametrize("pack", PACKS)
def test_the_set_is_large_and_varied_enough(pack: str) -> None:
    groups = Counter(item["group"] for item in _questions(pack))
    assert sum(groups.values()) >= 240
    assert groups["oos"] >= 40
    assert groups["english"] >= 25
    assert all(groups[group] >= 15 for group in GROUPS), groups


@pytest.mark.parametrize("pack", PACKS)
def test_each_group_is_split_about_evenly_into_dev_and_held_out_test(pack: str) -> None:
    halves = Counter((item["group"], item["half"]) for item in _questions(pack))
    for group in GROUPS:
        assert abs(halves[(group, "dev")] - halves[(group, "test")]) <= 1, group


# The held-out sets (tests/answerer/heldout_<pack>.yaml): written apart, never tuned on.
HELD_OUT_GROUPS = (
    *("kana", "elderly", "parent", "easy", "english"),
    *("paraphrase", "multi", "smalltalk", "oos", "adversarial"),
)
GREETING_KINDS = ("hello", "morning", "evening", "thanks", "ok", "bye")


def _held_out(pack: str) -> list[dict]:
    return yaml.safe_load((QUESTIONS / f"heldout_{pack}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("pack", PACKS)
def test_held_out_labels_name_topics_the_pack_has_and_items_are_complete(pack: str) -> None:
    known = _topic_ids(pack) | {f"greeting:{kind}" for kind in GREETING_KINDS} | {"none"}
    items = _held_out(pack)
    for item in items:
        assert set(item) <= {"q", "expect", "group", "half", "note"}, item
        assert item["group"] in HELD_OUT_GROUPS and item["half"] in ("dev", "test"), item
        expected = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        assert expected and set(expected) <= known, item
        if item["group"] == "oos":
            assert expected == ["none"], item
    # A few short ones (メニュー, 使い方) are in the evaluation set too: residents type them.
    texts = Counter(item["q"] for item in items)
    assert [text for text, count in texts.items() if count > 1] == []


@pytest.mark.parametrize("pack", PACKS)
def test_held_out_sets_are_large_and_split_evenly(pack: str) -> None:
    items = _held_out(pack)
    groups = Counter(item["group"] for item in items)
    assert sum(groups.values()) >= 120
    assert all(groups[group] >= 10 for group in HELD_OUT_GROUPS), groups
    halves = Counter((item["group"], item["half"]) for item in items)
    for group in HELD_OUT_GROUPS:
        assert abs(halves[(group, "dev")] - halves[(group, "test")]) <= 1, group


# Held-out set 3 (tests/answerer/heldout3_<pack>.yaml): residents' own wording (misconversions,
# voice input, dialect, half-width kana, fragments, contrast), written apart, never tuned on.
HELD_OUT_3_GROUPS = (
    *("typo", "voice", "width", "dialect", "facts", "elderly"),
    *("parent", "fragment", "mixed", "contrast", "oos"),
)


def _held_out_3(pack: str) -> list[dict]:
    return yaml.safe_load((QUESTIONS / f"heldout3_{pack}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("pack", PACKS)
def test_held_out_3_labels_name_topics_the_pack_has_and_questions_are_new(pack: str) -> None:
    known = _topic_ids(pack) | {"none"}
    items = _held_out_3(pack)
    for item in items:
        assert set(item) <= {"q", "expect", "group", "half", "note"}, item
        assert item["group"] in HELD_OUT_3_GROUPS and item["half"] in ("dev", "test"), item
        expected = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        assert expected and set(expected) <= known, item
        if item["group"] == "oos":
            assert expected == ["none"], item
    texts = [item["q"] for item in items]
    assert len(set(texts)) == len(texts)
    earlier = {item["q"] for item in _questions(pack) + _held_out(pack)}
    assert earlier.isdisjoint(texts)


@pytest.mark.parametrize("pack", PACKS)
def test_held_out_3_sets_are_large_and_each_group_alternates_dev_and_test(pack: str) -> None:
    items = _held_out_3(pack)
    assert len(items) >= 150
    for group in HELD_OUT_3_GROUPS:
        halves = [item["half"] for item in items if item["group"] == group]
        assert len(halves) >= 10, group
        assert halves == ["dev", "test"] * (len(halves) // 2) + ["dev"] * (len(halves) % 2), group
