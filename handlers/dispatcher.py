"""The one path every message takes: resident, parse, guard, route, handle, log."""

from __future__ import annotations

import dataclasses
import logging
import time

from bot.core import MAX_CHOICE_DATA_BYTES, IncomingMessage, Reply
from handlers.context import HandlerContext, Services
from handlers.menu import main_menu
from handlers.routes import KEYWORDS
from handlers.routing import Request, Router, parse_request

logger = logging.getLogger(__name__)

# Longer input is not something any of our flows expects; refuse it before parsing.
MAX_INPUT_CHARS = 1000


def language_from_hint(hint: str | None) -> str:
    return "en" if hint and hint.lower().startswith("en") else "ja"


def _too_long(ctx: HandlerContext) -> Reply:
    return Reply(ctx.t("input.too_long", limit=MAX_INPUT_CHARS), main_menu(ctx))


class Dispatcher:
    def __init__(self, router: Router, services: Services) -> None:
        self._router = router
        self._services = services

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message. Never raises for bad input; a failing handler gets an apology."""
        started = time.perf_counter()
        now = self._services.clock()
        resident = await self._services.residents.get_or_create(
            message.channel, message.user_id, language_from_hint(message.language_hint), now
        )
        if resident.linked_to is not None:
            # Another channel of a linked resident: they act as the one resident they are.
            resident = await self._services.residents.get(resident.linked_to) or resident
        ctx = HandlerContext(self._services, resident, now)
        route_name, replies = await self._answer(message, ctx)
        logger.info(
            "handled channel=%s kind=%s route=%s ms=%.1f",
            message.channel,
            "choice" if message.data else "attachment" if message.attachments else "text",
            route_name,
            (time.perf_counter() - started) * 1000,
            extra={"channel": message.channel, "route": route_name},
        )
        return replies

    async def _answer(
        self, message: IncomingMessage, ctx: HandlerContext
    ) -> tuple[str, list[Reply]]:
        if len(message.text or "") > MAX_INPUT_CHARS:
            return "too-long", [_too_long(ctx)]
        if len((message.data or "").encode("utf-8")) > MAX_CHOICE_DATA_BYTES:
            # Longer than any choice we ever send: not ours, or tampered with.
            return "stale-choice", [Reply(ctx.t("fallback.stale_choice"), main_menu(ctx))]
        request = parse_request(message, KEYWORDS)
        if len(request.text) > MAX_INPUT_CHARS:
            # Folding (NFKC) can make one character 18 (U+FDFA): the limit holds for what
            # handlers read, too.
            return "too-long", [_too_long(ctx)]
        if not request.text and not message.data and not message.attachments:
            return "unreadable", [Reply(ctx.t("input.unreadable"), main_menu(ctx))]
        if request.may_answer_the_bot:
            state = await self._services.conversations.current(ctx.resident.id, ctx.now)
            request = dataclasses.replace(request, state=state)
        route = self._router.resolve(request)
        if not route.takes(message.attachments):
            # A photo or place nobody asked for: said kindly, and nothing is downloaded.
            reply = Reply(ctx.t("input.attachment_not_expected"), main_menu(ctx))
            return "attachment-not-expected", [reply]
        try:
            return route.name, await route.handle(request, ctx)
        except Exception:
            logger.exception("route %s failed", route.name)
            return route.name, [Reply(ctx.t("error.sorry"), main_menu(ctx))]


__all__ = ["Dispatcher", "Request"]
