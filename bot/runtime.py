"""Assemble chiiki once: settings → pack, catalog, database, repositories, dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.content import load_catalog, load_pack
from bot.core.clock import Clock, utc_now
from bot.storage import Database, apply_migrations, open_database
from bot.storage.conversations import ConversationRepository
from bot.storage.residents import ResidentRepository
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.routes import build_router


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    services: Services
    dispatcher: Dispatcher


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock = utc_now) -> AsyncIterator[Runtime]:
    """Open everything chiiki needs, migrate the database, and close it all on exit.

    The pack and catalog are read first, so a broken pack stops start-up before the database
    is touched.
    """
    pack = load_pack(settings.content_dir, settings.pack)
    catalog = load_catalog(settings.content_dir)
    db = await open_database(settings.db)
    try:
        await apply_migrations(db, settings.migrations_dir)
        services = Services(
            residents=ResidentRepository(db),
            conversations=ConversationRepository(db),
            pack=pack,
            catalog=catalog,
            clock=clock,
        )
        yield Runtime(settings, db, services, Dispatcher(build_router(), services))
    finally:
        await db.close()
