"""`chiiki poll`: create, list, close, results and comments."""

from __future__ import annotations

import sys
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
def poll() -> None:
    """Opinion polls: create, list, close, results."""


@poll.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def poll_create(file: Path) -> None:
    """Create a poll from a YAML file (see README: Polls). Nothing is created if it is invalid."""
    from bot.staff.polls import create_poll, load_poll_file

    spec = load_poll_file(file)

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        poll_id, broadcast_id = await create_poll(
            spec,
            services.polls,
            services.pack,
            services.clock(),
            str(file),
            services.notices,
            actor=cli_actor(runtime.db),
        )
        echo(f"created poll {poll_id}: {spec.question.ja}")
        if broadcast_id is not None:
            echo("announcing it")
            await deliver_with_progress(runtime, broadcast_id)

    run_in_runtime(work)


@poll.command("list")
@friendly_errors
def poll_list() -> None:
    """Every poll with its state and number of answers."""
    from rich.console import Console
    from rich.table import Table

    from bot.staff.polls import list_polls

    async def work(runtime: Runtime) -> Table:
        tz, now = runtime.settings.tz, runtime.services.clock()
        table = Table("id", "question", "kind", "district", "closes", "state", "answers")
        for item, ballots in await list_polls(runtime.services.polls, actor=cli_actor(runtime.db)):
            table.add_row(
                str(item.id),
                cell(item.question_ja),
                "multiple" if item.multiple else "single",
                cell(item.district or "all"),
                item.closes_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "open" if item.is_open(now) else "closed",
                str(ballots),
            )
        return table

    Console().print(run_in_runtime(work))


@poll.command("close")
@click.argument("poll_id", type=int)
@friendly_errors
def poll_close(poll_id: int) -> None:
    """Close a poll now; no answer is taken after this."""
    from bot.staff.polls import close_poll

    async def work(runtime: Runtime) -> bool:
        services = runtime.services
        return await close_poll(
            services.polls, poll_id, services.clock(), actor=cli_actor(runtime.db)
        )

    if not run_in_runtime(work):
        echo(f"chiiki: poll {poll_id} does not exist or is already closed", err=True)
        sys.exit(1)
    echo(f"closed poll {poll_id}")


@poll.command("results")
@click.argument("poll_id", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="Counts as CSV (small districts merged).")
@friendly_errors
def poll_results(poll_id: int, as_csv: bool) -> None:
    """Results: counts, percentages and bars; never who answered what."""
    from bot.staff.polls import export_results_csv, poll_report
    from handlers.polls import format_tally

    async def work(runtime: Runtime) -> str | None:
        actor = cli_actor(runtime.db)
        if as_csv:
            return await export_results_csv(
                runtime.services.polls, poll_id, runtime.services.clock(), actor=actor
            )
        report = await poll_report(runtime.services.polls, poll_id, actor=actor)
        if report is None:
            return None
        heading = (
            f"{report.poll.question_ja} ({report.tally.ballots} answers, "
            f"{report.comments} comments)"
        )
        return format_tally(report.poll, report.tally, "ja", heading)

    output = run_in_runtime(work)
    if output is None:
        echo(f"chiiki: no poll {poll_id}", err=True)
        sys.exit(1)
    echo(output, nl=not as_csv)


@poll.command("comments")
@click.argument("poll_id", type=int)
@friendly_errors
def poll_comments(poll_id: int) -> None:
    """The free-text comments, in text order, without who or when."""

    async def work(runtime: Runtime) -> list[str]:
        return await runtime.services.polls.comments(poll_id)

    for comment in run_in_runtime(work):
        echo(f"- {comment}")
