"""Dates and times as residents read them: やさしい日本語 the guidelines' way (午後5時, weekday,
no 00分), English naturally, Japanese as before with its weekday; every easy text that shows
a time still passes the easy checker once the time is in it."""

from __future__ import annotations

import string
from datetime import date, datetime

import pytest

from bot.content import EASY, Catalog, load_catalog
from bot.content.easy_check import check_text
from bot.content.moments import written_clock, written_date, written_span, written_time
from tests.test_content import CONTENT

SATURDAY = datetime(2026, 12, 5)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CONTENT)


@pytest.mark.parametrize(
    ("hour", "minute", "ja", "en", "easy"),
    [
        (
            17,
            0,
            "2026年12月5日(土) 17:00",
            "Sat 5 Dec 2026, 5:00 pm",
            "2026年12月5日（土） 午後5時",
        ),
        (
            17,
            30,
            "2026年12月5日(土) 17:30",
            "Sat 5 Dec 2026, 5:30 pm",
            "2026年12月5日（土） 午後5時30分",
        ),
        (
            9,
            5,
            "2026年12月5日(土) 9:05",
            "Sat 5 Dec 2026, 9:05 am",
            "2026年12月5日（土） 午前9時5分",
        ),
        (
            0,
            0,
            "2026年12月5日(土) 0:00",
            "Sat 5 Dec 2026, 12:00 am",
            "2026年12月5日（土） 午前0時",
        ),
        (
            12,
            0,
            "2026年12月5日(土) 12:00",
            "Sat 5 Dec 2026, 12:00 pm",
            "2026年12月5日（土） 午後0時",
        ),
        (
            23,
            45,
            "2026年12月5日(土) 23:45",
            "Sat 5 Dec 2026, 11:45 pm",
            "2026年12月5日（土） 午後11時45分",
        ),
    ],
)
def test_a_moment_in_each_language(
    catalog: Catalog, hour: int, minute: int, ja: str, en: str, easy: str
) -> None:
    moment = SATURDAY.replace(hour=hour, minute=minute)
    assert [written_time(catalog, language, moment) for language in ("ja", "en", "easy")] == [
        ja,
        en,
        easy,
    ]


def test_a_shift_reads_from_and_until_in_easy_japanese(catalog: Catalog) -> None:
    start, end = datetime(2026, 12, 3, 7, 30), datetime(2026, 12, 3, 8, 0)
    assert written_span(catalog, "easy", start, end) == "12月3日（木） 午前7時30分から 午前8時まで"
    assert written_span(catalog, "ja", start, end) == "12月3日(木) 7:30〜8:00"
    assert written_span(catalog, "en", start, end) == "Thu 3 Dec, 7:30 am to 8:00 am"
    # The short form for a button: no slash date (the guidelines: 12月3日, not 12/3).
    assert (
        written_span(catalog, "easy", start, end, "time.shift_start")
        == "12月3日（木） 午前7時30分"
    )


def test_a_date_in_each_language(catalog: Catalog) -> None:
    day = date(2027, 4, 1)
    assert written_date(catalog, "ja", day) == "2027年4月1日"
    assert written_date(catalog, "en", day) == "1 Apr 2027"
    assert written_date(catalog, "easy", day) == "2027年4月1日"


def _filled(catalog: Catalog, key: str, moment: datetime) -> str:
    """An easy text with its time placeholders written for `moment`, the rest plain kana."""
    end = moment.replace(hour=(moment.hour + 1) % 24)
    times = {
        "time": written_time(catalog, EASY, moment),
        "date": written_date(catalog, EASY, moment.date()),
        "when": written_span(catalog, EASY, moment, end),
        "start": written_clock(catalog, EASY, moment),
        "end": written_clock(catalog, EASY, end),
    }
    text = catalog.entries()[key][EASY]
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{name: times.get(name, "あいう") for name in names})


def _keys_showing_a_time(catalog: Catalog) -> list[str]:
    shown = {"time", "date", "when", "start", "end"}
    return sorted(
        key
        for key, entry in catalog.entries().items()
        if not key.startswith("time.")
        and shown & {name for _, name, _, _ in string.Formatter().parse(entry[EASY]) if name}
    )


def test_every_easy_text_with_a_time_passes_the_checker_once_filled(catalog: Catalog) -> None:
    keys = _keys_showing_a_time(catalog)
    assert {"events.reminder", "events.cancelled", "polls.announcement", "watch.promoted"} <= set(
        keys
    )
    faults = [
        (key, problem, sentence)
        for key in keys
        for hour, minute in ((17, 0), (18, 30), (12, 0), (9, 15))
        for problem, sentence in check_text(
            _filled(catalog, key, SATURDAY.replace(hour=hour, minute=minute))
        )
    ]
    assert faults == []
