"""The whole loop: a resident asks what the bot cannot answer, staff see it in the dashboard and
add it as an FAQ entry, and the next resident who asks gets that answer, without a restart."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from bot.answerer.live import REFRESH_SECONDS
from bot.config import Settings
from bot.runtime import Runtime
from bot.storage.faq import FaqRepository
from bot.web import build_web_app
from tests.admin_helpers import add_staff, log_in, post_form
from tests.conftest import FakeClock, make_settings
from tests.web_clients import chat_client, identity_of

QUESTION = "ラジオ体操は何時からですか"
ANSWER = "毎朝6時30分から、中央公園で行っています。"
UNKNOWN = "お答えできません"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


class WebChat:
    """Residents in the web chat, each with a browser (cookie jar) of their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.browsers: dict[str, httpx.AsyncClient] = {}

    async def ask(self, text: str, resident: str = "first") -> str:
        """What the web chat shows `resident` after they send `text`."""
        if resident not in self.browsers:
            self.browsers[resident] = chat_client(self.app)
        response = await self.browsers[resident].post("/chat/api", json={"text": text})
        assert response.status_code == 200
        return "\n".join(bubble["text"] for bubble in response.json()["replies"])

    async def close(self) -> None:
        for browser in self.browsers.values():
            await browser.aclose()


@pytest.fixture
async def app_clients(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, WebChat]]:
    """A logged-in staff browser and residents in the web chat, on one running app."""
    app = build_web_app(runtime)
    chat = WebChat(app)
    async with chat_client(app) as staff:
        await add_staff(runtime)
        assert (await log_in(staff)).status_code == 303
        yield staff, chat
    await chat.close()


async def test_an_unanswered_question_becomes_an_faq_answer_without_a_restart(
    runtime: Runtime, app_clients: tuple[httpx.AsyncClient, WebChat], clock: FakeClock
) -> None:
    staff, chat = app_clients
    assert UNKNOWN in await chat.ask(QUESTION)

    listing = await staff.get("/admin/faq/unanswered")
    assert QUESTION in listing.text
    assert identity_of(chat.browsers["first"]) not in listing.text
    match = re.search(r'href="/admin/faq/new\?question=(\d+)"', listing.text)
    assert match
    form = await staff.get(f"/admin/faq/new?question={match.group(1)}")
    assert QUESTION in form.text
    saved = await post_form(
        staff,
        "/admin/faq",
        {
            "questions": f"{QUESTION}\nラジオ体操の時間\nWhat time does radio calisthenics start?",
            "answer_ja": ANSWER,
            "answer_en": "Every morning at 6:30 in the central park.",
            "question_id": match.group(1),
        },
    )
    assert saved.status_code == 303

    # Another resident asking the same gets the staff's answer at once.
    assert ANSWER in await chat.ask(QUESTION, "second")
    assert ANSWER in await chat.ask("ラジオ体操は何時から？", "third")
    english = await chat.ask("When does radio calisthenics start?", "fourth")
    assert "Every morning at 6:30" in english
    assert QUESTION not in (await staff.get("/admin/faq/unanswered")).text

    # An edit is used from the next question on; a removal stops the answer.
    [entry] = await FaqRepository(runtime.db).entries()
    changed = "毎朝6時から、中央公園で行っています。"
    # The answerer tells an edit by the entry's updated_at: let the fake clock move as a real
    # one would while staff type.
    clock.advance(seconds=20)
    edited = await post_form(
        staff, f"/admin/faq/{entry.id}", {"questions": QUESTION, "answer_ja": changed}
    )
    assert edited.status_code == 303
    assert changed in await chat.ask(QUESTION, "second")
    removed = await post_form(staff, f"/admin/faq/{entry.id}/remove", {})
    assert removed.status_code == 303
    reply = await chat.ask(QUESTION, "second")
    assert changed not in reply and UNKNOWN in reply
    # Asked again and still unanswered: back in the list for staff.
    assert QUESTION in (await staff.get("/admin/faq/unanswered")).text


async def test_an_entry_saved_by_another_instance_is_answered_after_the_refresh(
    runtime: Runtime, app_clients: tuple[httpx.AsyncClient, WebChat], clock: FakeClock
) -> None:
    _, chat = app_clients
    assert UNKNOWN in await chat.ask(QUESTION)
    # Written straight to the shared database, as another instance's dashboard would.
    await FaqRepository(runtime.db).add([QUESTION], ANSWER, None, None, None, clock.now)
    clock.advance(seconds=REFRESH_SECONDS)
    assert ANSWER in await chat.ask(QUESTION)
