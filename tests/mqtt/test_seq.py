"""Display seq numbers stay above what an earlier run sent, even with the clock set back."""

from __future__ import annotations

import pytest

from qms.mqtt import seq
from qms.mqtt.seq import RESERVE_MS, SeqClock


def _clock_at(monkeypatch: pytest.MonkeyPatch, ms: int) -> None:
    monkeypatch.setattr(seq.time, "time_ns", lambda: ms * 1_000_000)


def test_strictly_increasing_within_a_run(monkeypatch):
    _clock_at(monkeypatch, 5_000)
    clock = SeqClock()
    assert [clock.next() for _ in range(3)] == [5_000, 5_001, 5_002]


def test_a_restart_with_the_clock_set_back_eight_hours_still_counts_up(monkeypatch, tmp_path):
    ceiling = tmp_path / "mqtt" / "display-seq"
    now = 1_790_000_000_000
    _clock_at(monkeypatch, now)
    first = SeqClock(ceiling)
    sent = [first.next() for _ in range(5)]
    assert int(ceiling.read_text()) == now + RESERVE_MS  # reserved before the first was handed out
    # killed; the clock goes back eight hours (an RTC in local time read as UTC), then restarts
    _clock_at(monkeypatch, now - 8 * 3_600_000)
    again = SeqClock(ceiling).next()
    assert again > max(sent)
    # a run that passes its ceiling writes the next one before handing out numbers above it
    _clock_at(monkeypatch, now + 2 * RESERVE_MS)
    later = SeqClock(ceiling)
    n = later.next()
    assert int(ceiling.read_text()) == n + RESERVE_MS


def test_an_unreadable_ceiling_falls_back_to_the_clock(monkeypatch, tmp_path, caplog):
    ceiling = tmp_path / "display-seq"
    ceiling.write_text("not a number")
    _clock_at(monkeypatch, 7_000)
    assert SeqClock(ceiling).next() == 7_000
    assert "unreadable" in caplog.text
