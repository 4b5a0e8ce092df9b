"""Confirmed events on disk: kept before the OK, sent again after a kill -9, removed when answered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import time
from pathlib import Path

import aiomqtt
import pytest

from firmware_bridge.emulators import BusDeviceEmulator
from firmware_bridge.messages import AckResult, DeviceKind, Key
from firmware_bridge.mosquitto import mosquitto
from firmware_bridge.outbox import Outbox
from qms.contract import Ack, Button, ButtonPressed, topics
from tests.firmware_bridge.chain import Recorder
from tests.firmware_bridge.test_presses import bridge_for, received
from tests.firmware_bridge.test_processes import line, process

TOPIC = "qms/v1/h/dev/keypad-w1/evt/button"


def test_an_event_stays_until_removed_and_only_while_young_enough(tmp_path: Path) -> None:
    async def main() -> None:
        outbox = Outbox(tmp_path / "data" / "outbox.sqlite3")
        assert outbox.load(30) == []
        await outbox.keep("b1-1", "keypad-w1", TOPIC, b'{"msg_id": "b1-1"}')
        await outbox.keep("b1-2", "keypad-w1", TOPIC, b'{"msg_id": "b1-2"}')
        await outbox.remove(["b1-2", "not-kept"])
        outbox.close()  # as a kill -9 would leave it: nothing is written at close

        again = Outbox(tmp_path / "data" / "outbox.sqlite3")
        (kept,) = again.load(30)
        assert (kept.msg_id, kept.device, kept.topic) == ("b1-1", "keypad-w1", TOPIC)
        assert kept.payload == b'{"msg_id": "b1-1"}' and 0 <= kept.age < 5
        assert again.load(30, now=time.time() + 31) == []  # too old to act on: gone for good
        again.close()
        assert Outbox(tmp_path / "data" / "outbox.sqlite3").load(30) == []

    asyncio.run(main())


def test_a_damaged_outbox_is_moved_aside_and_the_bridge_starts_with_an_empty_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        path = tmp_path / "outbox.sqlite3"
        path.write_bytes(b"this is not an SQLite file" * 100)
        with caplog.at_level(logging.ERROR, logger="firmware_bridge.outbox"):
            outbox = Outbox(path)
        assert "is not usable" in caplog.text and "starts with an empty outbox" in caplog.text
        assert outbox.load(30) == []
        await outbox.keep("b1-1", "keypad-w1", TOPIC, b"{}")
        assert len(outbox) == 1
        outbox.close()

    asyncio.run(main())
    (aside,) = tmp_path.glob("outbox.sqlite3.bad-*")  # kept for a look
    assert aside.read_bytes().startswith(b"this is not")


def test_a_table_of_another_shape_counts_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE events (id INTEGER)")
        db.commit()
    outbox = Outbox(path)
    assert outbox.load(30) == [] and len(list(tmp_path.glob("outbox.sqlite3.bad-*"))) == 1
    outbox.close()


@pytest.mark.slow
def test_a_press_that_cannot_be_kept_on_disk_fails_at_the_keypad_and_is_not_sent() -> None:
    async def main() -> None:
        with mosquitto() as broker:
            async with (
                BusDeviceEmulator(DeviceKind.KEYPAD, 1) as keypad,
                bridge_for(keypad.path, "disk-hall", broker.port) as bridge,
                aiomqtt.Client("127.0.0.1", broker.port) as client,
            ):
                await client.subscribe(f"{topics.root('disk-hall')}/dev/+/evt/+", qos=1)
                async with asyncio.timeout(5):
                    await bridge.connected.wait()
                bridge.outbox._db.close()  # the disk is gone from under the bridge
                assert await keypad.press_key(Key.NEXT) is AckResult.BUSY  # the person presses again later
                assert await received(client, for_seconds=0.5) == []

    asyncio.run(main())


@pytest.mark.slow
def test_a_press_confirmed_while_the_broker_hangs_reaches_the_server_after_a_kill_9_of_the_bridge(
    tmp_path: Path,
) -> None:
    # The broker hangs (SIGSTOP); the keypad hears OK after CONFIRM_WITHIN, as the bridge now owns
    # the event; the bridge is killed. The broker goes on while the server is reconnecting (clean
    # session), so the copy the broker had reaches nobody: only the bridge's outbox still has the
    # press, and the bridge started again must send it, with its msg_id, until the server answers.
    async def main() -> None:
        hall = "outbox-hall"
        root = topics.root(hall)
        with mosquitto() as broker:
            async with process("-m", "firmware_bridge.emulators", "keypad", "--pty", "--address", "7") as keypad:
                (tmp_path / "bridge.toml").write_text(
                    f'[bridge]\nid = "bridge-9"\npoll_interval = 0.2\nlost_after = 1.0\ndata = "data"\n'
                    f'[[ports]]\nname = "bus"\npath = "{await line(keypad)}"\n'
                    '[[devices]]\nid = "keypad-w3"\nkind = "keypad"\nport = "bus"\naddress = 7\nwindow = "w3"\n'
                )
                args = ["--broker", broker.url, "--hall", hall, "--config", str(tmp_path / "bridge.toml")]
                assert keypad.stdin is not None
                async with aiomqtt.Client("127.0.0.1", broker.port) as watcher:
                    states = Recorder(watcher)
                    await watcher.subscribe(f"{root}/dev/+/$state", qos=1)
                    watching = asyncio.create_task(states.run())
                    async with process("-m", "firmware_bridge", *args) as bridge:
                        for dev in ("keypad-w3", "bridge-9"):
                            await states.last_on(f"{root}/dev/{dev}/$state", b"ready", within=10)
                        broker.process.send_signal(signal.SIGSTOP)
                        try:
                            keypad.stdin.write(b"next\n")
                            assert await line(keypad, "next:") == "next: ok"
                            os.kill(bridge.pid, signal.SIGKILL)
                            await bridge.wait()
                        finally:
                            broker.process.send_signal(signal.SIGCONT)
                    # The broker has read what the killed bridge sent (the event) before its end (the will).
                    await states.last_on(f"{root}/dev/bridge-9/$state", b"lost")
                    watching.cancel()

                async with aiomqtt.Client("127.0.0.1", broker.port) as server:
                    await server.subscribe(f"{root}/dev/+/evt/+", qos=1)
                    events: list[ButtonPressed] = []
                    answering = asyncio.create_task(answer(server, hall, events))
                    async with process("-m", "firmware_bridge", *args):
                        # the server's answer, shown on the keypad as for any press
                        assert await line(keypad, "display: 已呼叫 A001") == "display: 已呼叫 A001  beeps: 0"
                        await asyncio.sleep(1.5)  # longer than the bridge waits before sending again
                    answering.cancel()
                    assert [e.button for e in events] == [Button.NEXT]  # once: answered, never sent again

    asyncio.run(main())
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / "outbox-bridge-9.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)  # answered: removed


async def answer(server: aiomqtt.Client, hall: str, events: list[ButtonPressed]) -> None:
    """Answer every event as the server does; keep each one that arrives."""
    async for message in server.messages:
        event = ButtonPressed.decode(message.payload)  # type: ignore[arg-type]
        events.append(event)
        device = str(message.topic).split("/")[-3]
        ack = Ack(event.msg_id, True, message="已呼叫 A001")
        await server.publish(topics.device_ack(hall, device), ack.encode(), qos=1)
