"""Logging a test client into the staff dashboard."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from bot.staff.accounts import hash_password
from bot.storage.staff import StaffRepository

STAFF_LOGIN = "kanri"
STAFF_PASSWORD = "tomioka-2026-kanri"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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
