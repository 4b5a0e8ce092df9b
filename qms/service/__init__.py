"""The async shell around the pure hall core: one single-writer actor per hall."""

from .actor import Clock, HallService, system_clock
from .fanout import Fanout, Subscription
from .writer import HallStopped, StorageUnavailable

__all__ = ["Clock", "Fanout", "HallService", "HallStopped", "StorageUnavailable", "Subscription", "system_clock"]
