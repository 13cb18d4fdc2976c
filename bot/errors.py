"""chiiki's own exceptions. Every one says how to fix the problem.

ChiikiError
├── ConfigError            a setting is missing or invalid (start-up stops)
├── PackError              a content pack or the message catalog is invalid
└── StorageError
    ├── MigrationError     a migration file is malformed or failed to apply
    └── DatabaseTooNewError  the database was migrated by a newer chiiki
"""

from __future__ import annotations


class ChiikiError(Exception):
    """Base of every error chiiki raises on purpose."""


class ConfigError(ChiikiError):
    pass


class PackError(ChiikiError):
    pass


class StorageError(ChiikiError):
    pass


class MigrationError(StorageError):
    pass


class DatabaseTooNewError(StorageError):
    pass
