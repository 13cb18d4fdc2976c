"""The dashboard's frame: session cookie, who is logged in, CSRF checks, rendering in ja/en."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.core.localized import Localized
from bot.runtime import Runtime
from bot.staff.actor import ADMIN, StaffActor
from bot.staff.roles import StaffRoleError
from bot.storage.audit import AuditRepository
from bot.storage.staff import StaffRepository
from bot.web.addresses import client_address
from bot.web.admin.auth import (
    PASSWORD_CHECKS_AT_ONCE,
    SESSION_LIFETIME,
    Authenticator,
    csrf_matches,
    new_csrf_token,
)
from bot.web.security import DASHBOARD_HEADERS

LANGUAGES = ("ja", "en")
SESSION_COOKIE = "chiiki_staff"
# Forms are small; an upload (a watch file) is the largest thing staff send.
MAX_FORM_BYTES = 512 * 1024
_TEMPLATES = Path(str(files("bot.web").joinpath("templates")))


def load_admin_texts() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(files("bot.web.admin").joinpath("texts.yaml").read_text("utf-8"))
    return {key: dict(value) for key, value in raw.items()}


@dataclass
class Page:
    """One request by a logged-in staff member."""

    request: Request
    runtime: Runtime
    login: str
    language: str
    form: FormData | None
    role: str = ADMIN
    districts: frozenset[str] = frozenset()

    @property
    def actor(self) -> StaffActor:
        """The logged-in staff member with their role, for the bot/staff functions this page
        calls (which check the role and write the audit log)."""
        address = client_address(self.request, self.runtime.settings.trusted_proxy_networks)
        return StaffActor(
            self.login, self.role, self.districts, address, AuditRepository(self.runtime.db)
        )

    @property
    def now(self) -> datetime:
        return self.runtime.services.clock()

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def checked(self, name: str) -> bool:
        return self.field(name) in {"on", "1", "true"}


Handler = Callable[[Page], Awaitable[Response]]


class Site:
    """Shared by every dashboard page: templates, texts and the login check."""

    def __init__(self, get_runtime: Callable[[], Runtime]) -> None:
        self.get_runtime = get_runtime
        self.texts = load_admin_texts()
        self.templates = Jinja2Templates(directory=str(_TEMPLATES))
        self.password_checks = asyncio.Semaphore(PASSWORD_CHECKS_AT_ONCE)

    def middleware(self, secret: str | None, secure_cookie: bool) -> list[Middleware]:
        return [
            Middleware(
                SessionMiddleware,
                # Without a configured secret, sessions last until the next restart.
                secret_key=secret or secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                max_age=int(SESSION_LIFETIME.total_seconds()),
                path="/admin",
                same_site="strict",
                https_only=secure_cookie,
            )
        ]

    def authenticator(self, runtime: Runtime) -> Authenticator:
        return Authenticator(StaffRepository(runtime.db), self.password_checks)

    def language(self, request: Request) -> str:
        chosen = request.session.get("lang")
        return chosen if chosen in LANGUAGES else "ja"

    def csrf_token(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str) or not token:
            token = new_csrf_token()
            request.session["csrf"] = token
        return token

    def t(self, language: str) -> Callable[..., str]:
        def translate(key: str, **values: Any) -> str:
            entry = self.texts.get(key)
            if entry is None:
                raise KeyError(f"admin text {key!r} is missing from texts.yaml")
            # English says "1 answer" but "2 answers": an `en_one` form is used for a count of 1.
            singular = entry.get(f"{language}_one") if values.get("count") == 1 else None
            text = singular or Localized.from_mapping(entry).pick(language)
            return text.format(**values) if values else text

        return translate

    def render(
        self, request: Request, language: str, template: str, status: int = 200, **context: Any
    ) -> Response:
        runtime = self.get_runtime()
        tz = runtime.settings.tz
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "t": self.t(language),
                "lang": language,
                "csrf": self.csrf_token(request),
                "city": runtime.services.pack.municipality.name.pick(language),
                "staff_role": getattr(request.state, "staff_role", None),
                "local": lambda moment, pattern="%Y-%m-%d %H:%M": (
                    moment.astimezone(tz).strftime(pattern) if moment else ""
                ),
                **context,
            },
            status_code=status,
        )
        response.headers.update(DASHBOARD_HEADERS)
        return response

    def staff_only(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Refuse anyone not logged in; on a POST, refuse a form without the session's token."""

        async def endpoint(request: Request) -> Response:
            runtime = self.get_runtime()
            token = request.session.get("token")
            login = await self.authenticator(runtime).who(
                token if isinstance(token, str) else None, runtime.services.clock()
            )
            if login is None:
                if request.method == "GET" and not request.url.path.endswith((".json", ".csv")):
                    return RedirectResponse("/admin/login", status_code=303)
                return PlainTextResponse("login required", status_code=401)
            form = None
            if request.method == "POST":
                form = await read_checked_form(request)
                if form is None:
                    return PlainTextResponse(
                        "this form has expired: reload the page and try again", status_code=403
                    )
            role = await StaffRepository(runtime.db).role(login)
            if role is None:  # removed while logged in
                return PlainTextResponse("login required", status_code=401)
            request.state.staff_role = role.role
            page = Page(
                request, runtime, login, self.language(request), form, role.role, role.districts
            )
            try:
                response = await handler(page)
            except StaffRoleError as refused:
                response = PlainTextResponse(str(refused), status_code=403)
            response.headers.update(DASHBOARD_HEADERS)
            return response

        return endpoint


async def read_checked_form(request: Request) -> FormData | None:
    """The posted form, or None when it lacks this session's CSRF token."""
    form = await _read_form(request)
    return form if csrf_matches(request.session.get("csrf"), form.get("csrf_token")) else None


async def _read_form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is None:
        # Browsers send a form with its length. Without one (chunked), starlette would read up
        # to 200 fields of 1 MB each before any check: 200 MB per request, before login.
        raise HTTPException(411, "send the form with a Content-Length")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "the form is too large")
    return await request.form(max_files=1, max_fields=200)
