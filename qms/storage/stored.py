"""JSON in and out of the database's text columns, for every store of the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from qms.core.errors import QmsError

from .errors import StorageError

T = TypeVar("T")

# ensure_ascii=False: service names and reasons stay readable Chinese in the database. One
# encoder for all: json.dumps with options builds a new one per call.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def read_stored(read: Callable[[Any], T], text: str, what: str) -> T:
    """`read` applied to the stored JSON `text`; StorageError naming `what` when it does not fit."""
    # A stored row that no longer fits the core's types is a storage problem: name the row.
    try:
        return read(json.loads(text))
    except (QmsError, ValueError) as exc:  # a value's own checks, or JSON that does not fit
        raise StorageError(f"{what} cannot be read: {exc}") from exc
