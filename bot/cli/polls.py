"""`chiiki poll`: create, list, close, results, comments and paper ballots (紙・窓口)."""

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
    from bot.staff.paper_ballots import PaperRecorded


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
        online, paper = report.counted.online, report.counted.paper
        heading = (
            f"{report.poll.question_ja} ({report.tally.ballots} answers, "
            f"{report.comments} comments)"
        )
        lines = [format_tally(report.poll, report.tally, "ja", heading)]
        if paper.ballots:
            lines.append(f"online {online.ballots} + paper (紙・窓口) {paper.ballots}:")
            lines.extend(
                f"   {c.position}. {c.label_ja}: {online.counts.get(c.position, 0)}"
                f" + {paper.counts.get(c.position, 0)}"
                for c in report.poll.choices
            )
        return "\n".join(lines)

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


def _votes(pairs: tuple[str, ...]) -> dict[int, int]:
    """ "1=12 2=30" (in one argument or several) → {1: 12, 2: 30}."""
    votes: dict[int, int] = {}
    for pair in " ".join(pairs).replace(",", " ").split():
        position, sep, count = pair.partition("=")
        if not sep or not position.isdigit() or not count.lstrip("-").isdigit():
            raise click.BadParameter(
                f"{pair!r}: write CHOICE=VOTES, like 1=12", param_hint="votes"
            )
        if int(position) in votes:
            raise click.BadParameter(f"choice {position} is given twice", param_hint="votes")
        votes[int(position)] = int(count)
    return votes


@poll.command("paper")
@click.argument("poll_id", type=int)
@click.argument("more_votes", nargs=-1, metavar="[CHOICE=VOTES]...")
@click.option("--district", default="", help="The district's id (none: no district).")
@click.option("--ballots", type=int, required=True, help="How many paper ballots.")
@click.option(
    "--votes",
    multiple=True,
    metavar="CHOICE=VOTES",
    help="Votes per choice, e.g. --votes 1=12 2=30 (a choice left out has 0).",
)
@friendly_errors
def poll_paper(
    poll_id: int, more_votes: tuple[str, ...], district: str, ballots: int, votes: tuple[str, ...]
) -> None:
    """Enter paper ballots (紙・窓口) counted for one district. Entering the same district
    again replaces your earlier entry; other staff members' entries are added."""
    from bot.staff.paper_ballots import PaperForm, record_paper_ballots

    form = PaperForm(district or None, ballots, _votes((*votes, *more_votes)))

    async def work(runtime: Runtime) -> PaperRecorded | None:
        services = runtime.services
        return await record_paper_ballots(
            services.polls,
            services.pack,
            poll_id,
            form,
            services.clock(),
            actor=cli_actor(runtime.db),
        )

    recorded = run_in_runtime(work)
    if recorded is None:
        echo(f"chiiki: no poll {poll_id}", err=True)
        sys.exit(1)
    entry = recorded.entry
    counts = ", ".join(f"{p}={v}" for p, v in sorted(entry.votes.items()))
    replaced = " (replaces your earlier entry)" if recorded.earlier else ""
    echo(
        f"poll {poll_id}, district {district or 'none'}: {entry.ballots} paper ballots"
        f" ({counts}){replaced}"
    )


@poll.command("paper-entries")
@click.argument("poll_id", type=int)
@friendly_errors
def poll_paper_entries(poll_id: int) -> None:
    """Every staff member's paper ballot entries for the poll."""
    from rich.console import Console
    from rich.table import Table

    from bot.staff.paper_ballots import paper_entries

    async def work(runtime: Runtime) -> Table | None:
        tz = runtime.settings.tz
        polls = runtime.services.polls
        entries = await paper_entries(polls, poll_id, actor=cli_actor(runtime.db))
        item = await polls.get(poll_id)
        if entries is None or item is None:
            return None
        table = Table(
            "entered by", "district", "ballots", *(str(c.position) for c in item.choices), "at"
        )
        for e in entries:
            table.add_row(
                cell(e.entered_by),
                cell(e.district or "none"),
                str(e.ballots),
                *(str(e.votes.get(c.position, 0)) for c in item.choices),
                e.entered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            )
        return table

    table = run_in_runtime(work)
    if table is None:
        echo(f"chiiki: no poll {poll_id}", err=True)
        sys.exit(1)
    Console().print(table)
