"""Poll results as a chart: right counts, sent as a Telegram photo, shown in the web chat."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image

from bot.charts import chart_figure, chart_png
from bot.core import BarChart, Channel, IncomingMessage
from bot.core.choices import encode_choice
from bot.fonts import find_font
from bot.runtime import Runtime
from bot.storage.chart_images import DRAWINGS_PER_RESIDENT, ChartImageRepository
from bot.web import build_web_app
from tests.conftest import FakeClock, Resident
from tests.platforms import Platforms, line_event, open_platforms, telegram_callback, telegram_text
from tests.test_polls import new_poll

CHART = BarChart(
    "【いまの結果】防災訓練（回答 3件）", (("土曜", 2), ("日曜", 1), ("平日の夜", 0)), "alt"
)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def test_the_chart_draws_one_bar_per_choice_with_its_count() -> None:
    figure = chart_figure(CHART, find_font())
    (axes,) = figure.axes
    ticks = [t.get_text() for t in axes.get_yticklabels()]
    tick_labels = dict(zip(axes.get_yticks(), ticks, strict=True))
    bars = {tick_labels[p.get_y() + p.get_height() / 2]: p.get_width() for p in axes.patches}
    assert bars == {"土曜": 2, "日曜": 1, "平日の夜": 0}
    assert tick_labels[max(tick_labels)] == "土曜"  # the first choice is on top
    assert [t.get_text() for t in axes.texts] == ["2", "1", "0"]
    image = Image.open(io.BytesIO(chart_png(CHART, find_font())))
    assert image.format == "PNG" and image.width == 960


def test_dollar_signs_in_staff_text_are_drawn_as_written() -> None:
    # matplotlib reads $...$ as mathematics: "$\\frac{$" raised ValueError on every draw.
    chart = BarChart("Budget $\\frac{$ (2 answers)", (("$5 or $10", 1), ("$^{$", 1)), "alt")
    image = Image.open(io.BytesIO(chart_png(chart, find_font())))
    assert image.format == "PNG"
    (axes,) = chart_figure(chart, find_font()).axes
    assert sorted(t.get_text() for t in axes.get_yticklabels()) == ["$5 or $10", "$^{$"]


async def test_stored_charts_lapse_after_ten_minutes(runtime: Runtime, clock: FakeClock) -> None:
    store = ChartImageRepository(runtime.db, clock)
    first = await store.name_for("first")
    assert await store.put(first, b"\x89PNG first")
    assert len(first) >= 24 and await store.get(first) == b"\x89PNG first"
    assert await store.get("not-a-name") is None
    clock.advance(minutes=9)
    assert await store.get(first) == b"\x89PNG first"
    clock.advance(minutes=1)
    assert await store.get(first) is None
    later = await store.name_for("second")
    assert await store.put(later, b"second")  # putting one clears the lapsed ones
    left = await runtime.db.fetch_one("SELECT count(*) FROM chart_images")
    assert left is not None and left[0] == 1
    assert await store.get(later) == b"second"


async def test_results_come_with_a_photo_on_telegram(
    platforms: Platforms, clock: FakeClock
) -> None:
    await new_poll(platforms.runtime, clock)
    await platforms.post_telegram(telegram_text("/polls"))
    keyboard = platforms.telegram.sent("sendMessage")[-1]["reply_markup"]["inline_keyboard"]
    poll_button = keyboard[0][0]
    await platforms.post_telegram(telegram_callback(poll_button["callback_data"]))
    keyboard = platforms.telegram.sent("sendMessage")[-1]["reply_markup"]["inline_keyboard"]
    await platforms.post_telegram(telegram_callback(keyboard[0][0]["callback_data"]))
    assert platforms.telegram.sent("sendPhoto") == []  # a vote is answered without a picture
    keyboard = platforms.telegram.sent("sendMessage")[-1]["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["text"] == "グラフで見る"
    await platforms.post_telegram(telegram_callback(keyboard[0][0]["callback_data"]))
    (photo,) = platforms.telegram.sent("sendPhoto")
    assert photo["chat_id"] == 111
    assert photo["caption"].splitlines()[1:] == ["土曜: 1", "日曜: 0", "平日の夜: 0"]
    assert Image.open(io.BytesIO(photo["photo"])).format == "PNG"


async def test_the_web_chat_shows_the_chart_with_its_words_as_alt(
    runtime: Runtime, clock: FakeClock
) -> None:
    await new_poll(runtime, clock)
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://chiiki") as http:

        async def say(**payload: str) -> list[dict[str, object]]:
            response = await http.post("/chat/api", json=payload)
            return response.json()["replies"]

        replies = await say(text="/polls")
        poll = replies[-1]["cards"][0]["choices"][0]["data"]  # type: ignore[index]
        replies = await say(data=poll)
        saturday = replies[-1]["choices"][0]["data"]  # type: ignore[index]
        replies = await say(data=saturday)
        assert not any("image" in r for r in replies)
        chart_button = replies[-1]["choices"][0]  # type: ignore[index]
        assert chart_button["label"] == "グラフで見る"  # type: ignore[index]
        replies = await say(data=chart_button["data"])  # type: ignore[index]
        (image,) = [r["image"] for r in replies if "image" in r]
        assert "土曜: 1" in image["alt"]  # type: ignore[index]
        picture = await http.get(image["url"])  # type: ignore[index]
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "poll-chart.png").write_bytes(picture.content)
        missing = await http.get("/chat/charts/not-a-chart.png")
        assert missing.status_code == 404


async def answer_first_poll_on_line(platforms: Platforms, clock: FakeClock) -> list[dict]:
    """Open /polls, the first poll, its first choice, then グラフで見る, by tapping; the
    messages of the last answer."""
    line = platforms.line

    async def tap(data: str) -> list[dict]:
        event = line_event(
            "postback", clock, replyToken=line.new_reply_token(), postback={"data": data}
        )
        await platforms.post_line([event])
        return line.sent("reply")[-1]["messages"]

    polls = await tap("cmd:polls")  # a Flex card per poll, its button opens it
    choices = await tap(polls[-1]["contents"]["footer"]["contents"][0]["action"]["data"])
    answer = await tap(choices[-1]["quickReply"]["items"][0]["action"]["data"])
    assert "回答ありがとうございました" in answer[0]["text"]
    return await tap(answer[-1]["quickReply"]["items"][0]["action"]["data"])


async def test_line_gets_the_chart_at_the_public_address(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    public = "https://chiiki.example.jp"
    async with open_platforms(tmp_path, content_dir, clock, CHIIKI_PUBLIC_URL=public) as platforms:
        await new_poll(platforms.runtime, clock)
        image = (await answer_first_poll_on_line(platforms, clock))[-1]
        assert image["type"] == "image" and image["quickReply"]["items"]
        assert image["originalContentUrl"].startswith(public + "/chat/charts/")
        path = image["originalContentUrl"].removeprefix(public)
        picture = await platforms.http.get(path)
        assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"


async def test_without_a_public_address_line_gets_the_text_only(
    platforms: Platforms, clock: FakeClock
) -> None:
    assert platforms.runtime.settings.public_url is None
    await new_poll(platforms.runtime, clock)
    messages = await answer_first_poll_on_line(platforms, clock)
    assert all(m["type"] == "text" for m in messages)
    assert "土曜: 1" in messages[0]["text"]


async def test_the_same_results_are_drawn_once_and_each_resident_draws_a_few(
    runtime: Runtime, clock: FakeClock
) -> None:
    assert runtime.charts is not None
    charts = runtime.charts
    poll_id = await new_poll(runtime, clock)
    tapper = Resident(runtime, "tapper")
    await tapper.say("/polls")
    await tapper.tap_card("1. 防災訓練はいつがよいですか")
    await tapper.tap("土曜")
    chart_data = encode_choice("pollchart", str(poll_id))

    async def tap_chart(user: str) -> str | None:
        (reply,) = await runtime.dispatcher.handle(
            IncomingMessage(Channel.WEB, user, data=chart_data)
        )
        assert reply.chart is not None and "土曜: 1" in reply.text
        return await charts.path(reply.chart, f"web:{user}")

    async def pictures() -> int:
        row = await runtime.db.fetch_one("SELECT count(*) FROM chart_images")
        return int(row[0]) if row else 0

    paths = {await tap_chart("tapper") for _ in range(300)}
    assert len(paths) == 1 and None not in paths and await pictures() == 1
    # Changing the results between taps draws anew, but only a few times per resident.
    drawn = []
    for n in range(12):
        voter = await runtime.services.residents.get_or_create("web", f"v{n}", "ja", clock.now)
        await runtime.services.polls.vote(poll_id, voter.id, None, frozenset({2}), clock.now)
        drawn.append(await tap_chart("tapper"))
    assert sum(path is not None for path in drawn) == DRAWINGS_PER_RESIDENT - 1
    assert await pictures() == DRAWINGS_PER_RESIDENT
    # Another resident (who answered: an open poll's results come after answering) draws.
    other = await runtime.services.residents.get_or_create("web", "someone-else", "ja", clock.now)
    await runtime.services.polls.vote(poll_id, other.id, None, frozenset({2}), clock.now)
    assert await tap_chart("someone-else") is not None
    assert await pictures() == DRAWINGS_PER_RESIDENT + 1
    clock.advance(minutes=11)  # the window passes: the tapper may draw again
    assert await tap_chart("tapper") is not None
