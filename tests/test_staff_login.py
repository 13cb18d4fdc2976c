"""Staff login under attack: attempts are counted before the password is checked, checks run
off the event loop, strangers cannot lock the owner out, and `chiiki staff unlock` recovers."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.runtime import Runtime, open_runtime
from bot.web import build_web_app
from bot.web.admin import auth
from bot.web.admin.auth import MAX_FAILURES_PER_LOGIN, PASSWORD_CHECKS_AT_ONCE
from tests.admin_helpers import STAFF_PASSWORD, add_staff, csrf_of, log_in
from tests.conftest import FakeClock, Resident, make_settings

OWNER, STRANGER = "192.0.2.10", "203.0.113.5"
Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_from(runtime: Runtime) -> AsyncIterator[Client]:
    """A browser at a given client address."""
    app = build_web_app(runtime)
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://chiiki.test"))
        return opened[-1]

    yield make
    for http in opened:
        await http.aclose()


async def test_a_burst_of_wrong_passwords_is_checked_only_up_to_the_limit_off_the_loop(
    runtime: Runtime, client_from: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_staff(runtime)
    guard = threading.Lock()
    started, release = threading.Event(), threading.Event()
    seen = {"checks": 0, "running": 0, "most": 0}

    def slow_check(password_hash: str, password: str) -> bool:
        # argon2 stood in for by a check that holds its thread until the test lets it go.
        with guard:
            seen["checks"] += 1
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        started.set()
        release.wait(30)
        with guard:
            seen["running"] -= 1
        return False

    monkeypatch.setattr(auth, "password_matches", slow_check)
    http = client_from(STRANGER)
    token = csrf_of(await http.get("/admin/login"))
    form = {"csrf_token": token, "login": "kanri", "password": "a-wrong-guess"}
    burst = asyncio.gather(*(http.post("/admin/login", data=form) for _ in range(40)))
    assert await asyncio.to_thread(started.wait, 30)
    # Checks are held in their threads: a resident is answered all the same.
    resident = Resident(runtime, "resident-during-burst")
    for _ in range(3):
        assert (await resident.say("/help"))[0].plain_text
    assert seen["running"] > 0
    release.set()
    statuses = sorted(response.status_code for response in await burst)
    assert statuses == [401] * MAX_FAILURES_PER_LOGIN + [429] * (40 - MAX_FAILURES_PER_LOGIN)
    assert seen["checks"] == MAX_FAILURES_PER_LOGIN
    assert seen["most"] <= PASSWORD_CHECKS_AT_ONCE
    rows = await runtime.db.fetch_all(
        "SELECT count(*) FROM staff_login_failures WHERE key = 'login:kanri'"
    )
    assert rows[0][0] == MAX_FAILURES_PER_LOGIN


async def test_strangers_cannot_lock_the_owner_out_of_a_known_address(
    runtime: Runtime, client_from: Client
) -> None:
    await add_staff(runtime)
    owner, stranger = client_from(OWNER), client_from(STRANGER)
    assert (await log_in(owner)).status_code == 303
    await owner.post("/admin/logout", data={"csrf_token": csrf_of(await owner.get("/admin/"))})
    for _ in range(MAX_FAILURES_PER_LOGIN):
        assert (await log_in(stranger, password="a-wrong-guess")).status_code == 401
    assert (await log_in(stranger)).status_code == 429  # the name is locked from elsewhere
    assert (await log_in(owner)).status_code == 303  # but not from where the owner works
    assert (await owner.get("/admin/")).status_code == 200


async def test_staff_unlock_lets_a_locked_login_in_at_once(
    runtime: Runtime, client_from: Client
) -> None:
    await add_staff(runtime)
    laptop = client_from(STRANGER)  # a new place: no known address to fall back on
    for _ in range(MAX_FAILURES_PER_LOGIN):
        assert (await log_in(laptop, password="a-wrong-guess")).status_code == 401
    assert (await log_in(laptop, password=STAFF_PASSWORD)).status_code == 429
    env = {
        "CHIIKI_DB": runtime.settings.db,
        "CHIIKI_CONTENT_DIR": str(runtime.settings.content_dir),
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["staff", "unlock", "kanri"], env=env
    )
    assert result.exit_code == 0 and "unlocked kanri (5 failed login(s)" in result.output
    assert (await log_in(laptop)).status_code == 303


async def test_behind_a_trusted_proxy_failures_count_for_the_forwarded_address(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    # Every login arrives from the proxy's own address; only X-Forwarded-For tells the owner
    # from a stranger, so the owner's known address must be the forwarded one.
    settings = make_settings(tmp_path, content_dir, CHIIKI_TRUSTED_PROXIES="127.0.0.1")
    async with open_runtime(settings, clock=clock) as runtime:
        await add_staff(runtime)
        transport = httpx.ASGITransport(app=build_web_app(runtime), client=("127.0.0.1", 5000))

        def via_proxy(address: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                transport=transport,
                base_url="http://chiiki.test",
                headers={"X-Forwarded-For": address},
            )

        async with via_proxy(OWNER) as owner, via_proxy(STRANGER) as stranger:
            assert (await log_in(owner)).status_code == 303
            csrf = csrf_of(await owner.get("/admin/"))
            await owner.post("/admin/logout", data={"csrf_token": csrf})
            for _ in range(MAX_FAILURES_PER_LOGIN):
                assert (await log_in(stranger, password="a-wrong-guess")).status_code == 401
            assert (await log_in(stranger)).status_code == 429
            assert (await log_in(owner)).status_code == 303


async def test_a_login_form_without_a_length_is_refused_before_it_is_read(
    runtime: Runtime, client_from: Client
) -> None:
    """Chunked, starlette would read 200 fields of up to 1 MB each before any check of ours:
    200 MB per request from anyone, before logging in."""
    http = client_from(STRANGER)
    token = csrf_of(await http.get("/admin/login"))
    sent = 0

    async def chunked() -> AsyncIterator[bytes]:
        nonlocal sent
        yield f"csrf_token={token}&login=kanri&password=".encode()
        for _ in range(64):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)

    response = await http.post(
        "/admin/login",
        content=chunked(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 411
    assert sent < 4 * 1024 * 1024  # not read to its end
    # A browser's form (with its length) still logs in.
    await add_staff(runtime)
    assert (await log_in(http)).status_code == 303


async def test_a_login_name_of_any_length_is_a_wrong_login_and_stores_a_short_key(
    runtime: Runtime, client_from: Client
) -> None:
    """Names are at most 64 characters, but the form takes 512 KB: a long one was kept whole
    as its failures' key, an hour's worth of rows per address, and on PostgreSQL it passed
    the index's row size (about 2,700 bytes), so the login answered 500."""
    await add_staff(runtime)
    http = client_from(STRANGER)
    # Random text: PostgreSQL compresses a repeated one below the index's limit.
    for name in (secrets.token_hex(3000), "名" * 20_000, " " * 5000 + "kanri"):
        response = await log_in(http, login=name, password="x" * 10_000)
        assert response.status_code == 401, (len(name), response.status_code)
    rows = await runtime.db.fetch_all("SELECT max(length(key)) FROM staff_login_failures")
    assert rows[0][0] <= 200
    # The owner, from elsewhere, is not locked out by any of it.
    assert (await log_in(client_from(OWNER))).status_code == 303
