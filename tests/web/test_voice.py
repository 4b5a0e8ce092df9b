"""The voice routes: status, announcement audio and the announcement stream (real espeak-ng)."""

from __future__ import annotations

import io
import warnings
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect

from qms.service import HallService
from qms.storage import SqliteStore
from qms.voice.announcer import Announcer
from qms.voice.engine import SpeechEngine
from qms.voice.pack import VoicePack
from qms.voice.settings import VoiceConfig
from qms.web import create_app

from .conftest import ACCOUNTS, HALL, SECRET, START, FakeClock, bearer, hall_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # see test_events.py
    from starlette.testclient import TestClient

VOICE = f"/api/v1/halls/{HALL}/voice"


class VoicedHall:
    def __init__(self, path: Path) -> None:
        self.store = SqliteStore(path / "voice.db")
        self.service = HallService(hall_config(), self.store, clock=FakeClock(START))
        config = VoiceConfig(repeat=1, chime=False, gap_seconds=0.1, rate=260)
        self.announcer = Announcer(self.service, config, VoicePack(SpeechEngine("pyttsx3"), path / "cache"))

    @asynccontextmanager
    async def runtime(self) -> AsyncIterator[None]:
        await self.store.open()
        await self.service.start()
        await self.announcer.start()
        try:
            yield
        finally:
            await self.announcer.stop()
            await self.service.stop()
            await self.store.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    hall = VoicedHall(tmp_path)
    app = create_app({HALL: hall.service}, ACCOUNTS, SECRET, runtime=hall.runtime)
    app.state.voice = {HALL: hall.announcer}
    with TestClient(app) as client:
        yield client


def test_a_call_reaches_the_stream_and_its_audio_is_served(client: TestClient) -> None:
    status = client.get(VOICE).json()
    assert status["engine"] == "pyttsx3" and [z["zone"] for z in status["zones"]] == ["main"]
    with client.websocket_connect(f"{VOICE}/stream?zone=main") as ws:
        assert ws.receive_json() == {"type": "hello", "hall": HALL, "zone": "main", "zones": ["main"]}
        assert client.post(f"/api/v1/halls/{HALL}/windows/w1/open", headers=bearer("alice")).status_code == 200
        assert client.post(f"/api/v1/halls/{HALL}/tickets", json={"service": "social"}).status_code == 201
        assert client.post(f"/api/v1/halls/{HALL}/windows/w1/call-next", headers=bearer("alice")).status_code == 200
        announcement = ws.receive_json()
    assert announcement["type"] == "announcement"
    assert (announcement["ticket"], announcement["window_number"], announcement["text"]) == (
        "A001",
        1,
        "请A001号到1号窗口办理",
    )
    response = client.get(announcement["audio_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (22050, 1, 2)
        assert w.getnframes() / 22050 == pytest.approx(announcement["duration_seconds"], abs=0.001)
    assert client.get(VOICE).json()["zones"][0]["played"] == 1


@pytest.mark.parametrize("name", ["abcdef-999", "not-an-id", "ABCDEF-1"])
def test_unknown_announcements_are_404(client: TestClient, name: str) -> None:
    response = client.get(f"{VOICE}/{name}.wav")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_announcement"


def test_an_unknown_zone_or_hall_closes_the_stream(client: TestClient) -> None:
    for url in (f"{VOICE}/stream?zone=upstairs", "/api/v1/halls/nowhere/voice/stream"):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url) as ws:
            ws.receive_json()
        assert closed.value.code == 4404


def test_a_hall_without_voice_calling_says_so(tmp_path: Path) -> None:
    service = HallService(hall_config(), SqliteStore(tmp_path / "x.db"), clock=FakeClock(START))
    app = create_app({HALL: service}, ACCOUNTS, SECRET)
    with TestClient(app) as client:
        response = client.get(VOICE)
        assert response.status_code == 404 and response.json()["error"]["code"] == "voice_off"
        assert client.get("/api/v1/halls/nowhere/voice").json()["error"]["code"] == "unknown_hall"
