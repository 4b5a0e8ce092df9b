"""The speech worker: a child process that owns the speech library and renders text to WAV files.

pyttsx3 blocks while it speaks and is not thread-safe, and libespeak-ng is C code that can
crash; so neither runs in the server. The server starts this module as a child process
(`python -m qms.voice.worker --backend pyttsx3`) and talks to it in JSON lines:

    -> {"id": 1, "text": "qing3 A ling2 er4 san1 hao4", "voice": "cmn-latn-pinyin", "rate": 150, "path": "/x.wav"}
    <- {"id": 1, "ok": true}                         or {"id": 1, "ok": false, "error": "..."}

The first line the worker writes is `{"ready": true, "backend": ..., "voices": [...]}`, or
`{"ready": false, "error": ...}` when the library or a voice is missing. Requests are
handled one at a time; if the worker dies, the server starts a new one.

Backends: `pyttsx3` (pyttsx3's espeak driver over libespeak-ng) and `espeak-ng` (the
`espeak-ng` command, one process per request), the fallback when pyttsx3 cannot load.
pyttsx3 2.99 does not write files reliably from libespeak-ng (see `_pyttsx3_backend`): the
worker works around its two faults, checks every file, and lets the `espeak-ng` command
render a text that pyttsx3 failed three times in a row.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}

Render = Callable[[str, str, int, Path], None]


def _pyttsx3_backend() -> Render:
    import ctypes
    import wave

    import pyttsx3  # imported here: only the worker process loads the speech library
    from pyttsx3.drivers import _espeak

    engine = pyttsx3.init("espeak")
    ids = {str(v.id).lower(): str(v.id) for v in engine.getProperty("voices")}
    driver = engine.proxy._driver

    # pyttsx3 2.99's espeak driver writes the file when it sees the end-of-message event and
    # only then adds the samples that came with that event, so a word whose samples arrive
    # with the end comes out short or empty: add the samples first, then let pyttsx3 go on.
    def on_synth(wav: int, numsamples: int, events: Any) -> int:
        if numsamples > 0 and driver._speaking:
            driver._data_buffer += ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short))
        result: int = driver._onSynth(wav, 0, events)
        return result

    _espeak.SetSynthCallback(on_synth)
    fallback = _espeak_cli_backend() if shutil.which("espeak-ng") else None

    def voice_id(name: str) -> str:
        for lower, real in ids.items():
            if lower == name or lower.endswith("/" + name):
                return real
        raise LookupError(f"espeak-ng has no voice {name!r}")

    for name in VOICES.values():
        voice_id(name)  # fail at start-up, not at the first call

    def frames(path: Path) -> int:
        try:
            with wave.open(str(path), "rb") as w:
                return w.getnframes()
        except (OSError, EOFError, wave.Error):
            return 0

    def render(text: str, voice: str, rate: int, path: Path) -> None:
        part = path.with_name(path.name + ".part")
        for _ in range(3):
            engine.setProperty("voice", voice_id(voice))
            engine.setProperty("rate", rate)
            # pyttsx3 leaves `_stopping` set when the previous utterance ended while espeak was
            # still busy, and would then cancel this one at once: clear it.
            driver._stopping = False
            part.unlink(missing_ok=True)
            engine.save_to_file(text, str(part))
            engine.runAndWait()
            # Now and then (about 1 in 50 here) pyttsx3 still writes an empty file: try again.
            if frames(part) > 0:
                part.replace(path)
                return
        if fallback is None:
            raise RuntimeError("pyttsx3 wrote no audio three times")
        fallback(text, voice, rate, path)

    return render


def _espeak_cli_backend() -> Render:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise LookupError("the espeak-ng command is not installed")
    for name in VOICES.values():
        listed = subprocess.run([exe, f"--voices={name}"], capture_output=True, text=True, check=True).stdout
        if len(listed.splitlines()) < 2:  # the header line only
            raise LookupError(f"espeak-ng has no voice {name!r}")

    def render(text: str, voice: str, rate: int, path: Path) -> None:
        part = path.with_name(path.name + ".part")
        subprocess.run(
            [exe, "-v", voice, "-s", str(rate), "-w", str(part), "--", text], check=True, capture_output=True
        )
        part.replace(path)

    return render


BACKENDS: dict[str, Callable[[], Render]] = {"pyttsx3": _pyttsx3_backend, "espeak-ng": _espeak_cli_backend}


def serve(backend: str, requests: IO[str], replies: IO[str]) -> int:
    """Answer render requests from `requests` until it ends; see the module docstring."""

    def send(data: dict[str, Any]) -> None:
        replies.write(json.dumps(data, ensure_ascii=False) + "\n")
        replies.flush()

    try:
        render = BACKENDS[backend]()
    except Exception as exc:  # a missing library or voice: say so and stop
        send({"ready": False, "error": f"{backend}: {exc}"})
        return 1
    send({"ready": True, "backend": backend, "voices": sorted(VOICES.values())})
    for line in requests:
        try:
            request = json.loads(line)
            rid = request["id"]
        except (ValueError, KeyError, TypeError):
            send({"id": None, "ok": False, "error": "not a request"})
            continue
        try:
            render(str(request["text"]), str(request["voice"]), int(request["rate"]), Path(request["path"]))
        except Exception as exc:
            send({"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
        else:
            send({"id": rid, "ok": True})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qms.voice.worker")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="pyttsx3")
    args = parser.parse_args(argv)
    # Keep the protocol on a private copy of stdout: pyttsx3 prints "Audio saved to ..." to
    # stdout for every file, which must go nowhere instead of into the middle of a reply.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    try:
        with contextlib.closing(replies):
            return serve(args.backend, sys.stdin, replies)
    except BrokenPipeError:
        # the server went away (shut down or killed) while we answered: nobody is left to tell
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
