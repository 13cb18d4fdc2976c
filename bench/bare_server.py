"""The floor to compare chiiki's webhook with: starlette on uvicorn answering 200 to a POST.

`python -m bench.bare_server PORT`
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def webhook(request: Request) -> JSONResponse:
    await request.body()
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
