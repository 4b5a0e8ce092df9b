"""The real broker for these tests is the one the benchmark uses."""

from firmware_bridge.mosquitto import Mosquitto, free_port, mosquitto

__all__ = ["Mosquitto", "free_port", "mosquitto"]
