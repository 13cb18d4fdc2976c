"""chiiki's own exceptions. Every one says how to fix the problem.

ChiikiError
├── ConfigError            a setting is missing or invalid (start-up stops)
├── PackError              a content pack or the message catalog is invalid
├── StorageError
│   ├── MigrationError     a migration file is malformed or failed to apply
│   ├── DatabaseTooNewError  the database was migrated by a newer chiiki
│   ├── StorageBusyError   another writer held the lock past CHIIKI_DB_BUSY_TIMEOUT_MS: nothing
│   │                      was written, try again (the web answers 503)
│   └── ConstraintViolationError  a write broke a rule of the schema (a unique or foreign
│                          key, a check): its transaction was rolled back
├── DeliveryError          a platform refused or failed a send (raised by bot/channels senders)
│   ├── RetryableDeliveryError  try again: 429 (with retry_after when told), 5xx, timeout
│   └── PermanentDeliveryError  do not retry: blocked (unreachable=True), bad request
│       └── BatchRefusedError   a send to many at once refused as a whole (LINE's 400 for a
│                          multicast with one malformed user id): send to each apart
└── AttachmentError        a photo or file could not be fetched (raised by Attachment.fetch)
    ├── AttachmentTooLargeError    over the cap the caller gave; at most the cap was read
    └── AttachmentUnavailableError  the platform no longer has it (LINE keeps content only a
                                    while), refused it, or failed: ask the resident again
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


# Raised by bot/storage in place of sqlite3's and asyncpg's own errors, so that nothing outside
# bot/storage needs to know which database is behind it.
class StorageBusyError(StorageError):
    pass


class ConstraintViolationError(StorageError):
    pass


class DeliveryError(ChiikiError):
    pass


class RetryableDeliveryError(DeliveryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class BatchRefusedError(PermanentDeliveryError):
    """Nobody got it, and the fault may lie with one recipient: the caller sends to each
    recipient apart to find out who (bot/delivery/outbox.py)."""


class AttachmentError(ChiikiError):
    pass


class AttachmentTooLargeError(AttachmentError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the attachment is over {limit} bytes; ask for a smaller one")
        self.limit = limit


class AttachmentUnavailableError(AttachmentError):
    pass
