"""Settings, read once from the environment (and an optional .env file)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.storage.retention import AUDIT_DEFAULT, RetentionRules, Rule, check_audit_rule, check_rule

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` as networks; ValueError names the entry at fault."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


class Settings(BaseSettings):
    """Everything chiiki can be told. Secrets are SecretStr: they print as '**********'."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    db: str = Field("data/chiiki.db", validation_alias=_env("CHIIKI_DB"))
    # How long a write waits for another connection's lock before the request is answered 503
    # (the platforms then deliver the webhook again).
    db_busy_timeout_ms: int = Field(
        5000, ge=0, le=60_000, validation_alias=_env("CHIIKI_DB_BUSY_TIMEOUT_MS")
    )
    pack: str = Field("tomioka", validation_alias=_env("CHIIKI_PACK"))
    content_dir: Path = Field(
        PROJECT_ROOT / "content", validation_alias=_env("CHIIKI_CONTENT_DIR")
    )
    migrations_dir: Path = Field(
        PROJECT_ROOT / "migrations", validation_alias=_env("CHIIKI_MIGRATIONS_DIR")
    )
    host: str = Field("127.0.0.1", validation_alias=_env("CHIIKI_HOST"))
    port: int = Field(8080, ge=1, le=65535, validation_alias=_env("CHIIKI_PORT"))
    # This instance's name among several on one database; the same across its restarts, so it
    # takes back its own unfinished events at once. Default: host name and port.
    instance: str | None = Field(None, min_length=1, validation_alias=_env("CHIIKI_INSTANCE"))
    timezone: str = Field("Asia/Tokyo", validation_alias=_env("CHIIKI_TIMEZONE"))
    log_level: str = Field("INFO", validation_alias=_env("CHIIKI_LOG_LEVEL"))
    # `json`: one JSON object a line, for a log collector (bot/log_format.py).
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("CHIIKI_LOG_FORMAT"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_api_base: str = Field(
        "https://api.telegram.org/bot", validation_alias=_env("TELEGRAM_API_BASE")
    )
    line_channel_secret: SecretStr | None = Field(
        None, validation_alias=_env("LINE_CHANNEL_SECRET")
    )
    line_channel_access_token: SecretStr | None = Field(
        None, validation_alias=_env("LINE_CHANNEL_ACCESS_TOKEN")
    )
    line_api_base: str = Field("https://api.line.me", validation_alias=_env("LINE_API_BASE"))
    # The service's public HTTPS address (as the webhooks use); LINE fetches chart pictures there.
    public_url: str | None = Field(
        None, pattern=r"^https://[^\s/]+(/[^\s]*)?$", validation_alias=_env("CHIIKI_PUBLIC_URL")
    )
    # The rich menu picture goes up, residents' photos and files come down, via LINE's data host.
    line_data_api_base: str = Field(
        "https://api-data.line.me", validation_alias=_env("LINE_DATA_API_BASE")
    )
    # A font with Japanese glyphs for pictures chiiki draws; Debian's Noto CJK when unset.
    font: Path | None = Field(None, validation_alias=_env("CHIIKI_FONT"))

    # Signs the dashboard's session cookie; without it, staff log in again after a restart.
    session_secret: SecretStr | None = Field(None, validation_alias=_env("CHIIKI_SESSION_SECRET"))
    # /metrics asks for `Authorization: Bearer <this>`; without it, only loopback may read it.
    metrics_token: SecretStr | None = Field(
        None, min_length=16, validation_alias=_env("CHIIKI_METRICS_TOKEN")
    )
    # Behind HTTPS (as in production), mark the cookie Secure so it never travels in clear text;
    # unset, it follows CHIIKI_PUBLIC_URL (always https): see `cookies_secure`.
    secure_cookies: bool | None = Field(None, validation_alias=_env("CHIIKI_SECURE_COOKIES"))

    # Limits per client address on the web chat (bot/web/limits.py); the address is the
    # socket's peer, or X-Forwarded-For's when the peer is one of the trusted proxies.
    web_new_residents_per_hour: int = Field(
        20, ge=1, validation_alias=_env("CHIIKI_WEB_NEW_RESIDENTS_PER_HOUR")
    )
    web_requests_per_minute: int = Field(
        120, ge=1, validation_alias=_env("CHIIKI_WEB_REQUESTS_PER_MINUTE")
    )
    trusted_proxies: str = Field("", validation_alias=_env("CHIIKI_TRUSTED_PROXIES"))

    # Telegram allows about 30 a second in all; a higher figure is for fake servers only.
    telegram_rate: float = Field(25.0, gt=0, validation_alias=_env("CHIIKI_TELEGRAM_RATE"))
    # A process whose heartbeat (every 2 s) is older than this has stopped: the sends and
    # events it claimed pass to another at once.
    delivery_lease_seconds: float = Field(
        10.0, gt=0, validation_alias=_env("CHIIKI_DELIVERY_LEASE_SECONDS")
    )
    watch_evening_reminder: str = Field(
        "18:00", pattern=r"^\d{1,2}:\d{2}$", validation_alias=_env("CHIIKI_WATCH_EVENING_REMINDER")
    )
    watch_hour_reminder: bool = Field(True, validation_alias=_env("CHIIKI_WATCH_HOUR_REMINDER"))
    reminder_grace_minutes: float = Field(
        60.0, ge=0, validation_alias=_env("CHIIKI_REMINDER_GRACE_MINUTES")
    )

    # How long each kind of data is kept (see bot/retention.py): fiscal-year, fiscal-year+1,
    # forever or e.g. 180d.
    retain_roster_names: str = Field(
        "fiscal-year", validation_alias=_env("CHIIKI_RETAIN_ROSTER_NAMES")
    )
    retain_comments: str = Field("180d", validation_alias=_env("CHIIKI_RETAIN_COMMENTS"))
    retain_event_ids: str = Field("7d", validation_alias=_env("CHIIKI_RETAIN_EVENT_IDS"))
    retain_unanswered: str = Field("90d", validation_alias=_env("CHIIKI_RETAIN_UNANSWERED"))
    retain_voices: str = Field("fiscal-year+1", validation_alias=_env("CHIIKI_RETAIN_VOICES"))
    # The staff audit log: five years by default, never less than a year and a day.
    retain_audit: str = Field(AUDIT_DEFAULT, validation_alias=_env("CHIIKI_RETAIN_AUDIT"))
    retention_run_at: str = Field(
        "03:30", pattern=r"^\d{1,2}:\d{2}$", validation_alias=_env("CHIIKI_RETENTION_RUN_AT")
    )

    # SIGTERM: how long events being handled and sends in flight may take to finish.
    shutdown_grace_seconds: float = Field(
        20.0, ge=0, le=600, validation_alias=_env("CHIIKI_SHUTDOWN_GRACE_SECONDS")
    )
    # Daily backups of the SQLite file (bot/storage/backup.py); none when the folder is unset.
    backup_dir: Path | None = Field(None, validation_alias=_env("CHIIKI_BACKUP_DIR"))
    backup_keep: int = Field(14, ge=1, validation_alias=_env("CHIIKI_BACKUP_KEEP"))
    backup_run_at: str = Field(
        "02:30", pattern=r"^\d{1,2}:\d{2}$", validation_alias=_env("CHIIKI_BACKUP_RUN_AT")
    )

    @field_validator(
        "retain_roster_names",
        "retain_comments",
        "retain_event_ids",
        "retain_unanswered",
        "retain_voices",
    )
    @classmethod
    def _retention_rule(cls, value: str) -> str:
        return check_rule(value)

    @field_validator("retain_audit")
    @classmethod
    def _audit_rule(cls, value: str) -> str:
        return check_audit_rule(value)

    @property
    def retention(self) -> RetentionRules:
        return RetentionRules(
            Rule(self.retain_roster_names),
            Rule(self.retain_comments),
            Rule(self.retain_event_ids),
            Rule(self.retain_unanswered),
            Rule(self.retain_voices),
            Rule(self.retain_audit),
            self.retention_time,
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        parse_networks(value)  # raises naming the entry at fault
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (try Asia/Tokyo)") from exc
        return value

    @field_validator("pack")
    @classmethod
    def _simple_pack_name(cls, value: str) -> str:
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("a pack name is a folder name under content/, like 'tomioka'")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies are Secure: as CHIIKI_SECURE_COOKIES says, else whenever a public
        HTTPS address is set (an operator who forgot the setting sent them in clear text)."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url is not None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def instance_name(self) -> str:
        return self.instance or f"{socket.gethostname()}:{self.port}"

    @property
    def watch_evening_time(self) -> time:
        hour, minute = (int(part) for part in self.watch_evening_reminder.split(":"))
        return time(hour, minute)

    @property
    def retention_time(self) -> time:
        hour, minute = (int(part) for part in self.retention_run_at.split(":"))
        return time(hour, minute)

    @property
    def backup_time(self) -> time:
        hour, minute = (int(part) for part in self.backup_run_at.split(":"))
        return time(hour, minute)

    @field_validator("watch_evening_reminder", "retention_run_at", "backup_run_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hour, minute = (int(part) for part in value.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError("a time of day like 18:00")
        return value


def _setting_name(location: tuple[int | str, ...]) -> str:
    field_name = str(location[0]) if location else "?"
    info = Settings.model_fields.get(field_name)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `environ` (tests) or from the process environment and .env.

    Raises ConfigError with one line naming the setting at fault.
    """
    try:
        if environ is None:
            return Settings()
        return Settings.model_validate(dict(environ))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _setting_name(first["loc"])
        # Never echo a secret's value back: name it and say what is wrong.
        raise ConfigError(f"invalid setting {name}: {first['msg']}") from None
