"""The database: connection, migrations and one repository per aggregate. The only SQL."""

from bot.storage.database import Database, open_database
from bot.storage.migrations import apply_migrations

__all__ = ["Database", "apply_migrations", "open_database"]
