from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.async_api import Browser

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.core import Channel, IncomingMessage, Reply
from bot.runtime import Runtime, open_runtime
from tests import databases
from tests.browser import chromium

CONTENT = PROJECT_ROOT / "content"


def pytest_configure(config: pytest.Config) -> None:
    databases.start()  # a PostgreSQL cluster when CHIIKI_TEST_DB=postgresql


def pytest_unconfigure(config: pytest.Config) -> None:
    databases.stop()


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Any:
    yield
    databases.drop_created()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The real packs and catalog, plus 'testville': Tomioka's text with 15 districts."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    raw = yaml.safe_load((CONTENT / "tomioka" / "pack.yaml").read_text(encoding="utf-8"))
    raw["id"] = "testville"
    raw["districts"] = [
        {"id": f"d{n:02d}", "name": {"ja": f"第{n}地区", "en": f"District {n}"}}
        for n in range(1, 16)
    ]
    (folder / "testville").mkdir()
    (folder / "testville" / "pack.yaml").write_text(
        yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8"
    )
    return folder


def make_settings(tmp_path: Path, content_dir: Path, **extra: str) -> Settings:
    environ = {
        "CHIIKI_DB": databases.database_for(tmp_path),
        "CHIIKI_CONTENT_DIR": str(content_dir),
        **extra,
    }
    return load_settings(environ)


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir)


@pytest.fixture
async def runtime(settings: Settings, clock: FakeClock) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, clock=clock) as opened:
        yield opened


class Resident:
    """Talks to the dispatcher as one resident would, through the neutral types."""

    def __init__(self, runtime: Runtime, user_id: str = "u1", channel: Channel = Channel.WEB):
        self.runtime = runtime
        self.user_id = user_id
        self.channel = channel
        self.last: list[Reply] = []

    async def say(self, text: str) -> list[Reply]:
        message = IncomingMessage(self.channel, self.user_id, text=text)
        self.last = await self.runtime.dispatcher.handle(message)
        return self.last

    async def tap(self, label: str) -> list[Reply]:
        """Tap the choice with this label among the last replies."""
        for reply in self.last:
            for choice in reply.all_choices:
                if choice.label == label:
                    message = IncomingMessage(self.channel, self.user_id, data=choice.data)
                    self.last = await self.runtime.dispatcher.handle(message)
                    return self.last
        labels = [c.label for r in self.last for c in r.all_choices]
        raise AssertionError(f"no choice {label!r} among {labels}")

    def card_titles(self) -> list[str]:
        return [card.title for reply in self.last for card in reply.cards]

    async def tap_card(self, title: str) -> list[Reply]:
        """Tap the (first) button of the card with this title."""
        for reply in self.last:
            for card in reply.cards:
                if card.title == title:
                    message = IncomingMessage(
                        self.channel, self.user_id, data=card.choices[0].data
                    )
                    self.last = await self.runtime.dispatcher.handle(message)
                    return self.last
        raise AssertionError(f"no card {title!r}")

    def text(self) -> str:
        return "\n".join(reply.plain_text for reply in self.last)

    def labels(self) -> list[str]:
        return [choice.label for reply in self.last for choice in reply.choices]


@pytest.fixture
def resident(runtime: Runtime) -> Resident:
    return Resident(runtime)


@pytest.fixture
async def platforms(tmp_path: Path, content_dir: Path, clock: FakeClock) -> AsyncIterator[Any]:
    """A runtime wired to fake LINE and Telegram servers (see tests/platforms.py)."""
    from tests.platforms import open_platforms  # it builds on this module

    async with open_platforms(tmp_path, content_dir, clock) as opened:
        yield opened


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for the browser tests (tests/browser.py)."""
    async with chromium() as opened:
        yield opened
