"""Test clients of the web app, and logging them into the staff dashboard."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

from bot.runtime import Runtime
from bot.staff.accounts import hash_password
from bot.storage.staff import StaffRepository
from bot.web import build_web_app
from tests.web_clients import LOCAL_ADDRESS, chat_client

STAFF_LOGIN = "kanri"
STAFF_PASSWORD = "tomioka-2026-kanri"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_client(runtime: Runtime, address: str = LOCAL_ADDRESS) -> httpx.AsyncClient:
    """A browser-like client (tests/web_clients.py) of the runtime's whole web app: the
    dashboard, the chat, /metrics. Use it in `async with`, which closes it."""
    return chat_client(build_web_app(runtime), address)


@asynccontextmanager
async def logged_in_staff(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A web client logged in as a new admin account (STAFF_LOGIN)."""
    async with web_client(runtime) as http:
        await add_staff(runtime)
        assert (await log_in(http)).status_code == 303
        yield http


async def add_staff(runtime: Runtime, login: str = STAFF_LOGIN) -> None:
    added = await StaffRepository(runtime.db).add(
        login, hash_password(STAFF_PASSWORD), runtime.services.clock()
    )
    assert added


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF.search(page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


async def log_in(
    http: httpx.AsyncClient, login: str = STAFF_LOGIN, password: str = STAFF_PASSWORD
) -> httpx.Response:
    form = await http.get("/admin/login")
    return await http.post(
        "/admin/login",
        data={"csrf_token": csrf_of(form), "login": login, "password": password},
    )


async def post_form(
    http: httpx.AsyncClient, path: str, data: dict[str, str], **extra: object
) -> httpx.Response:
    """POST a dashboard form with the session's CSRF token, as the browser would."""
    token = csrf_of(await http.get("/admin/"))
    return await http.post(path, data={"csrf_token": token, **data}, **extra)  # type: ignore[arg-type]


StaffClient = Callable[[str, str, tuple[str, ...]], Awaitable[httpx.AsyncClient]]


@asynccontextmanager
async def staff_clients(runtime: Runtime) -> AsyncIterator[StaffClient]:
    """`make(login, role, districts)`: a new account of that role, logged in on its own client
    (closed at the end), for tests of what each role may see and do."""
    opened: list[httpx.AsyncClient] = []
    app = build_web_app(runtime)

    async def make(login: str, role: str, districts: tuple[str, ...]) -> httpx.AsyncClient:
        await StaffRepository(runtime.db).add(
            login,
            hash_password(STAFF_PASSWORD),
            runtime.services.clock(),
            role,
            frozenset(districts),
        )
        http = chat_client(app, "192.0.2.9")
        opened.append(http)
        assert (await log_in(http, login)).status_code == 303
        return http

    try:
        yield make
    finally:
        for http in opened:
            await http.aclose()
