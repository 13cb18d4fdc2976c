from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def test_defaults_match_the_readme() -> None:
    settings = load_settings({})
    assert settings.db == "data/chiiki.db"
    assert settings.pack == "tomioka"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.timezone == "Asia/Tokyo"
    assert settings.telegram_bot_token is None


def test_environment_values_are_read_and_cast() -> None:
    settings = load_settings({"CHIIKI_PORT": "9000", "CHIIKI_PACK": "matsumoto"})
    assert settings.port == 9000
    assert settings.pack == "matsumoto"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHIIKI_PORT", "eighty"),
        ("CHIIKI_PORT", "70000"),
        ("CHIIKI_TIMEZONE", "Mars/Olympus"),
        ("CHIIKI_PACK", "../etc"),
        ("CHIIKI_LOG_LEVEL", "LOUD"),
    ],
)
def test_an_invalid_setting_is_named_in_one_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert name in message
    assert "\n" not in message


def test_secrets_never_show_in_repr_or_errors() -> None:
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": "123:very-secret", "LINE_CHANNEL_SECRET": "line-secret"}
    )
    assert "very-secret" not in repr(settings)
    assert "line-secret" not in str(settings)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:very-secret"
    with pytest.raises(ConfigError) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": "also-secret", "CHIIKI_PORT": "x"})
    assert "also-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "secure"),
    [
        ({}, False),
        ({"CHIIKI_SECURE_COOKIES": "true"}, True),
        # A public HTTPS address means the service is behind HTTPS: cookies are Secure unless
        # an operator says otherwise (forgetting the setting sent them over plain HTTP too).
        ({"CHIIKI_PUBLIC_URL": "https://chiiki.example.jp"}, True),
        (
            {"CHIIKI_PUBLIC_URL": "https://chiiki.example.jp", "CHIIKI_SECURE_COOKIES": "false"},
            False,
        ),
    ],
)
def test_cookies_are_secure_behind_https(environ: dict[str, str], secure: bool) -> None:
    assert load_settings(environ).cookies_secure is secure
