"""The `chiiki` command: everything staff and developers do from a terminal."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.errors import ChiikiError

if TYPE_CHECKING:
    from bot.content import Pack
    from bot.runtime import Runtime
    from bot.storage import Database

F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(command: F) -> F:
    """Our own errors end the command with one line and exit code 2, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ChiikiError as exc:
            click.echo(f"chiiki: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    """The settings, read once per command; from here on no log line shows a secret of theirs
    (a staff command's Telegram timeout names the Bot API URL, token included)."""
    from bot.logging_setup import scrub_secrets, secret_values

    settings = load_settings()
    scrub_secrets(secret_values(settings))
    return settings


T = TypeVar("T")


def _run_with_database(work: Callable[[Database, Pack, Settings], Awaitable[T]]) -> T:
    """Open (and migrate) the database and load the pack, for staff commands."""
    from bot.content import load_pack
    from bot.storage import apply_migrations, open_database
    from bot.storage.backup import service_lock

    settings = _settings()
    pack = load_pack(settings.content_dir, settings.pack)

    async def run() -> T:
        db = await open_database(settings.db, settings.db_busy_timeout_ms)
        try:
            await apply_migrations(db, settings.migrations_dir)
            return await work(db, pack, settings)
        finally:
            await db.close()

    with service_lock(settings.db):
        return asyncio.run(run())


@click.group()
def main() -> None:
    """chiiki: a community-building (地域づくり) chat bot for municipalities."""


@main.command()
@click.option("--host", help="Address to listen on (default CHIIKI_HOST).")
@click.option("--port", type=int, help="Port to listen on (default CHIIKI_PORT).")
@click.option(
    "--telegram-polling",
    is_flag=True,
    help="Fetch Telegram updates with getUpdates (no public HTTPS address needed).",
)
@_friendly_errors
def serve(host: str | None, port: int | None, telegram_polling: bool) -> None:
    """Start the web server: web chat at /chat, health at /healthz and /readyz.

    SIGTERM (or Ctrl-C) stops it gently: webhooks get 503, work in hand finishes within
    CHIIKI_SHUTDOWN_GRACE_SECONDS, claims go back at once, and it exits 0.
    """
    import uvicorn

    from bot.content import load_pack, load_pack_catalog
    from bot.logging_setup import configure_logging, secret_values
    from bot.web import build_served_app
    from bot.web.server import GracefulServer

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format, secret_values(settings))
    # Fail before the server starts, with one line, when the pack or catalog is broken.
    load_pack_catalog(settings.content_dir, load_pack(settings.content_dir, settings.pack))
    base = f"http://{host or settings.host}:{port or settings.port}"
    click.echo(f"chiiki: web chat at {base}/chat, staff dashboard at {base}/admin/")
    app, drain = build_served_app(settings, telegram_polling=telegram_polling)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        # The client's address is read by bot/web/addresses.py, which trusts X-Forwarded-For
        # only from CHIIKI_TRUSTED_PROXIES; uvicorn's own rewrite (on for 127.0.0.1) would
        # let anyone on the host choose their address.
        proxy_headers=False,
    )
    GracefulServer(config, drain).run()


@main.command()
@_friendly_errors
def migrate() -> None:
    """Apply pending database migrations."""
    from bot.storage import apply_migrations, open_database

    settings = _settings()

    async def run() -> list[int]:
        db = await open_database(settings.db, settings.db_busy_timeout_ms)
        try:
            return await apply_migrations(db, settings.migrations_dir)
        finally:
            await db.close()

    applied = asyncio.run(run())
    if applied:
        click.echo("applied: " + ", ".join(f"{v:04d}" for v in applied))
    else:
        click.echo("the database is up to date")


@main.group()
def db() -> None:
    """The database itself."""


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_friendly_errors
def db_backup(file: Path) -> None:
    """Copy the SQLite database to FILE while the service runs (one consistent snapshot)."""
    from bot.storage.backup import backup_sqlite

    made = backup_sqlite(_settings().db, file)
    click.echo(f"backed up to {made} ({made.stat().st_size} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly_errors
def db_restore(file: Path) -> None:
    """Put the backup FILE in place of the SQLite database (stop every chiiki on it first).

    The backup must pass SQLite's integrity check and be no newer than this chiiki; the file
    it replaces is kept beside it as <db>.replaced-<time>.
    """
    from bot.storage.backup import restore_sqlite
    from bot.storage.migrations import discover_migrations

    settings = _settings()
    newest = discover_migrations(settings.migrations_dir)[-1].version
    version = restore_sqlite(file, settings.db, newest)
    click.echo(f"restored {file} (migration {version:04d}) to {settings.db}")


@db.command("copy")
@click.argument("sqlite_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("postgres_url")
@_friendly_errors
def db_copy(sqlite_file: Path, postgres_url: str) -> None:
    """Copy everything in SQLITE_FILE into the empty PostgreSQL database at POSTGRES_URL.

    Stop `chiiki serve` first, so nothing changes in the file while it is copied.
    """
    from bot.storage import open_database
    from bot.storage.copy import copy_database
    from bot.storage.database import is_postgres_target

    if not is_postgres_target(postgres_url):
        raise click.BadParameter("a postgresql://… address", param_hint="POSTGRES_URL")
    settings = _settings()

    async def run() -> dict[str, int]:
        source = await open_database(str(sqlite_file), settings.db_busy_timeout_ms)
        try:
            target = await open_database(postgres_url, settings.db_busy_timeout_ms)
            try:
                return await copy_database(source, target, settings.migrations_dir)
            finally:
                await target.close()
        finally:
            await source.close()

    copied = asyncio.run(run())
    for table, rows in copied.items():
        click.echo(f"{table}: {rows}")
    click.echo(f"copied {sum(copied.values())} rows in {len(copied)} tables")


# Typed alone, these end `chiiki chat` (as does Ctrl-D); said at the start.
LEAVE_WORDS = frozenset({"exit", "quit", "/exit", "/quit", "終了", "おわり"})
LEAVE_HINT = "（終わるときは exit か quit と入力してください / type exit or quit to leave）"


def _interactive() -> bool:
    """A person at a terminal (greeted, prompted), not lines piped in."""
    return sys.stdin.isatty()


@main.command()
@click.option("--user", default="console", show_default=True, help="Resident id to chat as.")
@_friendly_errors
def chat(user: str) -> None:
    """Chat with the bot in the terminal: type text, or a number to pick a choice."""
    from bot.channels.console import ConsoleSession
    from bot.logging_setup import configure_logging, secret_values
    from bot.runtime import open_runtime

    settings = _settings()
    configure_logging("WARNING", secrets=secret_values(settings))
    session = ConsoleSession(user)
    interactive = _interactive()

    async def run() -> None:
        async with open_runtime(settings) as runtime:
            if interactive:
                replies = await runtime.pipeline.converse(session.incoming("/start"))
                click.echo(session.render(replies))
                click.echo(f"\n{LEAVE_HINT}")
            while True:
                if interactive:
                    click.echo("> ", nl=False)
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line or line.strip().lower() in LEAVE_WORDS:
                    break
                if not line.strip():
                    continue
                replies = await runtime.pipeline.converse(session.incoming(line.rstrip("\n")))
                click.echo(session.render(replies) + "\n")

    asyncio.run(run())


@main.group()
def telegram() -> None:
    """Telegram set-up."""


@telegram.command("set-webhook")
@click.argument("url")
@_friendly_errors
def telegram_set_webhook(url: str) -> None:
    """Point Telegram at URL (https://.../webhook/telegram) with our secret token."""
    from bot.channels.telegram import set_webhook
    from bot.errors import ConfigError

    settings = _settings()
    if not settings.telegram_bot_token or not settings.telegram_webhook_secret:
        raise ConfigError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first")
    asyncio.run(
        set_webhook(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_base,
            url,
            settings.telegram_webhook_secret.get_secret_value(),
        )
    )
    click.echo(f"Telegram will post updates to {url}")


@main.group()
def content() -> None:
    """Content packs: one per municipality, under content/."""


@content.command("check")
@_friendly_errors
def content_check() -> None:
    """Validate every pack and the message catalog; exit 1 naming each problem."""
    from bot.content import list_packs
    from bot.content.loader import check_packs

    settings = _settings()
    problems = check_packs(settings.content_dir)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("ok: " + ", ".join(list_packs(settings.content_dir)) + " and the message catalog")


@content.command("eval")
@click.option("--pack", "packs", multiple=True, help="A pack to score (default: every pack).")
@click.option(
    "--questions",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "tests" / "answerer",
    show_default=True,
    help="Where questions_<pack>.yaml are.",
)
@_friendly_errors
def content_eval(packs: tuple[str, ...], folder: Path) -> None:
    """Score the answerer on the evaluation questions: per group, then every miss."""
    from bot.answerer import build_answerer
    from bot.answerer.evaluation import describe, evaluate, load_questions
    from bot.content import list_packs, load_pack, load_pack_catalog

    settings = _settings()
    for name in packs or list_packs(settings.content_dir):
        path = folder / f"questions_{name}.yaml"
        if not path.is_file():
            click.echo(f"{name}: no {path}", err=True)
            continue
        pack = load_pack(settings.content_dir, name)
        answerer = build_answerer(
            settings.content_dir, pack, load_pack_catalog(settings.content_dir, pack)
        )
        questions = load_questions(path)
        report = evaluate(answerer, questions)
        click.echo(f"== {name}: {len(questions)} questions")
        for line in describe(report):
            click.echo(line)


@content.command("list")
@_friendly_errors
def content_list() -> None:
    """List the packs that can be chosen with CHIIKI_PACK."""
    from bot.content import list_packs

    for name in list_packs(_settings().content_dir):
        click.echo(name)


@main.group()
def poll() -> None:
    """Opinion polls: create, list, close, results."""


@poll.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly_errors
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
        )
        click.echo(f"created poll {poll_id}: {spec.question.ja}")
        if broadcast_id is not None:
            click.echo("announcing it")
            await _deliver_with_progress(runtime, broadcast_id)

    _run_staff(work)


@poll.command("list")
@_friendly_errors
def poll_list() -> None:
    """Every poll with its state and number of answers."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bot.storage.polls import PollRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> Table:
        polls = PollRepository(db)
        now = datetime.now(UTC)
        table = Table("id", "question", "kind", "district", "closes", "state", "answers")
        for item in await polls.all():
            tally = await polls.tally(item.id)
            table.add_row(
                str(item.id),
                escape(item.question_ja),
                "multiple" if item.multiple else "single",
                escape(item.district or "all"),
                item.closes_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
                "open" if item.is_open(now) else "closed",
                str(tally.ballots),
            )
        return table

    Console().print(_run_with_database(work))


@poll.command("close")
@click.argument("poll_id", type=int)
@_friendly_errors
def poll_close(poll_id: int) -> None:
    """Close a poll now; no answer is taken after this."""
    from bot.storage.polls import PollRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> bool:
        return await PollRepository(db).close(poll_id, datetime.now(UTC))

    if not _run_with_database(work):
        click.echo(f"chiiki: poll {poll_id} does not exist or is already closed", err=True)
        sys.exit(1)
    click.echo(f"closed poll {poll_id}")


@poll.command("results")
@click.argument("poll_id", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="Counts as CSV (small districts merged).")
@_friendly_errors
def poll_results(poll_id: int, as_csv: bool) -> None:
    """Results: counts, percentages and bars; never who answered what."""
    from bot.staff.polls import results_csv
    from bot.storage.polls import PollRepository
    from handlers.polls import format_tally

    async def work(db: Database, pack: Pack, settings: Settings) -> str | None:
        polls = PollRepository(db)
        item = await polls.get(poll_id)
        if item is None:
            return None
        total = await polls.tally(poll_id)
        if as_csv:
            return results_csv(item, total, await polls.tally_by_district(poll_id))
        comments = len(await polls.comments(poll_id))
        heading = f"{item.question_ja} ({total.ballots} answers, {comments} comments)"
        return format_tally(item, total, "ja", heading)

    output = _run_with_database(work)
    if output is None:
        click.echo(f"chiiki: no poll {poll_id}", err=True)
        sys.exit(1)
    click.echo(output, nl=not as_csv)


@poll.command("comments")
@click.argument("poll_id", type=int)
@_friendly_errors
def poll_comments(poll_id: int) -> None:
    """The free-text comments, in text order, without who or when."""
    from bot.storage.polls import PollRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> list[str]:
        return await PollRepository(db).comments(poll_id)

    for comment in _run_with_database(work):
        click.echo(f"- {comment}")


@main.group(invoke_without_command=True)
@click.option("--text", "text_ja", help="The notice in Japanese.")
@click.option("--text-en", help="The notice in English (residents who chose English).")
@click.option("--district", help="Only residents of this district (an id from the pack).")
@click.option("--channel", default="all", show_default=True, help="all, line, telegram or web.")
@click.option("--dry-run", is_flag=True, help="Show the audience and the LINE cost; send nothing.")
@click.option("--force", is_flag=True, help="Send even past the LINE monthly quota.")
@click.pass_context
@_friendly_errors
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
    from bot.staff.broadcast import BroadcastError, plan_broadcast, prepare_notice

    if not text_ja:
        raise BroadcastError("--text is required (the notice in Japanese)")

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        message = prepare_notice(
            services.pack, services.catalog, text_ja, text_en, district, channel
        )
        plan = await plan_broadcast(runtime.broadcasts, runtime.line, district, channel)
        for name, count in plan.audience.items():
            click.echo(f"{name}: {count} resident(s)")
        if plan.line_cost:
            left = "unlimited" if plan.quota_left is None else f"{plan.quota_left} left"
            click.echo(f"LINE cost: {plan.line_cost} message(s) of the monthly quota ({left})")
        if dry_run:
            return
        if plan.exceeds_quota and not force:
            raise BroadcastError(
                f"this would use {plan.line_cost} LINE messages but only {plan.quota_left} are "
                "left this month; send to fewer residents, or add --force to send anyway"
            )
        broadcast_id = await runtime.broadcasts.create(message, runtime.services.clock())
        click.echo(f"broadcast {broadcast_id} queued")
        await _deliver_with_progress(runtime, broadcast_id)

    _run_staff(work)


@broadcast.command("resume")
@_friendly_errors
def broadcast_resume() -> None:
    """Finish every broadcast a stopped process left unfinished.

    Rows another worker holds are taken over as soon as its heartbeat is stale
    (CHIIKI_DELIVERY_LEASE_SECONDS); until then the bar says whom it waits for.
    """
    from rich.progress import Progress

    from bot.staff.broadcast import waiting_for

    async def work(runtime: Runtime) -> None:
        left = await runtime.outbox.unfinished()
        click.echo(f"{left} message(s) still to send")
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
        click.echo("every broadcast is finished")

    _run_staff(work)


async def _deliver_with_progress(runtime: Runtime, broadcast_id: int) -> None:
    from rich.progress import Progress

    total = sum((await runtime.outbox.progress(broadcast_id)).values())
    with Progress(transient=False) as bar:
        task = bar.add_task(f"broadcast {broadcast_id}", total=total)
        runtime.delivery.on_progress = lambda state, count: bar.advance(task, count)
        final = await runtime.delivery.deliver_until_settled(broadcast_id)
    click.echo(
        f"sent {final['sent']}, failed {final['failed']}, unreachable {final['unreachable']}"
    )


def _run_staff(work: Callable[[Runtime], Awaitable[None]]) -> None:
    """Open a runtime for a staff command: channels to send with, no server duties."""
    from bot.runtime import open_runtime

    settings = _settings()

    async def run() -> None:
        async with open_runtime(settings, serving=False, answering=False) as runtime:
            await work(runtime)

    asyncio.run(run())


@main.group()
def event() -> None:
    """Council events (地域づくり協議会, 円卓会議) and their reminders."""


@event.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly_errors
def event_create(file: Path) -> None:
    """Create an event from a YAML file (see README: Events), with its reminders."""
    from bot.staff.events import create_event, load_event_file
    from bot.storage.events import EventRepository

    spec = load_event_file(file)

    async def work(db: Database, pack: Pack, settings: Settings) -> int:
        return await create_event(spec, EventRepository(db), pack, datetime.now(UTC), str(file))

    event_id = _run_with_database(work)
    click.echo(f"created event {event_id}: {spec.title.ja}")


@event.command("list")
@_friendly_errors
def event_list() -> None:
    """Every event with its audience and each reminder's state."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bot.storage.events import EventRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> Table:
        events = EventRepository(db)
        table = Table("id", "title", "starts", "district", "state", "reminded", "reminders")
        for item in await events.all():
            reminders = ", ".join(
                f"{due.astimezone(settings.tz):%m-%d %H:%M} {escape(state)}"
                for due, state in await events.reminders_of(item.id)
            )
            table.add_row(
                str(item.id),
                escape(item.title_ja),
                item.starts_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
                escape(item.district or "all"),
                "cancelled" if item.cancelled_at else "planned",
                str(await events.audience_size(item.id)),
                reminders or "-",
            )
        return table

    Console().print(_run_with_database(work))


@event.command("cancel")
@click.argument("event_id", type=int)
@_friendly_errors
def event_cancel(event_id: int) -> None:
    """Cancel an event: its reminders stop and everyone who followed it is told."""
    from bot.errors import ChiikiError

    async def work(runtime: Runtime) -> None:
        events = runtime.services.events
        item = await events.get(event_id)
        if item is None:
            raise ChiikiError(f"no event {event_id}")
        notice = runtime.services.notices.event_cancelled(item)
        broadcast_id = await events.cancel(event_id, notice, runtime.services.clock())
        if broadcast_id is None:
            raise ChiikiError(f"event {event_id} is already cancelled")
        click.echo(f"event {event_id} cancelled; telling its followers")
        await _deliver_with_progress(runtime, broadcast_id)

    _run_staff(work)


@main.group()
def line() -> None:
    """The LINE official account."""


@line.command("rich-menu")
@click.option(
    "--image",
    "image_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the drawn picture here (to check it before residents see it).",
)
@_friendly_errors
def line_rich_menu(image_out: Path | None) -> None:
    """Draw the rich menu from the pack, upload it and make it the default (replacing ours)."""
    from bot.channels.line_rich_menu import (
        MENU_NAME,
        draw_menu_image,
        menu_buttons,
        rich_menu_body,
    )
    from bot.errors import ChiikiError
    from bot.fonts import find_font

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        buttons = menu_buttons(services.catalog)
        image = draw_menu_image(services.pack, buttons, find_font(runtime.settings.font))
        if image_out is not None:
            image_out.write_bytes(image)
        if runtime.line is None:
            raise ChiikiError(
                "LINE is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN"
            )
        body = rich_menu_body(services.pack, services.catalog, buttons)
        menu_id = await runtime.line.replace_rich_menu(
            body, image, runtime.settings.line_data_api_base, MENU_NAME
        )
        click.echo(f"rich menu {menu_id} is now the default ({len(buttons)} buttons)")

    _run_staff(work)


@main.group()
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
@_friendly_errors
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
            services.outcomes, services.notices, services.pack, spec, services.clock()
        )
        click.echo(f"recorded outcome {outcome_id}; telling everyone who took part")
        if broadcast_id is not None:
            await _deliver_with_progress(runtime, broadcast_id)

    _run_staff(work)


@outcome.command("list")
@_friendly_errors
def outcome_list() -> None:
    """The latest outcomes."""
    from bot.storage.outcomes import OutcomeRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> list[str]:
        return [
            f"{o.id}\t{o.created_at.astimezone(settings.tz):%Y-%m-%d}\t{o.subject.kind}"
            f" {o.subject.id}\t{' '.join(o.next_actors)}\t{o.decided_ja}"
            for o in await OutcomeRepository(db).recent(50)
        ]

    for row in _run_with_database(work):
        click.echo(row)


@main.group()
def watch() -> None:
    """School-route watch (登下校見守り): routes, shifts, rosters."""


@watch.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly_errors
def watch_load(file: Path) -> None:
    """Add routes and shifts from a YAML file (see README); loading it again changes nothing."""
    from bot.staff.watch import load_watch, load_watch_file
    from bot.storage.watch import WatchRepository

    spec = load_watch_file(file)

    async def work(db: Database, pack: Pack, settings: Settings) -> str:
        result = await load_watch(
            spec, WatchRepository(db), pack, settings, datetime.now(UTC), str(file)
        )
        return (
            f"routes added {result.routes_added}; shifts added {result.shifts_added}, "
            f"changed {result.shifts_changed}, unchanged {result.unchanged}"
        )

    click.echo(_run_with_database(work))


@watch.command("roster")
@click.option("--date", "day", help="One day, YYYY-MM-DD (default: the next 14 days).")
@click.option("--route", help="One route id.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet.")
@_friendly_errors
def watch_roster(day: str | None, route: str | None, as_csv: bool) -> None:
    """Who is on which shift, the places still free, and who is waiting."""
    from datetime import date, timedelta

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bot.errors import ChiikiError
    from bot.staff.watch import roster_csv
    from bot.storage.watch import WatchRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> str | Table:
        if day is None:
            start = datetime.now(settings.tz)
            end = start + timedelta(days=14)
        else:
            try:
                first = date.fromisoformat(day)
            except ValueError:
                raise ChiikiError(f"--date: {day!r} is not YYYY-MM-DD") from None
            start = datetime.combine(first, datetime.min.time(), settings.tz)
            end = start + timedelta(days=1)
        lines = await WatchRepository(db).roster(start, end, route)
        if as_csv:
            return roster_csv(lines, settings.tz)
        table = Table("id", "when", "route", "volunteers", "free", "waitlist", "state")
        for line in lines:
            table.add_row(
                str(line.shift.id),
                line.shift.starts_at.astimezone(settings.tz).strftime("%m-%d %H:%M"),
                escape(line.route.name_ja),
                escape(", ".join(line.volunteers) or "-"),
                str(line.shift.free),
                escape(", ".join(line.waitlist) or "-"),
                "cancelled" if line.shift.cancelled_at else "planned",
            )
        return table

    output = _run_with_database(work)
    if isinstance(output, str):
        click.echo(output, nl=False)
    else:
        Console().print(output)


@watch.command("cancel-shift")
@click.argument("shift_id", type=int)
@click.option(
    "--reason", required=True, help="Told to everyone on the shift (rain, school closure)."
)
@_friendly_errors
def watch_cancel_shift(shift_id: int, reason: str) -> None:
    """Cancel a shift: everyone signed up or waiting is told why."""
    from bot.errors import ChiikiError

    async def work(runtime: Runtime) -> None:
        broadcast_id = await runtime.services.watch.cancel_shift(
            shift_id, reason, runtime.services.clock(), runtime.services.notices.shift_cancelled
        )
        if broadcast_id is None:
            raise ChiikiError(f"no shift {shift_id}, or it is already cancelled")
        click.echo(f"shift {shift_id} cancelled; telling its volunteers")
        await _deliver_with_progress(runtime, broadcast_id)

    _run_staff(work)


@main.group()
def staff() -> None:
    """Staff accounts for the dashboard at /admin."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@staff.command("add")
@click.argument("login")
@_friendly_errors
def staff_add(login: str) -> None:
    """Add a staff account; the password is asked for (or read from standard input)."""
    from bot.storage.staff import StaffRepository
    from bot.web.admin.auth import StaffAccountError, check_login_name, hash_password

    login = check_login_name(login)
    password_hash = hash_password(_read_password())

    async def work(db: Database, pack: Pack, settings: Settings) -> bool:
        return await StaffRepository(db).add(login, password_hash, datetime.now(UTC))

    if not _run_with_database(work):
        raise StaffAccountError(f"{login!r} already exists")
    click.echo(f"added {login}; log in at /admin")


@staff.command("remove")
@click.argument("login")
@_friendly_errors
def staff_remove(login: str) -> None:
    """Remove a staff account and end its sessions."""
    from bot.storage.staff import StaffRepository
    from bot.web.admin.auth import StaffAccountError

    async def work(db: Database, pack: Pack, settings: Settings) -> bool:
        return await StaffRepository(db).remove(login)

    if not _run_with_database(work):
        raise StaffAccountError(f"no account {login!r}")
    click.echo(f"removed {login}")


@staff.command("list")
@_friendly_errors
def staff_list() -> None:
    """Every staff login."""
    from bot.storage.staff import StaffRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> list[str]:
        return await StaffRepository(db).logins()

    for login in _run_with_database(work):
        click.echo(login)


@staff.command("unlock")
@click.argument("login")
@_friendly_errors
def staff_unlock(login: str) -> None:
    """Let LOGIN try again at once: forget its failed logins (wrong passwords lock a login
    name for 15 minutes)."""
    from bot.storage.staff import StaffRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> int:
        return await StaffRepository(db).unlock(login)

    cleared = _run_with_database(work)
    click.echo(f"unlocked {login} ({cleared} failed login(s) forgotten)")


@main.group()
def faq() -> None:
    """Questions and answers staff write (the dashboard's よくある質問 page)."""


@faq.command("list")
@_friendly_errors
def faq_list() -> None:
    """Every staff FAQ entry: id, updated, languages, first question, answer."""
    from bot.staff.faq import one_line
    from bot.storage.faq import FaqRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> list[str]:
        return [
            f"{e.id}\t{e.updated_at.astimezone(settings.tz):%Y-%m-%d}"
            f"\tja{' easy' if e.answer_easy else ''}{' en' if e.answer_en else ''}"
            f"\t{one_line(' / '.join(e.questions))}\t{one_line(e.answer_ja)[:60]}"
            for e in await FaqRepository(db).entries()
        ]

    for row in _run_with_database(work):
        click.echo(row)


@faq.command("add")
@click.option(
    "--question", "questions", multiple=True, required=True, help="A way residents ask it (1-10)."
)
@click.option("--answer", "answer_ja", required=True, help="The answer in Japanese.")
@click.option("--answer-en", help="The answer in English.")
@click.option("--answer-easy", help="The answer in easy Japanese (やさしい日本語).")
@click.option("--source", help="An http(s) address the answer comes from.")
@_friendly_errors
def faq_add(
    questions: tuple[str, ...],
    answer_ja: str,
    answer_en: str | None,
    answer_easy: str | None,
    source: str | None,
) -> None:
    """Add an entry; the running service answers with it within half a minute."""
    from bot.staff.faq import add_faq, check_faq
    from bot.storage.faq import FaqRepository

    draft = check_faq(list(questions), answer_ja, answer_en, answer_easy, source)

    async def work(db: Database, pack: Pack, settings: Settings) -> int:
        return await add_faq(FaqRepository(db), draft, datetime.now(UTC))

    click.echo(f"added FAQ entry {_run_with_database(work)}")


@faq.command("remove")
@click.argument("entry_id", type=int)
@_friendly_errors
def faq_remove(entry_id: int) -> None:
    """Remove entry ENTRY_ID."""
    from bot.storage.faq import FaqRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> bool:
        return await FaqRepository(db).remove(entry_id)

    if not _run_with_database(work):
        raise ChiikiError(f"no FAQ entry {entry_id} (see chiiki faq list)")
    click.echo(f"removed FAQ entry {entry_id}")


@main.group()
def unanswered() -> None:
    """What residents asked that the bot could not answer (text only, never who asked)."""


@unanswered.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@_friendly_errors
def unanswered_list(limit: int) -> None:
    """Newest first: id, day last asked, times asked, text."""
    from bot.staff.faq import one_line
    from bot.storage.faq import UnansweredRepository

    async def work(db: Database, pack: Pack, settings: Settings) -> list[str]:
        return [
            f"{q.id}\t{q.last_asked_at.astimezone(settings.tz):%Y-%m-%d}\t{q.times}"
            f"\t{one_line(q.text)}"
            for q in await UnansweredRepository(db).grouped(limit)
        ]

    for row in _run_with_database(work):
        click.echo(row)
