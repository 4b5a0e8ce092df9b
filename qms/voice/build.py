"""An announcer for one hall, from its `[voice]` settings: what the server runtime calls."""

from __future__ import annotations

import logging
from pathlib import Path

from qms.service import HallService

from .announcer import Announcer
from .engine import SpeechEngine, find_backend
from .pack import VoicePack, load_recorded
from .pinyin import PinyinReader
from .settings import VoiceConfig

log = logging.getLogger(__name__)


def build_announcer(
    service: HallService, config: VoiceConfig, cache_dir: Path, *, backend: str | None = None
) -> Announcer:
    """The hall's announcer: recorded pack (raises VoicePackError when it is unusable), speech
    engine when one is installed, segment cache in `cache_dir`. Says once when calls will
    not be spoken, and why. `backend` overrides the automatic choice (tests, benchmarks)."""
    if not config.enabled:
        log.info("voice of hall %s is off ([voice] enabled = false): calls are shown, not spoken", service.id)
        return Announcer(service, config, None)
    recorded = load_recorded(config.pack) if config.pack is not None else None
    backend = backend or find_backend()
    engine = SpeechEngine(backend, rate=config.rate) if backend else None
    if engine is None:
        if recorded is None:
            log.warning(
                "voice of hall %s: no speech engine is installed (Debian: apt-get install espeak-ng): "
                "calls are shown without voice",
                service.id,
            )
        else:
            log.warning(
                "voice of hall %s: no speech engine is installed: only the recorded pack %r speaks, "
                "calls needing words it lacks are shown without voice",
                service.id,
                recorded.name,
            )
    pack = VoicePack(engine, cache_dir, reader=PinyinReader(dict(config.pinyin)), recorded=recorded)
    return Announcer(service, config, pack)
