"""Dates and times as a resident reads them, in the city's time zone.

The wording is the catalog's (time.*, date.long); this module only counts. やさしい日本語 follows
在留支援のためのやさしい日本語ガイドライン: a 12-hour clock with 午前/午後, no 00分, the
weekday with the date and から … まで for a span: 「12月5日（土） 午後5時」. English reads
"Sat 5 Dec 2026, 5:00 pm"; Japanese keeps 「2026年12月5日(土) 17:00」.

A language's clock is told by two catalog lists: `time.hours` (the 24 hours as the language
numbers them: 0–23, or 12, 1 … 11 twice) and `time.half_days` (午前,午後 / am,pm; two empty
words for a 24-hour clock).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.content.catalog import Catalog


def written_date(catalog: Catalog, language: str, day: date) -> str:
    """A day without its weekday: 「2026年12月5日」, "5 Dec 2026"."""
    return catalog.text(
        "date.long", language, year=day.year, month=_month(catalog, language, day), day=day.day
    )


def written_time(catalog: Catalog, language: str, local: datetime) -> str:
    """A moment (already in the city's zone) with its weekday and clock time."""
    return catalog.text(
        "time.long",
        language,
        year=local.year,
        month=_month(catalog, language, local),
        day=local.day,
        weekday=_weekday(catalog, language, local),
        clock=written_clock(catalog, language, local),
    )


def written_span(
    catalog: Catalog, language: str, start: datetime, end: datetime, key: str = "time.shift"
) -> str:
    """A span on one day (a watch shift): its day, weekday, start and end; `key` is the
    catalog's wording (time.shift, or time.shift_start for a short button label)."""
    return catalog.text(
        key,
        language,
        month=_month(catalog, language, start),
        day=start.day,
        weekday=_weekday(catalog, language, start),
        start=written_clock(catalog, language, start),
        end=written_clock(catalog, language, end),
    )


def written_clock(catalog: Catalog, language: str, local: datetime) -> str:
    """The clock time alone: 「17:30」, "5:30 pm", 「午後5時30分」; on the hour
    time.clock_on_the_hour (「午後5時」, no 00分)."""
    hours = _list(catalog, "time.hours", language)
    halves = _list(catalog, "time.half_days", language)
    half = halves[local.hour // 12]
    key = "time.clock_on_the_hour" if local.minute == 0 else "time.clock"
    return catalog.text(key, language, hour=hours[local.hour], minute=local.minute, half=half)


def _month(catalog: Catalog, language: str, day: date) -> str:
    return _list(catalog, "time.months", language)[day.month - 1]


def _weekday(catalog: Catalog, language: str, day: date) -> str:
    return _list(catalog, "time.weekdays", language)[day.weekday()]


def _list(catalog: Catalog, key: str, language: str) -> list[str]:
    """A catalog list: items separated by commas or line breaks."""
    return [item.strip() for item in re.split(r"[,\n]", catalog.text(key, language))]
