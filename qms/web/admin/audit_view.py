"""How the audit page shows a change: one line per field, before → after, in plain words.

An audit row keeps before and after as JSON texts (the changed fields of a window, service,
account or device; the whole value when one is added or removed), which is exact but hard to
read at a glance. The page shows each changed field as a line of its own, lists and nested
values written out, and keeps the exact texts one click away.
"""

from __future__ import annotations

import json
from typing import Any

Line = tuple[str, str, str]  # (field, before, after); field "" for a value that is not a record

NOTHING = "—"


def change_lines(before: str, after: str) -> list[Line]:
    """The lines of one audit row: a field's before and after, `NOTHING` where it had none."""
    was, now = _load(before), _load(after)
    if isinstance(was, dict) or isinstance(now, dict):
        old = was if isinstance(was, dict) else {}
        new = now if isinstance(now, dict) else {}
        keys = [*old, *(k for k in new if k not in old)]
        return [(str(k), show(old.get(k)), show(new.get(k))) for k in keys]
    return [("", show(was), show(now))]


def show(value: Any) -> str:
    """A JSON value written out for a person: lists comma-separated (pairs within them
    space-separated), records as `key: value`."""
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, list):  # pairs such as a window's (service, weight) read "pension 3.0"
        return ", ".join(" ".join(show(x) for x in v) if isinstance(v, list) else show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v)}" for k, v in value.items())
    return str(value)


def _load(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:  # an older row, or a note written as plain text
        return text
