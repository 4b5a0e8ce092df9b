"""`kill -9` a real server while citizens book and cancel; every acknowledged answer survives."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from qms.bench.booking import CAPACITY, booking_hall_toml, id_numbers

from .servers import serving

pytestmark = pytest.mark.slow

CLIENTS = 8
KILL_AFTER = 120  # acknowledged bookings before the kill
KILL_AT_THE_LATEST = 5.0  # seconds of load, whatever was acknowledged by then


async def load(
    client: httpx.AsyncClient, acknowledged: dict[str, str], unanswered: set[str], enough: asyncio.Event
) -> None:
    """CLIENTS citizens book (and cancel every fifth booking) until the server goes away; the
    acknowledged state of each code is kept, and `enough` is set after KILL_AFTER bookings."""
    ids = id_numbers(CLIENTS * 200)
    day = (await client.get("/halls/bench/booking")).json()["days"][0]["date"]

    async def citizen(k: int) -> None:
        for n in range(200):
            body = {"service": "s00", "date": day, "start": f"{9 + (k + n) % 10:02d}:00",
                    "id_number": ids[k * 200 + n], "phone": "13812345678"}  # fmt: skip
            try:
                response = await client.post("/halls/bench/bookings", json=body)
                if response.status_code == 201:
                    code = response.json()["booking"]["code"]
                    acknowledged[code] = "booked"
                    if n % 5 == 0:
                        unanswered.add(code)  # a cancel cut off by the kill may have been stored
                        if (await client.delete(f"/halls/bench/bookings/{code}")).status_code == 200:
                            acknowledged[code] = "cancelled"
                        unanswered.discard(code)
            except httpx.HTTPError:
                return  # killed with this request in flight: it may or may not have been stored
            if len(acknowledged) >= KILL_AFTER:
                enough.set()

    await asyncio.gather(*(citizen(k) for k in range(CLIENTS)))


def test_kill_9_while_booking_loses_no_acknowledged_booking(tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(booking_hall_toml(), encoding="utf-8")
    data = tmp_path / "data"
    with serving(config, data) as server:
        acknowledged: dict[str, str] = {}  # code -> state, as the server last answered
        unanswered: set[str] = set()  # codes whose cancellation got no answer

        async def go() -> None:
            enough = asyncio.Event()
            async with httpx.AsyncClient(base_url=server.api, timeout=10) as client:
                running = asyncio.create_task(load(client, acknowledged, unanswered, enough))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(enough.wait(), KILL_AT_THE_LATEST)
                server.kill()  # mid-load: the citizens still have requests in flight
                await asyncio.wait_for(running, 10)

        asyncio.run(go())
    assert acknowledged, "nothing was acknowledged before the kill"
    with serving(config, data) as server:
        found: dict[str, Any] = {}
        with httpx.Client(base_url=server.api) as client:
            for code in acknowledged:
                response = client.get(f"/halls/bench/bookings/{code}")
                assert response.status_code == 200, (code, response.text)
                found[code] = response.json()["booking"]["state"]
            day = client.get("/halls/bench/booking").json()["days"][0]["date"]
            slots = client.get(f"/halls/bench/slots?service=s00&date={day}").json()["slots"]
    for code in unanswered:
        assert found.pop(code) in ("booked", "cancelled")
        acknowledged.pop(code)
    assert found == acknowledged
    assert all(s["booked"] <= CAPACITY for s in slots)
