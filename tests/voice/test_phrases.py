"""The words of a call: templates, numbers, tickets letter by letter and digit by digit."""

from __future__ import annotations

import pytest

from qms.voice.phrases import (
    DEFAULT_TEMPLATE_EN,
    DEFAULT_TEMPLATE_ZH,
    CallFacts,
    Lang,
    Segment,
    SegmentKind,
    Template,
    TemplateError,
    say_call,
    speech_text,
    zh_number,
)
from qms.voice.settings import VoiceConfig, announcement_segments

ZH = Template.parse(DEFAULT_TEMPLATE_ZH, Lang.ZH)
EN = Template.parse(DEFAULT_TEMPLATE_EN, Lang.EN)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "零"),
        (5, "五"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (21, "二十一"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1010, "一千零一十"),
        (1001, "一千零一"),
        (9999, "九千九百九十九"),
    ],
)
def test_window_numbers_are_read_as_numbers(n: int, words: str) -> None:
    assert zh_number(n) == words


def test_a_call_in_mandarin_spells_the_ticket_and_reads_the_window_as_a_number() -> None:
    phrase = say_call(CallFacts("A023", 12), ZH)
    assert phrase.text == "请A023号到12号窗口办理"
    assert [s.key for s in phrase.segments] == [
        "zh:text:请",
        "zh:letter:A",
        "zh:digit:0",
        "zh:digit:2",
        "zh:digit:3",
        "zh:text:号到",
        "zh:number:12",
        "zh:text:号窗口办理",
    ]
    assert [speech_text(s) for s in phrase.segments] == ["请", "A", "零", "二", "三", "号到", "十二", "号窗口办理"]


def test_a_call_in_english() -> None:
    phrase = say_call(CallFacts("BX105", 7), EN)
    assert phrase.text == "Number BX105, please go to window 7."
    spoken = [speech_text(s) for s in phrase.segments]
    assert spoken == [
        "Number",
        "B",
        "X",
        "one",
        "zero",
        "five",
        ", please go to window",
        "7",
    ]  # a bare "." is not a segment


def test_a_hall_over_several_floors_says_the_floor() -> None:
    template = Template.parse("请{ticket}号到{floor}楼{window}号窗口办理", Lang.ZH)
    phrase = say_call(CallFacts("C007", 31, floor=3), template)
    assert phrase.text == "请C007号到3楼31号窗口办理"
    assert Segment(SegmentKind.NUMBER, "3", Lang.ZH) in phrase.segments
    assert speech_text(Segment(SegmentKind.NUMBER, "31", Lang.ZH)) == "三十一"
    with pytest.raises(TemplateError, match="no floor"):
        say_call(CallFacts("C007", 31), template)


def test_a_template_may_say_the_service() -> None:
    template = Template.parse("请办理{service}的{ticket}号到{window}号窗口", Lang.ZH)
    phrase = say_call(CallFacts("D001", 2, service="住房公积金"), template)
    assert phrase.text == "请办理住房公积金的D001号到2号窗口"
    assert Segment(SegmentKind.TEXT, "住房公积金", Lang.ZH) in phrase.segments


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("请{number}号到{window}号窗口", "unknown placeholder {number}"),
        ("请{ticket号到{window}号窗口", "brace"),
        ("请到{window}号窗口", "never says the ticket"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        Template.parse(source, Lang.ZH)


def test_an_announcement_is_the_chime_then_the_phrases_repeated() -> None:
    facts = CallFacts("A1", 5)
    zh, en = say_call(facts, ZH), say_call(facts, EN)
    segments = announcement_segments([zh, en], repeat=2, chime=True, repeat_pause_ms=700, lang_pause_ms=400)
    keys = [s.key for s in segments]
    once = [s.key for s in zh.segments] + ["pause:400"] + [s.key for s in en.segments]
    assert keys == ["chime", *once, "pause:700", *once]
    assert announcement_segments([zh], repeat=1, chime=False, repeat_pause_ms=0, lang_pause_ms=0) == list(zh.segments)


def test_per_service_templates_win_over_the_halls() -> None:
    from qms.voice.settings import ServiceVoice

    config = VoiceConfig(services=(ServiceVoice("fund", template="请{ticket}号到{floor}楼{window}号窗口办理"),))
    zh, en = config.templates("fund")
    assert "floor" in zh.placeholders and en.source == DEFAULT_TEMPLATE_EN
    assert config.templates("social")[0].source == DEFAULT_TEMPLATE_ZH
