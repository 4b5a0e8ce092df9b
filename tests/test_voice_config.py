"""The `[voice]` section of a hall file: defaults, every key, and errors with their key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.config import ConfigFileError, load_hall, loads_hall
from qms.voice.settings import ServiceVoice, VoiceConfig

from .test_config import BASE


def test_no_voice_section_gives_the_defaults() -> None:
    assert loads_hall(BASE).voice == VoiceConfig()


def test_every_key(tmp_path: Path) -> None:
    (tmp_path / "recorded").mkdir()
    (tmp_path / "recorded" / "manifest.toml").write_text('[segments]\nchime = "chime.wav"\n', encoding="utf-8")
    floors = BASE.replace('kind = "general"', 'kind = "general"\nfloor = 1')
    text = (
        floors.replace('kind = "specialized"', 'kind = "specialized"\nfloor = 2')
        + """
[voice]
enabled = true
template = "请{ticket}号到{window}号窗口"
template_en = "Ticket {ticket}, window {window}."
english = true
repeat = 3
chime = false
rate = 170
pack = "recorded"
backlog = 8
gap_seconds = 1.5

[voice.pinyin]
"朝阳" = "chao2 yang2"

[voice.services.tax-filing]
template = "请{ticket}号到{floor}楼{window}号窗口办理{service}"
"""
    )
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    voice = load_hall(path).voice
    assert voice == VoiceConfig(
        enabled=True,
        template="请{ticket}号到{window}号窗口",
        template_en="Ticket {ticket}, window {window}.",
        english=True,
        repeat=3,
        chime=False,
        rate=170,
        pack=tmp_path / "recorded",
        backlog=8,
        gap_seconds=1.5,
        pinyin=(("朝阳", "chao2 yang2"),),
        services=(ServiceVoice("tax-filing", "请{ticket}号到{floor}楼{window}号窗口办理{service}", None),),
    )


@pytest.mark.parametrize(
    ("voice", "key", "fragment"),
    [
        ("repeat = 0", "voice.repeat", "expected an integer from 1 to 5"),
        ("speed = 150", "voice.speed", "unknown key"),
        ('template = "请{number}号"', "voice.template", "unknown placeholder {number}"),
        ('template = "请到{window}号窗口"', "voice.template", "never says the ticket"),
        ('template = "请{ticket}号到{floor}楼"', "voice.template", 'window "w1" has no floor'),
        ('template_en = "Go to {window"', "voice.template_en", "brace"),
        ('pack = "nowhere"', "voice.pack", "manifest.toml does not exist"),
        ("english = 1", "voice.english", "expected true or false"),
        ('pinyin = { "朝阳" = "chaoyang" }', "voice.pinyin.朝阳", "pinyin with tones"),
        ('pinyin = { "朝阳区" = "chao2 yang2" }', "voice.pinyin.朝阳区", "2 syllables for the 3 characters"),
        ('services = { tax-fling = { template = "{ticket}" } }', "voice.services.tax-fling", "unknown service"),
        (
            'services = { tax-filing = { template = "请{ticket}号到{floor}楼" } }',
            "voice.services.tax-filing.template",
            'window "w1" has no floor',
        ),
    ],
)
def test_errors_name_the_key(voice: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigFileError) as err:
        loads_hall(BASE + "\n[voice]\n" + voice + "\n", "hall.toml")
    assert err.value.key == key, err.value.message
    assert fragment in err.value.message


def test_the_example_halls_voice_section_loads() -> None:
    voice = load_hall(Path(__file__).resolve().parent.parent / "examples" / "qingyuan.toml").voice
    assert voice.repeat >= 1 and voice.template.startswith("请")
