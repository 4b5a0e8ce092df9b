"""Typed reading of a parsed TOML document, with the key path of every value.

tomllib hands back plain dicts and lists, so a typo or a wrong type would otherwise surface
far from its cause as a KeyError or TypeError. Here every value is reached through a `Table`
or a `Node`, which know their file and key path, and every read states what it expects, so
each problem is reported as `file: services[3].prefix: got "a1"; expected ...`.

Array indexes in key paths count from 0, as in `services[0]` for the first `[[services]]`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar, overload

from ..core.errors import ConfigError

T = TypeVar("T")
D = TypeVar("D")
E = TypeVar("E", bound=StrEnum)


class ConfigFileError(ConfigError):
    """A configuration file cannot be used.

    The message names the file, the key path (`windows[12].services.tax-filing`) and what is
    wrong and expected; `source`, `key` and `problem` hold the parts for programs.
    """

    def __init__(self, source: Path, key: str, problem: str, *, context: str = "") -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{key} ({context})" if context and key else key or context
        super().__init__(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")


class Misfit(Exception):
    """Raised by a `Kind` reader: the value does not fit (the caller knows what was expected)."""


@dataclass(frozen=True, slots=True)
class Kind(Generic[T]):
    """What a value must be: `expected` describes it to a person, `read` converts or raises Misfit."""

    expected: str
    read: Callable[[object], T]


def describe(value: object) -> str:
    """A TOML-flavoured description of a value, for 'got ...' in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 50 else text[:47] + '..."'
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__  # pragma: no cover - tomllib makes nothing else


# -- kinds of values -------------------------------------------------------------------------


def _read_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Misfit
    return value


TEXT = Kind("a non-empty string", _read_text)


def _read_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise Misfit
    return value


BOOL = Kind("true or false", _read_bool)


def pattern(regex: re.Pattern[str], expected: str) -> Kind[str]:
    """A string matching `regex` in full."""

    def read(value: object) -> str:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise Misfit
        return value

    return Kind(expected, read)


def integer(minimum: int | None = None, maximum: int | None = None) -> Kind[int]:
    """An integer within bounds. TOML booleans are refused although Python counts them as ints."""
    expected = "an integer"
    if minimum is not None and maximum is not None:
        expected += f" from {minimum} to {maximum}"
    elif minimum is not None:
        expected += f" of at least {minimum}"

    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Misfit
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise Misfit
        return value

    return Kind(expected, read)


def number(*, positive: bool = False) -> Kind[float]:
    """An integer or float, greater than 0 if `positive`, else at least 0."""
    expected = "a number greater than 0" if positive else "a number of at least 0"

    def read(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Misfit
        if value < 0 or (positive and value == 0) or value != value:  # value != value: NaN
            raise Misfit
        return float(value)

    return Kind(expected, read)


def or_false(kind: Kind[T]) -> Kind[T | None]:
    """`kind`, or `false` for 'none' (TOML has no null)."""

    def read(value: object) -> T | None:
        return None if value is False else kind.read(value)

    return Kind(f"{kind.expected}, or false", read)


def choice(enum: type[E]) -> Kind[E]:
    """One of the values of a StrEnum."""
    values = [m.value for m in enum]

    def read(value: object) -> E:
        if not isinstance(value, str) or value not in values:
            raise Misfit
        return enum(value)

    return Kind("one of " + ", ".join(json.dumps(v) for v in values), read)


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def _read_time(value: object) -> time:
    # Accept TOML's own local time (09:00:00) as well as the friendlier string "09:00".
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise Misfit
        return value
    if isinstance(value, str) and (m := _CLOCK.fullmatch(value)):
        hour, minute = int(m[1]), int(m[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise Misfit


TIME = Kind('a 24-hour time "HH:MM" such as "09:00" or "13:30"', _read_time)


def _read_date(value: object) -> date:
    if isinstance(value, datetime):  # a datetime is a date too; a time of day here is a mistake
        raise Misfit
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Misfit from None
    raise Misfit


DATE = Kind("a date such as 2026-10-01", _read_date)


# -- nodes and tables ------------------------------------------------------------------------


_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Node:
    """One value of the file with its key path."""

    source: Path
    key: str
    value: object
    context: str = ""

    def error(self, problem: str) -> ConfigFileError:
        return ConfigFileError(self.source, self.key, problem, context=self.context)

    def misfit(self, expected: str) -> ConfigFileError:
        return self.error(f"got {describe(self.value)}; expected {expected}")

    def read(self, kind: Kind[T]) -> T:
        try:
            return kind.read(self.value)
        except Misfit:
            raise self.misfit(kind.expected) from None

    def items(self, expected: str = "an array") -> list[Node]:
        """The elements of an array, each with its index in the key path."""
        if not isinstance(self.value, list):
            raise self.misfit(expected)
        return [Node(self.source, f"{self.key}[{i}]", v, self.context) for i, v in enumerate(self.value)]

    def table(self, expected: str = "a table") -> Table:
        if not isinstance(self.value, dict):
            raise self.misfit(expected)
        return Table(self.value, self.source, self.key, self.context)


class Table:
    """A TOML table being read; every read names its key path in errors."""

    __slots__ = ("context", "data", "path", "source")

    def __init__(self, data: dict[str, object], source: Path, path: str = "", context: str = "") -> None:
        self.data = data
        self.source = source
        self.path = path
        self.context = context

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def with_context(self, context: str) -> Table:
        """The same table, with errors saying which service or window it is."""
        return Table(self.data, self.source, self.path, context)

    def error(self, problem: str, name: str | None = None) -> ConfigFileError:
        key = self.path if name is None else self.key(name)
        return ConfigFileError(self.source, key, problem, context=self.context)

    def only(self, *names: str) -> None:
        """Refuse keys other than `names`, suggesting the nearest one: a typo must not be ignored."""
        for name in self.data:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
                hint = f"did you mean {json.dumps(close[0])}? " if close else ""
                allowed = ", ".join(names)
                raise self.error(f"unknown key; {hint}expected one of: {allowed}", name)

    def has(self, name: str) -> bool:
        return name in self.data

    def node(self, name: str) -> Node:
        if name not in self.data:
            raise self.error("missing", name)
        return Node(self.source, self.key(name), self.data[name], self.context)

    @overload
    def get(self, name: str, kind: Kind[T]) -> T: ...

    @overload
    def get(self, name: str, kind: Kind[T], default: D) -> T | D: ...

    def get(self, name: str, kind: Kind[T], default: object = _REQUIRED) -> object:
        """The value at `name` read as `kind`; `default` when absent, or an error if none is given."""
        if name not in self.data:
            if default is _REQUIRED:
                raise self.error(f"missing; expected {kind.expected}", name)
            return default
        return self.node(name).read(kind)

    def table(self, name: str, *, required: bool = False) -> Table:
        """A sub-table; an absent optional one reads as empty, so its defaults apply."""
        if name not in self.data:
            if required:
                raise self.error(f"missing; expected a table [{self.key(name)}]", name)
            return Table({}, self.source, self.key(name), self.context)
        return self.node(name).table(f"a table [{self.key(name)}]")

    def tables(self, name: str, *, required: bool = False) -> list[Table]:
        """An array of tables (`[[name]]` entries, or an inline array of `{...}`)."""
        expected = f"an array of tables [[{self.key(name)}]]"
        if name not in self.data:
            if required:
                raise self.error(f"missing; expected {expected}", name)
            return []
        return [item.table(f"a table (entries of {expected})") for item in self.node(name).items(expected)]
