"""The hall PC's player against a real `qms serve` with real espeak-ng audio.

There is no sound card here, so `--command` stands in for `aplay`: a script that keeps each
WAV it is given and takes as long as the audio lasts, as aplay would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from displays.player import Player, PlayerError, play_command, stream_url
from qms.voice import audio
from tests.servers import serving

pytestmark = pytest.mark.slow

HALL_FILE = """\
[hall]
id = "street"
name = "街道便民服务中心"
demo = true

[hours]
weekdays = [["00:00", "23:59"]]
saturday = [["00:00", "23:59"]]
sunday = [["00:00", "23:59"]]

[[services]]
id = "social"
name = "社保卡办理"
prefix = "A"

[[windows]]
numbers = "1-2"
kind = "general"

[[windows]]
number = 12
kind = "general"
zone = "upstairs"

[[staff]]
username = "clerk"
name = "王丽"
password = "clerk-password"

[voice]
repeat = 1
chime = false
rate = 260
gap_seconds = 0.3
"""

# Plays nothing: keeps the file and sleeps for the audio's length, noting start and end.
FAKE_APLAY = textwrap.dedent(
    """\
    import shutil, sys, time, wave
    out, wav = sys.argv[1], sys.argv[2]
    with wave.open(wav) as w:
        seconds = w.getnframes() / w.getframerate()
    start = time.time()
    n = sum(1 for _ in open(out + "/log.txt")) if __import__("os").path.exists(out + "/log.txt") else 0
    shutil.copy(wav, f"{out}/{n}.wav")
    time.sleep(seconds)
    with open(out + "/log.txt", "a") as log:
        log.write(f"{start} {time.time()}\\n")
    """
)


def test_the_player_plays_each_call_whole_and_in_order(tmp_path: Path) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(HALL_FILE, encoding="utf-8")
    (tmp_path / "fake_aplay.py").write_text(FAKE_APLAY, encoding="utf-8")
    played = tmp_path / "played"
    played.mkdir()
    with serving(config, tmp_path / "data") as server:
        base = f"http://127.0.0.1:{server.port}"
        player = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "displays.player",
                "--server",
                base,
                "--hall",
                "street",
                "--zone",
                "main",
                "--count",
                "2",
                "--command",
                f"{sys.executable} {tmp_path / 'fake_aplay.py'} {played}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert player.stdout is not None
            assert "connected to" in player.stdout.readline()
            with httpx.Client(base_url=server.api) as api:
                token = api.post("/auth/login", json={"username": "clerk", "password": "clerk-password"}).json()[
                    "token"
                ]
                auth = {"Authorization": f"Bearer {token}"}
                for w in ("w1", "w2", "w12"):
                    assert api.post(f"/halls/street/windows/{w}/open", headers=auth).status_code == 200
                for _ in range(3):
                    assert api.post("/halls/street/tickets", json={"service": "social"}).status_code == 201
                for w in ("w12", "w2", "w1"):  # the upstairs call is not this player's
                    assert api.post(f"/halls/street/windows/{w}/call-next", headers=auth).status_code == 200
            out, err = player.communicate(timeout=60)
        finally:
            if player.poll() is None:
                player.kill()
                player.communicate()
        assert player.returncode == 0, err
        status = httpx.get(f"{server.api}/halls/street/voice").json()
    lines = [line for line in out.splitlines() if "窗口办理" in line]
    assert [line.split(" ", 1)[1].split(" (")[0] for line in lines] == [
        "请A002号到2号窗口办理",
        "请A003号到1号窗口办理",
    ]
    spans = [tuple(map(float, line.split())) for line in (played / "log.txt").read_text().splitlines()]
    assert len(spans) == 2 and spans[0][1] <= spans[1][0]  # one after the other, never over each other
    for i in range(2):
        with wave.open(str(played / f"{i}.wav")) as w:
            assert w.getnframes() / w.getframerate() > 1.0
    zones = {z["zone"]: z for z in status["zones"]}
    assert zones["main"]["played"] == 2 and zones["upstairs"]["played"] == 1


def test_the_player_refuses_to_start_without_its_play_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "displays.player",
            "--server",
            "http://127.0.0.1:9",
            "--hall",
            "x",
            "--command",
            "no-aplay-here",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "'no-aplay-here' is not installed or not on PATH" in done.stderr


def test_a_missing_aplay_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("displays.player.shutil.which", lambda name: None)
    with pytest.raises(PlayerError, match=r"apt-get install alsa-utils"):
        play_command("aplay -q")


def test_stream_urls() -> None:
    assert stream_url("http://10.0.0.2:8000/", "qingyuan", "floor1") == (
        "ws://10.0.0.2:8000/api/v1/halls/qingyuan/voice/stream?zone=floor1"
    )
    assert stream_url("https://hall.example/qms", "h", None) == "wss://hall.example/qms/api/v1/halls/h/voice/stream"


def test_the_player_goes_on_after_a_message_it_cannot_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A garbled or odd message (a proxy's error text, a newer server's field) is said and skipped;
    the calls after it are still played, and the player keeps its connection."""
    good = {"type": "announcement", "id": "abcdef-2", "text": "请A002号到2号窗口办理", "audio_url": None}
    messages = [
        json.dumps({"type": "hello", "zones": ["main"]}),
        "<html>502 Bad Gateway</html>",
        "[1, 2]",
        json.dumps({"type": "announcement", "id": "../../x", "text": "请A001号到1号窗口办理", "audio_url": 5}),
        json.dumps(good),
    ]
    connections: list[int] = []

    async def handler(ws: ServerConnection) -> None:
        connections.append(1)
        for message in messages:
            await ws.send(message)
        await ws.wait_closed()

    async def go() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            player = Player(f"http://127.0.0.1:{port}", "h", "main", [sys.executable, "-c", "pass"], once=2)
            await asyncio.wait_for(player.run(), 10)

    asyncio.run(go())
    out = capsys.readouterr().out
    assert "请A002号到2号窗口办理 (no audio)" in out
    assert "请A001号到1号窗口办理: cannot play" in out  # the one it could not play is named, not silently lost
    assert connections == [1]  # no reconnect needed for a bad message


def test_behind_a_path_prefix_the_audio_is_fetched_under_it_too(tmp_path: Path) -> None:
    """A hall serving qms under http://hall.example/qms (a reverse proxy): the stream is found
    under the prefix, and so must each announcement's audio be, whose path the server gives
    from its own root."""
    wav = audio.wav_bytes(audio.silence(200))
    wav_path = "/qms/api/v1/halls/h/voice/abcdef-1.wav"
    asked: list[str] = []

    def files(connection: ServerConnection, request: Request) -> Response | None:
        asked.append(request.path)
        if request.path == wav_path:
            return Response(200, "OK", Headers([("Content-Type", "audio/wav"), ("Content-Length", str(len(wav)))]), wav)
        return None  # the announcement stream: on with the websocket handshake

    async def stream(ws: ServerConnection) -> None:
        announcement = {"type": "announcement", "id": "abcdef-1", "text": "请A001号到1号窗口办理"}
        await ws.send(json.dumps({**announcement, "audio_url": "/api/v1/halls/h/voice/abcdef-1.wav"}))
        await ws.wait_closed()

    played = tmp_path / "played.wav"
    keep = [sys.executable, "-c", f"import shutil, sys; shutil.copy(sys.argv[1], {str(played)!r})"]

    async def go() -> None:
        async with serve(stream, "127.0.0.1", 0, process_request=files) as server:
            port = server.sockets[0].getsockname()[1]
            await asyncio.wait_for(Player(f"http://127.0.0.1:{port}/qms", "h", "main", keep, once=1).run(), 10)

    asyncio.run(go())
    assert asked == ["/qms/api/v1/halls/h/voice/stream?zone=main", wav_path]
    assert played.read_bytes() == wav
