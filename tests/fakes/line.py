"""A fake LINE Messaging API: single-use reply tokens, retry keys, 500-recipient multicast."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET = "fake-channel-secret"
ACCESS_TOKEN = "fake-access-token"
MULTICAST_LIMIT = 500


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature: Base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class FakeLine:
    access_token: str = ACCESS_TOKEN
    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    blocked_users: set[str] = field(default_factory=set)
    refuse_next: int = 0  # the next N calls get 429 (LINE sends no Retry-After)
    fail_next: int = 0  # the next N calls get 500
    # Multicast recipients who got a message (a 409 for a known retry key delivers nothing).
    delivered: Counter[str] = field(default_factory=Counter)
    delay_next_multicast: float = 0.0  # accept, then answer this late (a client timeout)
    multicast_seconds: float = 0.0  # how long every multicast takes to answer
    quota_limit: int | None = None
    quota_used: int = 0
    _issued_tokens: set[str] = field(default_factory=set)
    _accepted_retry_keys: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/message/multicast", self._multicast, methods=["POST"]),
                Route("/v2/bot/message/quota", self._quota, methods=["GET"]),
                Route("/v2/bot/message/quota/consumption", self._consumption, methods=["GET"]),
            ]
        )

    def new_reply_token(self) -> str:
        token = f"reply-token-{next(self._counter)}"
        self._issued_tokens.add(token)
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
        return body, None

    async def _reply(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "reply")
        if refused:
            return refused
        token = body.get("replyToken")
        if token not in self._issued_tokens:
            return _error(400, "Invalid reply token")
        self._issued_tokens.discard(token)  # single use
        return self._sent_messages(body)

    async def _push(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "push")
        if refused:
            return refused
        retried = self._check_retry_key(request)
        if retried:
            return retried
        if body.get("to") in self.blocked_users:
            return _error(403, "The user has blocked the account")
        return self._sent_messages(body)

    async def _multicast(self, request: Request) -> JSONResponse:
        body, refused = await self._common(request, "multicast")
        if refused:
            return refused
        recipients = body.get("to") or []
        if not 1 <= len(recipients) <= MULTICAST_LIMIT:
            return _error(400, f"The number of recipients must be 1 to {MULTICAST_LIMIT}")
        retried = self._check_retry_key(request)
        if retried:
            return retried
        self.delivered.update(recipients)
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

    def _sent_messages(self, body: dict[str, Any]) -> JSONResponse:
        sent = [
            {"id": str(next(self._counter)), "quoteToken": f"q{next(self._counter)}"}
            for _ in body["messages"]
        ]
        return JSONResponse({"sentMessages": sent})

    def _check_retry_key(self, request: Request) -> JSONResponse | None:
        key = request.headers.get("x-line-retry-key")
        if key is None:
            return None
        if key in self._accepted_retry_keys:
            return _error(409, "The retry key is already accepted")
        self._accepted_retry_keys.add(key)
        return None


def _check_messages(messages: Any) -> str | None:
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages must hold 1 to 5 message objects"
    for message in messages:
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


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)
