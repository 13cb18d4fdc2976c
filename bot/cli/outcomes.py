"""`chiiki outcome`: what came of a poll or a meeting, told to everyone who took part."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import deliver_with_progress, friendly_errors, run_in_runtime
from bot.staff.actor import cli_actor

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group()
def outcome() -> None:
    """What came of a poll or a meeting (円卓会議), told to everyone who took part."""


@outcome.command("add")
@click.option("--poll", "poll_id", type=int, help="The poll this outcome is about.")
@click.option("--event", "event_id", type=int, help="The meeting (event) it is about.")
@click.option("--decided", required=True, help="What was decided, in Japanese.")
@click.option("--decided-en", default=None, help="The same in English (optional).")
@click.option("--decided-easy", default=None, help="The same in やさしい日本語 (optional).")
@click.option(
    "--next", "next_actors", required=True, help="Who acts next: actor ids, comma-separated."
)
@friendly_errors
def outcome_add(
    poll_id: int | None,
    event_id: int | None,
    decided: str,
    decided_en: str | None,
    decided_easy: str | None,
    next_actors: str,
) -> None:
    """Record an outcome and tell the poll's voters or the meeting's followers."""
    from bot.staff.outcomes import OutcomeError, new_outcome, record_outcome

    if (poll_id is None) == (event_id is None):
        raise OutcomeError("give either --poll ID or --event ID")

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        kind, subject_id = ("poll", poll_id) if poll_id is not None else ("event", event_id)
        assert subject_id is not None
        spec = new_outcome(
            services.pack,
            kind,
            subject_id,
            decided,
            decided_en,
            decided_easy,
            next_actors.split(","),
        )
        outcome_id, broadcast_id = await record_outcome(
            services.outcomes,
            services.notices,
            services.pack,
            spec,
            services.clock(),
            actor=cli_actor(runtime.db),
        )
        echo(f"recorded outcome {outcome_id}; telling everyone who took part")
        if broadcast_id is not None:
            await deliver_with_progress(runtime, broadcast_id)

    run_in_runtime(work)


@outcome.command("list")
@friendly_errors
def outcome_list() -> None:
    """The latest outcomes."""

    async def work(runtime: Runtime) -> list[str]:
        tz = runtime.settings.tz
        return [
            f"{o.id}\t{o.created_at.astimezone(tz):%Y-%m-%d}\t{o.subject.kind}"
            f" {o.subject.id}\t{' '.join(o.next_actors)}\t{o.decided_ja}"
            for o in await runtime.services.outcomes.recent(50)
        ]

    for row in run_in_runtime(work):
        echo(row)
