"""`DeviceLink.mode` (what the devices pages' note says) tells the truth: not `managed` while the
managed Mosquitto has died and cannot start again, and not `external` once the link is stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from qms.config import HallFile, Settings
from qms.mqtt.broker import free_port
from qms.mqtt.link import BrokerMode, DeviceLink
from qms.service import HallService
from qms.storage import SqliteStore
from tests.factories import any_hour_hall

from .harness import DEVICES, WAIT

pytestmark = pytest.mark.slow


@asynccontextmanager
async def hall_link(tmp: Path) -> AsyncIterator[DeviceLink]:
    """A hall with its device link (managed Mosquitto on a free port), stopped at the end."""
    store = SqliteStore(tmp / "qms.sqlite3")
    await store.open()
    service = HallService(any_hour_hall(), store)
    await service.start()
    hall_file = HallFile(service.config, (), tmp / "hall.toml", devices=DEVICES)
    link = DeviceLink(hall_file, Settings(tmp, mqtt_port=free_port()), service)
    try:
        yield link
    finally:
        await link.stop()
        await service.stop()
        await store.close()


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not check():  # noqa: ASYNC110 - no event marks a change of mode
            await asyncio.sleep(0.02)


def squat(port: int) -> socket.socket:
    """Listen on `port` as soon as the killed broker has let it go (within a second)."""
    squatter = socket.socket()
    # as Mosquitto does: the connections it had wait in TIME_WAIT on the port
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(1000):
        try:
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            return squatter
        except OSError:
            pass
        time.sleep(0.001)
    squatter.close()
    raise AssertionError(f"port {port} was not let go")


def test_a_managed_broker_that_cannot_start_again_is_unavailable_until_it_runs(tmp_path: Path) -> None:
    async def main() -> None:
        async with hall_link(tmp_path) as link:
            await link.start()
            assert link.mode is BrokerMode.MANAGED and link.problem is None
            assert link.broker is not None and link.broker.pid is not None
            port = link.broker.port
            os.kill(link.broker.pid, signal.SIGKILL)
            squatter = squat(port)  # another program takes the port: no restart can listen there
            try:
                await until(lambda: link.mode is BrokerMode.UNAVAILABLE)  # ended: not running now
                await until(lambda: "did not start again" in (link.problem or ""))
                assert link.mode is BrokerMode.UNAVAILABLE and "Address already in use" in (link.problem or "")
            finally:
                squatter.close()
            await until(lambda: link.mode is BrokerMode.MANAGED)  # running again on its port
            assert link.problem is None and link.broker.port == port

    asyncio.run(main())


def test_a_stopped_link_says_stopped(tmp_path: Path) -> None:
    async def main() -> None:
        async with hall_link(tmp_path) as link:
            await link.start()
            await link.stop()
            assert link.mode is BrokerMode.STOPPED and link.password(DEVICES[0]) is None

    asyncio.run(main())
