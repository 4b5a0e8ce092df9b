"""A hall started without any device: `qms demo` runs its managed Mosquitto and the gateway from
the start, so the first keypad registered on the admin devices page signs in with the password
the page shows and calls the next ticket at once, as any later device does; and the gateway,
up since the start, shows the call on the zone's screen topic. Real server, Mosquitto, SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt
import httpx
import pytest

from qms.bench.api import free_port
from qms.contract import ScreenState, topics
from tests.test_config import BASE
from tests.web.test_admin import Browser, shown_password
from tests.web.test_screen_browser import start_demo

from .harness import HALL, device

pytestmark = pytest.mark.slow

ADMIN = f"/admin/{HALL}"
PASSWORD = "change-me"  # BASE's admin account


async def call_next_on_the_keypad(port: int, password: str, number: str) -> None:
    """Press next on keypad-w1 with its shown password; then the zone's screen shows the call."""
    async with device("keypad-w1", port, password) as keypad:
        ack = await keypad.send("button", button="next")
        assert ack.ok, ack
    async with aiomqtt.Client("127.0.0.1", port, username="keypad-w1", password=password) as screen:
        await screen.subscribe(topics.screen(HALL, "main"), qos=1)
        async with asyncio.timeout(10):
            async for message in screen.messages:
                assert isinstance(message.payload, bytes)
                recent = ScreenState.decode(message.payload).recent
                if recent and recent[0].ticket == number:
                    return


def test_the_first_keypad_added_on_the_admin_page_signs_in_and_calls_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(BASE, encoding="utf-8")  # no [[devices]]
    assert "[[devices]]" not in BASE
    mqtt_port = free_port()
    monkeypatch.setenv("QMS_MQTT_PORT", str(mqtt_port))
    monkeypatch.delenv("QMS_MQTT_URL", raising=False)
    server = start_demo(config, tmp_path / "data", free_port())
    base = f"http://127.0.0.1:{server.port}"
    try:
        admin = Browser(base)
        assert admin.log_in("admin", PASSWORD).status_code == 303
        page = admin.get(f"{ADMIN}/devices").text
        assert "修改立即生效" in page and "a new device can sign in right away" in page
        new = {"id": "keypad-w1", "kind": "keypad", "window": "w1", "zone": "", "bridge": ""}
        assert admin.post(f"{ADMIN}/devices/new", new).status_code == 303
        password = shown_password(admin.post(f"{ADMIN}/devices/keypad-w1/credential", {"action": "show"}))
        with httpx.Client(base_url=f"{base}/api/v1/halls/{HALL}", timeout=10) as http:
            login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
            staff = {"Authorization": f"Bearer {login.json()['token']}"}
            ticket = http.post("/tickets", json={"service": "pension"}).json()["ticket"]
            assert http.post("/windows/w1/open", headers=staff).status_code == 200
            asyncio.run(call_next_on_the_keypad(mqtt_port, password, ticket["number"]))
            assert http.get(f"/tickets/{ticket['id']}").json()["ticket"]["state"] == "called"
        with pytest.raises(aiomqtt.MqttError):  # and still only registered devices get in
            asyncio.run(call_next_on_the_keypad(mqtt_port, "not-the-password", ticket["number"]))
    finally:
        server.stop()
        Browser.close_all()
    assert "Traceback" not in server.stderr, server.stderr
