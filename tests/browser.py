"""A real server on loopback and Debian's Chromium driven by Playwright, for browser tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from playwright.async_api import Browser, FileChooser, Page, async_playwright
from starlette.types import ASGIApp

from bot.config import PROJECT_ROOT

# Screenshots the test run takes, for the README and closing notes; not committed from here.
SCREENSHOTS = Path(os.environ.get("CHIIKI_SCREENSHOTS", PROJECT_ROOT / "build" / "screenshots"))
# Flags for a closed network: no background requests to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("CHIIKI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise RuntimeError("Chromium is missing: `make test` installs Debian's chromium package")
    return found


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a free loopback port in this event loop; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="off",
            proxy_headers=False,  # as chiiki serve: the app reads addresses itself
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def file_chooser_opened_by(
    page: Page, action: Callable[[], Awaitable[object]]
) -> FileChooser:
    """Run `action` and return the file picker it opened (30 s at most).

    Playwright's own expect_file_chooser subscribes to the event without waiting, so an action
    as quick as one key press can open the picker before the subscription arrives and the
    event is never seen; here the listener is in place (one round trip later) before acting.
    """
    opened: asyncio.Future[FileChooser] = asyncio.get_running_loop().create_future()

    def keep(chooser: FileChooser) -> None:
        if not opened.done():
            opened.set_result(chooser)

    page.on("filechooser", keep)
    try:
        await page.evaluate("0")  # the subscription is sent before this round trip ends
        await action()
        return await asyncio.wait_for(opened, timeout=30)
    finally:
        page.remove_listener("filechooser", keep)
