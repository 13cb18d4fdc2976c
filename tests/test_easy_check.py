"""The やさしい日本語 checker: the shipped content passes, each kind of fault is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.content import list_packs, load_catalog, load_pack
from bot.content.easy_check import check_catalog, check_pack, check_text, sentence_length
from bot.content.kanji import basic_kanji, is_hard
from tests.test_content import CONTENT, write_pack


def test_the_kanji_list_holds_grades_one_and_two() -> None:
    known = basic_kanji()
    assert len(known) == 240
    assert {"一", "森", "話", "曜"} <= known
    assert not {"民", "域", "課", "県"} & known
    assert is_hard("市民") and not is_hard("学校") and not is_hard("ひらがな")


def test_the_catalog_and_both_packs_pass() -> None:
    assert check_catalog(load_catalog(CONTENT), "messages.yaml") == []
    for name in list_packs(CONTENT):
        assert check_pack(load_pack(CONTENT, name), name) == [], name


def test_length_is_counted_without_readings_and_spaces() -> None:
    assert sentence_length("地域（ちいき）の 課題（かだい）です。") == 8
    assert sentence_length("{city}の 説明です。") == 8  # a placeholder counts as 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("これは" + "とても ながい ぶんしょう、" * 4 + "です。", "characters (at most about 40"),
        ("きまり（条例（じょうれい））を つくりました。", "brackets inside brackets"),
        ("市民が あつまります。", "「市民」needs a reading"),
        ("市長が いらっしゃいます。", "honorific form 「いらっしゃ」"),
        ("ご意見を いただきます。", "honorific form 「いただ」"),
        ("お待ちして おります。申し上げます。", "honorific form 「申し上げ」"),
        ("グループで 話します。", "katakana 「グループ」"),
        ("前の 日に お知らせします。", "honorific form 「お知らせします」"),
        ("書類を ご確認ください。", "honorific form 「ご確認ください」"),
        ("行けない ことは ないです。", "a double negative"),
        ("わからなくは ありません。", "a double negative"),
        ("もう 一度（いちど） 送ってください。", "a number in kanji 「一度」"),
        ("三人まで です。", "a number in kanji 「三人」"),
        ("データを けします。", "katakana 「データ」"),
        ("地域（ちいき）は 大切だ。", "not です/ます"),
        ("あした 会を ひらく。", "not です/ます"),
        ("会は 17時から です。", "a 24-hour time 「17時」"),
        ("会は 17時30分から です。", "a 24-hour time 「17時」"),
        ("会は 17:00から です。", "a clock time 「17:00」"),
        ("会は 9:30から です。", "a clock time 「9:30」"),
        ("会は 午後5時00分から です。", "「00分」"),
    ],
)
def test_each_kind_of_fault_is_caught(text: str, problem: str) -> None:
    faults = check_text(text)
    assert any(problem in found for found, _ in faults), faults


def test_a_reading_counts_at_first_use_and_after_kana_endings() -> None:
    assert check_text("市民（しみん）が 来ます。市民の 声です。") == []
    assert check_text("見守り（みまもり）を します。問い合わせ（といあわせ）です。") == []
    assert check_text("松本市（まつもとし）の 町、松本です。") == []
    # Later use cannot stand in for the first.
    assert [w for w, _ in check_text("市民が 来ます。市民（しみん）です。")] == [
        "「市民」needs a reading in brackets at its first use"
    ]


def test_times_written_the_guidelines_way_pass() -> None:
    assert check_text("会は 午後5時から 午後6時30分まで です。") == []
    assert check_text("12月5日（土） 午前10時に あつまります。") == []
    assert check_text("2030年に 10人 来ます。") == []  # a year, a count: not a time


def test_set_greetings_are_not_honorifics() -> None:
    assert check_text("ありがとうございました。ごめんなさい。") == []


def test_a_notice_as_a_noun_is_not_humble() -> None:
    assert check_text("お知らせを します。お知らせが あります。あした 知らせます。") == []


def write_catalog(folder: Path, entries: dict[str, dict[str, str]]) -> Path:
    (folder / "messages.yaml").write_text(
        yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8"
    )
    return folder


def test_a_button_is_named_as_it_reads(tmp_path: Path) -> None:
    button = {"ja": "場所なし", "en": "No place", "easy": "場所（ばしょ）なし"}
    misnamed = {
        "ja": "なければ「場所なし」を押してください。",
        "en": 'Otherwise tap "No place".',
        "easy": "場所（ばしょ）が ない ときは、「場所なし」を おしてください。",
    }
    catalog = load_catalog(write_catalog(tmp_path, {"no_place": button, "ask": misnamed}))
    (fault,) = check_catalog(catalog, "messages.yaml")
    assert (
        fault.key == "ask"
        and "「場所なし」 names a button that reads 「場所（ばしょ）なし」" in str(fault)
    )
    named = {
        **misnamed,
        "easy": misnamed["easy"].replace("「場所なし」", "「場所（ばしょ）なし」"),
    }
    catalog = load_catalog(write_catalog(tmp_path, {"no_place": button, "ask": named}))
    assert check_catalog(catalog, "messages.yaml") == []


def test_polite_endings_pass_with_a_note_after_them() -> None:
    assert check_text("ひとことを 送（おく）ってください（10文字まで）。") == []
    assert check_text("【お知らせ】") == []  # a heading is not a sentence
    assert check_text("いっしょに 考えてみませんか。") == []


def test_a_pack_may_allow_words_without_a_reading() -> None:
    assert check_text("富岡の 町です。", exceptions=("富岡",)) == []
    assert check_text("富岡の 町です。") != []


def test_content_check_names_file_key_and_sentence(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    bad = "市民の グループが あつまります。"
    write_pack(tmp_path, "hard", lambda raw: raw["vision"]["statement"].update(easy=bad))
    result = CliRunner().invoke(
        main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "hard/pack.yaml" in line]
    assert len(lines) == 2, result.output
    assert all("vision.statement (easy)" in line and bad in line for line in lines)
    assert "「市民」needs a reading" in lines[0] + lines[1]
    assert "katakana 「グループ」" in lines[0] + lines[1]


def test_a_packs_own_catalog_wording_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    wording = {"menu.goals": {"ja": "理念", "en": "Principles", "easy": "基本理念"}}
    write_pack(tmp_path, "worded", lambda raw: raw.update(messages=wording))
    result = CliRunner().invoke(
        main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "worded/pack.yaml: messages.menu.goals (easy)" in result.output


def test_a_packs_faq_answers_are_checked_too(tmp_path: Path) -> None:
    (tmp_path / "messages.yaml").write_text(
        (CONTENT / "messages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write_pack(tmp_path, "asked", lambda raw: None)
    entry = {
        "id": "since-when",
        "questions": ["条例はいつからですか"],
        "answer": {
            "ja": "2022年4月1日からです。",
            "en": "Since 1 April 2022.",
            "easy": "条例は 2022年からです。",
        },
        "source": "ordinance",
    }
    (tmp_path / "asked" / "faq.yaml").write_text(
        yaml.safe_dump({"faq": [entry]}, allow_unicode=True), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["content", "check"], env={"CHIIKI_CONTENT_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "asked/faq.yaml: faq.since-when.answer (easy): 「条例」needs a reading" in result.output


def test_a_packs_exceptions_apply_to_its_own_texts(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["vision"]["statement"]["easy"] = "富岡の 町です。"
        raw["easy_exceptions"] = ["富岡"]

    write_pack(tmp_path, "local", mutate)
    assert check_pack(load_pack(tmp_path, "local"), "local") == []
