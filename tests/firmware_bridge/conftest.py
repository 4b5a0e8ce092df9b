from __future__ import annotations

from collections.abc import Iterator

import pytest

from firmware_bridge.mosquitto import Mosquitto, mosquitto


@pytest.fixture(scope="module")
def broker() -> Iterator[Mosquitto]:
    """One real Mosquitto on loopback for a test module."""
    with mosquitto() as running:
        yield running
