"""The audit page's change lines: each changed field before → after, written out."""

from __future__ import annotations

from qms.web.admin.audit_view import NOTHING, change_lines


def test_changed_fields_one_line_each():
    before = '{"name":"综合窗口1","weights":[["s1",1.0],["s2",0.5]]}'
    after = '{"name":"综合窗口甲","weights":[["s1",1.0]],"zone":"floor2"}'
    assert change_lines(before, after) == [
        ("name", "综合窗口1", "综合窗口甲"),
        ("weights", "s1 1.0, s2 0.5", "s1 1.0"),
        ("zone", NOTHING, "floor2"),
    ]


def test_added_and_removed_records_and_plain_values():
    assert change_lines("", '{"id":"led-w9","kind":"ledbar","window":"w9"}') == [
        ("id", NOTHING, "led-w9"),
        ("kind", NOTHING, "ledbar"),
        ("window", NOTHING, "w9"),
    ]
    assert change_lines('{"enabled":true,"zones":{"a":1}}', "") == [
        ("enabled", "是 yes", NOTHING),
        ("zones", "a: 1", NOTHING),
    ]
    assert change_lines("3", "5") == [("", "3", "5")]
    assert change_lines("not json", "") == [("", "not json", NOTHING)]
