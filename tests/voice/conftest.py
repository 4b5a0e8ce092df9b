"""Helpers for the voice tests: real espeak-ng audio, measured with sox."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make()

    return asyncio.run(main())


def soxi(path: Path, option: str) -> str:
    """What sox's `soxi` says of a file: -s samples, -r rate, -c channels, -b bits, -D seconds."""
    return subprocess.run(["soxi", option, str(path)], capture_output=True, text=True, check=True).stdout.strip()
