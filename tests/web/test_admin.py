"""The admin pages against a real `qms demo --around-the-clock` (uvicorn, SQLite, argon2):
cookie sessions, CSRF, the admin role, every form with good and bad input, the audit log, and
a change that survives `kill -9` and a restart from the same data directory."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import aiomqtt
import httpx
import pytest

from qms.bench.api import free_port
from qms.contract import topics
from tests.service.test_booking_service import valid_id

from .test_screen_browser import HALL, Hall, demo_hall, start_demo

pytestmark = pytest.mark.slow

ADMIN = f"/admin/{HALL}"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ERROR = re.compile(r'<em class="error"[^>]*>([^<]*)</em>')


class Browser:
    """A client that keeps cookies, as a browser does, and reads the CSRF token from forms.
    Every one made is closed when the module's server stops (`opened`)."""

    opened: ClassVar[list[httpx.Client]] = []

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
        self.opened.append(self.http)
        self.csrf = ""

    @classmethod
    def close_all(cls) -> None:
        while cls.opened:
            cls.opened.pop().close()

    def get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found[1]
        return response

    def post(self, path: str, data: dict[str, Any], *, csrf: str | None = None) -> httpx.Response:
        body = dict(data)
        if csrf is None:
            body["csrf"] = self.csrf
        elif csrf:
            body["csrf"] = csrf
        return self.http.post(path, data=body)

    def log_in(self, username: str, password: str) -> httpx.Response:
        self.get("/admin/login")
        return self.post("/admin/login", {"username": username, "password": password, "next": ADMIN})


def errors(response: httpx.Response) -> list[str]:
    return _ERROR.findall(response.text)


def audit_count(admin: Browser) -> int:
    return admin.get(f"{ADMIN}/audit").text.count('class="audit-entry"')


def window(hall: Hall, window_id: str) -> dict[str, Any]:
    windows = hall.http.get("/windows").json()["windows"]
    found: dict[str, Any] = next(w for w in windows if w["id"] == window_id)
    return found


def window_form(number: int, *services: str, kind: str = "specialized", zone: str = "floor1") -> dict[str, str]:
    form = {"number": str(number), "name": f"{number}号专窗", "kind": kind, "zone": zone}
    for service in services:
        form[f"serve:{service}"] = "on"
        form[f"weight:{service}"] = "2"
    return form


MQTT_PORT = free_port()  # the demo's managed Mosquitto, for the keypad test


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hall, Browser]]:
    tmp = tmp_path_factory.mktemp("admin")
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QMS_MQTT_PORT", str(MQTT_PORT))
        server = start_demo(demo_hall(tmp), tmp / "data", port)
    try:
        hall = Hall(port)
        admin = Browser(hall.base)
        assert admin.log_in("admin", "admin123").status_code == 303
        yield hall, admin
    finally:
        server.stop()
        hall.http.close()
        Browser.close_all()


def test_no_session_goes_to_login_and_comes_back(served: tuple[Hall, Browser]) -> None:
    hall, _ = served
    visitor = Browser(hall.base)
    response = visitor.get(f"{ADMIN}/windows")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/login?next=/admin/{HALL}/windows"
    forged = httpx.get(f"{hall.base}{ADMIN}", cookies={"qms_session": "qms1.e30.forged:x"})
    assert forged.status_code == 303 and forged.headers["location"].startswith("/admin/login")
    wrong = visitor.log_in("admin", "wrong password")
    assert (
        wrong.status_code == 401
        and "用户名或密码错误" in wrong.text
        and "qms_session" not in wrong.headers.get("set-cookie", "")
    )
    visitor.get("/admin/login")
    good = visitor.post("/admin/login", {"username": "admin", "password": "admin123", "next": f"{ADMIN}/windows"})
    assert good.status_code == 303 and good.headers["location"] == f"{ADMIN}/windows"
    cookie = next(c for c in good.headers.get_list("set-cookie") if c.startswith("qms_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; over https the cookie is Secure
    assert visitor.get(f"{ADMIN}/windows").status_code == 200
    visitor.get("/admin/login")
    evil = visitor.post("/admin/login", {"username": "admin", "password": "admin123", "next": "//evil.example/x"})
    assert evil.headers["location"] == "/admin"  # never off the site


def test_staff_without_the_admin_role_get_a_clear_403(served: tuple[Hall, Browser]) -> None:
    hall, _ = served
    staff = Browser(hall.base)
    assert staff.log_in("staff1", "demo123").status_code == 303
    response = staff.get(ADMIN)
    assert response.status_code == 403
    assert "需要管理员权限" in response.text and "Admin role required" in response.text


def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/windows/w5")
    before, audited = window(hall, "w5"), audit_count(admin)
    for token in ("", "forged-token"):
        response = admin.post(f"{ADMIN}/windows/w5", window_form(5, "pension"), csrf=token)
        assert response.status_code == 403
        assert "表单已失效" in response.text and "nothing was changed" in response.text
    assert window(hall, "w5") == before and audit_count(admin) == audited
    other = Browser(hall.base)  # another session's token does not fit this session
    other.log_in("admin", "admin123")
    other.get(ADMIN)
    assert admin.post(f"{ADMIN}/windows/w5", window_form(5, "pension"), csrf=other.csrf).status_code == 403
    login = Browser(hall.base).post("/admin/login", {"username": "admin", "password": "admin123"}, csrf="")
    assert login.status_code == 403


def device_ids(admin: Browser) -> list[str]:
    return re.findall(r'href="/admin/[^/]+/devices/([a-z0-9-]+)"', admin.get(f"{ADMIN}/devices").text)


def test_device_forms_check_every_field_and_change_nothing_on_bad_input(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    registry = device_ids(admin)
    assert {"keypad-w1", "keypad-w3", "keypad-w54", "dispenser-9", "bridge-1"} <= set(registry)  # ranges expanded
    audited = audit_count(admin)
    admin.get(f"{ADMIN}/devices/new")
    bad = {"id": "Bad Id", "kind": "keypad", "window": "", "zone": "nowhere", "bridge": "led-w1", "password_hash": "x"}
    response = admin.post(f"{ADMIN}/devices/new", bad)
    assert response.status_code == 422 and len(errors(response)) == 5  # id, window, zone, bridge, hash
    assert "这种设备属于一个窗口" in response.text and "choose a registered bridge" in response.text
    taken = admin.post(f"{ADMIN}/devices/new", {"id": "keypad-w1", "kind": "screen", "window": "w1"})
    assert taken.status_code == 422 and len(errors(taken)) == 2  # the id is taken; a screen has no window
    assert "this id is taken" in taken.text and "belongs to a zone, not a window" in taken.text
    no_csrf = admin.post(f"{ADMIN}/devices/new", {"id": "screen-9", "kind": "screen", "zone": "floor1"}, csrf="")
    assert no_csrf.status_code == 403
    staff = Browser(hall.base)
    staff.log_in("staff1", "demo123")
    assert staff.get(f"{ADMIN}/devices").status_code == 403
    assert staff.post(f"{ADMIN}/devices/keypad-w1/remove", {}).status_code == 403
    busy = admin.post(f"{ADMIN}/devices/bridge-1/remove", {})
    assert busy.status_code == 409 and "keypad-w2, pad-w2" in busy.text
    assert device_ids(admin) == registry and audit_count(admin) == audited
    assert admin.get(f"{ADMIN}/devices/no-such").status_code == 404
    odd = admin.post(f"{ADMIN}/devices/keypad-w1/credential", {"action": "print"})
    assert odd.status_code == 422 and errors(odd) == ["请从列表中选择 · choose one of the list"]
    behind = admin.post(f"{ADMIN}/devices/keypad-w2/credential", {"action": "reset"})
    assert behind.status_code == 409 and "does not keep this device's password" in html.unescape(behind.text)

    moved = admin.post(f"{ADMIN}/devices/pad-w2", {"kind": "rating_pad", "window": "w2", "zone": "", "bridge": ""})
    assert moved.status_code == 303 and moved.headers["location"] == f"{ADMIN}/devices?saved=1"
    page = admin.get(f"{ADMIN}/devices/pad-w2").text
    assert "服务器生成的密码" in page and 'value="floor1" selected' in page  # off the bridge: its own login
    entry = html.unescape(admin.get(f"{ADMIN}/audit?kind=devices").text)
    assert "device pad-w2" in entry and '"bridge":"bridge-1"' in entry and '"login":"generated"' in entry


async def keypad_press(user: str, password: str, msg_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A keypad's `evt/button` and the server's ack to it, over the demo's managed Mosquitto."""
    async with aiomqtt.Client("127.0.0.1", MQTT_PORT, username=user, password=password) as client:
        await client.subscribe(topics.device_ack(HALL, user), qos=1)
        payload = json.dumps({"msg_id": msg_id, **body}).encode()
        await client.publish(topics.device_event(HALL, user, "button"), payload, qos=1)
        async with asyncio.timeout(10):
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                ack: dict[str, Any] = json.loads(message.payload)
                if ack.get("msg_id") == msg_id:
                    return ack
    raise AssertionError("no ack")


def shown_password(response: httpx.Response) -> str:
    found = re.search(r'id="device-password">([^<]+)<', response.text)
    assert found, response.text
    return html.unescape(found[1])


def test_a_keypad_added_on_the_admin_page_acts_at_once_and_not_after_removal(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/devices/new")
    new = {"id": "keypad-new-9", "kind": "keypad", "window": "w9", "zone": "", "bridge": ""}
    assert admin.post(f"{ADMIN}/devices/new", new).status_code == 303
    password = shown_password(admin.post(f"{ADMIN}/devices/keypad-new-9/credential", {"action": "show"}))
    hall.login()
    hall.issue("pension")
    hall.act("w9", "open")
    called = asyncio.run(keypad_press("keypad-new-9", password, "new-1", {"button": "next"}))
    assert called["ok"] is True, called
    assert window(hall, "w9")["state"] == "calling"

    reset = admin.post(f"{ADMIN}/devices/keypad-new-9/credential", {"action": "reset"})
    fresh = shown_password(reset)
    assert reset.status_code == 200 and "旧密码已失效" in reset.text and fresh != password
    with pytest.raises(aiomqtt.MqttError):
        asyncio.run(keypad_press("keypad-new-9", password, "new-2", {"button": "recall"}))
    assert asyncio.run(keypad_press("keypad-new-9", fresh, "new-3", {"button": "recall"}))["ok"] is True

    async def removed_while_connected() -> None:
        async with aiomqtt.Client("127.0.0.1", MQTT_PORT, username="keypad-new-9", password=fresh) as client:
            removed = await asyncio.to_thread(admin.post, f"{ADMIN}/devices/keypad-new-9/remove", {})
            assert removed.status_code == 303
            with pytest.raises(aiomqtt.MqttError):  # the reloaded broker has dropped it
                event = json.dumps({"msg_id": "new-4", "button": "no-show"}).encode()
                await client.publish(topics.device_event(HALL, "keypad-new-9", "button"), event, qos=1, timeout=2)

    asyncio.run(removed_while_connected())
    with pytest.raises(aiomqtt.MqttError):  # and its login is gone
        asyncio.run(keypad_press("keypad-new-9", fresh, "new-5", {"button": "no-show"}))
    assert window(hall, "w9")["state"] == "calling"
    audit = html.unescape(admin.get(f"{ADMIN}/audit?kind=devices").text)
    assert audit.count("device keypad-new-9") == 3 and '"password":"reset"' in audit and fresh not in audit


def test_a_window_form_changes_the_running_hall_and_writes_the_audit(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/windows/w4")
    bad = admin.post(f"{ADMIN}/windows/w4", {**window_form(4), "number": "1", "zone": "nowhere"})
    assert bad.status_code == 422
    assert len(errors(bad)) == 3  # number taken, unknown zone, a specialized window without services
    assert window(hall, "w4")["kind"] == "general"
    bad_weight = admin.post(f"{ADMIN}/windows/w4", {**window_form(4, "pension"), "weight:pension": "-1"})
    assert bad_weight.status_code == 422 and "大于 0" in errors(bad_weight)[0]

    saved = admin.post(f"{ADMIN}/windows/w4", window_form(4, "pension"))
    assert saved.status_code == 303 and saved.headers["location"] == f"{ADMIN}/windows?saved=1"
    assert window(hall, "w4")["kind"] == "specialized" and window(hall, "w4")["services"] == ["pension"]
    entry = admin.get(f"{ADMIN}/audit?kind=windows").text
    assert "window w4" in entry and "admin" in entry and "specialized" in entry and "general" in entry


def test_a_window_is_removed_only_without_devices_and_closed(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    hall.login()
    hall.act("w6", "open")
    admin.get(f"{ADMIN}/devices/new")
    led = {"id": "led-w6", "kind": "led_bar", "window": "w6", "zone": "", "bridge": ""}
    assert admin.post(f"{ADMIN}/devices/new", led).status_code == 303
    registry, audited = device_ids(admin), audit_count(admin)
    admin.get(f"{ADMIN}/windows/w6")
    refused = admin.post(f"{ADMIN}/windows/w6/remove", {})
    text = html.unescape(refused.text)
    assert refused.status_code == 409 and 'data-code="window_has_devices"' in text
    assert "keypad-w6（呼叫器）、led-w6（窗口屏）" in text and "keypad-w6 (keypad), led-w6 (LED bar)" in text
    assert "“设备”页" in text and "on the devices page first" in text and "screen-floor1" not in text
    assert device_ids(admin) == registry and audit_count(admin) == audited  # nothing changed
    assert window(hall, "w6")["state"] == "idle"
    for device in ("keypad-w6", "led-w6"):
        assert admin.post(f"{ADMIN}/devices/{device}/remove", {}).status_code == 303
    open_window = admin.post(f"{ADMIN}/windows/w6/remove", {})
    assert open_window.status_code == 409 and "close it before removing it" in open_window.text
    hall.act("w6", "close")
    assert admin.post(f"{ADMIN}/windows/w6/remove", {}).status_code == 303
    assert all(w["id"] != "w6" for w in hall.http.get("/windows").json()["windows"])
    assert "window w6" in admin.get(f"{ADMIN}/audit?kind=windows").text


def test_services_add_edit_remove_with_field_messages(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/services/new")
    bad = admin.post(f"{ADMIN}/services/new", {"id": "Bad Id", "name": "", "prefix": "a1", "handling_minutes": "0"})
    assert bad.status_code == 422 and len(errors(bad)) == 4
    good = {"id": "notary", "name": "公证", "name_en": "Notary", "prefix": "N", "department": "司法局"}
    good |= {"handling_minutes": "12", "general": "on"}
    response = admin.post(f"{ADMIN}/services/new", {**good, "daily_cap": "40"})
    assert response.status_code == 303
    assert hall.http.post("/tickets", json={"service": "notary"}).status_code == 201
    capped = admin.post(f"{ADMIN}/services/notary", {**good, "daily_cap": "0"})
    assert capped.status_code == 422 and "1–100000" in errors(capped)[0]
    refused = admin.post(f"{ADMIN}/services/notary/remove", {})
    assert refused.status_code == 409 and "ticket(s) today" in refused.text  # its ticket names it
    assert "公证" in admin.get(f"{ADMIN}/services").text


_CODE = re.compile(r'data-code="([a-z_]+)"')


def refused_with(response: httpx.Response, status: int) -> list[str]:
    """The stable codes a refusal page carries (`data-code`), after checking its status."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    return _CODE.findall(response.text)


def test_every_refusal_on_the_admin_pages_carries_its_stable_code(served: tuple[Hall, Browser]) -> None:
    """A walk through the admin pages' refusals: each says why on the page and carries its code
    (`data-code`, the API's code where the API has one) for tests and scripts; none changes anything."""
    hall, admin = served
    audited = audit_count(admin)
    visitor = Browser(hall.base)
    assert refused_with(visitor.log_in("admin", ""), 422) == ["credentials_required"]
    assert refused_with(visitor.log_in("admin", "nope"), 401) == ["bad_credentials"]
    for _ in range(5):  # the throttle counts per user name: a name no other test uses
        visitor.log_in("guesser", "nope")
    assert refused_with(visitor.log_in("guesser", "nope"), 429) == ["too_many_attempts"]
    staff = Browser(hall.base)
    staff.log_in("staff1", "demo123")
    assert refused_with(staff.get(ADMIN), 403) == ["admin_only"]
    assert refused_with(admin.get("/admin/no-such-hall"), 404) == ["unknown_hall"]
    admin.get(f"{ADMIN}/services/pension")
    assert refused_with(admin.post(f"{ADMIN}/services/pension", {}, csrf="forged"), 403) == ["invalid_csrf_token"]
    for path, code in (
        ("/services/no-such", "unknown_service"),
        ("/windows/no-such", "unknown_window"),
        ("/staff/no-one", "unknown_account"),
        ("/devices/no-such", "unknown_device"),
        ("/booking/services/no-such", "service_not_bookable"),
    ):
        assert refused_with(admin.get(ADMIN + path), 404) == [code], path

    # forms: bad fields, a layout that would not hold, and changes the hall or the registry refuses
    admin.get(f"{ADMIN}/services/new")
    assert refused_with(admin.post(f"{ADMIN}/services/new", {"id": "Bad Id"}), 422) == ["invalid_input"]
    next_step = admin.post(f"{ADMIN}/services/issuing/remove", {})  # another service's next step
    assert refused_with(next_step, 409) == ["invalid_config"]
    assert html.unescape(next_step.text).count("the layout would not hold") == 1
    assert refused_with(admin.post(f"{ADMIN}/services/social-security-card/remove", {}), 409) == ["service_bookable"]
    hall.login()
    hall.issue("tax-filing")
    assert refused_with(admin.post(f"{ADMIN}/services/tax-filing/remove", {}), 409) == ["service_has_tickets"]
    hall.act("w7", "open")
    assert refused_with(admin.post(f"{ADMIN}/windows/w7/remove", {}), 409) == ["window_has_devices"]
    assert audit_count(admin) == audited  # nothing changed so far
    for device in ("keypad-w7", "led-w7", "pad-w7"):
        if device in device_ids(admin):
            assert admin.post(f"{ADMIN}/devices/{device}/remove", {}).status_code == 303
    audited = audit_count(admin)
    assert refused_with(admin.post(f"{ADMIN}/windows/w7/remove", {}), 409) == ["window_in_use"]
    hall.act("w7", "close")
    assert refused_with(admin.post(f"{ADMIN}/devices/bridge-1/remove", {}), 409) == ["bridge_has_devices"]
    behind = admin.post(f"{ADMIN}/devices/keypad-w2/credential", {"action": "show"})
    assert refused_with(behind, 409) == ["password_not_kept"]
    assert audit_count(admin) == audited  # none of them changed anything


def test_hours_and_policy_forms(served: tuple[Hall, Browser]) -> None:
    _, admin = served
    page = admin.get(f"{ADMIN}/hours")
    assert page.status_code == 200 and "周六" in page.text
    week = {f"day{i}": "08:30-12:00, 13:30-17:30" for i in range(5)} | {"day5": "09:00-12:00", "day6": ""}
    bad = admin.post(f"{ADMIN}/hours", {**week, "day1": "12:00-09:00", "issue_cutoff_minutes": "x"})
    assert bad.status_code == 422 and len(errors(bad)) == 2
    assert admin.post(f"{ADMIN}/hours", {**week, "issue_cutoff_minutes": "20"}).status_code == 303
    assert 'value="08:30-12:00, 13:30-17:30"' in admin.get(f"{ADMIN}/hours").text

    page = admin.get(f"{ADMIN}/policy")
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    values |= {"reactivation": "keep_place", "starvation_minutes": "30"}
    bad = admin.post(f"{ADMIN}/policy", {**values, "max_calls": "0", "rate:green": "-5"})
    assert bad.status_code == 422 and len(errors(bad)) == 2
    assert admin.post(f"{ADMIN}/policy", values).status_code == 303
    assert 'value="30"' in admin.get(f"{ADMIN}/policy").text
    assert "starvation_minutes" in admin.get(f"{ADMIN}/audit?kind=policy").text


def booking_rules(hall: Hall) -> dict[str, Any]:
    rules: dict[str, Any] = hall.http.get("/booking").json()["rules"]
    return rules


def test_booking_rules_change_for_the_next_booking(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    page = admin.get(f"{ADMIN}/booking")
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    values["late_check_in"] = "refuse"
    bad = admin.post(f"{ADMIN}/booking", {**values, "per_day": "0", "horizon_days": "x"})
    assert bad.status_code == 422 and len(errors(bad)) == 2
    assert booking_rules(hall)["per_day"] == int(values["per_day"])
    assert admin.post(f"{ADMIN}/booking", {**values, "per_day": "2", "max_no_shows": "5"}).status_code == 303
    rules = booking_rules(hall)
    assert rules["per_day"] == 2 and rules["max_no_shows"] == 5 and rules["late_check_in"] == "refuse"
    audit = html.unescape(admin.get(f"{ADMIN}/audit?kind=booking").text)
    assert audit.count('class="audit-entry"') == 1 and '"per_day":2' in audit


def test_bookable_services_and_their_slots(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    form = f"{ADMIN}/booking/services"
    assert admin.get(f"{form}/new").status_code == 200
    bad = admin.post(f"{form}/new", {"service": "no-such", "slot_minutes": "3", "mode": "capacity", "capacity": "-1"})
    assert bad.status_code == 422 and len(errors(bad)) == 3
    taken = admin.post(f"{form}/new", {"service": "social-security-card", "slot_minutes": "30", "mode": "capacity"})
    assert taken.status_code == 422 and "已可预约" in html.unescape(taken.text)
    share = admin.post(f"{form}/new", {"service": "pension", "slot_minutes": "30", "mode": "share", "share": "150"})
    assert share.status_code == 422 and len(errors(share)) == 2  # and no daily cap to take as expected
    assert "pension" not in [b["id"] for b in hall.http.get("/booking").json()["services"]]
    assert "养老保险待遇申领" not in hall.http.get(f"{hall.base}/book/{HALL}").text

    # pension becomes bookable: on the booking page and its slots at once, audited
    good = {"service": "pension", "slot_minutes": "30", "mode": "capacity", "capacity": "3"}
    assert admin.post(f"{form}/new", good).status_code == 303
    assert "养老保险待遇申领" in hall.http.get(f"{hall.base}/book/{HALL}").text
    slots = hall.http.get("/slots", params={"service": "pension"}).json()
    first = next(s for s in slots["slots"] if not s["past"] and s["free"])
    assert first["capacity"] == 3 and first["end"] > first["start"]
    assert "pension" in html.unescape(admin.get(f"{ADMIN}/audit?kind=booking").text)

    # with a booking made, the slot length and the removal are refused; places may change
    body = {"service": "pension", "date": slots["date"], "start": first["start"], "phone": "13812345678"}
    made = hall.http.post("/bookings", json={**body, "id_number": valid_id(7)})
    assert made.status_code == 201, made.text
    code = made.json()["booking"]["code"]
    admin.get(f"{form}/pension")
    longer = admin.post(f"{form}/pension", {**good, "slot_minutes": "60"})
    assert longer.status_code == 409 and "1 个未到期的预约" in html.unescape(longer.text)
    assert 'data-code="service_has_open_bookings"' in longer.text
    removed = admin.post(f"{form}/pension/remove", {})
    assert removed.status_code == 409 and "未删除" in html.unescape(removed.text)
    assert 'data-code="service_has_open_bookings"' in removed.text
    assert admin.post(f"{form}/pension", {**good, "capacity": "0"}).status_code == 303
    assert hall.http.get(f"/bookings/{code}").json()["booking"]["state"] == "booked"  # kept
    paused = hall.http.post("/bookings", json={**body, "id_number": valid_id(8)})
    assert paused.status_code == 409, paused.text  # no places: no new booking
    assert hall.http.delete(f"/bookings/{code}").status_code == 200
    assert admin.post(f"{form}/pension/remove", {}).status_code == 303
    assert "pension" not in [b["id"] for b in hall.http.get("/booking").json()["services"]]
    assert "养老保险待遇申领" not in hall.http.get(f"{hall.base}/book/{HALL}").text


def test_staff_accounts_are_what_the_api_logs_in_with(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    api_login = f"{hall.base}/api/v1/auth/login"
    admin.get(f"{ADMIN}/staff/new")
    bad = admin.post(f"{ADMIN}/staff/new", {"username": "staff1", "name": "", "role": "boss", "password": "short"})
    assert bad.status_code == 422 and len(errors(bad)) == 4
    new = {"username": "zhou.min", "name": "周敏", "role": "staff", "windows": "w2", "password": "long enough"}
    assert admin.post(f"{ADMIN}/staff/new", new).status_code == 303
    assert httpx.post(api_login, json={"username": "zhou.min", "password": "long enough"}).status_code == 200
    reset = {"name": "周敏", "role": "staff", "password": "another secret"}
    assert admin.post(f"{ADMIN}/staff/zhou.min", reset).status_code == 303
    assert httpx.post(api_login, json={"username": "zhou.min", "password": "long enough"}).status_code == 401
    assert httpx.post(api_login, json={"username": "zhou.min", "password": "another secret"}).status_code == 200
    assert admin.post(f"{ADMIN}/staff/zhou.min", {**reset, "password": "", "disabled": "on"}).status_code == 303
    assert httpx.post(api_login, json={"username": "zhou.min", "password": "another secret"}).status_code == 401
    self_demote = admin.post(f"{ADMIN}/staff/admin", {"name": "x", "role": "staff"})
    assert self_demote.status_code == 422 and "不能停用自己的账号" in self_demote.text
    audit = admin.get(f"{ADMIN}/audit?kind=staff").text
    assert audit.count('class="audit-entry"') == 3 and "reset" in audit and "$argon2" not in audit


def test_a_keypad_signs_in_with_the_accounts_the_admin_pages_keep(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/staff/new")
    new = {"username": "wu.gang", "name": "吴刚", "role": "staff", "windows": "w1", "password": "keypad sign-in"}
    assert admin.post(f"{ADMIN}/staff/new", new).status_code == 303

    def press_open(msg_id: str, staff: str) -> dict[str, Any]:
        return asyncio.run(keypad_press("keypad-w1", "demo-device", msg_id, {"button": "open", "staff": staff}))

    assert press_open("admin-1", "wu.gang")["ok"] is True
    assert window(hall, "w1")["staff"] == "wu.gang"
    hall.login()
    hall.act("w1", "close")
    assert admin.post(f"{ADMIN}/staff/wu.gang", {**new, "password": "", "disabled": "on"}).status_code == 303
    refused = press_open("admin-2", "wu.gang")
    assert refused["ok"] is False and refused["error"] == "unknown_staff"


def test_read_only_pages_and_logout(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    for page, text in (("", "最近修改"), ("/booking", "预约规则"), ("/devices", "设备登记"), ("/windows", "窗口")):
        assert text in admin.get(ADMIN + page).text
    accounts = admin.get(f"{ADMIN}/staff").text.count(f'href="{ADMIN}/staff/') - 1  # less "add an account"
    assert f"<b>{accounts}</b>账号" in admin.get(ADMIN).text
    assert admin.get(f"{ADMIN}/windows/no-such").status_code == 404
    no_hall = admin.get("/admin/no-such-hall")
    assert no_hall.status_code == 404 and "没有这个大厅" in no_hall.text and "admin.css" in no_hall.text
    leaving = Browser(hall.base)
    leaving.log_in("admin", "admin123")
    leaving.get(ADMIN)
    copy = copied(leaving)
    assert copy.get(ADMIN).status_code == 200
    out = leaving.post("/admin/logout", {})
    assert out.status_code == 303 and 'qms_session=""' in out.headers["set-cookie"]
    assert leaving.get(ADMIN).status_code == 303
    assert copy.get(ADMIN).status_code == 303  # the session ended on the server, not only in one browser
    assert admin.get(ADMIN).status_code == 200  # another session of the same account goes on


def copied(browser: Browser) -> Browser:
    """Another client with a copy of `browser`'s session cookie (as a thief would have)."""
    copy = Browser(str(browser.http.base_url))
    copy.http.cookies.set("qms_session", browser.http.cookies["qms_session"])
    return copy


def test_log_out_everywhere_ends_cookie_sessions_and_api_tokens(served: tuple[Hall, Browser]) -> None:
    hall, admin = served
    admin.get(f"{ADMIN}/staff/new")
    new = {"username": "he.li", "name": "何丽", "role": "admin", "password": "everywhere one"}
    assert admin.post(f"{ADMIN}/staff/new", new).status_code == 303
    other = Browser(hall.base)
    assert other.log_in("he.li", "everywhere one").status_code == 303
    api = httpx.post(f"{hall.base}/api/v1/auth/login", json={"username": "he.li", "password": "everywhere one"})
    bearer = {"authorization": f"Bearer {api.json()['token']}"}
    assert httpx.get(f"{hall.base}/api/v1/halls/{HALL}/reports/daily", headers=bearer).status_code == 200
    admin.get(f"{ADMIN}/staff/he.li")
    assert admin.post(f"{ADMIN}/staff/he.li/logout", {}).status_code == 303
    assert other.get(ADMIN).status_code == 303
    me = httpx.get(f"{hall.base}/api/v1/halls/{HALL}/reports/daily", headers=bearer)
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"
    assert other.log_in("he.li", "everywhere one").status_code == 303  # a new login at once works
    assert other.get(ADMIN).status_code == 200
    assert admin.post(f"{ADMIN}/staff/no-one/logout", {}).status_code == 404
    # a reset password ends the sessions made with the old one
    assert admin.post(f"{ADMIN}/staff/he.li", {**new, "password": "a new secret"}).status_code == 303
    assert other.get(ADMIN).status_code == 303
    assert "sessions" in html.unescape(admin.get(f"{ADMIN}/audit?kind=staff").text)


def test_layout_rules_and_devices_survive_kill_and_restart(tmp_path: Path) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    try:
        admin = Browser(f"http://127.0.0.1:{port}")
        admin.log_in("admin", "admin123")
        gone = Browser(f"http://127.0.0.1:{port}")
        gone.log_in("admin", "admin123")
        gone.get(ADMIN)
        stolen = gone.http.cookies["qms_session"]
        assert gone.post("/admin/logout", {}).status_code == 303
        admin.get(f"{ADMIN}/windows/w2")
        session = admin.http.cookies["qms_session"]
        assert admin.post(f"{ADMIN}/windows/w2", window_form(2, "pension")).status_code == 303
        values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', admin.get(f"{ADMIN}/booking").text))
        assert (
            admin.post(f"{ADMIN}/booking", {**values, "late_check_in": "ordinary", "per_week": "4"}).status_code == 303
        )
        assert admin.post(f"{ADMIN}/devices/help-1/remove", {}).status_code == 303
        assert (
            admin.post(f"{ADMIN}/devices/new", {"id": "screen-2", "kind": "screen", "zone": "floor2"}).status_code
            == 303
        )
    finally:
        server.kill()  # kill -9: nothing of the shutdown runs
        Browser.close_all()
    with pytest.MonkeyPatch.context() as env:  # the hall's devices now go to an external broker
        env.setenv("QMS_MQTT_URL", f"mqtt://qms:secret@127.0.0.1:{free_port()}")
        server = start_demo(config, data, port)
    try:
        hall = Hall(port)
        thief, kept = Browser(hall.base), Browser(hall.base)
        thief.http.cookies.set("qms_session", stolen)
        kept.http.cookies.set("qms_session", session)
        assert thief.get(ADMIN).status_code == 303  # still logged out after the restart
        assert kept.get(ADMIN).status_code == 200  # while the session not logged out goes on
        assert window(hall, "w2")["services"] == ["pension"]
        assert booking_rules(hall)["per_week"] == 4  # the saved rules win over the hall file's
        admin = Browser(hall.base)
        admin.log_in("admin", "admin123")
        registry = device_ids(admin)
        assert "screen-2" in registry and "help-1" not in registry  # the stored registry wins over the hall file's
        page = admin.get(f"{ADMIN}/devices/screen-2")
        assert "须由该服务器的管理员设置" in page.text and "its operator must set the devices' credentials" in page.text
        refused = admin.post(f"{ADMIN}/devices/screen-2/credential", {"action": "show"})
        assert refused.status_code == 409 and 'id="device-password"' not in refused.text
        hall.login()
        hall.issue("social-insurance-enrolment")  # w2 no longer serves it
        pension = hall.issue("pension")
        hall.act("w2", "open")
        called = hall.act("w2", "call-next")
        assert called["window"]["ticket_number"] == pension
    finally:
        server.stop()
        hall.http.close()
        Browser.close_all()
