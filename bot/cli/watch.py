"""`chiiki watch`: school-route watch routes, shifts and rosters."""

from __future__ import annotations

from datetime import datetime
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
def watch() -> None:
    """School-route watch (登下校見守り): routes, shifts, rosters."""


@watch.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def watch_load(file: Path) -> None:
    """Add routes and shifts from a YAML file (see README); loading it again changes nothing."""
    from bot.staff.watch import load_watch, load_watch_file

    spec = load_watch_file(file)

    async def work(runtime: Runtime) -> str:
        services = runtime.services
        result = await load_watch(
            spec,
            services.watch,
            services.pack,
            runtime.settings,
            services.clock(),
            str(file),
            actor=cli_actor(runtime.db),
        )
        return (
            f"routes added {result.routes_added}; shifts added {result.shifts_added}, "
            f"changed {result.shifts_changed}, unchanged {result.unchanged}"
        )

    echo(run_in_runtime(work))


@watch.command("roster")
@click.option("--date", "day", help="One day, YYYY-MM-DD (default: the next 14 days).")
@click.option("--route", help="One route id.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet.")
@friendly_errors
def watch_roster(day: str | None, route: str | None, as_csv: bool) -> None:
    """Who is on which shift, the places still free, and who is waiting."""
    from datetime import date, timedelta

    from rich.console import Console
    from rich.table import Table

    from bot.errors import ChiikiError
    from bot.staff.watch import export_roster_csv, roster

    async def work(runtime: Runtime) -> str | Table:
        tz = runtime.settings.tz
        if day is None:
            start = runtime.services.clock().astimezone(tz)
            end = start + timedelta(days=14)
        else:
            try:
                first = date.fromisoformat(day)
            except ValueError:
                raise ChiikiError(f"--date: {day!r} is not YYYY-MM-DD") from None
            start = datetime.combine(first, datetime.min.time(), tz)
            end = start + timedelta(days=1)
        actor = cli_actor(runtime.db)
        if as_csv:
            return await export_roster_csv(
                runtime.services.watch,
                start,
                end,
                route,
                tz,
                runtime.services.clock(),
                actor=actor,
            )
        lines = await roster(runtime.services.watch, start, end, route, actor=actor)
        table = Table("id", "when", "route", "volunteers", "free", "waitlist", "state")
        for line in lines:
            table.add_row(
                str(line.shift.id),
                line.shift.starts_at.astimezone(tz).strftime("%m-%d %H:%M"),
                cell(line.route.name_ja),
                cell(", ".join(line.volunteers) or "-"),
                str(line.shift.free),
                cell(", ".join(line.waitlist) or "-"),
                "cancelled" if line.shift.cancelled_at else "planned",
            )
        return table

    output = run_in_runtime(work)
    if isinstance(output, str):
        echo(output, nl=False)
    else:
        Console().print(output)


@watch.command("cancel-shift")
@click.argument("shift_id", type=int)
@click.option(
    "--reason", required=True, help="Told to everyone on the shift (rain, school closure)."
)
@friendly_errors
def watch_cancel_shift(shift_id: int, reason: str) -> None:
    """Cancel a shift: everyone signed up or waiting is told why."""
    from bot.staff.watch import cancel_shift

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        broadcast_id = await cancel_shift(
            services.watch,
            services.notices,
            shift_id,
            reason,
            services.clock(),
            actor=cli_actor(runtime.db),
        )
        echo(f"shift {shift_id} cancelled; telling its volunteers")
        await deliver_with_progress(runtime, broadcast_id)

    run_in_runtime(work)
