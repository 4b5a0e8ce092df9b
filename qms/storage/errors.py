"""Errors of the storage adapters, in the core's one error tree (`qms.core.errors`).

They are shared by every `Store` implementation, so the service maps them once.
"""

from __future__ import annotations

from qms.core.errors import QmsError


class StorageError(QmsError):
    """The database cannot do what was asked: not open, unreadable, or a write failed."""

    code = "storage_error"


class SchemaTooNew(StorageError):
    """The database was written by a newer qms; an older one must not guess at its schema."""

    code = "schema_too_new"


class DuplicateRequest(StorageError):
    """A record's idempotency key is already stored for this hall (or twice in one batch)."""

    code = "duplicate_request"
