"""The whole loop: a resident asks what the bot cannot answer, staff see it in the dashboard and
add it as an FAQ entry, and the next resident who asks gets that answer, without a restart."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.answerer.live import REFRESH_SECONDS
from bot.config import Settings
from bot.runtime import Runtime
from bot.storage.faq import FaqRepository
from bot.web import build_web_app
from tests.admin_helpers import add_staff, log_in, post_form
from tests.conftest import FakeClock, make_settings

QUESTION = "芋煮会には何を持っていけばいいですか"
ANSWER = "芋煮会には、お椀とお箸を持ってきてください。"
UNKNOWN = "お答えできません"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@pytest.fixture
async def app_clients(
    runtime: Runtime,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A logged-in staff browser and a resident's web chat, on one running app."""
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://chiiki.test") as staff,
        httpx.AsyncClient(transport=transport, base_url="http://chiiki.test") as chat,
    ):
        await add_staff(runtime)
        assert (await log_in(staff)).status_code == 303
        yield staff, chat


async def ask(chat: httpx.AsyncClient, text: str, user: str = "loop-1") -> str:
    """What the web chat shows a resident after sending `text`."""
    response = await chat.post("/chat/api", json={"user": user, "text": text})
    assert response.status_code == 200
    return "\n".join(bubble["text"] for bubble in response.json()["replies"])


async def test_an_unanswered_question_becomes_an_faq_answer_without_a_restart(
    runtime: Runtime, app_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], clock: FakeClock
) -> None:
    staff, chat = app_clients
    assert UNKNOWN in await ask(chat, QUESTION)

    listing = await staff.get("/admin/faq/unanswered")
    assert QUESTION in listing.text and "loop-1" not in listing.text
    match = re.search(r'href="/admin/faq/new\?question=(\d+)"', listing.text)
    assert match
    form = await staff.get(f"/admin/faq/new?question={match.group(1)}")
    assert QUESTION in form.text
    saved = await post_form(
        staff,
        "/admin/faq",
        {
            "questions": f"{QUESTION}\n芋煮会の持ち物\nWhat should I bring to the imoni party?",
            "answer_ja": ANSWER,
            "answer_en": "Please bring a bowl and chopsticks to the imoni party.",
            "question_id": match.group(1),
        },
    )
    assert saved.status_code == 303

    # Another resident asking the same gets the staff's answer at once.
    assert ANSWER in await ask(chat, QUESTION, user="loop-2")
    assert ANSWER in await ask(chat, "芋煮会の持ち物は？", user="loop-3")
    english = await ask(chat, "What do I bring to the imoni party?", user="loop-4")
    assert "Please bring a bowl and chopsticks" in english
    assert QUESTION not in (await staff.get("/admin/faq/unanswered")).text

    # An edit is used from the next question on; a removal stops the answer.
    [entry] = await FaqRepository(runtime.db).entries()
    changed = "芋煮会には、お椀とお箸と飲み物を持ってきてください。"
    # The answerer tells an edit by the entry's updated_at: let the fake clock move as a real
    # one would while staff type.
    clock.advance(seconds=20)
    edited = await post_form(
        staff, f"/admin/faq/{entry.id}", {"questions": QUESTION, "answer_ja": changed}
    )
    assert edited.status_code == 303
    assert changed in await ask(chat, QUESTION, user="loop-2")
    removed = await post_form(staff, f"/admin/faq/{entry.id}/remove", {})
    assert removed.status_code == 303
    reply = await ask(chat, QUESTION, user="loop-2")
    assert changed not in reply and UNKNOWN in reply
    # Asked again and still unanswered: back in the list for staff.
    assert QUESTION in (await staff.get("/admin/faq/unanswered")).text


async def test_an_entry_saved_by_another_instance_is_answered_after_the_refresh(
    runtime: Runtime, app_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], clock: FakeClock
) -> None:
    _, chat = app_clients
    assert UNKNOWN in await ask(chat, QUESTION)
    # Written straight to the shared database, as another instance's dashboard would.
    await FaqRepository(runtime.db).add([QUESTION], ANSWER, None, None, None, clock.now)
    clock.advance(seconds=REFRESH_SECONDS)
    assert ANSWER in await ask(chat, QUESTION)
