"""Routing is 'match, then handle': a request, routes that may match it, and the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core import (
    Attachment,
    AttachmentKind,
    IncomingMessage,
    Reply,
    fold_keyword,
    normalize_input,
)
from bot.core.choices import COMMAND_CHOICE, ChoiceData, decode_choice
from bot.core.commands import Command
from bot.storage.conversations import ConversationState
from handlers.context import HandlerContext


@dataclass(frozen=True, slots=True)
class Request:
    """An incoming message, parsed once: a command, a tapped choice, or free text."""

    message: IncomingMessage
    text: str
    command: str | None = None
    args: tuple[str, ...] = ()
    choice: ChoiceData | None = None
    # The resident's conversation state, looked up only for free text (it may be an answer).
    state: ConversationState | None = None

    @property
    def is_free_text(self) -> bool:
        return self.command is None and self.choice is None and bool(self.text)

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        """The photos, places or files sent (the message's text is their caption)."""
        return self.message.attachments

    @property
    def may_answer_the_bot(self) -> bool:
        """Typed text or an attachment, not a command or choice: it may answer a question the
        bot asked (the conversation state says which)."""
        return self.command is None and self.choice is None and bool(self.text or self.attachments)


def parse_request(message: IncomingMessage, keywords: Mapping[str, str]) -> Request:
    """Read `/goals`, `/goals@bot`, a keyword such as 目標, or choice data such as `goal:know`."""
    text = normalize_input(message.text or "")
    if message.data:
        choice = decode_choice(message.data)
        if choice.action == COMMAND_CHOICE and choice.args:
            return Request(message, text, command=choice.args[0], args=choice.args[1:])
        return Request(message, text, choice=choice)
    if text.startswith("/"):
        head, *rest = text[1:].split() or [""]
        return Request(message, text, command=head.split("@")[0].lower(), args=tuple(rest))
    # 「アンケート。」 and 「地域の しくみ」 are the keyword too.
    command = keywords.get(text.lower()) or keywords.get(fold_keyword(text))
    return Request(message, text, command=command)


Handler = Callable[[Request, HandlerContext], Awaitable[list[Reply]]]
Matcher = Callable[[Request], bool]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    matches: Matcher
    handle: Handler
    # The attachments this route's handler takes; a message with any other goes no further
    # than the dispatcher's kind answer (handlers that never asked for a photo never see one).
    accepts: frozenset[AttachmentKind] = frozenset()

    def takes(self, attachments: tuple[Attachment, ...]) -> bool:
        return all(attachment.kind in self.accepts for attachment in attachments)


def on_command(*commands: Command) -> Matcher:
    """Only commands of the table (bot/core/commands.py) can be routed: none is left out of it."""
    wanted = frozenset(command.name for command in commands)
    return lambda request: request.command in wanted


def command_route(command: Command, handle: Handler) -> Route:
    return Route(command.name, on_command(command), handle)


def on_choice(action: str) -> Matcher:
    return lambda request: request.choice is not None and request.choice.action == action


def in_state(state: str) -> Matcher:
    """Free text from a resident the bot is waiting on (a comment, a name)."""
    return lambda request: (
        request.is_free_text and request.state is not None and request.state.state == state
    )


def awaiting(state: str) -> Matcher:
    """Text or an attachment (a photo, a place) from a resident the bot asked for one; give
    the route `accepts` for the kinds it takes."""
    return lambda request: (
        request.may_answer_the_bot and request.state is not None and request.state.state == state
    )


class Router:
    """The first route that matches wins; `fallback` answers everything else."""

    def __init__(self, routes: list[Route], fallback: Route) -> None:
        self.routes = routes
        self.fallback = fallback

    def resolve(self, request: Request) -> Route:
        return next((route for route in self.routes if route.matches(request)), self.fallback)
