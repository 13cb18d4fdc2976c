"""`chiiki voices`: 地域の声 from a terminal: list, read, move on, answer, publish."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import friendly_errors, run_in_runtime
from bot.staff.actor import cli_actor

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.runtime import Runtime
    from bot.storage.voices import Voice, VoiceRepository

KINDS = ("opinion", "problem", "question")


def _voices(runtime: Runtime) -> VoiceRepository:
    assert runtime.services.voices is not None
    return runtime.services.voices


def _line(voice: Voice, tz: ZoneInfo) -> str:
    # One line a voice; its text flattened so a line break written by a resident cannot fake
    # another row.
    body = " ".join(voice.body.split())
    short = body if len(body) <= 60 else body[:60] + "…"
    return (
        f"{voice.id}\t{voice.receipt}\t{voice.created_at.astimezone(tz):%Y-%m-%d}"
        f"\t{voice.district or '-'}\t{voice.kind.value}\t{voice.state.value}"
        f"\t{voice.supports}\t{short}"
    )


@click.group()
def voices() -> None:
    """地域の声: what residents sent to their district, and the city's answers."""


@voices.command("list")
@click.option("--district", default=None, help="Only this district (an id from the pack).")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only this kind.")
@click.option("--state", default=None, help="received, reviewing, taken_up, answered, declined.")
@friendly_errors
def voices_list(district: str | None, kind: str | None, state: str | None) -> None:
    """The newest voices: id, receipt, day, district, kind, state, supports, text."""
    from bot.staff.voices import parse_state
    from bot.storage.voices import VoiceKind

    wanted_state = parse_state(state) if state else None

    async def work(runtime: Runtime) -> list[str]:
        found = await _voices(runtime).search(
            district, VoiceKind(kind) if kind else None, wanted_state, limit=100
        )
        return [_line(voice, runtime.settings.tz) for voice in found]

    for row in run_in_runtime(work):
        echo(row)


@voices.command("show")
@click.argument("voice_id", type=int)
@friendly_errors
def voices_show(voice_id: int) -> None:
    """One voice in full: text, place (with a map link), photo, state and answer."""
    from bot.staff.voices import find, map_link

    async def work(runtime: Runtime) -> list[str]:
        voice = await find(_voices(runtime), voice_id)
        lines = [
            f"voice {voice.id} (receipt {voice.receipt}), {voice.kind.value}, {voice.state.value}",
            f"district: {voice.district or '-'}   supports: {voice.supports}"
            f"   published: {'yes' if voice.published else 'no'}"
            f"   may contact: {'yes' if voice.contact_ok else 'no'}",
            f"sent: {voice.created_at.astimezone(runtime.settings.tz):%Y-%m-%d %H:%M}",
        ]
        if voice.place.name:
            lines.append(f"place: {voice.place.name}")
        if voice.place.has_point:
            lines.append(f"map: {map_link(voice.place)}")
        if voice.has_photo:
            lines.append("photo: yes (see it on the dashboard)")
        if voice.event_id is not None:
            lines.append(f"taken up at event {voice.event_id}")
        if voice.reason:
            lines.append(f"reason: {voice.reason}")
        if voice.answer is not None:
            lines.append(f"answer: {voice.answer.ja}")
        lines += ["", voice.body]
        return lines

    for line in run_in_runtime(work):
        echo(line)


@voices.command("state")
@click.argument("voice_id", type=int)
@click.argument("state")
@click.option("--reason", default=None, help="Why the city will not act (declined).")
@click.option("--event", "event_id", type=int, default=None, help="The meeting (taken_up).")
@friendly_errors
def voices_state(voice_id: int, state: str, reason: str | None, event_id: int | None) -> None:
    """Move a voice on: reviewing, taken_up --event ID, declined --reason TEXT."""
    from bot.staff.voices import change_state, parse_state

    wanted = parse_state(state)

    async def work(runtime: Runtime) -> str:
        services = runtime.services
        voice = await change_state(
            _voices(runtime),
            services.notices,
            voice_id,
            wanted,
            services.clock(),
            reason=reason,
            event_id=event_id,
            actor=cli_actor(runtime.db),
        )
        return f"voice {voice.id} is {voice.state.value}"

    echo(run_in_runtime(work))


@voices.command("answer")
@click.argument("voice_id", type=int)
@click.option("--text", "text_ja", required=True, help="The answer in Japanese.")
@click.option("--text-en", default=None, help="The same in English (optional).")
@click.option("--text-easy", default=None, help="The same in やさしい日本語 (optional).")
@friendly_errors
def voices_answer(voice_id: int, text_ja: str, text_en: str | None, text_easy: str | None) -> None:
    """Answer a voice; the resident gets it on their channel (the server sends it)."""
    from bot.staff.voices import answer

    async def work(runtime: Runtime) -> str:
        services = runtime.services
        voice = await answer(
            _voices(runtime),
            services.notices,
            voice_id,
            text_ja,
            services.clock(),
            en=text_en,
            easy=text_easy,
            actor=cli_actor(runtime.db),
        )
        return f"voice {voice.id} answered; the answer is queued for the resident"

    echo(run_in_runtime(work))


@voices.command("publish")
@click.argument("voice_id", type=int)
@click.option("--off", is_flag=True, help="Stop showing it.")
@friendly_errors
def voices_publish(voice_id: int, off: bool) -> None:
    """Show a voice (text only, no name) to its district's residents, who may support it."""
    from bot.staff.voices import publish

    async def work(runtime: Runtime) -> str:
        voice = await publish(
            _voices(runtime),
            voice_id,
            not off,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
        )
        return f"voice {voice.id} is {'published' if voice.published else 'not published'}"

    echo(run_in_runtime(work))
