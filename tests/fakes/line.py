"""A fake LINE Messaging API: single-use reply tokens, retry keys, 500-recipient multicast."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.content import HostedFile

SECRET = "fake-channel-secret"
ACCESS_TOKEN = "fake-access-token"
MULTICAST_LIMIT = 500
RETRY_KEY_SECONDS = 24 * 3600  # a retry key is valid for 24 hours from its first request


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature: Base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class FakeLine:
    access_token: str = ACCESS_TOKEN
    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    blocked_users: set[str] = field(default_factory=set)
    # User ids LINE does not take (malformed, say): a push to one, or a multicast naming one
    # among its 500, is refused with 400 as a whole, and nobody gets anything.
    invalid_users: set[str] = field(default_factory=set)
    refuse_next: int = 0  # the next N calls get 429 (LINE sends no Retry-After)
    fail_next: int = 0  # the next N calls get 500
    # Multicast recipients who got a message (a 409 for a known retry key delivers nothing).
    delivered: Counter[str] = field(default_factory=Counter)
    # Every message that reached each user (reply, push, multicast): a text, or its type.
    received: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # A reply or push holding a message of this text is answered 500 before anything is
    # accepted, this many more times.
    fail_text: dict[str, int] = field(default_factory=dict)
    # A reply or push holding a message of this text is accepted and delivered, then answered
    # 500 (the answer lost on the way), this many more times.
    lose_text: dict[str, int] = field(default_factory=dict)
    now: Callable[[], float] = time.time  # for the retry keys' 24 hours
    delay_next_multicast: float = 0.0  # accept, then answer this late (a client timeout)
    multicast_seconds: float = 0.0  # how long every multicast takes to answer
    quota_limit: int | None = None
    quota_used: int = 0
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    default_rich_menu: str | None = None
    # Images and files residents sent, by message id (LINE keeps them only for a while).
    contents: dict[str, HostedFile] = field(default_factory=dict)
    send_content_lengths: bool = True
    _issued_tokens: set[str] = field(default_factory=set)
    _user_of: dict[str, str] = field(default_factory=dict)  # reply token → its user
    # Accepted retry keys: when, the request id, and the answer (push: its sentMessages).
    _accepted_retry_keys: dict[str, tuple[float, str, dict[str, Any]]] = field(
        default_factory=dict
    )
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/message/multicast", self._multicast, methods=["POST"]),
                Route("/v2/bot/message/quota", self._quota, methods=["GET"]),
                Route("/v2/bot/message/quota/consumption", self._consumption, methods=["GET"]),
                Route("/v2/bot/richmenu", self._create_rich_menu, methods=["POST"]),
                Route("/v2/bot/richmenu/list", self._list_rich_menus, methods=["GET"]),
                Route("/v2/bot/richmenu/{menu_id}", self._delete_rich_menu, methods=["DELETE"]),
                # On the real platform this one is served by api-data.line.me.
                Route("/v2/bot/richmenu/{menu_id}/content", self._menu_image, methods=["POST"]),
                Route("/v2/bot/user/all/richmenu/{menu_id}", self._default_menu, methods=["POST"]),
                # On the real platform this one is served by api-data.line.me too.
                Route("/v2/bot/message/{message_id}/content", self._content, methods=["GET"]),
            ]
        )

    def add_content(self, message_id: str, data: bytes | None = None, size: int = 0) -> HostedFile:
        """An image or file a resident sent: `data`, or `size` bytes of zeros."""
        self.contents[message_id] = HostedFile(data, size)
        return self.contents[message_id]

    async def _content(self, request: Request) -> Response:
        message_id = request.path_params["message_id"]
        self.calls.append(("content", {"id": message_id}, dict(request.headers)))
        if not self._authorized(request):
            return _error(401, "Authentication failed")
        if message_id not in self.contents:
            return _error(404, "Not found")
        return self.contents[message_id].response(request, "image/jpeg", self.send_content_lengths)

    def new_reply_token(self, user_id: str | None = None) -> str:
        """A reply token as a webhook event carries it; replies with it reach `user_id`."""
        token = f"reply-token-{next(self._counter)}"
        self._issued_tokens.add(token)
        if user_id is not None:
            self._user_of[token] = user_id
        return token

    def sent(self, endpoint: str) -> list[dict[str, Any]]:
        return [body for name, body, _ in self.calls if name == endpoint]

    async def _common(self, request: Request, endpoint: str) -> tuple[dict[str, Any], Any]:
        body = await request.json() if request.method == "POST" else {}
        self.calls.append((endpoint, body, dict(request.headers)))
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return body, _error(401, "Authentication failed")
        if self.fail_next:
            self.fail_next -= 1
            return body, _error(500, "Internal server error")
        if self.refuse_next:
            self.refuse_next -= 1
            return body, _error(429, "Too Many Requests")
        problem = _check_messages(body.get("messages"))
        if problem:
            return body, _error(400, problem)
        if endpoint in ("reply", "push") and _take(self.fail_text, body):
            return body, _error(500, "Internal server error")
        return body, None

    async def _reply(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "reply")
        if refused:
            return refused
        if "x-line-retry-key" in request.headers:  # only push and the casts take one
            return _error(400, "The retry key is not supported for this API")
        token = body.get("replyToken")
        if token not in self._issued_tokens:
            return _error(400, "Invalid reply token")
        self._issued_tokens.discard(token)  # single use
        return self._deliver(body, self._user_of.get(token))

    async def _push(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "push")
        if refused:
            return refused
        if body.get("to") in self.invalid_users:
            return _error(400, _INVALID_TO.format("to"))
        if body.get("to") in self.blocked_users:
            return _error(403, "The user has blocked the account")
        retried = self._check_retry_key(request)
        if retried:
            return retried
        return self._deliver(body, body.get("to"), request.headers.get("x-line-retry-key"))

    def _deliver(
        self, body: dict[str, Any], user_id: str | None, retry_key: str | None = None
    ) -> JSONResponse:
        """The messages reach the user; the answer is lost (500) when the test says so."""
        if user_id is not None:
            self.received[user_id] += [_shown(m) for m in body["messages"]]
        sent = {
            "sentMessages": [
                {"id": str(next(self._counter)), "quoteToken": f"q{next(self._counter)}"}
                for _ in body["messages"]
            ]
        }
        if retry_key is not None:  # what a 409 for this key repeats
            at, request_id, _ = self._accepted_retry_keys[retry_key]
            self._accepted_retry_keys[retry_key] = (at, request_id, sent)
        if _take(self.lose_text, body):
            return _error(500, "Internal server error")
        return JSONResponse(sent)

    async def _multicast(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "multicast")
        if refused:
            return refused
        recipients = body.get("to") or []
        if not 1 <= len(recipients) <= MULTICAST_LIMIT:
            return _error(400, f"The number of recipients must be 1 to {MULTICAST_LIMIT}")
        for index, user_id in enumerate(recipients):
            if user_id in self.invalid_users:
                return _error(400, _INVALID_TO.format(f"to[{index}]"))
        retried = self._check_retry_key(request)
        if retried:
            return retried
        self.delivered.update(recipients)
        for user_id in recipients:
            self.received[user_id] += [_shown(m) for m in body["messages"]]
        self.quota_used += len(recipients)
        await asyncio.sleep(self.multicast_seconds)
        if self.delay_next_multicast:
            delay, self.delay_next_multicast = self.delay_next_multicast, 0.0
            await asyncio.sleep(delay)
        return JSONResponse({})

    async def _quota(self, request: Request) -> JSONResponse:
        if self.quota_limit is None:
            return JSONResponse({"type": "none"})
        return JSONResponse({"type": "limited", "value": self.quota_limit})

    async def _consumption(self, request: Request) -> JSONResponse:
        return JSONResponse({"totalUsage": self.quota_used})

    # Rich menus, checked as LINE documents them (size, areas inside it, image size and type).

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.access_token}"

    async def _create_rich_menu(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.calls.append(("richmenu", body, dict(request.headers)))
        if not self._authorized(request):
            return _error(401, "Authentication failed")
        problem = _check_rich_menu(body)
        if problem:
            return _error(400, problem)
        menu_id = f"richmenu-{next(self._counter)}"
        self.rich_menus[menu_id] = body
        return JSONResponse({"richMenuId": menu_id})

    async def _list_rich_menus(self, request: Request) -> JSONResponse:
        menus = [{"richMenuId": key, **body} for key, body in self.rich_menus.items()]
        return JSONResponse({"richmenus": menus})

    async def _delete_rich_menu(self, request: Request) -> JSONResponse:
        menu_id = request.path_params["menu_id"]
        self.calls.append(("delete richmenu", {"id": menu_id}, dict(request.headers)))
        if self.rich_menus.pop(menu_id, None) is None:
            return _error(404, "Not found")
        self.rich_menu_images.pop(menu_id, None)
        if self.default_rich_menu == menu_id:
            self.default_rich_menu = None
        return JSONResponse({})

    async def _menu_image(self, request: Request) -> JSONResponse:
        menu_id = request.path_params["menu_id"]
        image = await request.body()
        if not self._authorized(request):
            return _error(401, "Authentication failed")
        if menu_id not in self.rich_menus:
            return _error(404, "Not found")
        if menu_id in self.rich_menu_images:
            return _error(400, "An image has already been uploaded to the rich menu")
        if request.headers.get("content-type") not in ("image/png", "image/jpeg"):
            return _error(400, "Content-Type must be image/png or image/jpeg")
        if len(image) > 1024 * 1024:
            return _error(400, "The image is over 1 MB")
        size = self.rich_menus[menu_id]["size"]
        if _png_size(image) != (size["width"], size["height"]):
            return _error(400, "The image does not match the rich menu size")
        self.rich_menu_images[menu_id] = image
        return JSONResponse({})

    async def _default_menu(self, request: Request) -> JSONResponse:
        menu_id = request.path_params["menu_id"]
        if menu_id not in self.rich_menu_images:
            return _error(400, "must upload richmenu image before applying it to user")
        self.default_rich_menu = menu_id
        return JSONResponse({})

    def _check_retry_key(self, request: Request) -> JSONResponse | None:
        """Like LINE: a key is a UUID; the same key again within 24 hours of its accepted
        request gets 409 naming that request (for a push, with its sentMessages), and nothing
        is sent. The key is taken only by a request that is accepted."""
        key = request.headers.get("x-line-retry-key")
        if key is None:
            return None
        try:
            uuid.UUID(key)
        except ValueError:
            return _error(400, "The retry key must be a UUID")
        accepted = self._accepted_retry_keys.get(key)
        if accepted is not None and self.now() - accepted[0] < RETRY_KEY_SECONDS:
            _, request_id, answer = accepted
            return JSONResponse(
                {"message": "The retry key is already accepted", **answer},
                status_code=409,
                headers={"x-line-accepted-request-id": request_id},
            )
        self._accepted_retry_keys[key] = (self.now(), f"request-{next(self._counter)}", {})
        return None


def _take(counts: dict[str, int], body: dict[str, Any]) -> bool:
    """Whether a message in `body` has a text counted in `counts` (one count used up)."""
    for message in body.get("messages") or []:
        text = message.get("text")
        if counts.get(text, 0) > 0:
            counts[text] -= 1
            return True
    return False


def _shown(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("type"))


def _check_messages(messages: Any) -> str | None:
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages must hold 1 to 5 message objects"
    for message in messages:
        if message.get("type") == "image":
            for key in ("originalContentUrl", "previewImageUrl"):
                url = message.get(key, "")
                if not url.startswith("https://") or len(url) > 2000:
                    return f"{key}: an HTTPS address of at most 2000 characters"
        if message.get("type") == "flex":
            problem = _check_flex(message)
            if problem:
                return problem
        text = message.get("text", "")
        if len(text.encode("utf-16-le")) // 2 > 5000:
            return "text over 5000 characters"
        items = (message.get("quickReply") or {}).get("items") or []
        if len(items) > 13:
            return "quick reply over 13 items"
        for item in items:
            action = item["action"]
            if len(action["label"]) > 20 or len(action.get("data", "")) > 300:
                return "quick reply label over 20 or data over 300 characters"
    return None


# LINE's words for a user id it does not take (as reported for push; the multicast names the
# element). chiiki does not read them: any 400 for a multicast to several is tried one by one.
_INVALID_TO = "The property, '{}', in the request body is invalid (line: -, column: -)"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def _png_size(image: bytes) -> tuple[int, int] | None:
    if image[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")


def _check_rich_menu(body: dict[str, Any]) -> str | None:
    size = body.get("size") or {}
    width, height = size.get("width", 0), size.get("height", 0)
    if not (800 <= width <= 2500 and height >= 250 and width / height >= 1.45):
        return "size: width 800 to 2500, height 250 or more, width/height at least 1.45"
    if not 0 < len(body.get("chatBarText", "")) <= 14:
        return "chatBarText: 1 to 14 characters"
    if not 0 < len(body.get("name", "")) <= 300:
        return "name: 1 to 300 characters"
    areas = body.get("areas") or []
    if not 1 <= len(areas) <= 20:
        return "areas: 1 to 20"
    for area in areas:
        b = area["bounds"]
        if (
            b["x"] < 0
            or b["y"] < 0
            or b["x"] + b["width"] > width
            or b["y"] + b["height"] > height
        ):
            return "areas.bounds: outside the rich menu"
        action = area["action"]
        if action.get("type") == "postback" and not 0 < len(action.get("data", "")) <= 300:
            return "areas.action.data: 1 to 300 characters"
        if len(action.get("label", "")) > 20 or len(action.get("displayText", "")) > 300:
            return "areas.action: label over 20 or displayText over 300 characters"
    return None


def _check_flex(message: dict[str, Any]) -> str | None:
    """LINE's documented Flex limits: altText, carousel size, JSON size, button labels."""
    if not 1 <= len(message.get("altText", "")) <= 400:
        return "altText: 1 to 400 characters"
    contents = message.get("contents") or {}
    bubbles = contents.get("contents", []) if contents.get("type") == "carousel" else [contents]
    if not 1 <= len(bubbles) <= 12 or any(b.get("type") != "bubble" for b in bubbles):
        return "a carousel holds 1 to 12 bubbles"
    size = len(json.dumps(contents, ensure_ascii=False).encode("utf-8"))
    if size > (50_000 if contents.get("type") == "carousel" else 30_000):
        return "flex message is too large"
    for bubble in bubbles:
        footer = (bubble.get("footer") or {}).get("contents", [])
        for button in footer:
            if len(button["action"].get("label", "")) > 40:
                return "button label over 40 characters"
    return None
