"""The web chat in Chromium as residents use it: text size and contrast, their language,
where focus goes, and nothing hidden under the fixed input bar (WCAG 2.4.11)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from bot.runtime import Runtime
from bot.web import build_web_app
from tests.accessibility import wcag_violations
from tests.browser import SCREENSHOTS, serve
from tests.conftest import FakeClock
from tests.test_polls import new_poll


@pytest.fixture
async def site(runtime: Runtime) -> AsyncIterator[str]:
    async with serve(build_web_app(runtime)) as base:
        yield base


async def open_chat(browser: Browser, base: str, locale: str = "ja-JP", width: int = 375) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 700}, locale=locale, bypass_csp=True
    )
    page = await context.new_page()
    await page.goto(f"{base}/chat")
    await expect(page.locator("#log button").first).to_be_visible()
    return page


async def root_font_px(page: Page) -> float:
    return float(
        await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    )


async def test_text_size_and_high_contrast_are_chosen_remembered_and_still_accessible(
    site: str, browser: Browser
) -> None:
    page = await open_chat(browser, site)
    normal = await root_font_px(page)
    sizes = page.get_by_role("group", name="文字サイズ")
    await expect(sizes.get_by_role("button", name="標準")).to_have_attribute(
        "aria-pressed", "true"
    )
    await sizes.get_by_role("button", name="特大").click()
    await expect(sizes.get_by_role("button", name="特大")).to_have_attribute(
        "aria-pressed", "true"
    )
    larger = await root_font_px(page)
    assert larger >= normal * 1.4
    # Everything is in rem/em: the bubbles and buttons grow with it.
    button_font = await page.locator("#log button").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert button_font == larger
    await page.get_by_role("button", name="見やすい色").click()
    await expect(page.get_by_role("button", name="見やすい色")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert await wcag_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "web-chat-large-contrast.png"))

    await page.reload()  # remembered in this browser
    await expect(page.locator("#log button").first).to_be_visible()
    assert await root_font_px(page) == larger
    assert await page.evaluate("document.documentElement.classList.contains('contrast')")
    await expect(page.get_by_role("button", name="特大")).to_have_attribute("aria-pressed", "true")


async def test_an_english_reader_gets_the_page_in_english_and_send_stays_on_one_line(
    site: str, browser: Browser
) -> None:
    page = await open_chat(browser, site, locale="ja-JP")
    send = page.get_by_role("button", name="送信")
    box = await send.bounding_box()
    line = float(await send.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box is not None and box["height"] < 2 * line  # 送信, not 送/信
    english = await open_chat(browser, site, locale="en-US")
    await expect(english.locator("html")).to_have_attribute("lang", "en")
    await expect(english.get_by_placeholder("Type a message")).to_be_visible()
    await expect(english.get_by_role("button", name="Send", exact=True)).to_be_visible()
    await expect(english.get_by_role("group", name="Text size")).to_be_visible()


async def test_focus_follows_the_answer_and_nothing_focused_hides_under_the_input_bar(
    site: str, browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    await new_poll(runtime, clock)
    page = await open_chat(browser, site)
    await page.get_by_role("button", name="アンケート").first.click()
    await expect(page.locator("#log")).to_contain_text("防災訓練はいつがよいですか")
    # The pressed button scrolled away: the answer has focus, in view.
    focused = page.locator(":focus")
    await expect(focused).to_have_class("bot")
    await expect(focused).to_contain_text("アンケート")
    await expect(focused).to_be_in_viewport()

    # Tab through every button from the top: each is shown above the fixed input bar.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.locator("h1").click()
    bar_top = await page.locator("#form").evaluate("e => e.getBoundingClientRect().top")
    hidden = []
    count = await page.locator("main button").count()
    assert count > 10
    for _ in range(count + 4):
        await page.keyboard.press("Tab")
        rect = await page.evaluate(
            "(() => { const r = document.activeElement.getBoundingClientRect();"
            " return [document.activeElement.textContent, r.top, r.bottom,"
            " !!document.activeElement.closest('main')]; })()"
        )
        if rect[3] and (rect[2] > bar_top or rect[1] < 0):
            hidden.append(rect[0])
    assert hidden == []


async def test_a_chart_is_scrolled_into_view_once_it_has_loaded(
    site: str, browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    await new_poll(runtime, clock)
    page = await open_chat(browser, site)
    await page.get_by_role("textbox").fill("アンケート")
    await page.get_by_role("button", name="送信").click()
    await page.locator("article.card button").first.click()
    await page.get_by_role("button", name="土曜").last.click()
    await page.get_by_role("button", name="グラフで見る").last.click()
    chart = page.locator("img.chart")
    await expect(chart).to_be_visible()
    # Once loaded, the whole picture is scrolled above the input bar.
    await page.wait_for_function(
        """() => {
            const chart = document.querySelector('img.chart');
            const bar = document.getElementById('form').getBoundingClientRect();
            return chart.complete && chart.naturalHeight > 0
                && chart.getBoundingClientRect().bottom <= bar.top;
        }"""
    )


async def test_a_reload_keeps_the_conversation_of_this_tab_only(
    site: str, browser: Browser
) -> None:
    page = await open_chat(browser, site)
    await page.get_by_role("button", name="目標").first.click()
    await expect(page.locator("#log")).to_contain_text("地域を知ろう")
    await page.reload()
    await expect(page.locator("#log")).to_contain_text("地域を知ろう")
    await expect(page.locator("li.me")).to_have_text(["目標"])
    await expect(page.locator("#log")).to_contain_text("こんにちは")
    assert await page.locator("li.bot", has_text="こんにちは").count() == 1  # no second greeting
    # The buttons of a kept answer still work.
    await page.get_by_role("button", name="地域を知ろう").last.click()
    await expect(page.locator("li.me")).to_have_count(2)
    # Another tab (sessionStorage is per tab) starts afresh.
    other = await page.context.new_page()
    await other.goto(f"{site}/chat")
    await expect(other.locator("#log button").first).to_be_visible()
    await expect(other.locator("li.me")).to_have_count(0)
