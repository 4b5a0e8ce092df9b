"""Random bad payloads from real devices over a real Mosquitto: every message is answered with
one ack of the contract's shape, a refusal carries a stable code and a reason and stores
nothing, and the hall keeps serving afterwards.

The messages are a seeded random mix (a failure repeats with its seed): events of every name,
from devices allowed and not allowed to send them, with the contract's own field names (and
misspelt ones) holding values of every type, plus raw bytes that are not JSON or not an object.
Good messages are mixed in, so that bad ones meet a hall with windows open and tickets called.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from pathlib import Path
from typing import Any

from qms.contract import EVENT_PAYLOADS, EVENTS_BY_KIND
from qms.contract.codec import from_data
from qms.contract.payloads import Ack
from qms.core.commands import OpenWindow
from qms.core.model import WindowState

from .harness import DEVICES, HALL, device, running_hall

MESSAGES = 160
NAMES = (*EVENT_PAYLOADS, "selfdestruct", "status")
FIELDS = sorted({f.name for cls in EVENT_PAYLOADS.values() for f in dataclasses.fields(cls)} | {"msg_id", "extra"})
STRINGS = (
    "", "next", "finish", "recall", "open", "pause", "transfer", "social", "tax", "nope", "w1", "w2",
    "completed", "very_dissatisfied", "elderly", "ABCD1234", "11010519491231002X", "13812345678",
    "zhang.san", "\x00", "王丽", "x" * 400, "m-1",
)  # fmt: skip
# well-formed starts, one field of which is then often spoilt: they reach the hall's own rules
TEMPLATES: dict[str, tuple[dict[str, Any], ...]] = {
    "button": (
        *({"button": b} for b in ("next", "recall", "start", "finish", "no-show", "pause", "resume", "close")),
        {"button": "open", "staff": "zhang.san"},
        {"button": "transfer", "to_service": "tax"},
    ),
    "take": ({"service": "social"}, {"service": "nope"}, {"service": "tax", "priority": "elderly"}),
    "rating": ({"level": "satisfied"}, {"level": "very_dissatisfied", "window": "w2"}),
    "checkin": ({"code": "ABCD1234"}, {"id_number": "11010519491231002X"}),
}
KINDS = {d.id: d.kind for d in DEVICES}
RAW = (b"", b"{", b"[]", b"null", b"7", b'"next"', b"\xff\xfe", b'{"msg_id": NaN}')


def value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False, 0, -1, 10**30, 1.5))
    if kind < 6:
        return rng.choice(STRINGS)
    if kind < 8:
        return [value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(FIELDS): value(rng, depth + 1) for _ in range(rng.randrange(3))}


def payload(rng: random.Random, n: int, name: str) -> tuple[bytes, str | None]:
    """A body for `evt/<name>`, and the msg_id its ack should carry (None: any, the id is broken)."""
    if rng.random() < 0.1:
        return rng.choice(RAW), None
    cls = EVENT_PAYLOADS.get(name)
    own = [f.name for f in dataclasses.fields(cls)] if cls else FIELDS
    # mostly the event's own fields with text values, so that messages get past the parser
    body = dict(rng.choice(TEMPLATES.get(name, ({},)))) if rng.random() < 0.5 else {}
    for _ in range(rng.randrange(4)):
        field = rng.choice(own if rng.random() < 0.85 else FIELDS)
        body[field] = rng.choice(STRINGS) if rng.random() < 0.6 else value(rng)
    msg_id: str | None = f"f{n}"
    roll = rng.random()
    if roll < 0.8:
        body["msg_id"] = msg_id
    elif roll < 0.9:
        body["msg_id"] = value(rng)
        msg_id = None
    else:
        body.pop("msg_id", None)
        msg_id = None
    return json.dumps(body, ensure_ascii=rng.random() < 0.5).encode(), msg_id


def test_random_bad_payloads_are_refused_cleanly_and_change_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        rng = random.Random(7)
        async with running_hall(tmp_path) as hall:
            await hall.service.submit(OpenWindow("w1", "zhang.san"))
            names = ("keypad-w1", "pad-w1", "dispenser-1", "help-1")
            async with (
                device(names[0], hall.port) as keypad,
                device(names[1], hall.port) as pad,
                device(names[2], hall.port) as dispenser,
                device(names[3], hall.port) as helper,
            ):
                devices = (keypad, pad, dispenser, helper)
                refused: dict[str, int] = {}
                for n in range(MESSAGES):
                    if rng.random() < 0.25:  # what a hall really sees
                        if rng.random() < 0.5:
                            ack = await dispenser.send("take", service=rng.choice(("social", "tax")))
                        else:
                            ack = await keypad.send("button", button=rng.choice(("next", "start", "finish")))
                        continue
                    sender = rng.choice(devices)
                    allowed = sorted(EVENTS_BY_KIND[KINDS[sender.id]])
                    name = rng.choice(allowed if rng.random() < 0.75 else NAMES)
                    data, msg_id = payload(rng, n, name)
                    before = await hall.store.event_count(HALL)
                    await sender.publish(name, data)
                    got = await sender.expect("ack", msg_id)
                    ack = from_data(Ack, got)  # the contract's shape, or this raises
                    what = f"message {n} from {sender.id} evt/{name}: {data[:200]!r} -> {got}"
                    assert msg_id is None or ack.msg_id == msg_id, what
                    if not ack.ok:
                        assert ack.error and ack.error.isascii() and ack.message.strip(), what
                        refused[ack.error] = refused.get(ack.error, 0) + 1
                        assert await hall.store.event_count(HALL) == before, f"{what} was refused but stored events"
                # only the acks of the messages sent came back: none is left unread
                await asyncio.sleep(0.2)
                for d in devices:
                    assert [kind for kind, _ in d.held if kind == "ack"] == [] and d.inbox.empty(), d.id
                # the fuzz reached the contract's checks and the hall's rules, not only the parser
                assert {"bad_json", "wrong_kind", "bad_value"} <= set(refused) and len(refused) >= 6, refused
                # and the hall still serves: a ticket is taken and called
                taken = await dispenser.send("take", service="social")
                assert taken.ok, taken
                state = (await hall.service.committed()).window("w1").state
                first = {
                    WindowState.CLOSED: {"button": "open", "staff": "zhang.san"},
                    WindowState.PAUSED: {"button": "resume"},
                    WindowState.CALLING: {"button": "finish"},
                    WindowState.SERVING: {"button": "finish"},
                }.get(state)
                if first is not None:
                    assert (await keypad.send("button", **first)).ok, state
                called = await keypad.send("button", button="next")
                assert called.ok and "已呼叫" in called.message, called

    asyncio.run(scenario())
