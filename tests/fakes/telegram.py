"""A fake Telegram Bot API: records calls; 429 with retry_after, 403 for blocked chats."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.content import HostedFile

TOKEN = "123456:fake-token"
# getFile refuses larger files: bots cannot download them.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)
    # The next N calls are refused with 429 and this retry_after (whole seconds, as Telegram).
    refuse_next: int = 0
    retry_after: int = 1
    # The next N calls fail with 502.
    fail_next: int = 0
    # The next N sendMessage calls are refused with 400 (a refusal no retry of the call cures).
    refuse_sends: int = 0
    pending_updates: list[dict[str, Any]] = field(default_factory=list)
    # Like the real API: more sendMessage calls than this in one second get 429 retry_after=1.
    limit_per_second: int | None = None
    delivered: Counter[int] = field(default_factory=Counter)
    # The texts of the messages that reached each chat, in order.
    received: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    # sendMessage of exactly this text fails with 502 (nothing sent), this many more times.
    fail_text: dict[str, int] = field(default_factory=dict)
    # sendMessage of exactly this text is delivered, then answered 502 (the answer lost on the
    # way, as a timeout would), this many more times.
    lose_text: dict[str, int] = field(default_factory=dict)
    refused_429: int = 0
    send_seconds: float = 0.0  # how long sendMessage takes to answer
    first_sent_at: dict[int, float] = field(default_factory=dict)  # chat → wall-clock time
    # Files residents sent, by file_id, as getFile and the file URL serve them.
    files: dict[str, HostedFile] = field(default_factory=dict)
    declare_file_sizes: bool = True  # getFile's file_size (Telegram may leave it out)
    send_file_lengths: bool = True  # the download's Content-Length
    # getFile's file_path for a file_id, when not documents/<id>.jpg (a hostile or broken one).
    file_paths: dict[str, str] = field(default_factory=dict)
    # The download of a file_id answered with a 302 to this URL instead of its bytes.
    redirects: dict[str, str] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)
    _message_id: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    def add_file(self, file_id: str, data: bytes | None = None, size: int = 0) -> HostedFile:
        """A file a resident sent: `data`, or `size` bytes of zeros."""
        self.files[file_id] = HostedFile(data, size)
        return self.files[file_id]

    def downloads(self) -> list[str]:
        return [params["path"] for name, params in self.calls if name == "download"]

    async def _download(self, request: Request) -> Response:
        path = request.path_params["path"]
        self.calls.append(("download", {"path": path}))
        file_id = path.removeprefix("documents/").removesuffix(".jpg")
        if request.path_params["token"] != self.token or file_id not in self.files:
            return _error(404, "Not Found")
        if file_id in self.redirects:
            return Response(status_code=302, headers={"location": self.redirects[file_id]})
        return self.files[file_id].response(request, "image/jpeg", self.send_file_lengths)

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        self.calls.append((method, params))
        if self.fail_next:
            self.fail_next -= 1
            return _error(502, "Bad Gateway")
        if method == "sendMessage" and _take(self.fail_text, params.get("text")):
            return _error(502, "Bad Gateway")
        if method == "sendMessage" and self.refuse_sends:
            self.refuse_sends -= 1
            return _error(400, "Bad Request: refused by the test")
        if method == "sendMessage" and self._over_limit():
            self.refused_429 += 1
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if self.refuse_next:
            self.refuse_next -= 1
            self.refused_429 += 1
            return _error(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if method == "getFile":
            hosted = self.files.get(str(params.get("file_id")))
            if hosted is None:
                return _error(400, "Bad Request: invalid file_id")
            if hosted.size > DOWNLOAD_LIMIT:
                return _error(400, "Bad Request: file is too big")
        result = await self._result(method, params)
        if method == "sendMessage" and _take(self.lose_text, params.get("text")):
            return _error(502, "Bad Gateway")
        return JSONResponse({"ok": True, "result": result})

    def _over_limit(self) -> bool:
        if self.limit_per_second is None:
            return False
        now = time.monotonic()
        while self._recent and self._recent[0] < now - 1:
            self._recent.popleft()
        if len(self._recent) >= self.limit_per_second:
            return True
        self._recent.append(now)
        return False

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "chiiki", "username": "chiiki_bot"}
        if method in {"sendMessage", "editMessageText"}:
            await asyncio.sleep(self.send_seconds)
            text = params["text"]
            units = len(text.encode("utf-16-le")) // 2  # counted as the channel counts it
            if not 1 <= units <= 4096:
                raise AssertionError(f"Telegram would refuse text of {units} UTF-16 units")
            self._message_id += 1
            self.delivered[int(params["chat_id"])] += 1
            self.received[int(params["chat_id"])].append(text)
            self.first_sent_at.setdefault(int(params["chat_id"]), time.time())
            return {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": text,
            }
        if method == "sendPhoto":
            photo, caption = params["photo"], params.get("caption", "")
            if not isinstance(photo, bytes) or photo[:8] != b"\x89PNG\r\n\x1a\n":
                raise AssertionError("this fake takes photos uploaded as PNG files")
            if len(photo) > 10 * 1024 * 1024 or len(caption) > 1024:
                raise AssertionError("Telegram would refuse a photo over 10 MB or a long caption")
            self._message_id += 1
            return {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "photo": [
                    {
                        "file_id": f"photo-{self._message_id}",
                        "file_unique_id": "u",
                        "width": 960,
                        "height": 400,
                    }
                ],
            }
        if method == "getFile":
            return self._get_file(str(params["file_id"]))
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            ready = [u for u in self.pending_updates if u["update_id"] >= offset]
            if not ready:
                await asyncio.sleep(0.05)  # a very short long poll
            return ready
        return True

    def _get_file(self, file_id: str) -> dict[str, Any]:
        result: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_path": self.file_paths.get(file_id, f"documents/{file_id}.jpg"),
        }
        if self.declare_file_sizes:
            result["file_size"] = self.files[file_id].size
        return result


def _take(counts: dict[str, int], text: object) -> bool:
    """Whether `text` is counted in `counts` (one count used up)."""
    if isinstance(text, str) and counts.get(text, 0) > 0:
        counts[text] -= 1
        return True
    return False


async def _params(request: Request) -> dict[str, Any]:
    """PTB posts form fields whose values are JSON; decode both layers."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, UploadFile):  # a photo or document sent as a file
            params[key] = await value.read()
            continue
        text = str(value)
        try:
            params[key] = json.loads(text)
        except json.JSONDecodeError:
            params[key] = text
    return params


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)
