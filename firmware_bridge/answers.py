"""Answers remembered by `msg_id`, so that a repeated command is answered again and never done twice."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from qms.contract import Ack

REMEMBERED = 256  # per device: the server repeats a command within seconds, not hundreds of commands later


class Answers:
    """The answers given to one device's commands, newest last."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._remembered = remembered
        self._answers: OrderedDict[str, Ack | asyncio.Future[Ack]] = OrderedDict()

    async def once(self, msg_id: str, execute: Callable[[], Awaitable[Ack]]) -> Ack:
        """The answer to `msg_id`: `execute()`'s the first time, the same again for a repeat (even mid-way)."""
        earlier = self._answers.get(msg_id)
        if earlier is not None:
            return await asyncio.shield(earlier) if isinstance(earlier, asyncio.Future) else earlier
        pending: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._answers[msg_id] = pending
        while len(self._answers) > self._remembered:
            self._answers.popitem(last=False)
        try:
            ack = await execute()
        except BaseException as error:
            pending.cancel()
            self._answers.pop(msg_id, None)  # not answered: a repeat may try again
            raise error from None
        if msg_id in self._answers:
            self._answers[msg_id] = ack
        pending.set_result(ack)
        return ack


def msg_id_of(payload: bytes) -> str | None:
    """The `msg_id` of a command that did not decode, if it has a usable one (to address the refusal)."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    msg_id = data.get("msg_id") if isinstance(data, dict) else None
    return msg_id if isinstance(msg_id, str) and 0 < len(msg_id) <= 64 else None
