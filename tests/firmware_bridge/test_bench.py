"""The benchmark command runs end to end (its figures are for people, not asserted)."""

from __future__ import annotations

import pytest

from firmware_bridge import bench

pytestmark = pytest.mark.slow


def test_the_benchmark_prints_both_latencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--presses", "20"]) == 0
    out = capsys.readouterr().out
    assert "keypad frame on the pty -> evt/button arrives" in out and "broker round trip" in out
    assert out.count(" p99 ") == 2


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (bench.percentile(values, 0.5), bench.percentile(values, 0.99), bench.percentile([3.0], 0.99)) == (
        50.0,
        99.0,
        3.0,
    )
