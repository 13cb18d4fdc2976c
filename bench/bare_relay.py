"""The least a bot must do per update, to compare chiiki with: a starlette endpoint that
answers 200 and then, as chiiki does, replies through the Bot API with one aiohttp session
(sendMessage; answerCallbackQuery first for a button). No storage, no library of objects.

`python -m bench.bare_relay PORT BOT_API_BASE`
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_session: aiohttp.ClientSession | None = None
_tasks: set[asyncio.Task[None]] = set()


async def _call(method: str, params: dict[str, Any]) -> None:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    body = json.dumps(params, ensure_ascii=False)
    async with _session.post(
        f"{sys.argv[2]}/{method}", data=body, headers={"Content-Type": "application/json"}
    ) as response:
        await response.read()


async def _reply(update: dict[str, Any]) -> None:
    query = update.get("callback_query")
    if query is not None:
        await _call("answerCallbackQuery", {"callback_query_id": query["id"]})
        chat = query["message"]["chat"]["id"]
    else:
        chat = update["message"]["chat"]["id"]
    await _call("sendMessage", {"chat_id": chat, "text": "ありがとうございます"})


async def webhook(request: Request) -> JSONResponse:
    update = json.loads(await request.body())
    task = asyncio.create_task(_reply(update))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return JSONResponse({"ok": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[Route("/webhook/telegram", webhook, methods=["POST"]), Route("/healthz", health)]
)

if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )
