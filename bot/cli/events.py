"""`chiiki event`: council events and their reminders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.output import cell, echo
from bot.cli.startup import deliver_with_progress, friendly_errors, run_in_runtime
from bot.staff.actor import cli_actor

if TYPE_CHECKING:
    from rich.table import Table

    from bot.runtime import Runtime


@click.group()
def event() -> None:
    """Council events (地域づくり協議会, 円卓会議) and their reminders."""


@event.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def event_create(file: Path) -> None:
    """Create an event from a YAML file (see README: Events), with its reminders."""
    from bot.staff.events import create_event, load_event_file

    spec = load_event_file(file)

    async def work(runtime: Runtime) -> int:
        services = runtime.services
        return await create_event(
            spec,
            services.events,
            services.pack,
            services.clock(),
            str(file),
            actor=cli_actor(runtime.db),
        )

    event_id = run_in_runtime(work)
    echo(f"created event {event_id}: {spec.title.ja}")


@event.command("list")
@friendly_errors
def event_list() -> None:
    """Every event with its audience and each reminder's state."""
    from rich.console import Console
    from rich.table import Table

    from bot.staff.events import list_events

    async def work(runtime: Runtime) -> Table:
        tz = runtime.settings.tz
        table = Table("id", "title", "starts", "district", "state", "reminded", "reminders")
        for row in await list_events(runtime.services.events, actor=cli_actor(runtime.db)):
            item = row.event
            reminders = ", ".join(
                f"{due.astimezone(tz):%m-%d %H:%M} {cell(state)}" for due, state in row.reminders
            )
            table.add_row(
                str(item.id),
                cell(item.title_ja),
                item.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                cell(item.district or "all"),
                "cancelled" if item.cancelled_at else "planned",
                str(row.audience),
                reminders or "-",
            )
        return table

    Console().print(run_in_runtime(work))


@event.command("cancel")
@click.argument("event_id", type=int)
@friendly_errors
def event_cancel(event_id: int) -> None:
    """Cancel an event: its reminders stop and everyone who followed it is told."""
    from bot.staff.events import cancel_event

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        broadcast_id = await cancel_event(
            services.events,
            services.notices,
            event_id,
            services.clock(),
            actor=cli_actor(runtime.db),
        )
        echo(f"event {event_id} cancelled; telling its followers")
        await deliver_with_progress(runtime, broadcast_id)

    run_in_runtime(work)
