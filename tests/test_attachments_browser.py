"""The web chat's photo button in Chromium: shown only under a reply that asks for a photo,
it sends the picked file to /chat/photo, and the flow that asked gets it as an attachment; a
refused file's answer describes the button (aria-describedby)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from playwright.async_api import Browser, expect

from bot.config import Settings
from bot.core import Ask, AttachmentKind, Reply
from bot.images import photo_media_type
from bot.runtime import open_runtime
from bot.web import build_web_app
from handlers.context import HandlerContext
from handlers.routes import build_router
from handlers.routing import Request, Route, Router
from tests.accessibility import wcag_violations
from tests.browser import file_chooser_opened_by, serve
from tests.conftest import FakeClock

PHOTO = frozenset({AttachmentKind.PHOTO})


async def ask_for_photo(request: Request, ctx: HandlerContext) -> list[Reply]:
    return [Reply("写真を送ってください", asks=(Ask(AttachmentKind.PHOTO, "写真をえらぶ"),))]


async def take_photo(request: Request, ctx: HandlerContext) -> list[Reply]:
    data = await request.attachments[0].fetch(1024 * 1024)
    return [Reply(f"受け取りました: {photo_media_type(data)} {len(data)} bytes")]


def router_asking_for_photos() -> Router:
    router = build_router()
    asking = [
        Route("test-ask", lambda r: r.command == "photo", ask_for_photo),
        Route("test-take", lambda r: bool(r.attachments), take_photo, PHOTO),
    ]
    return Router([*asking, *router.routes], router.fallback)


@pytest.fixture
async def site(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    monkeypatch.setattr("bot.runtime.build_router", router_asking_for_photos)
    async with (
        open_runtime(settings, clock=clock) as runtime,
        serve(build_web_app(runtime)) as base,
    ):
        yield base


async def test_a_photo_asked_for_is_picked_sent_and_received(site: str, browser: Browser) -> None:
    context = await browser.new_context(locale="ja-JP", bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{site}/chat")
    await expect(page.locator("#log button").first).to_be_visible()
    assert await page.locator("button.ask").count() == 0  # nothing asked yet
    await page.fill("#text", "/photo")
    await page.press("#text", "Enter")
    ask = page.get_by_role("button", name="写真をえらぶ")
    await expect(ask).to_be_visible()
    assert await wcag_violations(page) == []
    png = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 160)).save(png, "PNG")
    chooser = await file_chooser_opened_by(page, ask.click)
    await chooser.set_files(
        {"name": "road.png", "mimeType": "image/png", "buffer": png.getvalue()}
    )
    await expect(page.locator("#log li.me").last).to_have_text("📷 road.png")
    answer = page.locator("#log li.bot").last
    await expect(answer).to_contain_text(f"受け取りました: image/png {len(png.getvalue())} bytes")
    # A file that is no photo: the refusal shows, and describes the button that picked it.
    await page.fill("#text", "/photo")
    await page.press("#text", "Enter")
    await expect(page.get_by_role("button", name="写真をえらぶ")).to_have_count(2)
    again = page.get_by_role("button", name="写真をえらぶ").last
    chooser = await file_chooser_opened_by(page, again.click)
    await chooser.set_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just some words"}
    )
    refusal = page.locator("#log li.error").last
    await expect(refusal).to_contain_text("写真として読めませんでした")
    await expect(again).to_have_attribute("aria-describedby", await refusal.get_attribute("id"))
    await expect(again).to_have_accessible_description(await refusal.inner_text())
    assert await wcag_violations(page) == []
    await context.close()
