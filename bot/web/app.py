"""Build the starlette app. Routes are declared in one list; services come from the Runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import metrics
from bot.config import Settings
from bot.core import Channel
from bot.errors import ConfigError, StorageBusyError
from bot.runtime import Runtime, drain, open_runtime
from bot.web import operations
from bot.web.admin.routes import dashboard_routes
from bot.web.admin.site import Site
from bot.web.chat import ChatEndpoints
from bot.web.security import SecurityHeaders
from bot.web.webhooks import line_webhook, telegram_webhook

logger = logging.getLogger(__name__)


class _Endpoints:
    """The handlers of the web app, bound to a runtime that the lifespan may set later."""

    def __init__(self, runtime: Runtime | None) -> None:
        self.runtime = runtime

    def _runtime(self) -> Runtime:
        if self.runtime is None:
            raise HTTPException(503, "chiiki is starting")
        return self.runtime

    async def index(self, request: Request) -> Response:
        return RedirectResponse("/chat")

    async def telegram(self, request: Request) -> Response:
        return await telegram_webhook(request, self._runtime())

    async def line(self, request: Request) -> Response:
        return await line_webhook(request, self._runtime())

    async def health(self, request: Request) -> Response:
        return await operations.health(request, self._runtime())

    async def ready(self, request: Request) -> Response:
        return await operations.ready(request, self._runtime())

    async def scrape_metrics(self, request: Request) -> Response:
        return await operations.scrape(request, self._runtime())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _database_busy(request: Request, exc: Exception) -> Response:
    # Nothing was written (the statement never ran); the platform delivers the event again.
    metrics.DATABASE_BUSY.labels("webhook").inc()
    logger.warning("database busy: answered 503 to %s", request.url.path)
    return JSONResponse(
        {"error": "busy, try again"}, status_code=503, headers={"Retry-After": "1"}
    )


def _starlette(endpoints: _Endpoints, settings: Settings, lifespan: object = None) -> Starlette:
    site = Site(endpoints._runtime)
    secret = settings.session_secret.get_secret_value() if settings.session_secret else None
    # Webhooks first: the router tries the routes in order, and they take the most requests.
    routes = [
        Route("/webhook/telegram", endpoints.telegram, methods=["POST"]),
        Route("/webhook/line", endpoints.line, methods=["POST"]),
        Route("/", endpoints.index),
        *ChatEndpoints(endpoints._runtime, settings).routes(),
        Route("/healthz", endpoints.health),
        Route("/readyz", endpoints.ready),
        Route("/metrics", endpoints.scrape_metrics),
        Mount(
            "/admin",
            routes=dashboard_routes(site),
            middleware=site.middleware(secret, settings.cookies_secure),
        ),
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            HTTPException: _http_error,
            StorageBusyError: _database_busy,
        },
        lifespan=lifespan,  # type: ignore[arg-type]
    )


def build_web_app(runtime: Runtime) -> Starlette:
    """The app over a runtime the caller opened (tests, embedding)."""
    return _starlette(_Endpoints(runtime), runtime.settings)


def build_app(settings: Settings, telegram_polling: bool = False) -> Starlette:
    """The app that opens and closes its own runtime with the server (`chiiki serve`).

    With `telegram_polling`, Telegram updates come from getUpdates instead of the webhook.
    """
    return build_served_app(settings, telegram_polling)[0]


def build_served_app(
    settings: Settings, telegram_polling: bool = False
) -> tuple[Starlette, Callable[[], Awaitable[None]]]:
    """`build_app`, and the drain a stopping server runs first (bot/web/server.py)."""
    endpoints = _Endpoints(None)
    polling: list[asyncio.Task[None]] = []

    async def drain_runtime() -> None:
        for poller in polling:
            poller.cancel()  # no more updates fetched; Telegram keeps them for the next start
        if endpoints.runtime is not None:
            await drain(endpoints.runtime)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            endpoints.runtime = runtime
            poller = None
            if telegram_polling:
                if runtime.telegram is None:
                    raise ConfigError("--telegram-polling needs TELEGRAM_BOT_TOKEN")
                inbox = runtime.inbox
                poller = asyncio.create_task(
                    runtime.telegram.poll(lambda batch: inbox.accept(Channel.TELEGRAM, batch))
                )
                polling.append(poller)
            try:
                yield
            finally:
                endpoints.runtime = None
                if poller is not None:
                    poller.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await poller

    return _starlette(endpoints, settings, lifespan), drain_runtime
