"""No configured secret reaches the log: not in messages, arguments or tracebacks, even where a
library puts it (aiohttp's connection timeout names the URL, which holds the bot token)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.log_format import JsonFormatter
from bot.logging_setup import TEXT_FORMAT, scrub_secrets, secret_values, stop_scrubbing
from tests.conftest import make_settings
from tests.databases import database_for
from tests.fakes.server import free_port

TOKEN = "123456789:AAFakeTokenForTheScrubbingTest_xyz"
LINE_TOKEN = "line/access+token=="


@pytest.fixture
def scrubbed() -> Iterator[None]:
    scrub_secrets([TOKEN, LINE_TOKEN, "short"])
    try:
        yield
    finally:
        stop_scrubbing()


@pytest.mark.parametrize("formatter", [logging.Formatter(TEXT_FORMAT), JsonFormatter()])
def test_messages_arguments_and_tracebacks_are_scrubbed(
    scrubbed: None, formatter: logging.Formatter
) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.scrubbing")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(f"calling https://api.telegram.org/bot{TOKEN}/getMe")
        logger.warning("with %s and %r", TOKEN, {"auth": f"Bearer {LINE_TOKEN}"})
        logger.warning("quoted %s", "line%2Faccess%2Btoken%3D%3D")
        logger.warning("a short message")
        try:
            try:
                raise TimeoutError(f"Connection timeout to host http://x/bot{TOKEN}/getMe")
            except TimeoutError as exc:
                raise RuntimeError("Timed out") from exc
        except RuntimeError:
            logger.exception("start-up failed")
    finally:
        logger.removeHandler(handler)
    written = out.getvalue()
    assert "AAFakeToken" not in written and "access+token" not in written
    assert "access%2Btoken" not in written
    assert written.count("***") == 5
    assert "Connection timeout to host http://x/bot***/getMe" in written.replace("\\n", "\n")
    assert "a short message" in written  # values too short to be secrets stay words
    if isinstance(formatter, JsonFormatter):
        lines = [json.loads(line) for line in written.splitlines()]
        assert len(lines) == 5 and "bot***/getMe" in lines[-1]["exception"]


def test_every_secret_setting_is_scrubbed(tmp_path: Path, content_dir: Path) -> None:
    settings = make_settings(
        tmp_path,
        content_dir,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET="webhook-secret_123",
        LINE_CHANNEL_SECRET="line-channel-secret",
        LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
        CHIIKI_SESSION_SECRET="session-secret-value",
    )
    assert set(secret_values(settings)) >= {
        TOKEN,
        "webhook-secret_123",
        "line-channel-secret",
        LINE_TOKEN,
        "session-secret-value",
    }


def test_a_telegram_api_that_never_answers_leaves_no_token_in_the_log(
    tmp_path: Path, content_dir: Path
) -> None:
    # A listening socket that never accepts: once its backlog is full, connecting times out,
    # and aiohttp's ConnectionTimeoutError names the whole URL, token included.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(silent.getsockname())
        fillers.append(filler)
    port = free_port()
    log_file = tmp_path / "serve.log"
    env = {
        **os.environ,
        "CHIIKI_DB": database_for(tmp_path, "served"),
        "CHIIKI_CONTENT_DIR": str(content_dir),
        "CHIIKI_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{silent.getsockname()[1]}/bot",
    }
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 60
            while "Telegram start-up failed" not in log_file.read_text(errors="replace"):
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=20)
            for sock in (silent, *fillers):
                sock.close()
    written = log_file.read_text(errors="replace")
    assert "ConnectionTimeoutError: Connection timeout to host" in written  # the timeout, logged
    assert "/bot***/getMe" in written
    assert TOKEN not in written and "AAFakeToken" not in written


def test_every_command_scrubs_its_settings_secrets(
    content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Staff commands send too (a broadcast's Telegram timeout would name the token).
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "CHIIKI_CONTENT_DIR": str(content_dir)}
    try:
        assert CliRunner().invoke(main, ["content", "list"], env=env).exit_code == 0
        with caplog.at_level(logging.WARNING):
            logging.getLogger("tests.scrubbing").warning("calling %s", f"/bot{TOKEN}/getMe")
    finally:
        stop_scrubbing()
    assert "calling /bot***/getMe" in caplog.text and TOKEN not in caplog.text
