"""Readings added to staff texts for easy-Japanese readers (bot/content/readings.py)."""

from __future__ import annotations

from bot.content.easy_check import check_text
from bot.content.readings import add_readings
from bot.runtime import Runtime
from bot.staff.broadcast import prepare_notice
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, Resident
from tests.test_events import new_event
from tests.test_polls import new_poll


def test_a_compound_gets_one_reading_at_its_first_use() -> None:
    text = add_readings("防災訓練を公民館で行います。防災訓練に来てください。")
    assert text == (
        "防災訓練（ぼうさいくんれん）を公民館（こうみんかん）で行います。防災訓練に来てください。"
    )


def test_words_within_grade_two_and_kana_stay_as_they_are() -> None:
    plain = "土曜日の 夕方、学校に 来てください。"
    assert add_readings(plain) == plain
    assert add_readings("Hello, LINE") == "Hello, LINE"


def test_verbs_get_their_reading_after_the_kana_ending() -> None:
    assert add_readings("開館時間を延ばす") == "開館時間（かいかんじかん）を延ばす（のばす）"


def test_a_reading_already_written_is_not_repeated() -> None:
    assert add_readings("円卓会議（えんたくかいぎ）です") == "円卓会議（えんたくかいぎ）です"


def test_no_reading_goes_inside_brackets() -> None:
    text = add_readings("説明会（市役所で）")
    assert text == "説明会（せつめいかい）（市役所で）"


def test_what_comes_out_passes_the_readings_check() -> None:
    for staff_text in (
        "12月5日は第3地区で断水があります。",
        "富岡地区 円卓会議",
        "市役所 3階 大会議室",
        "地域づくり協議会の役員会。地域の声を聞きます。",
    ):
        readings_faults = [
            problem for problem, _ in check_text(add_readings(staff_text)) if "reading" in problem
        ]
        assert readings_faults == [], staff_text


# Where staff texts meet easy readers


async def test_an_easy_reader_gets_readings_on_events_and_polls(
    runtime: Runtime, clock: FakeClock
) -> None:
    await new_event(runtime, clock, description="防災訓練のあとに話し合います。")
    await new_poll(runtime, clock, question="公民館の開館時間を延ばすべきですか？")
    easy, plain = Resident(runtime, "easy"), Resident(runtime, "plain")
    await easy.say("やさしい日本語")
    await easy.say("/events")
    assert "富岡地区（とみおかちく） 円卓会議（えんたくかいぎ）" in easy.text()
    await easy.tap_card("1. 富岡地区（とみおかちく） 円卓会議（えんたくかいぎ）")
    assert "防災訓練（ぼうさいくんれん）のあとに" in easy.text()
    await easy.say("/polls")
    assert "公民館（こうみんかん）の開館時間（かいかんじかん）を延ばす（のばす）" in easy.text()
    await plain.say("/polls")
    assert "公民館の開館時間を延ばすべきですか？" in plain.text()
    assert "（" not in plain.text().split("\n")[1]


async def test_notices_carry_readings_only_in_easy_japanese(
    runtime: Runtime, clock: FakeClock
) -> None:
    event_id = await new_event(runtime, clock)
    event = await runtime.services.events.get(event_id)
    assert event is not None
    reminder = runtime.services.notices.event_reminder(event)
    assert "富岡地区（とみおかちく）" in (reminder.text_easy or "")
    assert "（とみおかちく）" not in reminder.text_ja
    notice = prepare_notice(
        runtime.services.pack,
        runtime.services.catalog,
        "断水のお知らせです。",
        None,
        None,
        "all",
        actor=CLI_ACTOR,
    )
    assert "断水（だんすい）" in (notice.text_easy or "")
    assert "断水のお知らせです。" in notice.text_ja
