"""Events as cards: LINE Flex (valid, within limits), Telegram HTML (escaped), web chat cards."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from linebot.v3.messaging import FlexMessage

from bot.channels.line import flex_cards, render
from bot.channels.telegram import cards_html
from bot.core import Card, Choice, Reply
from bot.runtime import Runtime
from bot.web import build_web_app
from tests.browser import chromium, serve
from tests.conftest import FakeClock
from tests.platforms import Platforms, line_text, telegram_text
from tests.test_events import new_event

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def many_cards(count: int, title_length: int) -> Reply:
    cards = tuple(
        Card(
            f"{n}. " + "長い会議の名前" * (title_length // 7),
            ("日時: 2026年12月5日 14:00", "場所: 富岡市役所 3階 大会議室"),
            (Choice("詳しく見る・お知らせ", f"event:{n}"),),
        )
        for n in range(1, count + 1)
    )
    return Reply("これからのイベント", (Choice("メニューへ", "cmd:menu"),), cards=cards)


def test_flex_cards_are_valid_and_within_limits_for_many_long_items() -> None:
    reply = many_cards(10, 500)
    contents = flex_cards(reply)
    assert contents is not None and contents["type"] == "carousel"
    assert len(contents["contents"]) == 10
    heading, flex = render([reply])
    assert heading.text == "これからのイベント"  # type: ignore[union-attr]
    assert isinstance(flex, FlexMessage)
    as_json = flex.to_dict()
    assert len(as_json["altText"]) <= 400
    assert as_json["quickReply"]["items"][0]["action"]["label"] == "メニューへ"
    # The SDK's own model reads it back: the JSON is a valid Flex message.
    assert FlexMessage.from_dict(as_json).alt_text == as_json["altText"]


def test_cards_too_large_for_a_carousel_go_as_text_with_every_button() -> None:
    reply = many_cards(10, 3000)
    assert flex_cards(reply) is None
    messages = render([reply])
    assert all(m.type == "text" for m in messages)
    labels = [i.action.label for i in messages[-1].quick_reply.items]  # type: ignore[union-attr]
    assert labels.count("詳しく見る・お知らせ") == 10 and labels[-1] == "メニューへ"


def test_telegram_html_escapes_what_staff_wrote() -> None:
    reply = Reply(
        "これからのイベント",
        cards=(Card("<b>注意</b> & 集会", ("場所: A<B>棟",), (Choice("詳しく", "event:1"),)),),
    )
    html = cards_html(reply)
    assert "<b>&lt;b&gt;注意&lt;/b&gt; &amp; 集会</b>" in html
    assert "場所: A&lt;B&gt;棟" in html


async def test_events_reach_line_as_a_flex_carousel(
    platforms: Platforms, clock: FakeClock
) -> None:
    await new_event(platforms.runtime, clock)
    await new_event(
        platforms.runtime,
        clock,
        title={"ja": "円卓会議 <第2回>"},
        starts_at=(clock.now + timedelta(days=5)).isoformat(),
    )
    await platforms.post_line([line_text("イベント", clock, platforms.line.new_reply_token())])
    messages = platforms.line.sent("reply")[-1]["messages"]
    flex = messages[-1]
    assert flex["type"] == "flex" and flex["contents"]["type"] == "carousel"
    titles = [b["body"]["contents"][0]["text"] for b in flex["contents"]["contents"]]
    assert titles == ["1. 富岡地区 円卓会議", "2. 円卓会議 <第2回>"]
    assert "富岡公民館" in flex["altText"]


async def test_events_reach_telegram_as_html_with_a_button_per_event(
    platforms: Platforms, clock: FakeClock
) -> None:
    await new_event(platforms.runtime, clock, title={"ja": "円卓会議 <第2回> & 懇談"})
    await platforms.post_telegram(telegram_text("/events"))
    sent = platforms.telegram.sent("sendMessage")[-1]
    assert sent["parse_mode"] == "HTML"
    assert "<b>1. 円卓会議 &lt;第2回&gt; &amp; 懇談</b>" in sent["text"]
    first_row = sent["reply_markup"]["inline_keyboard"][0]
    assert first_row[0]["text"] == "1. 円卓会議 <第2回> & 懇談"


async def test_the_web_chat_shows_event_cards(runtime: Runtime, clock: FakeClock) -> None:
    await new_event(runtime, clock)
    async with serve(build_web_app(runtime)) as base, chromium() as browser:
        page = await browser.new_page(viewport={"width": 420, "height": 760}, locale="ja-JP")
        await page.goto(f"{base}/chat")
        await page.fill("#text", "イベント")
        await page.press("#text", "Enter")
        card = page.locator("article.card").first
        await card.wait_for()
        assert await card.locator("h2").inner_text() == "1. 富岡地区 円卓会議"
        assert "富岡公民館" in await card.inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "web-chat-event-card.png"))
        await card.locator("button").click()
        await page.get_by_text("お知らせを受け取る").first.wait_for()


async def test_polls_and_watch_shifts_are_cards_too(runtime: Runtime, clock: FakeClock) -> None:
    from tests.conftest import Resident
    from tests.test_polls import new_poll
    from tests.test_watch import load

    await new_poll(runtime, clock)
    await load(runtime, clock)
    resident = Resident(runtime)
    await resident.say("/polls")
    assert resident.card_titles() == ["1. 防災訓練はいつがよいですか"]
    await resident.say("/watch")
    await resident.tap("富岡小 東ルート")
    (route,) = resident.last
    assert len(route.cards) >= 2 and route.cards[0].lines == ("残り5人",)
    labels = [c.choices[0].label for c in route.cards]
    assert labels[0] == "11月25日(水) 7:20 詳しく見る" and len(set(labels)) == len(labels)
    contents = flex_cards(route)
    assert contents is not None and len(contents["contents"]) == len(route.cards)
