"""The server's side of the speech worker: an async client that keeps one worker alive.

`SpeechEngine.render(text, lang, path)` sends one request to the worker process and waits
for its answer without blocking the event loop. A worker that dies (a crash in libespeak-ng,
a kill) fails the request in hand with `SpeechFailed` and is started again for the next
one, after a short back-off so that a worker that cannot start does not spin.
`find_backend()` says which backend this machine has, or None: then the hall runs without
synthetic voice, and says so once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes.util
import importlib.util
import itertools
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from qms.core.errors import QmsError

from .phrases import Lang
from .worker import VOICES

log = logging.getLogger(__name__)

DEFAULT_RATE = 150  # words per minute; espeak's default 175 is hurried for a hall full of people


class _WorkerGone(Exception):
    """The worker died while a request was in hand: send it once more, to a new worker."""


class SpeechFailed(QmsError):
    """The speech worker could not render a text (it failed, timed out, or died)."""

    code = "speech_failed"


def find_backend() -> str | None:
    """`pyttsx3` when pyttsx3 and libespeak-ng are installed, else `espeak-ng` when its command
    is, else None."""
    if importlib.util.find_spec("pyttsx3") is not None and ctypes.util.find_library("espeak-ng"):
        return "pyttsx3"
    if shutil.which("espeak-ng"):
        return "espeak-ng"
    return None


class SpeechEngine:
    """One speech worker process, started on first use and again whenever it has died."""

    def __init__(
        self,
        backend: str,
        *,
        rate: int = DEFAULT_RATE,
        timeout: float = 15.0,
        restart_delay: float = 0.5,
        python: str = sys.executable,
    ) -> None:
        self.backend = backend
        self.rate = rate
        self.timeout = timeout
        self.restart_delay = restart_delay
        self._python = python
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._last_start = 0.0
        self._start_error: str | None = None  # why the last start failed, repeated until the back-off ends
        self.starts = 0  # how many workers were started: more than one means some died

    @property
    def name(self) -> str:
        return self.backend

    @property
    def pid(self) -> int | None:
        """The running worker's process id, if there is one."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def start(self) -> None:
        """Start the worker now (it starts on demand otherwise); raises SpeechFailed if it cannot."""
        async with self._lock:
            await self._ensure()

    async def render(self, text: str, lang: Lang, path: Path) -> None:
        """Render `text` (pinyin for zh) in `lang`'s voice into the WAV file `path`.

        When the worker dies, the request is sent once more to a new worker (the old one may
        have died of something else while idle); a text that kills two workers fails, as does
        one that takes longer than `timeout`.
        """
        try:
            await self._render(text, lang, path)
        except _WorkerGone:
            await self._render(text, lang, path, last_try=True)

    async def _render(self, text: str, lang: Lang, path: Path, *, last_try: bool = False) -> None:
        async with self._lock:
            proc = await self._ensure()
            rid = next(self._ids)
            request = {"id": rid, "text": text, "voice": VOICES[lang.value], "rate": self.rate, "path": str(path)}
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
                await proc.stdin.drain()
                reply = await asyncio.wait_for(self._reply(proc, rid), self.timeout)
            except TimeoutError:
                await self._kill()
                raise SpeechFailed(f"the speech worker timed out rendering {text!r}") from None
            except (ConnectionError, OSError, EOFError, ValueError) as exc:
                await self._kill()
                if not last_try:
                    raise _WorkerGone from None
                raise SpeechFailed(f"the speech worker died rendering {text!r} ({exc or type(exc).__name__})") from None
        if not reply.get("ok"):
            raise SpeechFailed(f"the speech worker could not render {text!r}: {reply.get('error')}")

    async def close(self) -> None:
        """Stop the worker (closing its input lets it finish and exit)."""
        async with self._lock:
            proc, self._proc = self._proc, None
            if proc is None or proc.returncode is not None:
                return
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    async def _ensure(self) -> asyncio.subprocess.Process:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            return proc
        if proc is not None:
            log.warning("speech worker %s ended with %s; starting a new one", proc.pid, proc.returncode)
            self._proc = None
        wait = self._last_start + self.restart_delay - time.monotonic()
        if self._start_error is not None and wait > 0:  # do not wait on a worker that cannot start
            raise SpeechFailed(self._start_error)
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            self._python,
            "-m",
            "qms.voice.worker",
            "--backend",
            self.backend,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.starts += 1
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), self.timeout)
            hello: dict[str, Any] = json.loads(line) if line else {"ready": False, "error": "no answer"}
        except (TimeoutError, ValueError):
            hello = {"ready": False, "error": "no readable answer"}
        if not hello.get("ready"):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            self._start_error = f"the speech worker did not start: {hello.get('error')}"
            raise SpeechFailed(self._start_error)
        self._start_error = None
        self._proc = proc
        return proc

    async def _reply(self, proc: asyncio.subprocess.Process, rid: int) -> dict[str, Any]:
        assert proc.stdout is not None
        while True:
            line = await proc.stdout.readline()
            if not line:
                raise EOFError("the worker closed its output")
            reply: dict[str, Any] = json.loads(line)
            if reply.get("id") == rid:
                return reply

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()
