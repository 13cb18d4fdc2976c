"""`chiiki broadcast`: notices to residents (with the LINE quota gate), and `resume`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import deliver_with_progress, friendly_errors, run_in_runtime
from bot.staff.actor import cli_actor

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group(invoke_without_command=True)
@click.option("--text", "text_ja", help="The notice in Japanese.")
@click.option("--text-en", help="The notice in English (residents who chose English).")
@click.option("--district", help="Only residents of this district (an id from the pack).")
@click.option("--channel", default="all", show_default=True, help="all, line, telegram or web.")
@click.option("--dry-run", is_flag=True, help="Show the audience and the LINE cost; send nothing.")
@click.option("--force", is_flag=True, help="Send even past the LINE monthly quota.")
@click.pass_context
@friendly_errors
def broadcast(
    context: click.Context,
    text_ja: str | None,
    text_en: str | None,
    district: str | None,
    channel: str,
    dry_run: bool,
    force: bool,
) -> None:
    """Send a notice to residents, by district, within each platform's limits."""
    if context.invoked_subcommand is not None:
        return
    from bot.staff.broadcast import BroadcastError, plan_broadcast, prepare_notice, queue_notice

    if not text_ja:
        raise BroadcastError("--text is required (the notice in Japanese)")

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        actor = cli_actor(runtime.db)
        message = prepare_notice(
            services.pack, services.catalog, text_ja, text_en, district, channel, actor=actor
        )
        plan = await plan_broadcast(runtime.broadcasts, runtime.line, district, channel)
        for name, count in plan.audience.items():
            echo(f"{name}: {count} resident(s)")
        if plan.line_cost:
            left = "unlimited" if plan.quota_left is None else f"{plan.quota_left} left"
            echo(f"LINE cost: {plan.line_cost} message(s) of the monthly quota ({left})")
        if dry_run:
            return
        broadcast_id = await queue_notice(
            runtime.broadcasts,
            message,
            plan,
            services.clock(),
            force=force,
            actor=actor,
        )
        echo(f"broadcast {broadcast_id} queued")
        await deliver_with_progress(runtime, broadcast_id)

    run_in_runtime(work)


@broadcast.command("resume")
@friendly_errors
def broadcast_resume() -> None:
    """Finish every broadcast a stopped process left unfinished.

    Rows another worker holds are taken over as soon as its heartbeat is stale
    (CHIIKI_DELIVERY_LEASE_SECONDS); until then the bar says whom it waits for.
    """
    from rich.progress import Progress

    from bot.staff.broadcast import waiting_for

    async def work(runtime: Runtime) -> None:
        left = await runtime.outbox.unfinished()
        echo(f"{left} message(s) still to send")
        lease = runtime.settings.delivery_lease_seconds
        with Progress(transient=False) as bar:
            task = bar.add_task("resuming", total=left)
            runtime.delivery.on_progress = lambda state, count: bar.advance(task, count)

            async def say_what_it_waits_for() -> None:
                announced: set[str] = set()
                while True:
                    held = await runtime.outbox.held_by_others(runtime.delivery.owner)
                    waiting = waiting_for(held, runtime.services.clock(), lease)
                    if waiting and not {claims.owner for claims in held} <= announced:
                        bar.console.print(waiting)  # once per worker, above the bar
                        announced |= {claims.owner for claims in held}
                    bar.update(task, description=waiting or "resuming")
                    await asyncio.sleep(0.5)

            watching = asyncio.create_task(say_what_it_waits_for())
            try:
                while await runtime.outbox.unfinished():
                    await runtime.delivery.deliver_due()
                    await asyncio.sleep(0.2)
            finally:
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
        echo("every broadcast is finished")

    run_in_runtime(work)
