"""JSON encoding of the contract's payload dataclasses, validating every field on the way in.

One generic codec driven by the dataclasses' type hints (str, int, float, bool, StrEnum,
`X | None`, `tuple[Payload, ...]`), strict on the way in: a missing field, a field of the
wrong type or an unknown field raises ContractError. Topic levels carry the contract's
version, so a new field means a new version, never a silently ignored key.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from .errors import ContractError

MAX_PAYLOAD_BYTES = 16 * 1024  # a screen's state is the largest payload; 16 KiB is plenty

P = TypeVar("P")


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def to_data(value: Any) -> Any:
    """A payload value as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [to_data(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """A payload as compact UTF-8 JSON (Chinese text stays readable)."""
    return json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":")).encode()


def loads(cls: type[P], payload: bytes | bytearray | str) -> P:
    """Decode and validate `payload` as `cls`; ContractError on anything that does not fit."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError("too_large", f"payload of {len(payload)} bytes; at most {MAX_PAYLOAD_BYTES}")
    try:
        text = payload.decode() if isinstance(payload, bytes | bytearray) else payload
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContractError("bad_json", f"not UTF-8 JSON: {exc}") from None
    return from_data(cls, data)


def from_data(cls: type[P], data: Any) -> P:
    """Validate JSON data as `cls`."""
    return typing.cast(P, _decode(cls, data, cls.__name__))


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _decode(args[0], data, where)
    if origin is tuple:
        if not isinstance(data, list):
            raise ContractError("bad_payload", f"{where}: expected a list")
        (item,) = typing.get_args(tp)[:1]
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(data))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ContractError("bad_payload", f"{where}: expected a JSON object")
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ContractError("unknown_field", f"{where}: unknown field {_quoted(unknown[0])}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ContractError("missing_field", f"{where}: missing {f.name!r}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        if isinstance(data, str):
            try:
                return tp(data)
            except ValueError:
                pass
        allowed = ", ".join(m.value for m in tp)
        raise ContractError("bad_value", f"{where}: {_quoted(data)} is not one of {allowed}")
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ContractError("bad_payload", f"{where}: expected a number")
        return float(data)
    if tp in (int, str, bool):
        if type(data) is not tp:
            raise ContractError("bad_payload", f"{where}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise ContractError("bad_payload", f"{where}: cannot decode {tp!r}")  # pragma: no cover - a contract bug


def _quoted(data: Any, limit: int = 40) -> str:
    """`data` as quoted in a refusal, cut short: a reason names what was wrong without echoing
    a device's whole payload back at it."""
    return shortened(repr(data), limit)


def shortened(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
