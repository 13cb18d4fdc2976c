"""The floors to compare chiiki's webhook with, in starlette on uvicorn:

    python -m bench.bare_server PORT                 # answer 200 to a POST, nothing else
    python -m bench.bare_server PORT BOT_API_BASE    # and then reply, as chiiki does (a relay)

The relay is the least a bot must do per update: answer 200 (for a button, an answer that asks
Telegram to run answerCallbackQuery, as chiiki's does), then reply through the Bot API with one
aiohttp sendMessage. Nothing is stored, and no library turns the JSON into objects.
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

BOT_API_BASE = sys.argv[2] if len(sys.argv) > 2 else None
_session: aiohttp.ClientSession | None = None
_tasks: set[asyncio.Task[None]] = set()


async def _call(method: str, params: dict[str, Any]) -> None:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    body = json.dumps(params, ensure_ascii=False)
    headers = {"Content-Type": "application/json"}
    async with _session.post(f"{BOT_API_BASE}/{method}", data=body, headers=headers) as answer:
        await answer.read()


async def _reply(chat: int) -> None:
    await _call("sendMessage", {"chat_id": chat, "text": "ありがとうございます"})


async def webhook(request: Request) -> JSONResponse:
    body = await request.body()
    if BOT_API_BASE is None:
        return JSONResponse({"ok": True})
    update = json.loads(body)
    query = update.get("callback_query")
    chat = (query or update)["message"]["chat"]["id"]
    task = asyncio.create_task(_reply(chat))
    _tasks.add(task)  # asyncio holds tasks weakly
    task.add_done_callback(_tasks.discard)
    if query is None:
        return JSONResponse({"ok": True})
    return JSONResponse({"method": "answerCallbackQuery", "callback_query_id": query["id"]})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[Route("/webhook/telegram", webhook, methods=["POST"]), Route("/healthz", health)]
)

if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )
