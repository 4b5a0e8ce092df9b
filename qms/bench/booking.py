"""`qms bench booking`: a burst of booking requests against a real server, with its invariants.

Starts `qms serve` (SQLite, synchronous=FULL, fresh data directory) with a hall whose one
bookable service has 300 places on the first bookable day (10 hourly slots of 30), then sends
5,000 booking requests at once from 2,000 people (each with a valid ID number), spread at
random over the slots, over as many connections as requests by default. It prints requests
per second and latency percentiles, and checks, from the answers and from the database after
the server stopped: exactly 300 bookings succeed, no slot holds more than its capacity, no
person holds more than the daily limit, and every refusal is one of the expected codes.
The issue names no speed to aim at, so the figures stand alone.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qms.core.identity import id_check_digit

from .api import _request, free_port, start_server
from .halls import bench_hall_toml
from .report import figure, percentile

SLOTS = 10
CAPACITY = 30  # places per slot: 300 in all
EXPECTED_REFUSALS = {"slot_full", "daily_limit_reached", "duplicate_booking"}


def booking_hall_toml() -> str:
    """The benchmark hall, open 09:00-19:00 on weekdays, with `[booking]` for service s00."""
    text = bench_hall_toml()
    text = text.replace('weekdays = [["00:00", "23:59"]]', 'weekdays = [["09:00", "19:00"]]')
    booking = (
        "\n[booking]\nhorizon_days = 1\nper_day = 1\n\n"
        f'[[booking.services]]\nservice = "s00"\nslot_minutes = 60\ncapacity = {CAPACITY}\n'
    )
    return text.replace("[[staff]]", booking + "\n[[staff]]", 1)


def id_numbers(count: int, seed: int = 7) -> list[str]:
    """`count` distinct valid resident ID numbers (made up: region 440103, born 1950-1999)."""
    rng = random.Random(seed)
    made: set[str] = set()
    while len(made) < count:
        first17 = (
            f"440103{rng.randint(1950, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        )
        made.add(first17 + id_check_digit(first17))
    return sorted(made)


@dataclass(slots=True)
class Burst:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    booked: list[tuple[str, str]] = field(default_factory=list)  # (id_masked, start) of each 201


async def _get(port: int, path: str) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        status, payload = await _request(reader, writer, "GET", path)
    finally:
        writer.close()
        await writer.wait_closed()
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {payload[:200]!r}")
    data: dict[str, object] = json.loads(payload)
    return data


async def burst(
    port: int, hall: str, requests: int, people: int, concurrency: int, seed: int = 11
) -> tuple[Burst, str]:
    """Send `requests` booking requests from `people` people over `concurrency` connections at once."""
    overview = await _get(port, f"/api/v1/halls/{hall}/booking")
    days = overview["days"]
    assert isinstance(days, list) and days, "no day open for booking"
    day = str(days[0]["date"])
    rng = random.Random(seed)
    ids = id_numbers(people)
    starts = [f"{9 + i:02d}:00" for i in range(SLOTS)]
    bodies = [
        json.dumps(
            {"service": "s00", "date": day, "start": rng.choice(starts), "id_number": ids[i % people],
             "phone": f"138{i % people:08d}"}
        ).encode()
        for i in range(requests)
    ]  # fmt: skip
    rng.shuffle(bodies)
    result = Burst()
    queue = iter(bodies)
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(min(concurrency, requests))]
    gate = asyncio.Event()  # every connection is open before the first request goes out

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await gate.wait()
        for body in queue:
            t0 = time.perf_counter()
            status, payload = await _request(reader, writer, "POST", f"/api/v1/halls/{hall}/bookings", body)
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] += 1
            data = json.loads(payload)
            if status == 201:
                result.booked.append((data["booking"]["id_masked"], data["booking"]["start"]))
            else:
                result.codes[data["error"]["code"]] += 1

    tasks = [asyncio.create_task(client(r, w)) for r, w in connections]
    t0 = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - t0
    for _, writer in connections:
        writer.close()
    return result, day


def check(result: Burst, database: Path, day: str, per_day: int = 1) -> list[str]:
    """The invariants, as lines `ok ...` or `FAILED ...`; read from the answers and the database."""
    places = SLOTS * CAPACITY
    db = sqlite3.connect(database)
    try:
        per_slot = db.execute("SELECT start_utc, count(*) FROM bookings WHERE state = 'booked' GROUP BY start_utc")
        slot_counts = [n for _, n in per_slot]
        per_person = [n for _, n in db.execute("SELECT person, count(*) FROM bookings GROUP BY person")] or [0]
        stored = db.execute("SELECT count(*) FROM bookings").fetchone()[0]
    finally:
        db.close()
    lines = [
        (len(result.booked) == places, f"{len(result.booked)} bookings succeeded (places: {places})"),
        (stored == places, f"{stored} bookings stored"),
        (max(slot_counts or [0]) <= CAPACITY, f"most in one slot: {max(slot_counts or [0])} (capacity {CAPACITY})"),
        (max(per_person) <= per_day, f"most for one person on {day}: {max(per_person)} (limit {per_day})"),
        (set(result.codes) <= EXPECTED_REFUSALS, f"refusals: {dict(result.codes)}"),
        (set(result.statuses) <= {201, 409}, f"statuses: {dict(result.statuses)}"),
    ]  # fmt: skip
    return [("ok      " if good else "FAILED  ") + text for good, text in lines]


def main(requests: int = 5000, people: int = 2000, concurrency: int = 5000) -> bool:
    """Run the burst and print its figures and invariants; True when every invariant holds."""
    with tempfile.TemporaryDirectory(prefix="qms-bench-booking-") as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(booking_hall_toml(), encoding="utf-8")
        data = Path(tmp) / "data"
        port = free_port()
        proc = start_server(config, data, port)
        try:
            result, day = asyncio.run(burst(port, "bench", requests, people, concurrency))
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
        lines = check(result, data / "qms.sqlite3", day)
    lat = result.latencies
    print(
        f"Booking burst: {requests} POST /bookings from {people} people for {SLOTS * CAPACITY} places "
        f"({SLOTS} slots of {CAPACITY} on {day}), {min(concurrency, requests)} connections at once, "
        "SQLite synchronous=FULL:"
    )
    print(figure("booking requests answered", requests / result.elapsed))
    print(f"  latency p50 {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f} ms, "
          f"max {max(lat) * 1000:.0f} ms; whole burst {result.elapsed:.2f} s")  # fmt: skip
    for line in lines:
        print("  " + line)
    return all(line.startswith("ok") for line in lines)
