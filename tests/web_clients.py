"""Web chat clients for tests: cookie-keeping like a browser, one resident or many new ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpx
from starlette.types import ASGIApp

from bot.runtime import Runtime
from bot.web.identity import COOKIE_NAME, COOKIE_PATH, WebIdentities

HOST = "chiiki.test"
BASE_URL = f"http://{HOST}"
# Where ASGITransport says requests come from unless a test says otherwise.
LOCAL_ADDRESS = "127.0.0.1"


def chat_client(app: ASGIApp, address: str = LOCAL_ADDRESS, **options: Any) -> httpx.AsyncClient:
    """A client that keeps the identity cookie between requests, as a browser does, and
    connects from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, **options)


def identity_cookie(value: str) -> httpx.Cookies:
    """A cookie jar holding `value` as the identity cookie, where a browser would keep it."""
    cookies = httpx.Cookies()
    cookies.set(COOKIE_NAME, value, domain=HOST, path=COOKIE_PATH)
    return cookies


async def resident_cookie(runtime: Runtime, identity: str) -> httpx.Cookies:
    """The cookie the server would have issued to the web resident `identity` (for residents
    a test made directly in the database)."""
    signed = await WebIdentities(secure_cookie=False).cookie_value(runtime, identity)
    return identity_cookie(signed)


def identity_of(client: httpx.AsyncClient) -> str:
    """The identity the server last gave this client (the part before the signature)."""
    value = client.cookies.get(COOKIE_NAME, domain=HOST, path=COOKIE_PATH)
    assert value is not None, "the server set no identity cookie"
    return value.rsplit(".", 1)[0]


async def post_as_new_residents(
    app: ASGIApp,
    payloads: Iterable[dict[str, Any]],
    address: str = LOCAL_ADDRESS,
) -> list[httpx.Response]:
    """Each payload posted to /chat/api at the same time by a browser of its own (no cookie
    yet), all from `address`."""

    async def post(payload: dict[str, Any]) -> httpx.Response:
        async with chat_client(app, address) as client:
            return await client.post("/chat/api", json=payload)

    return list(await asyncio.gather(*(post(payload) for payload in payloads)))
