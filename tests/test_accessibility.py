"""axe-core finds no WCAG 2.2 A/AA violation on the web chat or any dashboard page, at a
desktop width (1280 px) and a phone's (375 px)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.core import Channel, IncomingMessage
from bot.staff.polls import PollSpec, create_poll
from bot.staff.watch_counter import cancel_counter_signup, sign_up_at_counter
from bot.storage.broadcasts import NewBroadcast
from bot.storage.faq import FaqRepository, UnansweredRepository
from bot.storage.paper_ballots import PaperEntry
from bot.storage.voices import NewVoice, Place, VoiceKind
from bot.web import build_web_app
from tests.accessibility import wcag_violations
from tests.actors import CLI_ACTOR
from tests.admin_helpers import STAFF_LOGIN, STAFF_PASSWORD, add_staff
from tests.browser import file_chooser_opened_by, serve
from tests.conftest import FakeClock
from tests.platforms import Platforms, open_platforms
from tests.test_events import new_event
from tests.test_watch import load

WIDTHS = (1280, 375)
# Best practices the chat is held to as well: everything inside a landmark, headings in order.
CHAT_RULES = ("region", "heading-order", "landmark-one-main", "page-has-heading-one")


@pytest.fixture
async def site(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> AsyncIterator[tuple[Platforms, str]]:
    async with (
        open_platforms(tmp_path, content_dir, clock, CHIIKI_PACK="testville") as platforms,
        serve(build_web_app(platforms.runtime)) as base,
    ):
        await add_staff(platforms.runtime)
        yield platforms, base


async def seed(platforms: Platforms, clock: FakeClock) -> dict[str, int]:
    """Something on every page: residents, a voted poll, an event, shifts, a notice, an FAQ."""
    runtime = platforms.runtime
    services = runtime.services
    for n, district in enumerate(["d01", "d01", "d02", None]):
        row = await services.residents.get_or_create("telegram", str(n), "ja", clock.now)
        if district:
            await services.residents.set_district(row.id, district, clock.now)
    await load(runtime, clock)
    await sign_up_at_counter(services.watch, 1, "山田 花子", "phone", clock.now, actor=CLI_ACTOR)
    # Shift 2 has two places: cancelling the first of three moves a counter volunteer up.
    counter = [
        await sign_up_at_counter(services.watch, 2, name, "counter", clock.now, actor=CLI_ACTOR)
        for name in ("佐藤", "鈴木", "田中")
    ]
    await cancel_counter_signup(
        services.watch, services.notices, counter[0].signup_id, clock.now, actor=CLI_ACTOR
    )
    await new_event(runtime, clock)
    spec = PollSpec.model_validate(
        {
            "question": "公民館の開館時間を延ばすべきですか？",
            "choices": ["はい", "いいえ", "わからない"],
            "closes_at": clock.now + timedelta(days=7),
        }
    )
    poll_id, _ = await create_poll(spec, services.polls, services.pack, clock.now, actor=CLI_ACTOR)
    for n in range(3):
        await runtime.dispatcher.handle(
            IncomingMessage(Channel.WEB, f"voter{n}", data=f"vote:{poll_id}:{n % 2 + 1}")
        )
    # Paper ballots a staff member entered, so the poll page lists an entry.
    await services.polls.paper.replace(
        PaperEntry(poll_id, STAFF_LOGIN, "d01", 6, {1: 4, 2: 2}, clock.now)
    )
    notice = NewBroadcast(kind="notice", text_ja="12月5日は断水があります。")
    broadcast_id = await runtime.broadcasts.create(notice, clock.now)
    entry_id = await FaqRepository(runtime.db).add(
        ["ラジオ体操は何時からですか"], "毎朝6時30分からです。", None, None, None, clock.now
    )
    await UnansweredRepository(runtime.db).record("ごみの日はいつ？", "ja", clock.now)
    assert services.voices is not None
    author = await services.residents.get_or_create("telegram", "0", "ja", clock.now)
    voice = NewVoice(
        author.id,
        VoiceKind.PROBLEM,
        "公園の柵が壊れています",
        "ja",
        "d01",
        Place("中央公園", 36.2551, 138.8889),
        contact_ok=True,
    )
    _, stored = await services.voices.send(voice, clock.now)
    assert stored is not None
    return {"poll": poll_id, "broadcast": broadcast_id, "faq": entry_id, "voice": stored.id}


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {line}" for page, lines in found.items() for line in lines)


async def check(
    page: Page, name: str, found: dict[str, list[str]], also: tuple[str, ...] = ()
) -> None:
    await page.wait_for_load_state("networkidle")
    violations = await wcag_violations(page, also)
    if violations:
        found[name] = violations


async def test_every_dashboard_page_passes_axe_at_both_widths(
    site: tuple[Platforms, str], browser: Browser, clock: FakeClock
) -> None:
    platforms, base = site
    ids = await seed(platforms, clock)
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = await browser.new_context(
            viewport={"width": width, "height": 800}, locale="ja-JP", bypass_csp=True
        )
        page = await context.new_page()
        await page.goto(f"{base}/admin/login")
        await check(page, f"{width} login", found)
        await page.get_by_label("ログインID").fill(STAFF_LOGIN)
        await page.get_by_label("パスワード").fill(STAFF_PASSWORD)
        await page.get_by_role("button", name="ログイン").click()
        await expect(page.get_by_role("heading", name="概要")).to_be_visible()
        for path in (
            "/admin/",
            "/admin/polls",
            f"/admin/polls/{ids['poll']}",
            f"/admin/polls/{ids['poll']}/print",
            "/admin/audit",
            "/admin/accounts",
            "/admin/watch",
            "/admin/watch/print",
            "/admin/events",
            "/admin/outcomes",
            "/admin/broadcasts",
            f"/admin/broadcasts/{ids['broadcast']}",
            "/admin/faq",
            "/admin/faq/new",
            "/admin/faq/unanswered",
            f"/admin/faq/{ids['faq']}",
            f"/admin/faq/{ids['faq']}/remove",
            "/admin/districts",
            "/admin/voices",
            f"/admin/voices/{ids['voice']}",
            "/admin/polls/999999",
        ):
            await page.goto(base + path)
            await check(page, f"{width} {path}", found)
        # Pages that answer a form: an error, the easy Japanese preview, the broadcast check.
        await page.goto(f"{base}/admin/polls")
        await page.get_by_label("質問（日本語）").fill("どう思いますか？")
        await page.get_by_label("選択肢（日本語・1行に1つ・2〜10個）").fill("はい")
        await page.get_by_label("締切日時").fill("2026-12-10T17:00")
        await page.get_by_role("button", name="アンケートを作成").click()
        await check(page, f"{width} poll form with an error", found)
        await page.get_by_role("button", name="やさしい日本語での見え方を確認").click()
        await check(page, f"{width} poll easy preview", found)
        await page.goto(f"{base}/admin/watch")
        await page.get_by_label("お名前（40文字まで）").fill("山田 花子")
        await page.get_by_label("名簿に名前を載せることに同意をいただいた").check()
        await page.get_by_role("button", name="申し込む", exact=True).click()
        await expect(page.locator("#name-error")).to_be_visible()
        await check(page, f"{width} counter sign-up with an error", found)
        # A voice declined without a reason: the error is the reason field's description.
        await page.goto(f"{base}/admin/voices/{ids['voice']}")
        await page.locator("select[name=state]").select_option(label="対応しない")
        await page.get_by_role("button", name="状態を変更").click()
        await check(page, f"{width} voice form with an error", found)
        await expect(
            page.get_by_role("textbox", name="理由（対応しないとき。住民に届きます）")
        ).to_have_accessible_description("対応しない理由を入力してください。")
        await page.goto(f"{base}/admin/broadcasts")
        await page.get_by_label("本文（日本語）").fill("12月5日は断水があります。")
        await page.get_by_role("button", name="送信先と件数を確認").click()
        await check(page, f"{width} broadcast preview", found)
        await page.goto(f"{base}/admin/polls/{ids['poll']}")
        await page.get_by_label("紙の回答数（枚）").fill("5")
        await page.get_by_role("button", name="紙の回答を保存").click()
        await expect(
            page.get_by_text("票数の合計（0）が回答数（5）と合いません。")
        ).to_be_visible()
        await check(page, f"{width} paper ballots with an error", found)
        await (
            page.get_by_role("link", name="English")
            .or_(page.get_by_role("button", name="English"))
            .click()
        )
        await check(page, f"{width} overview in English", found)
        await context.close()
    assert not found, report(found)


async def test_the_web_chat_passes_axe_at_both_widths(
    site: tuple[Platforms, str], browser: Browser, clock: FakeClock
) -> None:
    platforms, base = site
    await seed(platforms, clock)
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = await browser.new_context(
            viewport={"width": width, "height": 800}, locale="ja-JP", bypass_csp=True
        )
        page = await context.new_page()
        await page.goto(f"{base}/chat")
        await expect(page.locator("#log button").first).to_be_visible()
        await check(page, f"{width} menu", found, CHAT_RULES)
        for said, shown in (("アンケート", "公民館の開館時間"), ("見守り", "ルートを選んで")):
            await page.get_by_role("textbox").fill(said)
            await page.get_by_role("button", name="送信").click()
            await expect(page.locator("#log")).to_contain_text(shown)
            await check(page, f"{width} {said}", found, CHAT_RULES)
        # 地域の声 up to its photo step: the photo button is named, and the keyboard reaches it
        # first after the answer (which takes focus) and opens the picker.
        await page.get_by_role("textbox").fill("声を届ける")
        await page.get_by_role("button", name="送信").click()
        await page.get_by_role("button", name="困りごと・危険な場所").click()
        await page.get_by_role("textbox").fill("街灯が消えています")
        await page.get_by_role("button", name="送信").click()
        await page.get_by_role("button", name="場所なし").last.click()
        await expect(page.get_by_role("button", name="写真を選ぶ")).to_be_visible()
        await check(page, f"{width} voice photo step", found, CHAT_RULES)
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="写真を選ぶ")).to_be_focused()
        await file_chooser_opened_by(page, functools.partial(page.keyboard.press, "Enter"))
        await context.close()
    assert not found, report(found)


async def test_keyboard_users_skip_the_menu_and_see_where_they_are(
    site: tuple[Platforms, str], browser: Browser, clock: FakeClock
) -> None:
    platforms, base = site
    await load(platforms.runtime, clock)
    page = await browser.new_page(viewport={"width": 375, "height": 800}, locale="ja-JP")
    await page.goto(f"{base}/admin/login")
    # The login page has its own English switch; the choice holds after logging in.
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.get_by_label("Login").fill(STAFF_LOGIN)
    await page.get_by_label("Password").fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await page.get_by_role("link", name="School-route watch").click()

    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    await expect(skip).to_be_focused()
    assert await skip.evaluate("e => e.getBoundingClientRect().top >= 0")  # shown when focused
    assert await skip.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Download the roster as CSV")  # the first thing in main
    assert await focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"

    # At 375 px every shift's cancel button is on screen, not off to the right.
    buttons = page.get_by_role("button", name="Cancel", exact=True)
    assert await buttons.count() == 6
    for n in range(await buttons.count()):
        box = await buttons.nth(n).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert box["height"] < 60  # 中止する / Cancel on one line
    await page.close()
