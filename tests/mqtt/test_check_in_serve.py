"""`qms serve` hands its booking desk to the MQTT gateway: a dispenser checks in against the real server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiomqtt
import httpx
import pytest

from qms.bench.booking import booking_hall_toml, id_numbers
from qms.contract import Ack, ServerState, topics
from qms.mqtt.broker import free_port
from tests.servers import serving

pytestmark = pytest.mark.slow

HALL = "bench"
DISPENSER = '\n[[devices]]\nid = "dispenser-1"\nkind = "dispenser"\npassword = "disp-pass"\n'


async def check_ins(port: int, *payloads: dict[str, str]) -> list[Ack]:
    """Send each `evt/checkin` as dispenser-1 (once the server is ready) and collect the acks."""
    async with aiomqtt.Client("127.0.0.1", port, username="dispenser-1", password="disp-pass", timeout=5) as client:
        await client.subscribe([(topics.server(HALL), 1), (topics.device_ack(HALL, "dispenser-1"), 1)])
        acks: list[Ack] = []
        async with asyncio.timeout(15):
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                if message.topic.matches(topics.server(HALL)):
                    if ServerState.decode(message.payload) is ServerState.READY:
                        for payload in payloads:
                            event = json.dumps(payload).encode()
                            await client.publish(topics.device_event(HALL, "dispenser-1", "checkin"), event, qos=1)
                    continue
                acks.append(Ack.decode(message.payload))
                if len(acks) == len(payloads):
                    return sorted(acks, key=lambda a: a.msg_id)
    raise AssertionError("no acks")


def test_a_dispenser_checks_in_through_the_servers_booking_desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(booking_hall_toml() + DISPENSER, encoding="utf-8")
    mqtt_port = free_port()
    monkeypatch.setenv("QMS_MQTT_PORT", str(mqtt_port))
    monkeypatch.delenv("QMS_MQTT_URL", raising=False)
    with serving(config, tmp_path / "data") as server, httpx.Client(base_url=server.api, timeout=10) as http:
        day = http.get(f"/halls/{HALL}/booking").json()["days"][-1]["date"]
        slots = http.get(f"/halls/{HALL}/slots", params={"service": "s00", "date": day}).json()["slots"]
        start = next(s["start"] for s in reversed(slots) if s["free"] and not s["past"])
        body = {"service": "s00", "date": day, "start": start, "id_number": id_numbers(1)[0], "phone": "13812345678"}
        made = http.post(f"/halls/{HALL}/bookings", json=body)
        assert made.status_code == 201, made.text
        code = made.json()["booking"]["code"]
        deadline = time.monotonic() + 10
        while True:  # the managed broker comes up with the server
            try:
                unknown, real = asyncio.run(
                    check_ins(mqtt_port, {"msg_id": "a-1", "code": "NOSUCH99"}, {"msg_id": "a-2", "code": code})
                )
                break
            except aiomqtt.MqttError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert (unknown.ok, unknown.error, unknown.message) == (False, "unknown_booking", "未找到该预约，请核对预约码")
        # the real booking follows the hall's rules: days ahead it is too early; within the window it checks in
        assert real.ok or real.error == "booking_too_early", real
        booking = http.get(f"/halls/{HALL}/bookings/{code}").json()["booking"]
        assert booking["state"] == ("checked_in" if real.ok else "booked")
