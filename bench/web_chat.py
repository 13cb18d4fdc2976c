"""The web chat in process: what the identity cookie, the limits and the headers add to a request.

A whole `/chat/api` request (`/menu`, a browser keeping its cookie) is timed through httpx's
ASGI transport; the three pieces each request passes are timed on their own, many times over.
Figures are CPU time of this thread (thread_time), so other processes on a busy machine do not
count.

    python -m bench.web_chat            # 300 requests, 20,000 calls of each piece
    python -m bench.web_chat --full     # 2,000 requests, 100,000 calls
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from bench.common import report
from bot.config import load_settings
from bot.runtime import open_runtime
from bot.web import build_web_app
from bot.web.addresses import client_address
from bot.web.identity import COOKIE_NAME, WebIdentities
from bot.web.limits import WebLimits
from bot.web.security import SecurityHeaders

# The goal the issue set: the cookie may not cost the web chat more than a few percent.
COOKIE_SHARE_GOAL = 3.0


async def _per_call(work: Callable[[], Awaitable[Any]], calls: int) -> float:
    """Microseconds of this thread's CPU per call."""
    started = time.thread_time()
    for _ in range(calls):
        await work()
    return (time.thread_time() - started) / calls * 1e6


async def measure(requests: int, calls: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="chiiki-bench-web-"))
    settings = load_settings(
        {"CHIIKI_DB": str(folder / "web.db"), "CHIIKI_WEB_REQUESTS_PER_MINUTE": "100000000"}
    )
    async with open_runtime(settings, serving=False) as runtime:
        transport = httpx.ASGITransport(app=build_web_app(runtime), client=("192.0.2.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as browser:
            await browser.post("/chat/api", json={"text": "/start"})  # the cookie is set here

            async def chat() -> None:
                await browser.post("/chat/api", json={"text": "/menu"})

            request_us = await _per_call(chat, requests)

        identities = WebIdentities(secure_cookie=False)
        issued = await identities.issue(runtime)
        cookie = f"{COOKIE_NAME}={issued.cookie}".encode()
        scope = {"type": "http", "client": ("192.0.2.1", 1), "headers": [(b"cookie", cookie)]}

        async def bare() -> None:
            Request(scope)
            Response(b"")

        async def identity() -> None:
            found = await identities.read(Request(scope), runtime)
            assert found is not None
            identities.set_cookie(Response(b""), found)

        limits = WebLimits(100_000_000, 100_000_000)

        async def limit() -> None:
            limits.request(client_address(Request(scope), ()), time.monotonic())

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})

        async def send(message: Any) -> None:
            return None

        headers = SecurityHeaders(app)

        def through(path: str, wrapped: Any) -> Callable[[], Awaitable[None]]:
            return lambda: wrapped({"type": "http", "path": path}, None, send)

        base = await _per_call(bare, calls)
        identity_us = await _per_call(identity, calls) - base
        limits_us = await _per_call(limit, calls) - base
        plain = await _per_call(through("/chat/api", app), calls)
        headers_us = await _per_call(through("/chat/api", headers), calls) - plain
        plain = await _per_call(through("/webhook/telegram", app), calls)
        webhook_us = await _per_call(through("/webhook/telegram", headers), calls) - plain
    return {
        "chat request (/menu), µs CPU": request_us,
        "identity cookie (read, verify, send back), µs": identity_us,
        "address and request limit, µs": limits_us,
        "security headers on /chat, µs": headers_us,
        "security headers on a webhook (passed by), µs": webhook_us,
        "identity cookie, % of a chat request": identity_us / request_us * 100,
        "all three, % of a chat request": (identity_us + limits_us + headers_us)
        / request_us
        * 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    requests, calls = (2_000, 100_000) if args.full else (300, 20_000)
    figures = asyncio.run(measure(requests, calls))
    share = figures["identity cookie, % of a chat request"]
    report(
        "web_chat",
        figures,
        {
            f"identity cookie under {COOKIE_SHARE_GOAL:g} % of a chat request": share
            < COOKIE_SHARE_GOAL
        },
    )


if __name__ == "__main__":
    main()
