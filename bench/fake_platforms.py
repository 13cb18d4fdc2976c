"""Fake LINE and Telegram servers in their own process, so they do not share the sender's CPU.

`python -m bench.fake_platforms PORT [--telegram-limit N]`: Telegram at /telegram/bot…, LINE at
/line/v2/…, and GET /stats with what they received.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.fakes.line import FakeLine
from tests.fakes.telegram import FakeTelegram


def build(telegram: FakeTelegram, line: FakeLine) -> Starlette:
    async def stats(request: Request) -> JSONResponse:
        methods: dict[str, int] = {}
        for method, _ in telegram.calls:
            methods[method] = methods.get(method, 0) + 1
        return JSONResponse(
            {
                "telegram_methods": methods,
                "telegram_delivered": sum(telegram.delivered.values()),
                "telegram_chats": len(telegram.delivered),
                "telegram_refused_429": telegram.refused_429,
                "telegram_first_sent_at": {str(k): v for k, v in telegram.first_sent_at.items()},
                "line_multicasts": len(line.sent("multicast")),
                "line_delivered": sum(line.delivered.values()),
                "line_recipients": len(line.delivered),
            }
        )

    return Starlette(
        routes=[
            Route("/stats", stats),
            Mount("/telegram", telegram.app()),
            Mount("/line", line.app()),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--telegram-limit", type=int, default=None)
    args = parser.parse_args()
    telegram = FakeTelegram(limit_per_second=args.telegram_limit)
    uvicorn.run(
        build(telegram, FakeLine()),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
