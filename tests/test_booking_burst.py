"""The booking burst against a real server process, at a small scale: the invariants hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qms.bench.booking import CAPACITY, SLOTS, booking_hall_toml, burst, check, id_numbers
from qms.core.identity import validate_id_number
from tests.servers import serving


def test_made_up_id_numbers_are_valid_and_distinct() -> None:
    ids = id_numbers(300)
    assert len(set(ids)) == 300
    assert all(validate_id_number(i) == i for i in ids)


@pytest.mark.slow
def test_a_burst_books_exactly_the_places_and_no_more(tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(booking_hall_toml(), encoding="utf-8")
    with serving(config, tmp_path / "data") as server:
        result, day = asyncio.run(burst(server.port, "bench", requests=900, people=400, concurrency=300))
    lines = check(result, tmp_path / "data" / "qms.sqlite3", day)
    assert all(line.startswith("ok") for line in lines), lines
    assert len(result.booked) == SLOTS * CAPACITY
    assert len(result.latencies) == 900
