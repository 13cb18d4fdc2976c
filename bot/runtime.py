"""Assemble chiiki once: settings → pack, catalog, database, repositories, dispatcher, channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.answerer import open_answerer
from bot.channels.base import ChannelAdapter
from bot.channels.line import REQUEST_TIMEOUT_SECONDS, LineChannel
from bot.channels.telegram import TelegramChannel
from bot.charts import ChartPublisher, ChartRenderer
from bot.config import Settings
from bot.content import load_pack, load_pack_catalog
from bot.core import Channel
from bot.core.clock import Clock, utc_now
from bot.delivery import RetryPolicy
from bot.delivery.outbox import DeliverySettings, OutboxWorker
from bot.fonts import FontMissingError, find_font
from bot.inbound import InboundProcessor
from bot.metrics import observe_answerer
from bot.notices import Notices
from bot.pipeline import Pipeline
from bot.scheduler import Duties, Timers, start_timers
from bot.staff.districts import load_staff_districts
from bot.storage import Database, apply_migrations, open_database
from bot.storage.backup import daily_backup, service_lock, sqlite_file
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.chart_images import ChartImageRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.delivery_workers import DeliveryWorkers
from bot.storage.districts import DistrictRepository
from bot.storage.events import EventReminders, EventRepository
from bot.storage.faq import FaqRepository, UnansweredRepository
from bot.storage.inbound_events import InboundEventRepository
from bot.storage.links import LinkRepository
from bot.storage.migrations import discover_migrations
from bot.storage.outbox_claims import OutboxClaims
from bot.storage.outcomes import OutcomeRepository
from bot.storage.polls import PollRepository
from bot.storage.reminders import Reminders
from bot.storage.residents import ResidentRepository
from bot.storage.retention import apply_retention
from bot.storage.voices import VoiceRepository
from bot.storage.watch import WatchRepository
from bot.storage.watch.shift_reminders import ShiftReminders
from bot.storage.web_mailbox import WebMailbox
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.menu import command_list
from handlers.routes import build_router

logger = logging.getLogger(__name__)

# How often the server reads LINE's monthly quota for /metrics (each read is two API calls).
LINE_QUOTA_SECONDS = 15 * 60


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    services: Services
    dispatcher: Dispatcher
    # Every channel's turn: platform events through the inbox, the web chat and the console
    # directly (`converse`).
    pipeline: Pipeline
    inbox: InboundProcessor
    timers: Timers
    duties: Duties
    telegram: TelegramChannel | None
    line: LineChannel | None
    outbox: OutboxClaims
    delivery: OutboxWorker
    broadcasts: BroadcastRepository
    mailbox: WebMailbox
    # Draws poll charts; None when no Japanese font is installed (the text says the same).
    charts: ChartPublisher | None = None
    # The newest migration this code knows: /readyz waits until the database has it.
    schema_version: int = 0


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    clock: Clock = utc_now,
    retry_policy: RetryPolicy | None = None,
    serving: bool = True,
    line_timeout: float | None = None,
    answering: bool = True,
) -> AsyncIterator[Runtime]:
    """Open everything chiiki needs, migrate the database, and close it all on exit.

    The pack and catalog are read first, so a broken pack stops start-up before the database
    is touched. LINE and Telegram start only when their secrets are configured. `serving`
    (the server) also publishes Telegram's commands, resumes unhandled events, arms the timers
    and runs the delivery worker; a staff command leaves those to the server. `answering`
    loads the answerer and its dictionary (about 80 MB): a staff command that only sends, such
    as `chiiki broadcast`, answers no resident's question and goes without.
    """
    pack = load_pack(settings.content_dir, settings.pack)
    catalog = load_pack_catalog(settings.content_dir, pack)
    notices = Notices(catalog, settings.tz)
    policy = retry_policy or RetryPolicy()
    async with AsyncExitStack() as stack:
        # Every process on an SQLite file holds this: `chiiki db restore` waits for none of them.
        stack.enter_context(service_lock(settings.db))
        db = await open_database(settings.db, settings.db_busy_timeout_ms)
        stack.push_async_callback(db.close)
        await apply_migrations(db, settings.migrations_dir)
        # Districts staff added on the dashboard join the pack's own before anything reads it.
        await load_staff_districts(DistrictRepository(db), pack)
        residents = ResidentRepository(db)
        polls, events, watch = PollRepository(db), EventRepository(db), WatchRepository(db)
        # The dictionary and every phrasing are loaded here, not on the first question.
        answerer = None
        if answering:
            answerer = open_answerer(
                settings.content_dir, pack, catalog, polls, events, watch, FaqRepository(db)
            )
            answerer.answerer.listeners.append(
                lambda answer: observe_answerer(answer.outcome.value)
            )
        services = Services(
            residents=residents,
            conversations=ConversationRepository(db),
            polls=polls,
            events=events,
            watch=watch,
            links=LinkRepository(db),
            outcomes=OutcomeRepository(db),
            pack=pack,
            catalog=catalog,
            notices=notices,
            clock=clock,
            timezone=settings.tz,
            retention=settings.retention,
            answerer=answerer,
            unanswered=UnansweredRepository(db),
            voices=VoiceRepository(db),
        )
        dispatcher = Dispatcher(build_router(), services)
        charts: ChartPublisher | None = None
        try:
            renderer = ChartRenderer(find_font(settings.font), pack.municipality.theme.primary)
            charts = ChartPublisher(renderer, ChartImageRepository(db, clock), settings.public_url)
        except FontMissingError as exc:
            logger.warning("%s; poll results go without a chart", exc)

        async def mark_unreachable(channel: Channel, user_id: str) -> None:
            await residents.mark_unreachable(channel, user_id, clock())

        pipeline = Pipeline(dispatcher.handle, mark_unreachable)
        telegram = line = None
        channels: dict[str, ChannelAdapter[Any]] = {}
        if settings.telegram_bot_token:
            telegram = TelegramChannel(
                settings.telegram_bot_token.get_secret_value(),
                settings.telegram_api_base,
                policy,
                charts,
            )
            stack.push_async_callback(telegram.stop)
            if serving:
                # Telegram picks the list by the app's language (ISO 639-1): ja and en only.
                await telegram.start({lang: command_list(catalog, lang) for lang in ("ja", "en")})
            channels[Channel.TELEGRAM] = telegram
        if settings.line_channel_secret and settings.line_channel_access_token:
            line = LineChannel(
                settings.line_channel_secret.get_secret_value(),
                settings.line_channel_access_token.get_secret_value(),
                settings.line_api_base,
                clock,
                policy,
                line_timeout or REQUEST_TIMEOUT_SECONDS,
                charts,
                settings.line_data_api_base,
            )
            stack.push_async_callback(line.stop)
            await line.start()
            channels[Channel.LINE] = line

        lease = timedelta(seconds=settings.delivery_lease_seconds)
        inbox = InboundProcessor(
            InboundEventRepository(db), channels, pipeline, clock, settings.instance_name, lease
        )

        stack.push_async_callback(_finish_inbox, inbox, settings.shutdown_grace_seconds)
        outbox = OutboxClaims(db)
        delivery = OutboxWorker(
            outbox,
            DeliveryWorkers(db),
            clock,
            telegram,
            line,
            DeliverySettings(
                telegram_per_second=settings.telegram_rate,
                lease_seconds=settings.delivery_lease_seconds,
            ),
            settings.instance_name,
        )
        stack.push_async_callback(delivery.leave)
        timers = Timers(settings.tz)
        duties = Duties(
            polls=services.polls,
            reminders=Reminders(
                db,
                [EventReminders(notices.event_reminder), ShiftReminders(notices.shift_reminder)],
            ),
            reminder_grace=timedelta(minutes=settings.reminder_grace_minutes),
            wake_delivery=delivery.wake.set,
            clock=clock,
        )
        if serving:
            stack.callback(timers.shutdown)
            await start_timers(timers, duties)
            timers.daily(
                "retention",
                settings.retention_time,
                _run_retention,
                db,
                settings,
                clock,
            )
            if settings.backup_dir is not None:
                _plan_backups(timers, settings, clock)
            if line is not None:
                timers.every("line-quota", LINE_QUOTA_SECONDS, _read_line_quota, line)
            await inbox.resume_pending()
            # Events a stopped instance claimed are taken over once its heartbeat is stale.
            timers.every("inbox-takeover", lease.total_seconds() / 2, inbox.resume_pending)
            worker = asyncio.create_task(delivery.run())
            stack.push_async_callback(_cancel, worker)
        yield Runtime(
            settings,
            db,
            services,
            dispatcher,
            pipeline,
            inbox,
            timers,
            duties,
            telegram,
            line,
            outbox,
            delivery,
            BroadcastRepository(db),
            WebMailbox(db),
            charts,
            discover_migrations(settings.migrations_dir, db.dialect)[-1].version,
        )


async def drain(runtime: Runtime) -> None:
    """The first thing a stop does (SIGTERM): take no more webhooks (answered 503, so the
    platforms deliver them again), stop the timers, let the events being handled and the sends
    in flight finish within CHIIKI_SHUTDOWN_GRACE_SECONDS, and give back at once the rows
    claimed but not sent, so another instance sends them without waiting."""
    grace = runtime.settings.shutdown_grace_seconds
    runtime.inbox.stop_accepting()
    runtime.timers.shutdown()
    await asyncio.gather(_finish_inbox(runtime.inbox, grace), runtime.delivery.stop(grace))


async def _finish_inbox(inbox: InboundProcessor, grace: float) -> None:
    inbox.stop_retries()
    try:
        await asyncio.wait_for(inbox.drain(), grace)
    except TimeoutError:
        logger.warning("shutdown left events unhandled; they resume at the next start")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _read_line_quota(line: LineChannel) -> None:
    """For /metrics (chiiki_line_quota_left): LINE.quota() notes what it reads."""
    try:
        await line.quota()
    except Exception:
        logger.warning("could not read the LINE quota; trying again later", exc_info=True)


def _plan_backups(timers: Timers, settings: Settings, clock: Clock) -> None:
    if sqlite_file(settings.db) is None:
        logger.warning("CHIIKI_BACKUP_DIR is for an SQLite file; back PostgreSQL up with pg_dump")
        return
    timers.daily("backup", settings.backup_time, _run_backup, settings, clock)


async def _run_backup(settings: Settings, clock: Clock) -> None:
    assert settings.backup_dir is not None
    try:
        made = await asyncio.to_thread(
            daily_backup, settings.db, settings.backup_dir, settings.backup_keep, clock()
        )
    except Exception:
        logger.exception("daily backup failed; it runs again tomorrow")
        return
    logger.info("backed the database up to %s", made)


async def _run_retention(db: Database, settings: Settings, clock: Clock) -> None:
    try:
        await apply_retention(db, settings.retention, clock(), settings.tz)
    except Exception:
        logger.exception("retention job failed; it runs again tomorrow")
