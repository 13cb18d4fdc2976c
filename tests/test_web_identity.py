"""The web chat's identity is issued by the server in a signed cookie, never chosen by the
client (issue 20, item 1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.runtime import Runtime, open_runtime
from bot.web import build_web_app
from bot.web.identity import COOKIE_NAME, COOKIE_PATH
from tests.conftest import FakeClock, make_settings
from tests.web_clients import chat_client, identity_cookie, identity_of, resident_cookie


@pytest.fixture
def app(runtime: Runtime) -> Starlette:
    return build_web_app(runtime)


async def say(client: httpx.AsyncClient, **payload: Any) -> list[dict[str, Any]]:
    response = await client.post("/chat/api", json=payload)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


async def tap(client: httpx.AsyncClient, replies: list[dict[str, Any]], label: str) -> list[Any]:
    for reply in replies:
        for choice in reply["choices"]:
            if choice["label"] == label:
                return await say(client, data=choice["data"])
    raise AssertionError(f"no choice {label!r}")


async def web_residents(runtime: Runtime) -> list[str]:
    rows = await runtime.db.fetch_all(
        "SELECT platform_user_id FROM residents WHERE channel = 'web' ORDER BY id"
    )
    return [row[0] for row in rows]


async def test_the_first_answer_sets_a_signed_http_only_cookie(app: Starlette) -> None:
    async with chat_client(app) as client:
        response = await client.post("/chat/api", json={"text": "/start"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/chat"} <= attributes
    assert "max-age=34560000" in attributes and "secure" not in attributes


async def test_the_cookie_is_secure_when_configured(
    tmp_path: Any, content_dir: Any, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_SECURE_COOKIES="true")
    async with (
        open_runtime(settings, clock=clock) as runtime,
        chat_client(build_web_app(runtime)) as client,
    ):
        response = await client.post("/chat/api", json={"text": "/start"})
    assert "secure" in response.headers["set-cookie"].lower().split("; ")


async def test_a_returning_browser_keeps_its_identity_and_data(
    app: Starlette, runtime: Runtime
) -> None:
    async with chat_client(app) as browser:
        replies = await say(browser, text="/settings")
        await tap(browser, replies, "English")
        kept = browser.cookies.jar
        first = identity_of(browser)
    # The browser comes back another day: a new connection with the cookie it kept.
    async with chat_client(app, cookies=kept) as browser:
        replies = await say(browser, text="/menu")
        assert "What would you like to know?" in replies[0]["text"]
        assert identity_of(browser) == first  # the cookie is renewed, not replaced
    assert await web_residents(runtime) == [first]


async def test_a_posted_user_is_ignored(app: Starlette, runtime: Runtime) -> None:
    async with chat_client(app) as victim:
        replies = await say(victim, text="/settings")
        await tap(victim, replies, "English")
        victim_id = identity_of(victim)
    async with chat_client(app) as attacker:
        replies = await say(attacker, user=victim_id, text="/menu")
        assert "知りたいこと" in replies[0]["text"]  # not the victim's English
        assert identity_of(attacker) != victim_id
    victim_row = await runtime.services.residents.find("web", victim_id)
    assert victim_row is not None and victim_row.language == "en"
    assert len(await web_residents(runtime)) == 2


@pytest.mark.parametrize("forgery", ["bare", "bad signature", "other key"])
async def test_a_cookie_the_server_did_not_sign_gets_a_new_identity(
    app: Starlette, runtime: Runtime, forgery: str, tmp_path: Any, content_dir: Any
) -> None:
    async with chat_client(app) as victim:
        replies = await say(victim, text="/settings")
        await tap(victim, replies, "English")
        victim_id = identity_of(victim)
        signed = victim.cookies.get(COOKIE_NAME, path=COOKIE_PATH)
        assert signed is not None
    if forgery == "bare":
        forged = victim_id
    elif forgery == "bad signature":
        forged = victim_id + "." + signed.rsplit(".", 1)[1][::-1]
    else:  # signed by another installation's key
        other = make_settings(tmp_path / "other", content_dir)
        async with open_runtime(other) as elsewhere:
            forged = (await resident_cookie(elsewhere, victim_id))[COOKIE_NAME]
    async with chat_client(app, cookies=identity_cookie(forged)) as attacker:
        replies = await say(attacker, text="/menu")
        assert "知りたいこと" in replies[0]["text"]
        assert identity_of(attacker) != victim_id
    assert len(await web_residents(runtime)) == 2


async def test_mydata_does_not_print_the_web_identity(app: Starlette) -> None:
    async with chat_client(app) as browser:
        replies = await say(browser, text="/mydata")
        identity = identity_of(browser)
    text = "\n".join(reply["text"] for reply in replies)
    assert "ウェブのチャット" in text and identity not in text
