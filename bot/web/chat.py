"""The web chat: its page, its JSON API and the chart pictures its replies link to."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from importlib.resources import files

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.channels.web import WebRequestError, parse_chat_request, photo_message, render_replies
from bot.charts import CHART_PATH
from bot.config import Settings
from bot.core import Channel, IncomingMessage, Reply
from bot.images import NotAPhotoError, photo_media_type
from bot.runtime import Runtime
from bot.web.addresses import client_address
from bot.web.bodies import declared_size, parse_json, read_body
from bot.web.identity import WebIdentities
from bot.web.limits import TokenBuckets, UploadSlots, WebLimits

CHAT_BODY_LIMIT = 16 * 1024
# A phone's photo, sent as the body of POST /chat/photo; what it is comes from its bytes.
PHOTO_BODY_LIMIT = 5 * 1024 * 1024
PHOTO_UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# 5 MB in a minute is 0.7 Mbit/s, slow mobile data; a sender slower than that (slowloris)
# is cut off rather than holding its connection and its bytes.
PHOTO_UPLOAD_SECONDS = 60.0
# Photos taken at once, from their first byte to their answer: two per client address and
# 64 MB in all (twelve full-size ones), so parallel or slow uploads cannot add up in memory.
PHOTO_UPLOADS_PER_ADDRESS = 2
PHOTO_UPLOAD_BYTES_AT_ONCE = 64 * 1024 * 1024
PHOTO_BUSY_SECONDS = 10
# Photos one client address may send an hour. Each may be kept (5 MB) with a voice, and every
# new identity may send five voices a day: without this, one address could fill the disk with
# 500 MB an hour. A family, an office or a phone carrier's shared address stays well under it.
PHOTOS_PER_HOUR = 30
JSON_TYPES = frozenset({"application/json"})
# The page's own words (catalog `web.page.<name>`), sent with each answer in the language the
# resident reads, so the placeholder, the send button and <html lang> follow it.
PAGE_WORDS = (
    "title",
    "intro",
    "placeholder",
    "send",
    "message",
    "conversation",
    "form",
    "text_size",
    "size_normal",
    "size_large",
    "size_larger",
    "contrast",
    "error",
    "offline",
)

# Sec-Fetch-Site values of a request our own page (or a script, which sends none) makes.
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})


def _cross_site_refusal(
    request: Request, accepted: frozenset[str] = JSON_TYPES
) -> Response | None:
    """403/415 for a request another site's page could have made the browser send.

    A form or `fetch` without custom headers from any web page may POST here ("simple"
    requests need no CORS preflight): the browser then sends no identity cookie (SameSite),
    so every visitor of a hostile page would become a new resident voting as that page
    chose, each from their own address, past the per-address limits. Our page posts JSON,
    which another origin can only send after a preflight we never allow; browsers also say
    where a request came from in Sec-Fetch-Site. A photo is sent with an image/* type, which
    needs a preflight too (its bytes are checked later, whatever it says it is).
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in SAME_SITE_FETCHES:
        return JSONResponse({"error": "requests from other sites are refused"}, status_code=403)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted:
        return JSONResponse(
            {"error": f"send it with Content-Type {' or '.join(sorted(accepted))}"},
            status_code=415,
        )
    return None


# Reads the request into the resident's message, or answers it (a refusal) instead.
ReadMessage = Callable[[Request, Runtime, str, str], Awaitable[IncomingMessage | Response]]


def _browser_language(request: Request) -> str:
    """ja unless the browser asks for en: for words shown before we know the resident."""
    asked = request.headers.get("accept-language", "").strip().lower()
    return "en" if asked.startswith("en") else "ja"


class ChatEndpoints:
    """The chat's handlers, over the runtime `get_runtime` gives (503 while starting)."""

    def __init__(self, get_runtime: Callable[[], Runtime], settings: Settings) -> None:
        self.get_runtime = get_runtime
        self.identities = WebIdentities(settings.cookies_secure)
        self.limits = WebLimits(
            settings.web_requests_per_minute, settings.web_new_residents_per_hour
        )
        self.proxies = settings.trusted_proxy_networks
        self.uploads = UploadSlots(PHOTO_UPLOADS_PER_ADDRESS, PHOTO_UPLOAD_BYTES_AT_ONCE)
        self.photos = TokenBuckets(PHOTOS_PER_HOUR, 3600.0)
        self.page = files("bot.web").joinpath("static/chat.html").read_text(encoding="utf-8")

    def routes(self) -> list[Route]:
        return [
            Route("/chat", self.chat_page),
            Route("/chat/api", self.chat_api, methods=["POST"]),
            Route("/chat/photo", self.chat_photo, methods=["POST"]),
            Route(CHART_PATH, self.chart),
        ]

    async def chat_page(self, request: Request) -> Response:
        return HTMLResponse(self.page)

    async def chat_api(self, request: Request) -> Response:
        return await self._turn(request, JSON_TYPES, self._read_message)

    async def chat_photo(self, request: Request) -> Response:
        """A photo from the chat's photo button: the same turn as a message, with the photo
        as an attachment. Kept in memory for this turn only; a handler keeps what it needs.
        It holds one of the upload slots (per address and in bytes) until it is answered."""
        address = client_address(request, self.proxies)
        runtime = self.get_runtime()
        wait = math.ceil(self.photos.take(address, runtime.services.clock().timestamp()))
        if wait:
            return self._too_many(request, runtime, "web.photo_too_many", wait)
        size = declared_size(request, PHOTO_BODY_LIMIT)
        if not self.uploads.take(address, size):
            text = runtime.services.catalog.text("web.photo_busy", _browser_language(request))
            return JSONResponse(
                {"error": text, "retry_after": PHOTO_BUSY_SECONDS},
                status_code=503,
                headers={"Retry-After": str(PHOTO_BUSY_SECONDS)},
            )
        try:
            return await self._turn(request, PHOTO_UPLOAD_TYPES, self._read_photo)
        finally:
            self.uploads.give_back(address, size)

    async def _turn(
        self, request: Request, accepted: frozenset[str], read: ReadMessage
    ) -> Response:
        runtime = self.get_runtime()
        address = client_address(request, self.proxies)
        now = runtime.services.clock().timestamp()
        wait = self.limits.request(address, now)
        if wait:
            return self._too_many(request, runtime, "web.slow_down", wait)
        refusal = _cross_site_refusal(request, accepted)
        if refusal is not None:
            return refusal
        identity = await self.identities.read(request, runtime)
        if identity is None:
            # Each new identity may become a new resident (a new ballot in every poll).
            wait = self.limits.new_resident(address, now)
            if wait:
                return self._too_many(request, runtime, "web.too_many_new", wait)
            identity = await self.identities.issue(runtime)
        message = await read(request, runtime, identity.id, address)
        response = (
            message if isinstance(message, Response) else await self._answer(runtime, message)
        )
        # Renewed with every answer, a refused body's too: a browser in use keeps its identity,
        # and its mistakes do not count as new residents.
        self.identities.set_cookie(response, identity)
        return response

    def _too_many(self, request: Request, runtime: Runtime, key: str, wait: int) -> Response:
        """429 with words the page shows, in the browser's language (ja unless it asks en)."""
        text = runtime.services.catalog.text(
            key, _browser_language(request), seconds=wait, minutes=max(1, math.ceil(wait / 60))
        )
        return JSONResponse(
            {"error": text, "retry_after": wait},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )

    async def _read_message(
        self, request: Request, runtime: Runtime, identity: str, address: str
    ) -> IncomingMessage | Response:
        body = parse_json(await read_body(request, CHAT_BODY_LIMIT))
        try:
            return parse_chat_request(body, identity, address)
        except WebRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def _read_photo(
        self, request: Request, runtime: Runtime, identity: str, address: str
    ) -> IncomingMessage | Response:
        """413 over 5 MB (before reading past it), 408 when it has not all come within
        PHOTO_UPLOAD_SECONDS, 415 when the bytes are not a JPEG, PNG or WebP picture, whatever
        Content-Type said; each in the language the resident reads (the browser's for someone
        new)."""
        catalog = runtime.services.catalog
        language = await self._reader_language(
            runtime, Channel.WEB, identity, _browser_language(request)
        )
        megabytes = PHOTO_BODY_LIMIT // (1024 * 1024)
        try:
            data = await read_body(request, PHOTO_BODY_LIMIT, PHOTO_UPLOAD_SECONDS)
        except HTTPException as exc:
            key = "web.photo_too_slow" if exc.status_code == 408 else "web.photo_too_large"
            text = catalog.text(key, language, megabytes=megabytes)
            return JSONResponse({"error": text}, status_code=exc.status_code)
        try:
            media_type = photo_media_type(data)  # reads the header only
        except NotAPhotoError:
            text = catalog.text("web.photo_not_a_picture", language)
            return JSONResponse({"error": text}, status_code=415)
        hint = request.query_params.get("language")
        return photo_message(data, media_type, identity, address, hint)

    async def _answer(self, runtime: Runtime, message: IncomingMessage) -> Response:
        # The same turn as every channel's (counted like a platform update in /metrics); its
        # send is this response.
        replies = await runtime.pipeline.converse(message)
        notices = await runtime.mailbox.take(
            message.channel, message.user_id, runtime.services.clock()
        )
        shown = [Reply(text) for text in notices] + replies
        chart_urls: dict[int, str] = {}
        for index, reply in enumerate(shown):
            if reply.chart is not None and runtime.charts is not None:
                requester = f"{message.channel}:{message.user_id}"
                url = await runtime.charts.path(reply.chart, requester)
                if url is not None:
                    chart_urls[index] = url
        language = await self._reader_language(runtime, message.channel, message.user_id)
        catalog = runtime.services.catalog
        return JSONResponse(
            {
                **render_replies(shown, chart_urls),
                "language": language,
                "page": {name: catalog.text(f"web.page.{name}", language) for name in PAGE_WORDS},
            }
        )

    async def _reader_language(
        self, runtime: Runtime, channel: str, user_id: str, unknown: str = "ja"
    ) -> str:
        """The language this resident reads (a linked identity's is its first row's); `unknown`
        for someone not yet stored."""
        residents = runtime.services.residents
        row = await residents.find(channel, user_id)
        if row is not None and row.linked_to is not None:
            row = await residents.get(row.linked_to)
        return row.language if row is not None else unknown

    async def chart(self, request: Request) -> Response:
        """A chart linked from a chat reply: its unguessable name is the key, and it lapses."""
        charts = self.get_runtime().charts
        png = await charts.store.get(request.path_params["name"]) if charts else None
        if png is None:
            raise HTTPException(404, "this chart has expired; ask for the results again")
        return Response(
            png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"}
        )
