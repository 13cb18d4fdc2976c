from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.content import LANGUAGES, check_packs, list_packs, load_catalog, load_pack
from bot.errors import PackError

CONTENT = PROJECT_ROOT / "content"


def test_both_seed_packs_are_valid() -> None:
    assert {"tomioka", "matsumoto"} <= set(list_packs(CONTENT))
    assert check_packs(CONTENT) == []


def test_tomioka_pack_holds_the_facts_of_its_page() -> None:
    pack = load_pack(CONTENT, "tomioka")
    assert [g.title.ja for g in pack.goals.items] == [
        "地域を知ろう",
        "地域について話し合おう",
        "地域づくりに関わろう",
    ]
    assert pack.goals.kind == "goals"
    assert len(pack.background.challenges) == 4  # type: ignore[union-attr]
    assert {"residents", "groups", "city"} == {a.id for a in pack.actors.items}
    for goal in pack.goals.items:
        assert set(goal.actions) == {"residents", "groups", "city"}
    system = {part.id: part.text.ja for part in pack.system.parts}
    assert "平成25年度" in system["council"] and "2013" in system["council"]
    assert "令和3年度" in system["round-table"] and "2021" in system["round-table"]
    assert pack.vision.statement.ja == "誰もが安心して暮らし続けられる地域社会"
    assert pack.contact.phone == "0274-62-1511"
    assert str(pack.sources[0].registered) == "2022-04-01"


def test_matsumoto_pack_reads_as_principles() -> None:
    pack = load_pack(CONTENT, "matsumoto")
    assert pack.goals.kind == "principles"
    assert len(pack.goals.items) == 3
    assert "健康寿命延伸都市・松本" in (pack.about.basic_idea.ja if pack.about.basic_idea else "")
    names = {part.name.ja for part in pack.system.parts}
    assert {
        "緩やかな協議体",
        "地区別地域づくり計画",
        "町会との協働",
        "地域づくりセンター",
    } <= names
    assert any("課題解決支援チーム" in part.text.ja for part in pack.system.parts)


def write_pack(folder: Path, name: str, mutate) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((CONTENT / "tomioka" / "pack.yaml").read_text(encoding="utf-8"))
    raw["id"] = name
    mutate(raw)
    (folder / name).mkdir(parents=True)
    (folder / name / "pack.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda raw: raw["goals"]["items"][1]["title"].pop("en"), "goals.items.1.title.en"),
        (lambda raw: raw["vision"]["statement"].update(ja="   "), "vision.statement.ja"),
        (lambda raw: raw["goals"].update(source="nowhere"), "goals.source"),
        (
            lambda raw: raw["goals"]["items"][0]["actions"].update(mayor={"ja": "x", "en": "x"}),
            "goals.items.0.actions",
        ),
        (lambda raw: raw["goals"]["items"][0].update(id="Not A Slug"), "goals.items.0.id"),
        (lambda raw: raw.update(surprise=1), "surprise"),
        (lambda raw: raw["actors"]["items"].append(raw["actors"]["items"][0]), "actors.items"),
    ],
)
def test_a_broken_pack_fails_naming_its_file_and_field(tmp_path: Path, mutate, field) -> None:  # type: ignore[no-untyped-def]
    write_pack(tmp_path, "broken", mutate)
    with pytest.raises(PackError) as caught:
        load_pack(tmp_path, "broken")
    assert "broken/pack.yaml" in str(caught.value)
    assert field in str(caught.value)


def test_an_unknown_pack_lists_the_ones_there_are() -> None:
    with pytest.raises(PackError, match="available: matsumoto, tomioka"):
        load_pack(CONTENT, "atlantis")


def test_content_check_command_exits_non_zero_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write_pack(tmp_path, "good", lambda raw: None)
    runner = CliRunner()
    ok = runner.invoke(main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)})
    assert ok.exit_code == 0, ok.output
    write_pack(tmp_path, "bad", lambda raw: raw["about"].pop("definition"))
    bad = runner.invoke(main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)})
    assert bad.exit_code == 1
    assert "bad/pack.yaml: about.definition" in bad.output


def test_every_catalog_key_exists_in_every_language() -> None:
    raw = yaml.safe_load((CONTENT / "messages.yaml").read_text(encoding="utf-8"))
    for key, entry in raw.items():
        for language in LANGUAGES:
            assert entry.get(language), f"{key} has no {language}"


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    # In handlers/ and the command table, every string literal shaped like `area.name` is a
    # catalog key.
    catalog = load_catalog(CONTENT)
    used: set[str] = set()
    sources = [*(PROJECT_ROOT / "handlers").glob("*.py"), PROJECT_ROOT / "bot/core/commands.py"]
    for path in sources:
        used |= set(re.findall(r"""["']([a-z]+\.[a-z_.]+)["']""", path.read_text("utf-8")))
    assert {"menu.goals", "forget.confirm", "fallback.unknown"} <= used, "the scan is out of date"
    missing = used - catalog.keys()
    assert not missing, f"keys used in handlers/ but missing from messages.yaml: {missing}"


def test_a_catalog_entry_missing_a_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text("hello: {ja: こんにちは}\n", encoding="utf-8")
    with pytest.raises(PackError, match="hello: missing en, easy"):
        load_catalog(tmp_path)


def test_catalog_placeholders_must_agree_between_languages(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        'hi: {ja: "{name}さん", en: "Hi {nmae}", easy: "{name}さん"}\n', encoding="utf-8"
    )
    with pytest.raises(PackError, match="different placeholders"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("messages", "fault"),
    [
        ({"menu.nowhere": {"ja": "x", "en": "x", "easy": "x"}}, "messages.menu.nowhere: no such"),
        (
            {"help.roles": {"ja": "{who}", "en": "x", "easy": "x"}},
            "messages.help.roles.ja: placeholders ['who']",
        ),
        ({"menu.goals": {"ja": "理念", "en": "Principles"}}, "messages.menu.goals.easy"),
    ],
)
def test_a_packs_own_wording_must_fit_the_catalog(tmp_path: Path, messages, fault) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write_pack(tmp_path, "worded", lambda raw: raw.update(messages=messages))
    result = CliRunner().invoke(
        main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "worded/pack.yaml" in result.output and fault in result.output
