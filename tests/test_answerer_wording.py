"""Residents' own wording reaches the same topic: voice input's hesitations, 「AじゃなくてB」,
counts and places in a list written in kanji, local sentence endings, and asking why or when.

(None of these sentences is from the held-out sets: those are never used to shape the answerer.)
"""

from __future__ import annotations

import pytest

from bot.answerer import Answerer
from bot.answerer.text import normalise, strip_filler, terms
from tests.answerers import shipped_answerer


def _cleaned(text: str) -> str:
    return " ".join(strip_filler(normalise(text)).split())


@pytest.fixture(scope="module")
def tomioka() -> Answerer:
    return shipped_answerer("tomioka")


@pytest.fixture(scope="module")
def matsumoto() -> Answerer:
    return shipped_answerer("matsumoto")


@pytest.mark.parametrize(
    ("spoken", "typed"),
    [
        ("えーっと円卓会議とは", "円卓会議とは"),
        ("あのー公民館の役割", "公民館の役割"),
        ("うーんと将来像は", "将来像は"),
        ("えっとですね 役割分担は", "役割分担は"),
    ],
)
def test_hesitations_of_voice_input_are_dropped(spoken: str, typed: str) -> None:
    assert _cleaned(spoken) == _cleaned(typed)


@pytest.mark.parametrize("word", ["うんどうかい", "あのひと", "そのまま", "えいご"])
def test_words_that_start_like_a_hesitation_are_kept(word: str) -> None:
    assert _cleaned(word) == word


def test_the_same_question_with_hesitations_gets_the_same_answer(tomioka: Answerer) -> None:
    plain = tomioka.answer("地域づくり協議会とは")
    spoken = tomioka.answer("あのーえーと地域づくり協議会とは")
    assert spoken.topics == plain.topics == ("system:council",)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("目標じゃなくて将来像", "将来像"),
        ("町会ではなく協議体のこと", "協議体のこと"),
        # Without a 「の」 of its own, what follows is a detail of the same thing.
        ("条例の目的じゃなくて経緯", "条例の経緯"),
        # Not a contrast: 「なくても」.
        ("町会に入ってなくても参加できる", "町会に入ってなくても参加できる"),
    ],
)
def test_after_a_contrast_only_what_is_asked_remains(text: str, asked: str) -> None:
    assert _cleaned(text) == asked


def test_a_contrast_is_answered_with_what_is_asked(matsumoto: Answerer) -> None:
    assert matsumoto.answer("町会じゃなくて地域づくりセンターの役割").topics[0].endswith("center")


@pytest.mark.parametrize("text", ["課題は三つ", "目標は3つ", "理念は二つ"])
def test_a_count_in_kanji_or_digits_asks_how_many(text: str) -> None:
    assert "いくつ" in normalise(text)


@pytest.mark.parametrize(("text", "number"), [("2つ目", "2"), ("三番目", "3"), ("第1", "1")])
def test_a_place_in_a_list_is_its_number(text: str, number: str) -> None:
    assert normalise(f"目標の{text}") == f"目標の{number}"


def test_a_local_sentence_ending_says_nothing(tomioka: Answerer) -> None:
    assert _cleaned("円卓会議ってなにずら") == _cleaned("円卓会議ってなに")
    assert tomioka.answer("協議会ってなにだんべ").topics[0] == "system:council"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("どうして条例をつくったの", "q:why"),
        ("Why was it made?", "q:why"),
        ("協議会はいつから", "q:when"),
        ("令和3年度から公民館に置いています", "q:when"),
    ],
)
def test_asking_why_or_when_and_a_date_leave_a_hint(text: str, hint: str) -> None:
    assert hint in terms(text)


@pytest.mark.parametrize("text", ["円卓会議って何なんですか", "なんでも聞いて", "協議会は？"])
def test_without_why_or_when_there_is_no_hint(text: str) -> None:
    assert not {"q:why", "q:when"} & set(terms(text))


def test_asking_when_prefers_the_topic_that_holds_the_date(tomioka: Answerer) -> None:
    answer = tomioka.answer("条例って何年から？")
    assert answer.topics[0] in ("section:vision", "section:background"), answer


def test_asking_why_prefers_the_reasons(matsumoto: Answerer) -> None:
    assert matsumoto.answer("どうして地域づくりをするの").topics[0] == "section:background"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("具体例はありますか", "section:examples"),
        ("英語版にしたい", "feature:language"),
        ("わしらは何をすればいいの", "actor:residents"),
        ("地域づくり課はなんばん？", "section:contact"),
    ],
)
def test_residents_everyday_words_meet_the_packs_words(
    tomioka: Answerer, question: str, topic: str
) -> None:
    assert topic in tomioka.answer(question).topics


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("基本理念の3番目", "goal:partners"),
        ("理念の一つ目を知りたい", "goal:mutual-aid"),
    ],
)
def test_a_place_in_a_list_names_that_item(matsumoto: Answerer, question: str, topic: str) -> None:
    assert matsumoto.answer(question).topics == (topic,)


@pytest.mark.parametrize("question", ["基本理念は3つ", "基本理念と2つの仕組み"])
def test_a_count_is_not_a_place_in_a_list(matsumoto: Answerer, question: str) -> None:
    assert not matsumoto.answer(question).topics[0].startswith("goal:")


def test_a_year_is_not_a_place_in_a_list(tomioka: Answerer) -> None:
    assert not tomioka.answer("令和2年度のアンケートの課題").topics[0].startswith("challenge:")


def test_an_offer_to_help_is_about_the_residents_part(matsumoto: Answerer) -> None:
    answer = matsumoto.answer("私も何か地域の役に立ちたいです")
    assert "actor:residents" in answer.topics


def test_helping_neighbours_is_asked_about_as_an_example(tomioka: Answerer) -> None:
    assert tomioka.answer("ご近所の手伝いも地域づくりになりますか").topics == ("section:examples",)
