"""The dashboard in a real browser: staff log in, make a poll, watch votes and a broadcast land."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.web import build_web_app
from bot.web.identity import COOKIE_NAME
from tests.admin_helpers import STAFF_LOGIN, STAFF_PASSWORD, add_staff
from tests.browser import SCREENSHOTS, serve
from tests.conftest import FakeClock
from tests.platforms import Platforms, open_platforms
from tests.test_watch import load


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


async def logged_in(browser: Browser, base: str) -> Page:
    page = await browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")
    await page.goto(f"{base}/admin/")
    await expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    await page.get_by_label("ログインID").fill(STAFF_LOGIN)
    await page.get_by_label("パスワード").fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="概要")).to_be_visible()
    return page


async def test_staff_create_a_poll_and_see_the_chart_follow_web_chat_votes(
    site: tuple[Platforms, str], browser: Browser
) -> None:
    platforms, base = site
    residents = platforms.runtime.services.residents
    for n, district in enumerate(["d01", "d01", "d02", None]):
        row = await residents.get_or_create(
            "telegram", f"{n}", "ja", platforms.runtime.services.clock()
        )
        if district:
            await residents.set_district(row.id, district, platforms.runtime.services.clock())
    await load(platforms.runtime, platforms.runtime.services.clock)  # type: ignore[arg-type]
    staff = await logged_in(browser, base)

    await staff.get_by_role("link", name="イベント").click()
    await staff.get_by_label("名称（日本語）").fill("第3回 地域づくり協議会")
    await staff.get_by_label("場所（日本語）").fill("市役所 3階 大会議室")
    await staff.get_by_label("開始日時").fill("2026-12-05T14:00")
    await staff.get_by_role("button", name="イベントを作成").click()
    await expect(staff.get_by_role("cell", name="第3回 地域づくり協議会")).to_be_visible()

    await staff.get_by_role("link", name="アンケート").first.click()
    await staff.get_by_label("質問（日本語）").fill("公民館の開館時間を延ばすべきですか？")
    await staff.get_by_label("選択肢（日本語・1行に1つ・2〜10個）").fill(
        "はい\nいいえ\nわからない"
    )
    await staff.get_by_label("締切日時").fill("2026-12-10T17:00")
    await staff.get_by_role("button", name="アンケートを作成").click()
    await expect(
        staff.get_by_role("heading", name="公民館の開館時間を延ばすべきですか？")
    ).to_be_visible()
    await expect(staff.locator("#ballots")).to_have_text("0")

    for answer in ("はい", "はい", "いいえ"):
        chat = await browser.new_page(locale="ja-JP")  # a browser of its own: a new resident
        await chat.goto(f"{base}/chat")
        await chat.get_by_placeholder("メッセージを入力").fill("アンケート")
        await chat.get_by_role("button", name="送信").click()
        card = chat.locator("article.card", has_text="1. 公民館の開館時間を延ばすべきですか？")
        await card.get_by_role("button").click()
        await chat.get_by_role("button", name=answer, exact=True).last.click()
        await expect(chat.locator("#log")).to_contain_text("回答ありがとうございました。")
        await chat.close()

    # The chart refreshes itself: no reload.
    await expect(staff.locator("#ballots")).to_have_text("3", timeout=10_000)
    yes = staff.locator('.chart .row[data-position="1"]')
    await expect(yes.locator(".count")).to_have_text("2")
    await expect(yes.locator(".fill")).to_have_attribute("style", "width: 66.7%;")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await staff.screenshot(path=str(SCREENSHOTS / "admin-poll-chart.png"), full_page=True)

    await staff.get_by_role("link", name="概要").click()
    await expect(staff.get_by_text("回答 3件")).to_be_visible()
    await staff.screenshot(path=str(SCREENSHOTS / "admin-overview.png"), full_page=True)


async def test_staff_send_a_broadcast_and_watch_it_reach_everyone(
    site: tuple[Platforms, str], browser: Browser
) -> None:
    platforms, base = site
    residents, clock = platforms.runtime.services.residents, platforms.runtime.services.clock
    for n in range(40):
        row = await residents.get_or_create("telegram", str(1000 + n), "ja", clock())
        await residents.set_district(row.id, "d03", clock())
    for n in range(30):
        row = await residents.get_or_create("line", f"U{n:032x}", "ja", clock())
        await residents.set_district(row.id, "d03", clock())
    await residents.get_or_create("line", "Uelsewhere", "ja", clock())  # another district
    platforms.telegram.blocked_chats.add(1007)
    platforms.line.quota_limit, platforms.line.quota_used = 1000, 200

    staff = await logged_in(browser, base)
    await staff.get_by_role("link", name="一斉送信").click()
    await staff.get_by_label("本文（日本語）").fill("12月5日は第3地区で断水があります。")
    await staff.get_by_label("地区").select_option("d03")
    await staff.get_by_role("button", name="送信先と件数を確認").click()
    await expect(staff.locator('[data-audience="telegram"]')).to_have_text("40")
    await expect(staff.locator('[data-audience="line"]')).to_have_text("30")
    await expect(staff.get_by_text("LINEの月間メッセージ数を30通使います。")).to_be_visible()
    await expect(staff.get_by_text("今月の残り: 800通")).to_be_visible()
    await staff.get_by_role("button", name="送信する").click()

    await expect(staff.locator("#percent")).to_have_text("100", timeout=20_000)
    await expect(staff.locator("#sent")).to_have_text("69")
    await expect(staff.locator("#unreachable")).to_have_text("1")
    await staff.screenshot(path=str(SCREENSHOTS / "admin-broadcast-done.png"), full_page=True)

    assert len(platforms.line.delivered) == 30 and set(platforms.line.delivered.values()) == {1}
    assert sum(platforms.telegram.delivered.values()) == 39
    await staff.get_by_role("link", name="一斉送信に戻る").click()
    row = staff.locator("tbody tr").first
    await expect(row).to_contain_text("断水")
    await expect(row.locator("td.num").first).to_have_text("69")


async def test_staff_answer_a_question_residents_asked_and_manage_the_faq(
    site: tuple[Platforms, str], browser: Browser, clock: FakeClock
) -> None:
    _, base = site
    question = "ラジオ体操は何時からですか"
    chat = await browser.new_page(locale="ja-JP")
    await chat.goto(f"{base}/chat")

    async def ask(text: str) -> None:
        await chat.get_by_placeholder("メッセージを入力").fill(text)
        await chat.get_by_role("button", name="送信").click()

    await ask(question)
    await expect(chat.locator("#log")).to_contain_text("お答えできません")
    [cookie] = [c for c in await chat.context.cookies() if c["name"] == COOKIE_NAME]
    identity = cookie["value"].rsplit(".", 1)[0]

    staff = await logged_in(browser, base)
    await staff.get_by_role("link", name="よくある質問").click()
    await expect(staff.get_by_role("heading", name="よくある質問")).to_be_visible()
    await staff.get_by_role("link", name="答えられなかった質問: 1件").click()
    row = staff.locator("tbody tr", has_text=question)
    await expect(row).to_contain_text("2026-11-23")
    await expect(row).not_to_contain_text(identity)
    await staff.screenshot(path=str(SCREENSHOTS / "admin-faq-unanswered.png"), full_page=True)
    await row.get_by_role("link", name="よくある質問に追加").click()

    questions = staff.get_by_label("質問（1行に1つ", exact=False)
    await expect(questions).to_have_value(question)
    await questions.fill(f"{question}\nラジオ体操の時間")
    await staff.get_by_label("答え（日本語・2000文字まで）").fill(
        "毎朝6時30分から、中央公園で行っています。"
    )
    await staff.get_by_label("出典のURL", exact=False).fill("javascript:alert(1)")
    await staff.get_by_role("button", name="保存する").click()
    await expect(staff.locator("#faq-source-error")).to_have_text(
        "http:// または https:// で始まるURLを入力してください。"
    )
    await staff.get_by_label("出典のURL", exact=False).fill("https://www.city.example.jp/taiso")
    await staff.get_by_role("button", name="保存する").click()
    await expect(staff.get_by_text("答えられなかった質問はありません。")).to_be_visible()

    await ask("ラジオ体操は何時から？")
    await expect(chat.locator("#log")).to_contain_text("毎朝6時30分から、中央公園で行っています。")

    await staff.get_by_role("link", name="よくある質問に戻る").click()
    entry = staff.locator("tbody tr", has_text=question)
    await expect(entry).to_contain_text("ほか1通り")
    await staff.screenshot(path=str(SCREENSHOTS / "admin-faq.png"), full_page=True)
    clock.advance(seconds=30)  # staff take a moment; the answerer tells edits by their time
    await entry.get_by_role("link", name="編集").click()
    await staff.get_by_label("答え（日本語・2000文字まで）").fill(
        "毎朝6時から、中央公園で行っています。"
    )
    await staff.get_by_role("button", name="保存する").click()
    await ask(question)
    await expect(chat.locator("#log")).to_contain_text("毎朝6時から、中央公園で行っています。")

    await staff.locator("tbody tr", has_text=question).get_by_role("link", name="削除").click()
    await expect(
        staff.get_by_role("heading", name="この質問と答えを削除しますか？")
    ).to_be_visible()
    await staff.get_by_role("button", name="削除する").click()
    await expect(staff.get_by_text("まだ登録していません。")).to_be_visible()
    await chat.close()
