"""JSON-ready encoding of the core's values (events, commands, tickets) and back.

One generic codec driven by the dataclasses' type hints, so that a new event needs no
hand-written serializer. Datetimes travel as ISO 8601 with their offset, dates as
`YYYY-MM-DD`, enums as their values, tuples as lists. Decoding validates: a stored or
received payload that does not fit raises InvalidInput, never a bare KeyError.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from . import commands as _commands
from .errors import InvalidInput
from .events import EVENT_TYPES, Event

T = TypeVar("T")

JSON = dict[str, Any]


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """Encode a core value (dataclass, enum, datetime, tuple, ...) as JSON-ready data.

    This runs for every stored record and every published event, so the common cases are
    checked first and cheaply.
    """
    cls: Any = type(value)
    if cls in _PLAIN:
        return value
    if hasattr(cls, "__dataclass_fields__"):
        return {f.name: to_json(getattr(value, f.name)) for f in _fields(cls)}
    if isinstance(value, Enum):
        return value._value_
    if isinstance(value, datetime):
        if value.tzinfo is None:  # it could be stored but never read back: refuse it now
            raise InvalidInput("times must be timezone-aware", code="naive_time")
        return value.isoformat()
    if isinstance(value, (date, time)):  # a tuple is faster here than a union
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Decode data made by `to_json` back into `cls`, validating as it goes."""
    try:
        return typing.cast(T, _decode(cls, data, cls.__name__))
    except InvalidInput:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot read {cls.__name__}: {exc}") from exc


def tagged_to_json(value: Any) -> JSON:
    """A dataclass value as `{"type": its class name, ...fields}`: how events and commands travel."""
    data: JSON = {"type": type(value).__name__}
    data.update(to_json(value))
    return data


def tagged_from_json(types: Mapping[str, type[T]], data: JSON, what: str) -> T:
    """The inverse of `tagged_to_json`, for one of `types` (by class name); an unknown type
    is InvalidInput naming `what` ("event", "command")."""
    name = data.get("type") if isinstance(data, dict) else None
    cls = types.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidInput(f"unknown {what} type {name!r}")
    return from_json(cls, {k: v for k, v in data.items() if k != "type"})


def event_to_json(event: Event) -> JSON:
    """An event as `{"type": name, ...fields}`."""
    return tagged_to_json(event)


def event_from_json(data: JSON) -> Event:
    """The inverse of `event_to_json`."""
    event: Event = tagged_from_json(EVENT_TYPES, data, "event")
    return event


COMMAND_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(_commands.Command)}


def command_to_json(command: _commands.Command) -> JSON:
    """A command as `{"type": name, ...fields}`, as stored in the command log."""
    return tagged_to_json(command)


def command_from_json(data: JSON) -> _commands.Command:
    """The inverse of `command_to_json`."""
    return typing.cast(_commands.Command, tagged_from_json(COMMAND_TYPES, data, "command"))


@cache
def _fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        last: Exception | None = None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, where)
            except (InvalidInput, TypeError, ValueError, KeyError) as exc:
                last = exc
        raise InvalidInput(f"{where}: {data!r} does not fit ({last})")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list | tuple):
            raise InvalidInput(f"{where}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, where) for v in data)
        if len(args) != len(data):
            raise InvalidInput(f"{where}: expected {len(args)} items")
        return tuple(_decode(a, v, where) for a, v in zip(args, data, strict=True))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise InvalidInput(f"{where}: expected an object")
        hints = _hints(tp)
        kwargs = {}
        for f in _fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InvalidInput(f"{where}: missing {f.name!r}")
        unknown = set(data) - {f.name for f in _fields(tp)}
        if unknown:
            raise InvalidInput(f"{where}: unknown field {sorted(unknown)[0]!r}")
        return tp(**kwargs)
    if tp is datetime:
        if not isinstance(data, str):
            raise InvalidInput(f"{where}: expected an ISO 8601 date-time")
        value = datetime.fromisoformat(data)
        if value.tzinfo is None:
            raise InvalidInput(f"{where}: date-time {data!r} needs a UTC offset")
        return value
    if tp is date:
        if not isinstance(data, str):
            raise InvalidInput(f"{where}: expected a date")
        return date.fromisoformat(data)
    if tp is time:
        if not isinstance(data, str):
            raise InvalidInput(f"{where}: expected a time")
        return time.fromisoformat(data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise InvalidInput(f"{where}: {data!r} is not one of {allowed}") from None
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise InvalidInput(f"{where}: expected a number")
        return float(data)
    if tp is int or tp is str or tp is bool:
        if type(data) is not tp:
            raise InvalidInput(f"{where}: expected {tp.__name__}")
        return data
    if tp is Any:
        return data
    raise InvalidInput(f"{where}: cannot decode type {tp!r}")
