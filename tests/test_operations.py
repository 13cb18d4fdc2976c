"""What operators rely on: JSON log lines, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.log_format import JsonFormatter
from bot.logging_setup import configure_logging
from bot.runtime import Runtime, open_runtime
from bot.web import build_web_app
from tests.conftest import FakeClock, make_settings
from tests.databases import POSTGRES


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_json_log_line_is_one_object_with_the_event_ids_and_nothing_else(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("bot.inbound")
    log.info(
        "telegram event %s handled",
        "4711",
        extra={"channel": "telegram", "event_id": "4711", "text": "私の住所は…"},
    )
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed", extra={"event_id": "4712"})
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "bot.inbound"
    assert first["message"] == "telegram event 4711 handled"
    assert (first["channel"], first["event_id"]) == ("telegram", "4711")
    assert first["time"].endswith("+00:00")
    assert "text" not in first and "私の住所" not in lines[0]  # an extra not named stays out
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]


def test_the_json_formatter_keeps_japanese_readable() -> None:
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, "地区 %s", ("d01",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "地区 d01"


def test_the_log_format_is_text_or_json() -> None:
    assert load_settings({}).log_format == "text"
    assert load_settings({"CHIIKI_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigError, match="CHIIKI_LOG_FORMAT"):
        load_settings({"CHIIKI_LOG_FORMAT": "xml"})


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://chiiki.test") as client:
        yield client


async def ready_once_the_worker_runs(runtime: Runtime, http: httpx.AsyncClient) -> None:
    for _ in range(100):
        if runtime.delivery.running:
            break
        await asyncio.sleep(0.01)
    response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}


async def test_ready_when_serving_and_not_when_the_inbox_stops(
    runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await ready_once_the_worker_runs(runtime, http)
    runtime.inbox.stop_accepting()
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["shutting down: not taking webhooks"]
    assert (await http.get("/healthz")).status_code == 200  # alive all the same


async def test_not_ready_without_a_delivery_worker(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir)
    async with open_runtime(settings, clock=clock, serving=False) as staff_runtime:
        transport = httpx.ASGITransport(app=build_web_app(staff_runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["the delivery worker is not running"]


async def test_not_ready_until_the_last_migration_is_applied(
    runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await ready_once_the_worker_runs(runtime, http)
    latest = await runtime.db.fetch_one(
        "SELECT version, name FROM schema_migrations WHERE version = ?", (runtime.schema_version,)
    )
    assert latest is not None
    await runtime.db.execute("DELETE FROM schema_migrations WHERE version = ?", (latest[0],))
    try:
        response = await http.get("/readyz")
    finally:  # the PostgreSQL run hands this database to the next test
        await runtime.db.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", tuple(latest)
        )
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("migrations not applied")


async def test_not_ready_while_the_database_takes_no_writes(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_DB_BUSY_TIMEOUT_MS="200")
    async with open_runtime(settings, clock=clock) as served:
        transport = httpx.ASGITransport(app=build_web_app(served))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await ready_once_the_worker_runs(served, client)
            locked, release = threading.Event(), threading.Event()
            holder = threading.Thread(target=hold_probe_row, args=(settings.db, locked, release))
            holder.start()
            try:
                assert await asyncio.to_thread(locked.wait, 10)
                response = await client.get("/readyz")
            finally:
                release.set()
                await asyncio.to_thread(holder.join)
            assert response.status_code == 503
            assert response.json()["problems"] == ["the database does not take writes"]
            assert (await client.get("/readyz")).status_code == 200  # writable again


def hold_probe_row(target: str, locked: threading.Event, release: threading.Event) -> None:
    """Another writer holding the lock the probe needs (the file; on PostgreSQL, its table)."""
    if POSTGRES:
        import asyncpg

        async def hold() -> None:
            conn = await asyncpg.connect(target)
            async with conn.transaction():
                await conn.execute("LOCK TABLE readiness_probe IN EXCLUSIVE MODE")
                locked.set()
                await asyncio.to_thread(release.wait, 30)
            await conn.close()

        asyncio.run(hold())
        return
    import sqlite3

    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    locked.set()
    release.wait(30)
    conn.execute("COMMIT")
    conn.close()
