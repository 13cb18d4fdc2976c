"""WCAG 2.2 AA criteria axe-core does not check, on the web chat and the staff dashboard,
measured in Chromium (tests/wcag_checks.py): every control at least 24 × 24 CSS px (2.5.8),
each control reached by Tab not hidden under a fixed bar (2.4.11) and ringed 3:1 (2.4.7,
2.4.13), no sideways scrolling at 320 px and at 200 % zoom, with 1.4.12's text spacing too
(1.4.10), the login open to pasting and password managers (3.3.8), and a form sent back with an
error keeping what was typed (3.3.7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.web import build_web_app
from tests.admin_helpers import STAFF_LOGIN, STAFF_PASSWORD, add_staff
from tests.browser import serve
from tests.conftest import FakeClock
from tests.platforms import Platforms, open_platforms
from tests.test_accessibility import seed
from tests.wcag_checks import focus_faults, overflow, small_targets

# 320 CSS px is 1280 px at 400 %; 640 is a 1280 px window at 200 %.
NARROW, ZOOMED, DESKTOP = 320, 640, 1280


@pytest.fixture
async def site(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> AsyncIterator[tuple[Platforms, str, dict[str, int]]]:
    async with (
        open_platforms(tmp_path, content_dir, clock, CHIIKI_PACK="testville") as platforms,
        serve(build_web_app(platforms.runtime)) as base,
    ):
        await add_staff(platforms.runtime)
        ids = await seed(platforms, clock)
        yield platforms, base, ids


async def _context(browser: Browser, width: int) -> BrowserContext:
    return await browser.new_context(
        viewport={"width": width, "height": 700}, locale="ja-JP", bypass_csp=True
    )


async def _chat_with_answers(browser: Browser, base: str, width: int) -> Page:
    """The chat after a few turns: choice buttons, cards, a long answer, the fixed bar."""
    page = await (await _context(browser, width)).new_page()
    await page.goto(f"{base}/chat")
    await expect(page.locator("#log button").first).to_be_visible()
    for said, shown in (("アンケート", "公民館の開館時間"), ("見守り", "ルートを選んで")):
        await page.get_by_role("textbox").fill(said)
        await page.get_by_role("button", name="送信").click()
        await expect(page.locator("#log")).to_contain_text(shown)
    await page.get_by_role("button", name="東ルート").last.click()
    await expect(page.locator("#log .card").last).to_be_visible()
    # The answer to a pressed button takes focus; wait for it, so no focus moves mid-check.
    await expect(page.locator("#log li:focus")).to_have_count(1)
    return page


async def _logged_in(browser: Browser, base: str, width: int) -> Page:
    page = await (await _context(browser, width)).new_page()
    await page.goto(f"{base}/admin/login")
    await page.get_by_label("ログインID").fill(STAFF_LOGIN)
    await page.get_by_label("パスワード").fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="概要")).to_be_visible()
    return page


def _pages(ids: dict[str, int]) -> tuple[str, ...]:
    return (
        "/admin/",
        "/admin/polls",
        f"/admin/polls/{ids['poll']}",
        "/admin/watch",
        "/admin/events",
        "/admin/outcomes",
        "/admin/broadcasts",
        f"/admin/broadcasts/{ids['broadcast']}",
        "/admin/faq",
        "/admin/faq/unanswered",
        "/admin/districts",
        "/admin/voices",
        f"/admin/voices/{ids['voice']}",
        "/admin/accounts",
        "/admin/audit",
    )


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)


async def test_the_chat_has_large_targets_unhidden_focus_and_reflows(
    site: tuple[Platforms, str, dict[str, int]], browser: Browser
) -> None:
    _, base, _ = site
    found: dict[str, list[str]] = {}
    for width in (NARROW, ZOOMED, DESKTOP):
        page = await _chat_with_answers(browser, base, width)
        found[f"{width} targets"] = await small_targets(page)
        found[f"{width} focus"] = await focus_faults(page)
        found[f"{width} reflow"] = await overflow(page)
        # The high-contrast colours and the largest text keep all of it.
        await page.get_by_role("button", name="見やすい色").click()
        await page.get_by_role("button", name="特大").click()
        found[f"{width} contrast, larger: focus"] = await focus_faults(page)
        found[f"{width} contrast, larger: reflow"] = await overflow(page, spacing=True)
        await page.context.close()
    found = {where: lines for where, lines in found.items() if lines}
    assert not found, _report(found)


async def test_the_dashboard_has_large_targets_unhidden_focus_and_reflows(
    site: tuple[Platforms, str, dict[str, int]], browser: Browser
) -> None:
    _, base, ids = site
    found: dict[str, list[str]] = {}
    for width in (NARROW, DESKTOP):
        page = await (await _context(browser, width)).new_page()
        await page.goto(f"{base}/admin/login")
        found[f"{width} login targets"] = await small_targets(page)
        found[f"{width} login focus"] = await focus_faults(page)
        await page.context.close()
        page = await _logged_in(browser, base, width)
        for path in _pages(ids):
            await page.goto(base + path)
            found[f"{width} {path} targets"] = await small_targets(page)
            found[f"{width} {path} focus"] = await focus_faults(page)
            if width == NARROW:
                found[f"{width} {path} reflow"] = await overflow(page, spacing=True)
        await page.context.close()
    found = {where: lines for where, lines in found.items() if lines}
    assert not found, _report(found)


async def test_the_login_takes_pasting_and_password_managers(
    site: tuple[Platforms, str, dict[str, int]], browser: Browser
) -> None:
    _, base, _ = site
    page = await (await _context(browser, DESKTOP)).new_page()
    await page.goto(f"{base}/admin/login")
    login, password = page.get_by_label("ログインID"), page.get_by_label("パスワード")
    await expect(login).to_have_attribute("autocomplete", "username")
    await expect(password).to_have_attribute("autocomplete", "current-password")
    assert await page.locator("form[autocomplete=off], input[autocomplete=off]").count() == 0
    # A paste reaches the field: nothing cancels it (no puzzle or retyping to log in).
    for field, text in ((login, STAFF_LOGIN), (password, STAFF_PASSWORD)):
        kept = await field.evaluate(
            """(el, text) => {
                 const data = new DataTransfer();
                 data.setData('text/plain', text);
                 return el.dispatchEvent(new ClipboardEvent('paste', {
                   clipboardData: data, bubbles: true, cancelable: true}));
               }""",
            text,
        )
        assert kept
        await field.fill(text)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="概要")).to_be_visible()
    await page.context.close()


async def test_a_form_sent_back_with_an_error_keeps_what_was_typed(
    site: tuple[Platforms, str, dict[str, int]], browser: Browser
) -> None:
    _, base, _ = site
    page = await _logged_in(browser, base, DESKTOP)
    await page.goto(f"{base}/admin/polls")
    await page.get_by_label("質問（日本語）").fill("どう思いますか？")
    await page.get_by_label("選択肢（日本語・1行に1つ・2〜10個）").fill("はい")
    await page.get_by_label("締切日時").fill("2026-12-10T17:00")
    await page.get_by_role("button", name="アンケートを作成").click()
    await expect(page.get_by_label("質問（日本語）")).to_have_value("どう思いますか？")
    await expect(page.get_by_label("選択肢（日本語・1行に1つ・2〜10個）")).to_have_value("はい")
    await expect(page.get_by_label("締切日時")).to_have_value("2026-12-10T17:00")
    await page.goto(f"{base}/admin/watch")
    await page.get_by_label("お名前（40文字まで）").fill("山田 花子")
    await page.get_by_label("名簿に名前を載せることに同意をいただいた").check()
    await page.get_by_role("button", name="申し込む", exact=True).click()
    await expect(page.locator("#name-error")).to_be_visible()
    await expect(page.get_by_label("お名前（40文字まで）")).to_have_value("山田 花子")
    await page.context.close()
