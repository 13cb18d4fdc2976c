from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.web import build_app, build_web_app
from tests import databases
from tests.databases import database_for
from tests.fakes.server import free_port
from tests.web_clients import chat_client


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with chat_client(build_web_app(runtime)) as http:
        yield http


async def test_chat_api_answers_goals_with_choices(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/api", json={"text": "/goals"})
    assert response.status_code == 200
    replies = response.json()["replies"]
    assert "地域を知ろう" in replies[0]["text"]
    choice = replies[-1]["choices"][0]
    assert choice["label"] == "地域を知ろう"
    tapped = await client.post("/chat/api", json={"data": choice["data"]})
    assert "■ 市民" in tapped.json()["replies"][0]["text"]


async def test_the_chat_page_is_served_in_japanese(client: httpx.AsyncClient) -> None:
    page = await client.get("/chat")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and "/static/chat.js" in page.text
    assert "/chat/api" in (await client.get("/static/chat.js")).text
    assert (await client.get("/")).status_code == 307


@pytest.mark.parametrize(
    "path", ["/chat", "/static/chat.js", "/static/chat.css", "/chat/charts/gone.png"]
)
async def test_the_chat_and_its_files_send_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    # The page's script and styles are files: nothing inline may run.
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/metrics"])
async def test_every_other_answer_says_nosniff(client: httpx.AsyncClient, path: str) -> None:
    """JSON errors and plain answers too: a browser must not read them as HTML."""
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_dashboard_keeps_its_own_policy(client: httpx.AsyncClient) -> None:
    login = await client.get("/admin/login")
    assert "style-src 'self' 'unsafe-inline'" in login.headers["content-security-policy"]
    assert login.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ("/admin", "/admin/"),
        ("/chat/", "/chat"),
        ("/static", "/static/"),
        ("/healthz/", "/healthz"),
    ],
)
async def test_slash_redirects_stay_on_the_site_whatever_the_host_header_says(
    client: httpx.AsyncClient, path: str, to: str
) -> None:
    """Starlette's own redirect (a path with or without its last slash) was built from the
    Host header and always http: `Host: evil.example` sent the visitor (or a cache that kept
    the answer) to http://evil.example/admin/, and behind HTTPS it dropped to http."""
    response = await client.get(path, headers={"host": "evil.example"})
    assert response.status_code in (307, 308)
    assert response.headers["location"] == to
    assert (await client.get(path + "?lang=en")).headers["location"] == to + "?lang=en"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00binary", 400),
        (b"[1, 2]", 400),
        (json.dumps({"language": "ja"}).encode(), 400),
        (json.dumps({"text": 5}).encode(), 400),
        (json.dumps({"data": ["x"]}).encode(), 400),
        (b'{"text": "' + b"a" * 20_000 + b'"}', 413),
    ],
)
async def test_bad_bodies_get_a_json_error_and_the_server_keeps_serving(
    client: httpx.AsyncClient, body: bytes, status: int
) -> None:
    response = await client.post(
        "/chat/api", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert "error" in response.json()
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_a_long_message_within_the_body_limit_gets_a_reply(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/chat/api", json={"text": "あ" * 5000})
    assert response.status_code == 200
    assert "長すぎます" in response.json()["replies"][0]["text"]


async def test_health_fails_when_the_database_is_gone(runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        await runtime.db.close()
        response = await http.get("/healthz")
    assert response.status_code == 503


async def test_the_app_opens_and_closes_its_own_runtime(settings: Settings) -> None:
    app = build_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/healthz")).status_code == 503  # not started yet
        async with app.router.lifespan_context(app):
            assert (await http.get("/healthz")).status_code == 200
            reply = await http.post("/chat/api", json={"text": "メニュー"})
            assert reply.json()["replies"][0]["choices"]
        assert (await http.get("/healthz")).status_code == 503  # closed again
    if not databases.POSTGRES:
        assert Path(settings.db).exists()  # the SQLite file was created where configured


def test_chiiki_serve_starts_and_answers(tmp_path: Path, content_dir: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CHIIKI_DB": database_for(tmp_path, "served"),
        "CHIIKI_CONTENT_DIR": str(content_dir),
        "CHIIKI_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine starts slowly
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert health.status_code == 200
        chat = httpx.post(f"http://127.0.0.1:{port}/chat/api", json={"text": "/goals"}, timeout=5)
        assert "地域づくりに関わろう" in chat.json()["replies"][0]["text"]
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "TELEGRAM" not in output
    assert f"staff dashboard at http://127.0.0.1:{port}/admin/" in output  # the start-up line
    assert "handled channel=web kind=text route=goals" in output
