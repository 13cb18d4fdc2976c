"""Security headers for what a browser shows: the web chat, its static files and the dashboard."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The dashboard draws its bars with style attributes; scripts only from our own files.
DASHBOARD_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none';"
        " form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The chat page loads its script and styles as files, so nothing inline is allowed at all;
# it may not be framed (clickjacking a vote), and it talks only to its own origin.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
        " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
        " form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Webhooks are read by platforms, not browsers: they go through untouched (and stay fast).
BROWSER_PATHS = ("/chat", "/static", "/admin")
WEBHOOK_PATHS = frozenset({"/webhook/telegram", "/webhook/line"})
# Everything else (/, /healthz, /metrics, a 404's JSON): never read as another type.
_EVERY_ANSWER = (("X-Content-Type-Options", "nosniff"),)
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _on_site(location: str, host: str) -> str:
    """A redirect to this site as a path: starlette's slash redirect (/admin → /admin/) writes
    the Host header the client sent and http into it, so `Host: evil.example` (or a cache that
    kept the answer) sent visitors away, and behind HTTPS it dropped them to http."""
    for scheme in ("http://", "https://"):
        prefix = f"{scheme}{host}/"
        if host and location.startswith(prefix):
            return location[len(prefix) - 1 :]
    return location


class SecurityHeaders:
    """Adds PAGE_HEADERS to every response under BROWSER_PATHS that did not set its own
    (the dashboard sets DASHBOARD_HEADERS itself; this one is the floor for everything else),
    and keeps every redirect but the webhooks' on this site (a path, never the Host header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in WEBHOOK_PATHS:
            await self.app(scope, receive, send)
            return
        for_browser = scope["path"].startswith(BROWSER_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items() if for_browser else _EVERY_ANSWER:
                    if name not in headers:
                        headers[name] = value
                if message["status"] in REDIRECTS and "location" in headers:
                    host = MutableHeaders(scope=scope).get("host", "")
                    headers["location"] = _on_site(headers["location"], host)
            await send(message)

        await self.app(scope, receive, send_with_headers)
