"""The MQTT contract: topics round-trip, payloads validate, bad input gets a stable code."""

from __future__ import annotations

import pytest

from qms.contract import (
    EVENTS_BY_KIND,
    Ack,
    BookingCheckIn,
    Broker,
    Button,
    ButtonPressed,
    ContractError,
    DeviceKind,
    DeviceMeta,
    DeviceState,
    DisplayState,
    HelpPressed,
    PrintTicket,
    QueueCount,
    RatingGiven,
    RatingLevel,
    RecentCall,
    Reconnect,
    ScreenState,
    ServerState,
    ServiceEta,
    ShowText,
    TakeTicket,
    TopicKind,
    VoiceAnnouncement,
    WindowDisplay,
    command_name,
    decode_command,
    decode_event,
    id_number_form_ok,
    parse_topic,
    presence,
    topics,
)


def test_topics_round_trip():
    cases = [
        (topics.server("qingyuan"), TopicKind.SERVER, {}),
        (topics.device_state("qingyuan", "kp-w1"), TopicKind.DEVICE_STATE, {"device": "kp-w1"}),
        (topics.device_meta("qingyuan", "kp-w1"), TopicKind.DEVICE_META, {"device": "kp-w1"}),
        (topics.device_event("qingyuan", "kp-w1", "button"), TopicKind.EVENT, {"device": "kp-w1", "name": "button"}),
        (topics.device_command("qingyuan", "d1", "print"), TopicKind.COMMAND, {"device": "d1", "name": "print"}),
        (topics.device_ack("qingyuan", "d1"), TopicKind.ACK, {"device": "d1"}),
        (topics.window_display("qingyuan", "w5"), TopicKind.DISPLAY, {"window": "w5"}),
        (topics.screen("qingyuan", "main"), TopicKind.SCREEN, {"zone": "main"}),
        (topics.voice("qingyuan", "main"), TopicKind.VOICE, {"zone": "main"}),
    ]
    for text, kind, parts in cases:
        assert text.startswith("qms/1/qingyuan/")
        parsed = parse_topic(text)
        assert parsed.hall == "qingyuan" and parsed.kind is kind
        for name, value in parts.items():
            assert getattr(parsed, name) == value
    assert topics.window_display("h", "w1") == "qms/1/h/window/w1/display"
    assert topics.server("h") == "qms/1/h/$server"


@pytest.mark.parametrize(
    "topic",
    [
        "qms/2/h/$server",  # another contract version
        "other/1/h/$server",
        "qms/1/H/$server",  # ids are lower case
        "qms/1/h/dev/kp 1/evt/button",
        "qms/1/h/dev/kp/evt",
        "qms/1/h/dev/kp/evt/button/extra",
        "qms/1/h/window/w1",
        "qms/1/h",
        "",
    ],
)
def test_bad_topics_are_refused(topic):
    with pytest.raises(ContractError) as err:
        parse_topic(topic)
    assert err.value.code == "bad_topic"


def test_builders_refuse_bad_ids():
    with pytest.raises(ContractError) as err:
        topics.device_event("h", "Keypad/1", "button")
    assert err.value.code == "bad_id"


def test_payloads_round_trip():
    payloads = [
        ButtonPressed("m-1", Button.TRANSFER, window="w1", to_service="tax", reason="专窗办理"),
        TakeTicket("7", "social", id_number="440103199003071234"),
        RatingGiven("r1", RatingLevel.VERY_DISSATISFIED, ticket="A023"),
        HelpPressed("h1", note="自助区 3 号机"),
        PrintTicket(
            "print-7",
            "20261123-A023",
            "A023",
            "social",
            "社保卡办理",
            "清远市政务服务中心",
            "2026-11-23T09:00:00+08:00",
            4,
            12,
            "http://127.0.0.1:8000/t/x",
        ),
        ShowText("s1", "已呼叫 A023", seconds=5.0),
        Ack("m-1", ok=False, error="window_busy", message="窗口忙"),
        Ack("m-2", ok=True),
        DeviceMeta(DeviceKind.KEYPAD, model="QK-3", firmware="1.2", parent="bridge-1"),
        WindowDisplay(1, "A023", "请 A023 号", DisplayState.CALLING),
        ScreenState(
            2,
            (RecentCall("A023", "w5", 5, "5号窗口", "2026-11-23T09:00:00+08:00"),),
            (QueueCount("social", "社保卡办理", "A", 3),),
            (ServiceEta("social", 12), ServiceEta("tax", None)),
        ),
        VoiceAnnouncement(3, "请 A023 号到 5 号窗口办理"),
    ]
    for payload in payloads:
        data = payload.encode()
        assert isinstance(data, bytes)
        assert type(payload).decode(data) == payload
    assert "请" in WindowDisplay(1, None, "请", DisplayState.IDLE).encode().decode()  # readable UTF-8


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"[1, 2]", "bad_payload"),
        (b'{"button": "next"}', "missing_field"),
        (b'{"msg_id": "a", "button": "jump"}', "bad_value"),
        (b'{"msg_id": "a", "button": "next", "extra": 1}', "unknown_field"),
        (b'{"msg_id": 5, "button": "next"}', "bad_payload"),
        (b'{"msg_id": "has space", "button": "next"}', "bad_value"),
        (b'{"msg_id": "a", "button": "transfer"}', "missing_field"),
        (b'{"msg_id": "a", "button": "pause", "reason": "' + b"x" * 300 + b'"}', "bad_value"),
        (b'{"msg_id": "a", "button": "next"}' + b" " * 20000, "too_large"),
    ],
)
def test_bad_button_payloads(payload, code):
    with pytest.raises(ContractError) as err:
        decode_event("button", payload)
    assert err.value.code == code


def test_unknown_event_and_command_names():
    with pytest.raises(ContractError) as err:
        decode_event("explode", b"{}")
    assert err.value.code == "unknown_event"
    with pytest.raises(ContractError) as err:
        decode_command("explode", b"{}")
    assert err.value.code == "unknown_command"
    assert command_name(ShowText("a", "x")) == "show"
    assert decode_command("beep", b'{"msg_id": "b", "times": 2}').times == 2  # type: ignore[union-attr]


def test_presence_words():
    assert ServerState.decode(b"lost") is ServerState.LOST
    assert DeviceState.decode("ready") is DeviceState.READY
    assert presence(ServerState.READY) == b"ready"
    with pytest.raises(ContractError) as err:
        ServerState.decode(b"maybe")
    assert err.value.code == "bad_value"


def test_ack_needs_an_error_code_exactly_when_not_ok():
    with pytest.raises(ContractError):
        Ack("a", ok=False)
    with pytest.raises(ContractError):
        Ack("a", ok=True, error="x")


def test_a_refusal_quotes_what_was_sent_short_and_always_fits_an_ack():
    # a 5,000-character button or field name: the reason names it, cut short
    for payload in (
        b'{"msg_id": "a", "button": "' + b"x" * 5000 + b'"}',
        b'{"msg_id": "a", "button": "next", "' + b"y" * 5000 + b'": 1}',
    ):
        with pytest.raises(ContractError) as err:
            decode_event("button", payload)
        assert len(err.value.message) < 200 and "…" in err.value.message
    ack = Ack.refusal("a", "bad_value", "z" * 1000)
    assert not ack.ok and ack.error == "bad_value" and len(ack.message) == 300 and ack.message.endswith("…")
    assert Ack.refusal("a", "bad_value", "short").message == "short"


def test_every_kind_has_its_events():
    assert set(EVENTS_BY_KIND) == set(DeviceKind)
    assert EVENTS_BY_KIND[DeviceKind.KEYPAD] == {"button"}
    assert "take" in EVENTS_BY_KIND[DeviceKind.DISPENSER]


def test_a_check_in_gives_a_code_or_an_id_number_of_the_right_form():
    by_code = decode_event("checkin", b'{"msg_id": "c1", "code": "K7M2Q9XA"}')
    assert by_code == BookingCheckIn("c1", code="K7M2Q9XA")
    assert BookingCheckIn.decode(by_code.encode()) == by_code
    by_id = BookingCheckIn("c2", id_number="11010519491231002x")  # a lower-case X is read as X by the server
    assert BookingCheckIn.decode(by_id.encode()) == by_id
    assert id_number_form_ok("11010519491231002X") and not id_number_form_ok("110105194912310021")
    assert "checkin" in EVENTS_BY_KIND[DeviceKind.DISPENSER]
    assert "checkin" not in EVENTS_BY_KIND[DeviceKind.KEYPAD]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b'{"msg_id": "c"}', "missing_field"),
        (b'{"msg_id": "c", "code": "K7M2Q9XA", "id_number": "11010519491231002X"}', "missing_field"),
        (b'{"msg_id": "c", "code": "K7M"}', "bad_value"),
        (b'{"msg_id": "c", "code": "K7M2 Q9XA"}', "bad_value"),
        (b'{"msg_id": "c", "id_number": "110105194912310021"}', "bad_value"),  # the check digit is wrong
        (b'{"msg_id": "c", "id_number": "11010519491231002"}', "bad_value"),
        (b'{"msg_id": "c", "id_number": "11010519491231002X\\n"}', "bad_value"),
        (b'{"msg_id": "c", "code": "K7M2Q9XA\\n"}', "bad_value"),
        (b'{"msg_id": "c", "code": 12345678}', "bad_payload"),
        (b'{"msg_id": "c", "code": "K7M2Q9XA", "phone": "1"}', "unknown_field"),
    ],
)
def test_bad_check_ins(payload, code):
    with pytest.raises(ContractError) as err:
        decode_event("checkin", payload)
    assert err.value.code == code


@pytest.mark.parametrize("value", ["w1\n", "w1\n\n"])
def test_a_trailing_newline_never_passes_as_an_id(value: str) -> None:
    from qms.contract import topics

    with pytest.raises(ContractError):
        topics.check_id("device", value)


def test_a_broker_url_gives_host_port_and_login_and_hides_the_password() -> None:
    broker = Broker.from_url("mqtt://led-w1:p%40ss@10.0.0.5:1884")
    assert (broker.host, broker.port, broker.username, broker.password) == ("10.0.0.5", 1884, "led-w1", "p@ss")
    assert "p@ss" not in repr(broker)
    assert Broker.from_url("mqtt://127.0.0.1") == Broker("127.0.0.1", 1883)
    for bad in ("http://127.0.0.1:1883", "mqtt://", "127.0.0.1:1883"):
        with pytest.raises(ValueError, match="is not mqtt://"):
            Broker.from_url(bad)


def test_reconnect_waits_double_and_start_again_only_after_a_connection_that_held() -> None:
    retry = Reconnect(first=0.2, most=1.0, stable=10.0)
    assert retry.lost(0.0, "bar-1") == (0.2, "")  # refused: never connected, nothing to add
    assert retry.lost(1.0, "bar-1") == (0.4, "")
    retry.connected(2.0)
    wait, note = retry.lost(2.5, "bar-1")  # closed at once: another client with the id?
    assert wait == 0.8 and note == " 0.5 s after connecting (is another client with the id bar-1 connected?)"
    assert retry.lost(3.0, "bar-1")[0] == 1.0  # no more than `most`
    retry.connected(4.0)
    assert retry.lost(4.5, None) == (1.0, "")  # a random client id is nobody else's
    retry.connected(10.0)
    assert retry.lost(25.0, "bar-1") == (0.2, "")  # a connection that held: quick again
