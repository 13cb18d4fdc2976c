"""The answerer: questions in residents' own words get the section, the action, a choice
between close candidates, or an honest "I don't know" (issue 21)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.answerer import Answerer, Outcome, Thresholds, Topic
from bot.answerer.romaji import is_romaji, spell_in_kana
from bot.answerer.text import NO_SYNONYMS, Synonyms, fold_keyword, is_english, terms
from bot.content import Text
from bot.content.loader import check_packs
from bot.core import Channel, IncomingMessage, Reply
from bot.core.choices import decode_choice
from bot.runtime import Runtime
from bot.storage.faq import FaqRepository, UnansweredRepository
from tests.answerers import CONTENT, shipped_answerer
from tests.conftest import FakeClock, Resident
from tests.test_polls import new_poll


@pytest.fixture(scope="module")
def tomioka() -> Answerer:
    return shipped_answerer("tomioka")


@pytest.fixture(scope="module")
def matsumoto() -> Answerer:
    return shipped_answerer("matsumoto")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("円卓会議ってなんですか", "system:round-table"),
        ("えんたくかいぎとは", "system:round-table"),  # kana only
        ("円卓会義とは", "system:round-table"),  # a typo
        ("見守りのボランティアをしたいです", "feature:watch"),
        ("市役所の電話番号は？", "section:contact"),
        ("アンケートに答えたい", "feature:polls"),
        ("アンケート。", "feature:polls"),
        ("地域のしくみ", "section:system"),  # a typed button label
        ("英語にしたい", "feature:language"),
        ("データを消して", "feature:forget"),
        ("目標３は？", "goal:act"),
        ("What does the city do?", "actor:city"),
        ("地域ずくりとは", "section:about"),  # ず for づ
    ],
)
def test_tomioka_questions_find_their_topic(tomioka: Answerer, question: str, topic: str) -> None:
    answer = tomioka.answer(question)
    assert answer.outcome is Outcome.ANSWERED, (question, answer)
    assert answer.topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("緩やかな協議体とは", "system:loose-council"),
        ("町会の役割は？", "actor:chokai"),
        ("お互いさまの精神って", "goal:mutual-aid"),
    ],
)
def test_matsumoto_questions_find_their_topic(
    matsumoto: Answerer, question: str, topic: str
) -> None:
    assert matsumoto.answer(question).topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "明日の天気は？",
        "ゴミの収集日はいつ？",
        "住民税の払い方",
        "When is garbage day?",
        "あ",
        "前橋市役所の電話番号は？",  # another city
        "芋煮会には何を持っていけばいいですか",  # only a verb (持つ) is known
        # Other business of residents from abroad: not the bot's own language settings.
        "日本語教室はありますか",
        "Is there a Japanese class?",
        "英語が話せる病院",
        "警察に相談したい",  # not the city's office either
    ],
)
def test_out_of_scope_questions_are_not_answered(tomioka: Answerer, question: str) -> None:
    answer = tomioka.answer(question)
    assert answer.outcome is Outcome.UNKNOWN, answer
    assert answer.topics == ()


def test_close_candidates_are_offered_together() -> None:
    same = ("会議の日程",)
    answerer = Answerer(
        [
            Topic("section:a", Text(ja="A", en="A"), same),
            Topic("section:b", Text(ja="B", en="B"), same),
            Topic("section:c", Text(ja="C", en="C"), ("ゴミの収集",)),
        ],
        NO_SYNONYMS,
    )
    answer = answerer.answer("会議の日程は？")
    assert answer.outcome is Outcome.CLARIFIED
    assert set(answer.topics) == {"section:a", "section:b"}


def test_a_loose_fit_is_offered_as_a_button_and_only_a_sure_one_is_answered() -> None:
    answerer = Answerer(
        [
            Topic("section:a", Text(ja="A", en="A"), ("会議の日程",)),
            Topic("section:c", Text(ja="C", en="C"), ("ゴミの収集",)),
        ],
        NO_SYNONYMS,
        Thresholds(answer=0.1, floor=0.1, sure=0.9),
    )
    sure = answerer.answer("会議の日程は？")
    assert sure.outcome is Outcome.ANSWERED and sure.topic == "section:a"
    loose = answerer.answer("会議の場所は？")
    assert loose.score < 0.9
    assert loose.outcome is Outcome.CLARIFIED and loose.topics == ("section:a",)


def test_the_language_of_a_question_is_detected(tomioka: Answerer) -> None:
    assert tomioka.answer("What is the vision?").language == "en"
    assert tomioka.answer("将来像は？").language == "ja"
    assert is_english("Round table?") and not is_english("円卓 table")


def test_synonyms_fold_words_on_both_sides() -> None:
    synonyms = Synonyms.from_groups([["見守り", "パトロール", "patrol"]])
    assert terms("パトロールしたい", synonyms).keys() & terms("見守り", synonyms).keys()
    assert "w:見守る" in terms("I want to patrol", synonyms)


def test_keywords_fold_punctuation_and_spaces() -> None:
    assert fold_keyword("アンケート。") == "アンケート"
    assert fold_keyword(" 地域の しくみ！") == "地域のしくみ"


def test_live_topics_are_swapped_in(tomioka: Answerer) -> None:
    answerer = Answerer(list(tomioka.topics), tomioka.synonyms)
    poll = Topic("poll:7", Text(ja="公園", en="park"), ("公園の遊具の更新について",))
    answerer.with_live([poll])
    assert answerer.answer("公園の遊具のアンケート").topic == "poll:7"
    answerer.with_live([])
    assert answerer.answer("公園の遊具のアンケート").topic != "poll:7"


# --- through the dispatcher, as a resident types ---------------------------------------------


async def _same_as(resident: Resident, question: str, command: str) -> None:
    by_command = [r.text for r in await resident.say(command)]
    by_question = [r.text for r in await resident.say(question)]
    assert by_question == by_command, question


def test_faq_entries_about_a_topic_do_not_contest_the_topic_itself() -> None:
    named = ("円卓会議",)
    answerer = Answerer(
        [
            Topic("system:round-table", Text(ja="円卓会議", en="x"), named),
            Topic("faq:where", Text(ja="会場", en="x"), ("円卓会議の会場はどこ",)),
            Topic("faq:join", Text(ja="参加", en="x"), ("円卓会議に参加したい",)),
        ],
        NO_SYNONYMS,
    )
    assert answerer.answer("円卓会議とは").topics == ("system:round-table",)
    assert answerer.answer("円卓会議の会場はどこですか").topic == "faq:where"


@pytest.mark.parametrize(
    ("pack", "question", "topic"),
    [
        ("tomioka", "円卓会議はどこで開かれていますか", "faq:round-table-where"),
        ("tomioka", "公民館は地域づくりで何をしてくれるの", "faq:kominkan-support"),
        ("matsumoto", "町会には入らないといけないの", "faq:chokai-membership"),
        ("matsumoto", "緩やかな協議体には誰が参加できますか", "faq:loose-council-join"),
    ],
)
def test_the_packs_faq_entries_answer_their_questions(
    request: pytest.FixtureRequest, pack: str, question: str, topic: str
) -> None:
    assert request.getfixturevalue(pack).answer(question).topic == topic


async def test_a_pack_faq_answer_names_its_source(resident: Resident) -> None:
    await resident.say("円卓会議はどこで開かれていますか")
    assert "公民館長" in resident.text() and "出典" in resident.text()


async def test_questions_run_the_same_handlers_as_the_menu(resident: Resident) -> None:
    await _same_as(resident, "地域づくりのしくみを教えて", "/system")
    await _same_as(resident, "アンケートに答えたい", "/polls")
    await _same_as(resident, "アンケート。", "/polls")
    await _same_as(resident, "地域のしくみ", "/system")
    await _same_as(resident, "見守りをやりたい", "/watch")
    await _same_as(resident, "何をすればいいかそれぞれの役割を教えて", "/roles")
    await _same_as(resident, "市役所の電話番号は？", "/contact")


async def test_one_system_part_is_answered_on_its_own(resident: Resident) -> None:
    await resident.say("円卓会議ってなんですか")
    assert "円卓会議" in resident.text() and "地域づくり協議会" not in resident.text()
    assert "出典" in resident.text()


async def test_delete_my_data_asks_first_and_deletes_nothing(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("/start")
    await resident.say("データを消して")
    assert [decode_choice(c.data).action for c in resident.last[0].choices] == ["forget"] * 2
    assert await runtime.services.residents.find(Channel.WEB, "u1") is not None


async def test_language_question_opens_the_language_setting(resident: Resident) -> None:
    await resident.say("英語にしたい")
    assert "English" in resident.labels()


async def test_a_live_poll_is_found_by_its_question(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    await new_poll(runtime, clock)
    runtime.services.answerer.invalidate()  # type: ignore[union-attr]
    await resident.say("防災訓練のアンケートに答えたい")
    assert resident.labels()[:3] == ["土曜", "日曜", "平日の夜"]


async def test_an_english_question_is_answered_in_english_with_an_offer(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("/start")
    await resident.say("What is a round-table meeting?")
    assert "Round-table" in resident.last[0].text
    assert resident.last[-1].choices[0].data == "lang:en"
    stored = await runtime.services.residents.find(Channel.WEB, "u1")
    assert stored is not None and stored.language == "ja"  # offered, not switched


async def test_easy_japanese_readers_get_the_easy_text(resident: Resident) -> None:
    await resident.say("やさしい日本語")
    await resident.say("えんたくかいぎって なんですか")
    assert "円卓会議（えんたくかいぎ）" in resident.text()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("こんにちは", "hello"),
        ("おはようございます！", "morning"),
        ("ありがとう😊", "thanks"),
        ("Thanks!", "thanks"),
        ("hello", "hello"),
        ("おはよー", "morning"),  # drawn out, and without its final う
        ("こんにちは〜", "hello"),
        ("ありがとね", "thanks"),  # a soft ending
        ("ｻﾝｷｭｰ", "thanks"),  # half-width katakana
        ("了解です", "ok"),
        ("はい", "ok"),
        ("👍", "ok"),  # pictures alone are a reaction
        ("🙇\u200d♀️", "ok"),
        ("またね", "bye"),
        ("Good night", "bye"),
    ],
)
def test_a_greeting_is_recognised_but_stays_not_answered(
    tomioka: Answerer, text: str, kind: str
) -> None:
    answer = tomioka.answer(text)
    assert answer.outcome is Outcome.UNKNOWN and answer.topics == ()
    assert answer.greeting == kind


def test_a_greeting_inside_a_question_does_not_hide_the_question(tomioka: Answerer) -> None:
    answer = tomioka.answer("こんにちは。円卓会議ってなんですか")
    assert answer.greeting is None and answer.topic == "system:round-table"


@pytest.mark.parametrize("text", ["？？？", "・・・", "!", "１２３４５", "ｗｗｗ"])
def test_symbols_digits_and_laughter_are_neither_a_greeting_nor_a_topic(
    tomioka: Answerer, text: str
) -> None:
    answer = tomioka.answer(text)
    assert answer.outcome is Outcome.UNKNOWN and answer.greeting is None


async def test_a_greeting_gets_a_kind_word_and_the_menu_and_is_not_kept(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("ありがとうございます！")
    assert "どういたしまして" in resident.text() and "お答えできません" not in resident.text()
    assert "目標" in resident.labels()
    await resident.say("Hello")
    assert resident.text().startswith("Hello!") and "community building" in resident.text()
    assert "keep using English" not in resident.text()
    assert await UnansweredRepository(runtime.db).latest() == []


async def test_a_reaction_or_a_goodbye_gets_a_kind_word_not_the_office_and_is_not_kept(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("👍")
    assert resident.text().startswith("わかりました") and "お答えできません" not in resident.text()
    assert "目標" in resident.labels()
    await resident.say("またね")
    assert "また、いつでも" in resident.text() and "お答えできません" not in resident.text()
    assert await UnansweredRepository(runtime.db).latest() == []


async def test_unknown_questions_say_so_with_the_office_and_are_kept_without_who_asked(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("明日の天気は？")
    text = resident.last[0].text
    assert "お答えできません" in text
    assert "地域づくり課" in text and "0274-62-1511" in text
    assert "目標" in resident.labels()
    kept = await UnansweredRepository(runtime.db).latest()
    assert [(q.text, q.language) for q in kept] == [("明日の天気は?", "ja")]  # as read (NFKC)
    columns = await runtime.db.fetch_all("SELECT * FROM unanswered_questions")
    assert "u1" not in repr(columns)


async def test_a_clarification_offers_buttons_that_answer(runtime: Runtime) -> None:
    answerer = runtime.services.answerer
    assert answerer is not None
    await answerer.answer("prime the live topics", runtime.services.clock())
    same = ("芋煮会の持ち物",)
    answerer.answerer.with_live(
        [
            Topic("faq:staff-901", Text(ja="A", en="A"), same),
            Topic("faq:staff-902", Text(ja="B", en="B"), same),
        ]
    )
    message = IncomingMessage(Channel.WEB, "u2", text="芋煮会の持ち物は？")
    replies: list[Reply] = await runtime.dispatcher.handle(message)
    assert "どれについて" in replies[0].text
    datas = [c.data for c in replies[0].choices]
    assert datas[:2] == ["ask:faq:staff-901", "ask:faq:staff-902"]
    assert all(len(d.encode()) <= 64 for d in datas)
    tapped = await runtime.dispatcher.handle(
        IncomingMessage(Channel.WEB, "u2", data="ask:section:goals")
    )
    assert "3つの目標" in tapped[0].text
    stale = await runtime.dispatcher.handle(
        IncomingMessage(Channel.WEB, "u2", data="ask:faq:gone")
    )
    assert "もう一度" in stale[0].text or "選び" in stale[0].text


async def test_one_loose_candidate_is_offered_as_did_you_mean(runtime: Runtime) -> None:
    live = runtime.services.answerer
    assert live is not None
    await live.answer("prime the live topics", runtime.services.clock())
    live.answerer.with_live([Topic("faq:staff-903", Text(ja="A", en="A"), ("芋煮会の持ち物",))])
    live.answerer.thresholds = Thresholds(sure=1.01)  # this answerer only: the test's runtime
    message = IncomingMessage(Channel.WEB, "u3", text="芋煮会の持ち物は？")
    replies: list[Reply] = await runtime.dispatcher.handle(message)
    assert "このことでしょうか" in replies[0].text and "どれについて" not in replies[0].text
    assert replies[0].choices[0].data == "ask:faq:staff-903"


async def test_staff_faq_entries_are_answered_without_a_restart(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    await FaqRepository(runtime.db).add(
        ["粗大ごみシールはどこで買えますか"],
        "市内のスーパーで買えます。",
        None,
        None,
        None,
        clock.now,
    )
    clock.advance(seconds=31)  # the answerer looks for changes every 30 s
    await resident.say("粗大ごみシールはどこで買えますか")
    assert "市内のスーパーで買えます。" in resident.text()


def test_content_check_validates_faq_and_synonyms(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    (folder / "tomioka" / "faq.yaml").write_text(
        yaml.safe_dump(
            {
                "faq": [
                    {
                        "id": "x",
                        "questions": ["q"],
                        "answer": {"ja": "a", "en": "a"},
                        "source": "nowhere",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    (folder / "matsumoto" / "synonyms.yaml").write_text(
        yaml.safe_dump({"questions": {"goal:know": ["知る"]}, "synonyms": [["ひとつだけ"]]}),
        encoding="utf-8",
    )
    problems = "\n".join(check_packs(folder))
    assert "faq.0.source: 'nowhere'" in problems
    assert "matsumoto/synonyms.yaml: synonyms.0" in problems


def test_content_check_names_a_topic_the_pack_does_not_have(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    (folder / "matsumoto" / "synonyms.yaml").write_text(
        yaml.safe_dump({"questions": {"goal:know": ["知る"]}}), encoding="utf-8"
    )
    assert any("'goal:know' is not a topic of matsumoto" in p for p in check_packs(folder))


async def test_every_topic_of_the_pack_has_an_answer(runtime: Runtime) -> None:
    from bot.content.answers import known_topic_ids, load_faq

    pack = runtime.services.pack
    topics = known_topic_ids(pack, load_faq(runtime.settings.content_dir, pack))
    assert {"section:about", "challenge:4", "goal:act", "system:round-table"} <= topics
    stale = runtime.services.catalog.text("fallback.stale_choice", "ja")
    for topic in sorted(topics):
        message = IncomingMessage(Channel.WEB, "u9", data=f"ask:{topic}")
        replies = await runtime.dispatcher.handle(message)
        assert replies and replies[0].text and replies[0].text != stale, topic


async def test_an_unknown_english_question_is_answered_in_english(resident: Resident) -> None:
    await resident.say("When is garbage day?")
    text = resident.last[0].text
    assert "Sorry, I cannot answer that question." in text
    assert "Community Building Division" in text and "0274-62-1511" in text


def test_a_repeated_question_is_answered_from_memory_until_the_topics_change(
    tomioka: Answerer,
) -> None:
    answerer = Answerer(list(tomioka.topics), tomioka.synonyms)
    heard: list[str] = []
    answerer.listeners.append(lambda answer: heard.append(answer.outcome.value))
    first = answerer.answer("芋煮会の持ち物は？")
    assert answerer.answer("芋煮会の持ち物は？") is first  # not decided again
    assert heard == ["unknown", "unknown"]  # yet counted each time
    answerer.with_live([Topic("faq:staff-1", Text(ja="芋煮会", en="x"), ("芋煮会の持ち物",))])
    assert answerer.answer("芋煮会の持ち物は？").topic == "faq:staff-1"


def test_a_quoted_word_names_the_topic(matsumoto: Answerer) -> None:
    question = "「お互いさま」という言葉が条例に入っていると聞きました。どういう意味でしょうか。"
    assert matsumoto.answer(question).topic == "goal:mutual-aid"
    assert matsumoto.answer('What does "in a spirit of give and take" mean?').topic == (
        "goal:mutual-aid"
    )


async def test_a_watch_route_is_found_by_its_name(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    from tests.test_watch import load

    await load(runtime, clock)
    by_button = [r.text for r in await resident.say("/watch")]
    runtime.services.answerer.invalidate()  # type: ignore[union-attr]
    await resident.say("富岡小の東ルートの見守りをしたい")
    assert [r.text for r in resident.last] != by_button  # the route itself, not the list
    assert "東町公民館前" in resident.text()


STAFF_RUNTIME = """
import asyncio, sys
from bot import japanese
from bot.config import load_settings
from bot.runtime import open_runtime

async def main():
    settings = load_settings({"CHIIKI_DB": sys.argv[1], "CHIIKI_CONTENT_DIR": sys.argv[2]})
    async with open_runtime(settings, serving=False, answering=False) as runtime:
        assert runtime.services.answerer is None
    print("dictionary loaded:", japanese._tokenizer.cache_info().currsize)

asyncio.run(main())
"""


def test_a_staff_command_that_only_sends_goes_without_the_dictionary(
    tmp_path: Path, content_dir: Path
) -> None:
    # `chiiki broadcast` answers nobody's question: the ~80 MB dictionary stays unloaded, so
    # the sender keeps its memory goal. Its own process, as the dictionary is cached per process.
    done = subprocess.run(
        [sys.executable, "-c", STAFF_RUNTIME, str(tmp_path / "staff.db"), str(content_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "dictionary loaded: 0" in done.stdout


@pytest.mark.parametrize(
    ("text", "kana"),
    [
        ("kouminkan no yakuwari", "こうみんかん の やくわり"),
        ("entaku kaigi wa doko", "えんたく かいぎ は どこ"),  # the particle は is written wa
        ("konnichiwa", None),  # one word: no reason to call it Japanese
        ("kitte ga hoshii desu", "きって が ほしい です"),  # a doubled consonant is っ
        ("what is chiiki zukuri", None),  # English around a romaji word
        ("i want to help", None),
    ],
)
def test_romaji_is_told_from_english_and_spelled_in_kana(text: str, kana: str | None) -> None:
    spelled = " ".join(spell_in_kana(word) for word in text.split())
    assert (spelled if is_romaji(text) else None) == kana


@pytest.mark.parametrize(
    ("pack", "question", "topic"),
    [
        ("tomioka", "kouminkan no yakuwari", "faq:kominkan-support"),
        ("matsumoto", "chiikizukuri tte nan desu ka", "section:about"),
    ],
)
def test_japanese_in_romaji_finds_its_topic_and_is_answered_in_english(
    tomioka: Answerer, matsumoto: Answerer, pack: str, question: str, topic: str
) -> None:
    answer = {"tomioka": tomioka, "matsumoto": matsumoto}[pack].answer(question)
    assert answer.outcome is Outcome.ANSWERED and answer.topic == topic
    assert answer.language == "en"


def test_in_a_long_letter_the_sentence_that_asks_is_answered(tomioka: Answerer) -> None:
    news = (
        "先週は娘が前橋から孫を連れて帰ってきて、にぎやかに過ごしました。"
        "畑のねぎもよく育ち、近所に少しずつ配っております。"
        "膝が痛むので、このごろは遠くまで歩けなくなりました。"
    )
    answer = tomioka.answer(news + "円卓会議に出てみたいのですが、どうすればいいでしょうか。")
    assert answer.topics[0] in ("faq:round-table-join", "system:round-table")
    # News alone asks nothing: it is not answered with whatever it happens to mention.
    assert tomioka.answer(news).outcome is Outcome.UNKNOWN


def test_a_sentence_typed_in_half_width_katakana_is_read_like_kana(tomioka: Answerer) -> None:
    answer = tomioka.answer("ｴﾝﾀｸｶｲｷﾞﾊﾄﾞｺﾃﾞﾔﾙﾉ")
    assert answer.outcome is not Outcome.UNKNOWN
    assert answer.topics[0] in ("system:round-table", "faq:round-table-where")


def test_a_message_as_long_as_line_allows_is_answered_from_its_end(tomioka: Answerer) -> None:
    letter = "きのうは雨でした。" * 500 + "円卓会議ってなんですか？"
    assert tomioka.answer(letter).topics[0] in ("system:round-table", "faq:round-table-where")
    assert tomioka.answer("あ" * 5000).outcome is Outcome.UNKNOWN
