"""A call at a window is spoken to its zone's players over MQTT `voice/<zone>`, whose audio URL
serves the announcement's WAV: a real `qms serve` with its managed Mosquitto and espeak-ng."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import aiomqtt
import httpx
import pytest

from qms.contract import topics
from qms.mqtt.broker import free_port
from tests.servers import serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("mosquitto") is None, reason="make test installs mosquitto"),
]

HALL_FILE = """\
[hall]
id = "voice-hall"
name = "语音测试大厅"
demo = true

[hours]
weekdays = [["00:00", "23:59"]]
saturday = [["00:00", "23:59"]]
sunday = [["00:00", "23:59"]]

[[services]]
id = "pension"
name = "养老保险待遇申领"
prefix = "A"

[[windows]]
numbers = "1-2"
kind = "general"

[[staff]]
username = "admin"
name = "管理员"
role = "admin"
password = "admin-pass"

[[devices]]
id = "player-main"
kind = "screen"
zone = "main"
password = "player-pass"
"""


def test_a_call_reaches_the_zone_players_with_playable_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(HALL_FILE, encoding="utf-8")
    mqtt_port = free_port()
    monkeypatch.setenv("QMS_MQTT_PORT", str(mqtt_port))
    monkeypatch.delenv("QMS_MQTT_URL", raising=False)
    monkeypatch.delenv("QMS_PUBLIC_URL", raising=False)

    async def scenario(api: str) -> None:
        async with aiomqtt.Client("127.0.0.1", mqtt_port, username="player-main", password="player-pass") as player:
            await player.subscribe(topics.voice("voice-hall", "main"), qos=1)
            async with httpx.AsyncClient(base_url=api, timeout=10) as http:
                login = await http.post("/auth/login", json={"username": "admin", "password": "admin-pass"})
                headers = {"Authorization": f"Bearer {login.json()['token']}"}
                ticket = (await http.post("/halls/voice-hall/tickets", json={"service": "pension"})).json()["ticket"]
                assert (await http.post("/halls/voice-hall/windows/w2/open", headers=headers)).status_code == 200
                called = await http.post("/halls/voice-hall/windows/w2/call-next", headers=headers)
                assert called.json()["ticket"]["number"] == ticket["number"] == "A001"
                async with asyncio.timeout(30):  # the first words of a fresh voice pack are rendered now
                    message = await anext(aiter(player.messages))
                voice = json.loads(message.payload)  # type: ignore[arg-type]
                assert not message.retain
                assert voice["text"] == "请A001号到2号窗口办理"
                assert voice["audio_url"].startswith("http://127.0.0.1:")
                audio = await http.get(voice["audio_url"])
                assert audio.status_code == 200 and audio.content[:4] == b"RIFF" and len(audio.content) > 10_000

    with serving(config, tmp_path / "data") as server:
        asyncio.run(scenario(server.api))
