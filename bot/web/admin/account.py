"""Logging in and out, and the dashboard's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.audit import record_login
from bot.storage.audit import AuditRepository
from bot.web.addresses import client_address
from bot.web.admin.auth import LoginOutcome, new_csrf_token
from bot.web.admin.common import FeaturePages, see
from bot.web.admin.site import LANGUAGES, Page, read_checked_form


class AccountPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", staff(self.logout), methods=["POST"]),
            Route("/language", staff(self.language), methods=["POST"]),
        ]

    async def login_form(self, request: Request) -> Response:
        # The login page's language link: the choice is kept for the session it starts.
        if request.query_params.get("lang") in LANGUAGES:
            request.session["lang"] = request.query_params["lang"]
        return self.site.render(request, self.site.language(request), "admin/login.html")

    async def login(self, request: Request) -> Response:
        site, language = self.site, self.site.language(request)
        form = await read_checked_form(request)
        if form is None:
            return site.render(request, language, "admin/login.html", 403, error="expired")
        runtime = site.get_runtime()
        login, password = form.get("login"), form.get("password")
        if not isinstance(login, str) or not isinstance(password, str):
            return site.render(request, language, "admin/login.html", 400, error="wrong")
        # The same address the chat's limits count: X-Forwarded-For only from a trusted proxy.
        address = client_address(request, runtime.settings.trusted_proxy_networks)
        result = await site.authenticator(runtime).log_in(
            login, password, address, runtime.services.clock()
        )
        if result.outcome == LoginOutcome.THROTTLED:
            # Not written to the audit log: refused attempts are what an outsider can repeat.
            return site.render(request, language, "admin/login.html", 429, error="throttled")
        succeeded = result.outcome == LoginOutcome.OK
        await record_login(
            AuditRepository(runtime.db), login, succeeded, address, runtime.services.clock()
        )
        if not succeeded:
            return site.render(request, language, "admin/login.html", 401, error="wrong")
        # A new session and a new CSRF token: nothing chosen before login carries over.
        request.session.clear()
        request.session.update(token=result.session_token, csrf=new_csrf_token(), lang=language)
        return see("/admin/")

    async def logout(self, page: Page) -> Response:
        token = page.request.session.get("token")
        await self.site.authenticator(page.runtime).log_out(
            token if isinstance(token, str) else None
        )
        page.request.session.clear()
        return see("/admin/login")

    async def language(self, page: Page) -> Response:
        chosen = page.field("lang")
        if chosen in LANGUAGES:
            page.request.session["lang"] = chosen
        back = page.field("back")
        return see(back if back.startswith("/admin/") else "/admin/")
