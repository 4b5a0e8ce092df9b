"""`qms bench api`: durable tickets issued per second through the HTTP API, with SQLite.

Starts a real server process (`qms serve`, uvicorn + uvloop + httptools, SQLite with
synchronous=FULL in a fresh data directory) on a free loopback port, then issues tickets
from many keep-alive connections at once with a small raw HTTP/1.1 client (so that the
client costs less of the machine's two cores than the server), and prints tickets per
second and latency percentiles. Every 201 is a ticket on disk: the server answers only
after the commit.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .halls import bench_hall_toml
from .report import figure, percentile

AIM_TICKETS = 1_000  # durable tickets per second (issue: the hall core and the server)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    config: Path, data: Path, port: int, command: tuple[str, ...] = ("serve",), env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A `qms serve` (or `command`, e.g. `demo --around-the-clock`) child process, with `env` added
    to this process's environment; waits until it answers /health. Its stderr is a pipe:
    the caller reads it (`communicate()`) when the process ends. The server logs warnings
    only, so the pipe does not fill up while it runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qms", *command, "--config", str(config), "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "QMS_LOG_LEVEL": "warning", **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()  # reaps it and closes the pipe
            raise RuntimeError(f"server exited with {proc.returncode}: {err.decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)  # also after an answer other than 200: the hall may still be starting
    proc.kill()
    proc.communicate()
    raise RuntimeError("server did not start in 30 s")


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, path: str, body: bytes = b""
) -> tuple[int, bytes]:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    return int(status_line.split()[1]), payload


@dataclass(slots=True)
class LoadResult:
    elapsed: float
    latencies: list[float]  # seconds
    statuses: dict[int, int]
    ids: list[str]


async def issue_load(port: int, hall: str, services: list[str], requests: int, concurrency: int) -> LoadResult:
    """Issue `requests` tickets over `concurrency` connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    ids: list[str] = []
    counter = iter(range(requests))

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in counter:
                body = json.dumps({"service": services[i % len(services)]}).encode()
                t0 = time.perf_counter()
                status, payload = await _request(reader, writer, "POST", f"/api/v1/halls/{hall}/tickets", body)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    ids.append(json.loads(payload)["ticket"]["id"])
        finally:
            writer.close()
            await writer.wait_closed()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return LoadResult(elapsed, latencies, statuses, ids)


def main(requests: int = 5000, concurrency: int = 64) -> None:
    with tempfile.TemporaryDirectory(prefix="qms-bench-") as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(bench_hall_toml(), encoding="utf-8")
        port = free_port()
        proc = start_server(config, Path(tmp) / "data", port)
        try:
            services = [f"s{i:02d}" for i in range(30)]
            asyncio.run(issue_load(port, "bench", services, 300, 8))  # warm up
            result = asyncio.run(issue_load(port, "bench", services, requests, concurrency))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    lat = result.latencies
    print(f"HTTP API, POST /tickets, SQLite synchronous=FULL, {concurrency} connections, {requests} tickets:")
    print(f"  statuses {result.statuses}, distinct ticket ids {len(set(result.ids))}")
    print(figure("durable tickets issued", len(result.ids) / result.elapsed, AIM_TICKETS))
    print(f"  latency p50 {percentile(lat, 50) * 1000:.1f} ms, p99 {percentile(lat, 99) * 1000:.1f} ms")
