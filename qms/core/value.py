"""`@value`: the core's value types, frozen to the type checker and cheap to make at run time.

Why not `@dataclass(frozen=True)`: a frozen dataclass's `__init__` cannot assign its fields and
sets each one through `object.__setattr__`, which costs about 0.3 µs a field in CPython. Every
command the hall handles makes several values (the ticket's 23 fields, its events, the ended
step), and that alone cost more than the rest of the command: with `@value` a simulated
ticket costs half as much, and call-next at the server answers sooner.

What stays the same: values are compared and hashed by their fields (`unsafe_hash=True` gives
the hash `frozen=True` would), `dataclasses.replace`, `fields` and `asdict` work, and they have
slots. What changes: assigning to a field is refused by `mypy --strict` (the decorator is a
`dataclass_transform` with `frozen_default=True`, so the checker treats every `@value` class as
frozen), not by the interpreter. CI type-checks all code that uses the core, so nobody can
change a value that others hold, such as a ticket the hall handed out and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    """Make `cls` a value: a slotted dataclass with equality and hash by its fields."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
