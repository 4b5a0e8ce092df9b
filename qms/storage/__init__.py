"""Storage of the halls' command and event logs and their projections (see base.py)."""

from __future__ import annotations

from .base import Record, Store, StoredCommand
from .errors import DuplicateRequest, SchemaTooNew, StorageError
from .sqlite import SqliteStore

__all__ = ["DuplicateRequest", "Record", "SchemaTooNew", "SqliteStore", "StorageError", "Store", "StoredCommand"]
