"""Audio of one format: 16-bit PCM, mono, 22,050 Hz (what espeak-ng makes), with the stdlib.

Every segment of a voice pack is kept in this format, so an announcement is the plain
concatenation of its segments' frames behind one WAV header. Recorded WAVs of another rate
or with two channels are converted once, when the pack is loaded.
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from array import array
from collections.abc import Iterable
from pathlib import Path

RATE = 22_050
WIDTH = 2  # bytes per sample: 16-bit
CHANNELS = 1
HEADER_BYTES = 44  # of the WAV files made here (`wav_header`)
SILENCE_LEVEL = 300  # of 32,767: quieter than this counts as silence when trimming
KEEP_SILENCE_MS = 40  # left at each end of a trimmed segment, so that words do not collide


class AudioError(ValueError):
    """A WAV file that cannot be used (not PCM, unreadable)."""


def frames_for(milliseconds: float) -> int:
    return round(RATE * milliseconds / 1000)


def duration(frames: bytes) -> float:
    """Seconds of audio in `frames` (raw PCM of the pack's format)."""
    return len(frames) / (WIDTH * CHANNELS * RATE)


def silence(milliseconds: float) -> bytes:
    return bytes(frames_for(milliseconds) * WIDTH)


def read_wav(path: Path) -> bytes:
    """The frames of a PCM WAV file in the pack's format (converted if it is not); raises AudioError."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioError(f"{path}: not a readable PCM WAV file ({exc}); expected 16-bit PCM, mono or stereo") from None
    return convert(raw, rate, width, channels, where=str(path))


def convert(raw: bytes, rate: int, width: int, channels: int, *, where: str = "audio") -> bytes:
    """PCM of any rate, 8- or 16-bit, mono or stereo, to the pack's format."""
    if width == 1:  # 8-bit WAV is unsigned
        samples = array("h", ((b - 128) << 8 for b in raw))
    elif width == 2:
        samples = array("h")
        samples.frombytes(raw[: len(raw) - len(raw) % 2])
        if sys.byteorder == "big":
            samples.byteswap()
    else:
        raise AudioError(f"{where}: {8 * width}-bit samples; expected 16-bit (or 8-bit) PCM")
    if channels == 2:
        samples = array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)))
    elif channels != 1:
        raise AudioError(f"{where}: {channels} channels; expected mono or stereo")
    if rate != RATE:
        samples = _resample(samples, rate)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _resample(samples: array[int], rate: int) -> array[int]:
    # Linear interpolation: enough for speech recorded at 16-48 kHz and played on hall speakers.
    if not samples:
        return samples
    n = max(1, round(len(samples) * RATE / rate))
    step = rate / RATE
    out = array("h", bytes(2 * n))
    last = len(samples) - 1
    for i in range(n):
        x = i * step
        j = min(int(x), last)
        frac = x - j
        nxt = samples[min(j + 1, last)]
        out[i] = int(samples[j] + (nxt - samples[j]) * frac)
    return out


def trim(frames: bytes, keep_ms: float = KEEP_SILENCE_MS) -> bytes:
    """`frames` without the silence at both ends beyond `keep_ms`, so that segments join tightly."""
    samples = array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    n = len(samples)
    first = next((i for i in range(n) if abs(samples[i]) > SILENCE_LEVEL), None)
    if first is None:
        return frames  # all silence: leave it as it is rather than make it empty
    last = next(i for i in range(n - 1, -1, -1) if abs(samples[i]) > SILENCE_LEVEL)
    keep = frames_for(keep_ms)
    start = max(0, first - keep)
    end = min(n, last + 1 + keep)
    return frames[start * WIDTH : end * WIDTH]


def chime(volume: float = 0.35) -> bytes:
    """A two-tone ding-dong (E6 then C6), the sound that makes a hall look up before a call."""
    out = array("h")
    for freq, ms in ((1318.5, 380), (1046.5, 620)):
        n = frames_for(ms)
        for i in range(n):
            t = i / RATE
            envelope = min(1.0, i / (0.005 * RATE)) * math.exp(-3.2 * t / (ms / 1000))
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            out.append(int(32767 * volume * envelope * tone / 1.3))
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes() + silence(200)


def wav_header(data_bytes: int) -> bytes:
    """The 44-byte header of a PCM WAV file in the pack's format holding `data_bytes` of frames."""
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,  # the size of the fmt chunk
        1,  # PCM
        CHANNELS,
        RATE,
        RATE * CHANNELS * WIDTH,  # bytes per second
        CHANNELS * WIDTH,  # bytes per frame
        8 * WIDTH,
        b"data",
        data_bytes,
    )


def wav_bytes(frames: bytes | Iterable[bytes]) -> bytes:
    """A WAV file holding `frames` (or the concatenation of several) in the pack's format.

    Built in one copy (header and parts joined at once): this is on the path of every call."""
    parts = [frames] if isinstance(frames, bytes) else list(frames)
    return b"".join([wav_header(sum(len(p) for p in parts)), *parts])


def write_wav(path: Path, frames: bytes) -> None:
    """Write `frames` as a WAV file, atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(wav_bytes(frames))
    tmp.replace(path)
