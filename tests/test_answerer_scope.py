"""Questions about another office or city service (its phone, counter, procedure) are not
answered with the pack's contact, which would send a resident to the wrong desk; questions
that only look like them (the 地域づくり課 asked for directly, the 公民館's part in 地域づくり,
a question after a preface about the asker) are still answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answerer import Answerer, Outcome
from bot.runtime import open_runtime
from bot.storage.faq import UnansweredRepository
from tests.answerers import shipped_answerer
from tests.conftest import FakeClock, Resident, make_settings

PACKS = ("tomioka", "matsumoto")


@pytest.fixture(scope="module")
def answerers() -> dict[str, Answerer]:
    return {name: shipped_answerer(name) for name in PACKS}


ELSEWHERE = [
    # Another office named by its name.
    "選挙管理委員会の電話番号は？",
    "選挙管理委員会に連絡したい",
    "選管の電話番号",
    "税務課の電話",
    "税務課の電話番号を教えてください",
    "税務署はどこにありますか",
    "富岡市役所の税務課はどこ",
    "市民課の電話番号は",
    "福祉課に電話したい",
    "教育委員会の連絡先を教えて",
    "水道局の電話番号",
    "介護保険課の窓口はどこ",
    "子育て支援課の電話",
    "社会福祉協議会の電話番号",
    "都市計画課に問い合わせたい",
    "農林課の連絡先",
    "環境課の電話番号を知りたい",
    "消防署の電話番号は",
    "警察の電話番号を教えて",
    "交番はどこ",
    # A service of another office: its counter, day or procedure.
    "期日前投票はどこでできますか",
    "住民票はどこで取れますか",
    "住民票の写しがほしいです",
    "ゴミの収集日はいつですか",
    "燃えるごみの日を知りたい",
    "保育園の申し込みはどこでしますか",
    "保育園に入りたいときの手続きは",
    "年金の相談はどこですか",
    "年金の相談窓口の電話番号",
    "公民館の予約をしたい",
    "公民館の部屋を予約するには",
    "公民館を借りたいです",
    "市長への手紙はどこに出せば",
    "市長に手紙を書きたい",
    "火事のときはどこに電話",
    # Kana only, as easy Japanese readers and old phones type.
    "せんきょかんりいいんかいの でんわばんごうは",
    "ぜいむかの でんわ",
    "じゅうみんひょうは どこで とれますか",
    "ごみの ひは いつ",
    "けいさつに でんわ したい",
    "ほいくえんの もうしこみは どこ",
    "ぜいきんの そうだんは どこ",
    "こうみんかんを よやく したい",
    # English.
    "What is the phone number of the election commission?",
    "Where can I get a residence certificate?",
    "What is the tax office phone number?",
    "How do I book the community centre?",
    "When is garbage collection day?",
    "How do I apply for nursery school?",
    "Where is the police station?",
    "Who do I call about my pension?",
    "How can I write a letter to the mayor?",
    "Phone number of the welfare department, please",
]


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("question", ELSEWHERE)
def test_another_offices_business_is_not_answered(
    answerers: dict[str, Answerer], pack: str, question: str
) -> None:
    answer = answerers[pack].answer(question)
    assert answer.outcome is Outcome.UNKNOWN, (question, answer)


# (question, its topic in Tomioka's pack, in Matsumoto's)
IN_SCOPE = [
    # The pack's own contact, asked for directly.
    ("地域づくり課の電話番号は？", "section:contact", "section:contact"),
    ("地域づくり課の連絡先を教えて", "section:contact", "section:contact"),
    ("地域づくりの担当課の電話は", "section:contact", "section:contact"),
    ("地域づくりについての問い合わせ先は", "section:contact", "section:contact"),
    ("市役所の電話番号は？", "section:contact", "section:contact"),
    ("富岡市役所の電話番号", "section:contact", None),
    ("松本市役所の電話番号", None, "section:contact"),
    ("ちいきづくりかの でんわばんごうは", "section:contact", "section:contact"),
    ("What is the phone number for community building?", "section:contact", "section:contact"),
    ("FAX番号は", "section:contact", "section:contact"),
    ("問い合わせ先を教えて", "section:contact", "section:contact"),
    # The 公民館's part in 地域づくり (Matsumoto's 公民館 is its 地域づくりセンター's).
    ("公民館の役割は", "faq:kominkan-support", "actor:center"),
    ("公民館は地域づくりで何をするの", "faq:kominkan-support", "actor:center"),
    ("地域づくりセンターとは", None, "actor:center"),
    ("地域づくり協議会とは", "system:council", None),
    ("地域ずくり協議会", "system:council", None),
    # A preface about the asker, naming a service of another office, then the question.
    ("年金暮らしの年寄りですが、地域づくりの集まりはいつ？", "feature:events", "feature:events"),
    ("年金暮らしの年寄りですが、地域づくりとは何ですか", "section:about", "section:about"),
    ("年金暮らしの年寄りですが、見守りのボランティアをしたい", "feature:watch", "feature:watch"),
    ("子育て中の母ですが、アンケートに答えたい", "feature:polls", "feature:polls"),
    ("税務課を退職した者ですが、地域づくりの問い合わせ先は", "section:contact", "section:contact"),
    ("病院の帰りなんですが、地域づくりとは何ですか", "section:about", "section:about"),
    ("消防団に入っていますが、地域づくりの目標は", "section:goals", "section:goals"),
    ("保育園に子どもを預けていますけど、円卓会議とは何ですか", "system:round-table", None),
]


@pytest.mark.parametrize(
    ("pack", "question", "topic"),
    [
        (pack, question, topic)
        for question, *topics in IN_SCOPE
        for pack, topic in zip(PACKS, topics, strict=True)
        if topic is not None
    ],
)
def test_look_alikes_are_still_answered(
    answerers: dict[str, Answerer], pack: str, question: str, topic: str
) -> None:
    answer = answerers[pack].answer(question)
    assert answer.outcome is Outcome.ANSWERED, (question, answer)
    assert answer.topic == topic


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize(
    ("question", "elsewhere"),
    [
        ("税務課の電話番号は", True),
        ("年金の相談窓口の電話", True),
        ("ゴミの収集日はいつ", True),
        ("police station phone number", True),
        ("芋煮会には何を持っていけば", False),  # nothing known: not said to be elsewhere
    ],
)
def test_unknown_answers_say_whether_another_office_is_asked_about(
    answerers: dict[str, Answerer], pack: str, question: str, elsewhere: bool
) -> None:
    answer = answerers[pack].answer(question)
    assert answer.outcome is Outcome.UNKNOWN
    assert answer.elsewhere is elsewhere


async def test_with_a_switchboard_another_offices_question_is_sent_there(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    """Matsumoto's contact is the city hall's switchboard (代表): the resident is told this
    bot answers about 地域づくり and the switchboard puts them through; the question is still
    kept for staff as unanswered, like any other."""
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="matsumoto")
    async with open_runtime(settings, clock=clock) as runtime:
        resident = Resident(runtime)
        await resident.say("選挙管理委員会の電話番号は？")
        text = resident.last[0].text
        assert "お答えできません" in text and "地域づくりについて" in text
        assert "松本市役所（代表）" in text and "0263-34-3000" in text
        await resident.say("What is the tax office phone number?")
        text = resident.last[0].text
        assert "community building" in text and "put you through" in text
        await resident.say("芋煮会には何を持っていけば")  # not another office's: as before
        assert "地域づくりについて" not in resident.last[0].text
        kept = await UnansweredRepository(runtime.db).latest()
        assert len(kept) == 3


async def test_without_a_switchboard_the_usual_reply_names_the_packs_office(
    resident: Resident,
) -> None:
    """Tomioka's contact is the 地域づくり課 itself, no switchboard: the usual reply."""
    await resident.say("税務課の電話番号は？")
    text = resident.last[0].text
    assert "お答えできません" in text and "地域づくりについて" not in text
    assert "地域づくり課" in text
