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
    from bot.storage.watch.counter import CounterSignup


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
        table = Table(
            "id", "when", "route", "volunteers", "free", "waitlist", "counter sign-ups", "state"
        )
        for line in lines:
            table.add_row(
                str(line.shift.id),
                line.shift.starts_at.astimezone(tz).strftime("%m-%d %H:%M"),
                cell(line.route.name_ja),
                cell(", ".join(line.volunteers) or "-"),
                str(line.shift.free),
                cell(", ".join(line.waitlist) or "-"),
                # Their ids, for `chiiki watch counter-cancel`.
                cell(", ".join(_counter_entry(c) for c in line.counter) or "-"),
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


@watch.command("counter-signup")
@click.argument("shift_id", type=int)
@click.option("--name", required=True, help="The name for the roster (at most 40 characters).")
@click.option(
    "--consent",
    "consent_via",
    required=True,
    type=click.Choice(["counter", "phone"]),
    help="How the person agreed to their name on the roster: at the counter or by phone.",
)
@friendly_errors
def watch_counter_signup(shift_id: int, name: str, consent_via: str) -> None:
    """Sign up someone who phoned or came to the counter, by name (no chat account: they are
    on the roster, marked 窓口, and are never sent anything)."""
    from bot.staff.watch_counter import sign_up_at_counter

    async def work(runtime: Runtime) -> str:
        result = await sign_up_at_counter(
            runtime.services.watch,
            shift_id,
            name,
            consent_via,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
        )
        if result.waitlist_position is not None:
            return (
                f"sign-up {result.signup_id}: shift {shift_id} is full, so number"
                f" {result.waitlist_position} on the waitlist; staff tell them if they move up"
            )
        return f"sign-up {result.signup_id}: confirmed on shift {shift_id}"

    echo(run_in_runtime(work))


@watch.command("counter-cancel")
@click.argument("signup_id", type=int)
@friendly_errors
def watch_counter_cancel(signup_id: int) -> None:
    """Cancel a counter sign-up (its id is in `chiiki watch roster`); the first on the waitlist
    moves up, and a resident moved up is told."""
    from bot.staff.watch_counter import cancel_counter_signup

    async def work(runtime: Runtime) -> str:
        services = runtime.services
        cancelled = await cancel_counter_signup(
            services.watch,
            services.notices,
            signup_id,
            services.clock(),
            actor=cli_actor(runtime.db),
        )
        said = f"sign-up {signup_id} cancelled"
        if cancelled.promoted is not None:
            said += f"; {cancelled.promoted.label} moved up from the waitlist: tell them"
        return said

    echo(run_in_runtime(work))


def _counter_entry(signup: CounterSignup) -> str:
    moved = " (moved up from the waitlist: tell them)" if signup.moved_up_at else ""
    return f"{signup.id}: {signup.label}{moved}"
