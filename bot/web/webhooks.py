"""Platform webhooks: verify first, store the events, answer 200; the inbox handles them."""

from __future__ import annotations

import logging
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.line import split_replays
from bot.channels.telegram import TelegramChannel
from bot.core import Channel
from bot.runtime import Runtime
from bot.web.bodies import parse_json, read_body

logger = logging.getLogger(__name__)

# Far above any real update; anything bigger is not from the platform.
WEBHOOK_BODY_LIMIT = 1024 * 1024
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"
LINE_SIGNATURE_HEADER = "x-line-signature"


def _refuse_while_stopping(runtime: Runtime) -> None:
    """A stopping instance stores nothing more: 503, and the platform delivers it again."""
    if not runtime.inbox.accepting:
        raise HTTPException(503, "shutting down; send it again", headers={"Retry-After": "1"})


async def telegram_webhook(request: Request, runtime: Runtime) -> Response:
    secret = runtime.settings.telegram_webhook_secret
    if runtime.telegram is None or secret is None:
        raise HTTPException(404, "Telegram is not configured (TELEGRAM_BOT_TOKEN, ..._SECRET)")
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if not secrets.compare_digest(given.encode(), secret.get_secret_value().encode()):
        logger.warning("Telegram webhook with a wrong secret token refused")
        raise HTTPException(403, "wrong secret token")
    _refuse_while_stopping(runtime)
    update = parse_json(await read_body(request, WEBHOOK_BODY_LIMIT))
    # Read once: the event id, the sender, the press to answer and the message all come from
    # this one parse.
    event = runtime.telegram.read(update) if isinstance(update, dict) else None
    if event is None:
        raise HTTPException(400, "expected a Telegram Update with an integer update_id")
    await runtime.inbox.accept(Channel.TELEGRAM, [(update, event)])
    # Also for a redelivered press: Telegram sends an update again only when it did not get
    # our answer, so the press was not answered either.
    return JSONResponse(TelegramChannel.webhook_answer(event))


async def line_webhook(request: Request, runtime: Runtime) -> Response:
    if runtime.line is None:
        raise HTTPException(404, "LINE is not configured (LINE_CHANNEL_SECRET, ..._ACCESS_TOKEN)")
    body = await read_body(request, WEBHOOK_BODY_LIMIT)
    if not runtime.line.verify(body, request.headers.get(LINE_SIGNATURE_HEADER)):
        logger.warning("LINE webhook with a missing or wrong signature refused")
        raise HTTPException(400, "missing or wrong X-Line-Signature")
    _refuse_while_stopping(runtime)
    try:
        events = runtime.line.read_body(parse_json(body))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    settings = runtime.settings
    oldest = settings.retention.event_ids.cutoff(runtime.services.clock(), settings.tz)
    events, replays = split_replays(events, oldest)
    if replays:
        # Acknowledged (LINE would only send them again) but never handled; ids only.
        logger.warning(
            "refused %d LINE event(s) older than the de-duplication window: %s",
            len(replays),
            ", ".join(replays[:10]),
        )
    await runtime.inbox.accept(Channel.LINE, events)
    return JSONResponse({})
