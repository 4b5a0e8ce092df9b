"""Voice calling: every call spoken in the waiting area, offline, in order, never cut off.

- `phrases`: the words of a call (zh-CN and en) and the segments they are made of (pure)
- `pinyin`: Chinese text to tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice
- `worker`, `engine`: the speech library in a child process, and the server's async client
- `audio`, `pack`: one audio format; segments rendered once, cached, concatenated per call
- `announcer`: the hall's calls to announcements, queued per zone, handed to sinks
- `build`: an announcer for a hall file's `[voice]` section

This package stays light to import (the hall file loader reads `settings`); the speech
library itself is only ever imported by the worker process.
"""

from __future__ import annotations

from .phrases import CallFacts, Lang, Phrase, Segment, SegmentKind, Template, TemplateError, say_call
from .settings import ServiceVoice, VoiceConfig

__all__ = [
    "CallFacts",
    "Lang",
    "Phrase",
    "Segment",
    "SegmentKind",
    "ServiceVoice",
    "Template",
    "TemplateError",
    "VoiceConfig",
    "say_call",
]
