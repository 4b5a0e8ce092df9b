from __future__ import annotations

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[2] / "sim" / "scenarios"
STREET = SCENARIOS / "yuexiu-street-booking.toml"
QINGYUAN = SCENARIOS / "qingyuan-weekday.toml"
