"""`chiiki audit`: the staff audit log, newest first."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import click

from bot.cli.output import cell
from bot.cli.startup import friendly_errors, run_in_runtime

if TYPE_CHECKING:
    from rich.table import Table

    from bot.runtime import Runtime


@click.command("audit")
@click.option("--who", help="only this staff login")
@click.option("--action", help="only this action, e.g. poll.closed")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="from this day (city time)")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="to this day, included")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@friendly_errors
def audit(
    who: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> None:
    """Print the staff audit log (who did what, when, from where)."""
    from rich.console import Console
    from rich.table import Table

    from bot.storage.audit import AuditFilter, AuditRepository

    def start(day: date | None, tz: object) -> datetime | None:
        return datetime.combine(day, time(), tz) if day else None  # type: ignore[arg-type]

    async def work(runtime: Runtime) -> Table:
        tz = runtime.settings.tz
        where = AuditFilter(
            login=who,
            action=action,
            since=start(since.date() if since else None, tz),
            until=start(until.date() + timedelta(days=1) if until else None, tz),
        )
        table = Table("at", "who", "action", "object", "detail", "from")
        for e in await AuditRepository(runtime.db).entries(where, limit):
            table.add_row(
                e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                cell(e.login),
                cell(e.action),
                cell(f"{e.object_kind or ''} {e.object_id or ''}".strip()),
                cell(e.detail or ""),
                cell(e.address or ""),
            )
        return table

    Console().print(run_in_runtime(work))
