"""The kiosk page as HTTP: services by department with their waits and search keys, the
booking button only in halls that take bookings, and its friendly error pages."""

from __future__ import annotations

import re

import pytest

from qms.web.kiosk import initials

from .conftest import HALL, Api, page_settings
from .test_bookings import HALL as BOOKING_HALL
from .test_bookings import Booker, booker  # noqa: F401  # the fixture of a hall that takes bookings


def test_search_keys_are_the_pinyin_initials() -> None:
    assert initials("养老保险") == "ylbx"
    assert initials("社保卡办理") == "sbkbl"
    assert initials("ICP备案") == "icpba"


@pytest.mark.anyio
async def test_the_kiosk_lists_services_by_department_with_people_waiting(api: Api) -> None:
    await api.issue("tax")
    await api.issue("tax")
    response = await api.client.get(f"/kiosk/{HALL}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "越秀区政务服务中心" in html and "长者模式" in html
    groups = re.findall(r'<section class="group" data-dept="([^"]+)">', html)
    assert groups == ["人社局", "税务局", "综合"]
    tax = re.search(r'<button type="button" class="service" data-service="tax"[^>]*>', html)
    assert tax is not None
    assert 'data-waiting="2"' in tax.group(0) and "swdj" in tax.group(0)  # 税务登记
    assert 'id="check-in-open"' not in html  # this hall takes no bookings
    assert page_settings("kiosk", html) == {
        "hall": HALL,
        "timezone": "Asia/Shanghai",
        "return_seconds": 15,
        "tickets": f"/api/v1/halls/{HALL}/tickets",
        "queues": f"/api/v1/halls/{HALL}/queues",
        "events": f"/api/v1/halls/{HALL}/events",
        "check_in": f"/api/v1/halls/{HALL}/check-in",
        "status_page": f"/t/{HALL}/",
    }
    assert page_settings("kiosk", (await api.client.get(f"/kiosk/{HALL}?return=30")).text)["return_seconds"] == 30


@pytest.mark.anyio
async def test_unknown_hall_and_bad_options_get_a_friendly_page(api: Api) -> None:
    for path, status, words in (
        ("/kiosk/nowhere", 404, "没有这个大厅"),
        ("/kiosk/nowhere", 404, "请检查取号机的网址"),  # not "scan the code again": nobody scanned
        (f"/kiosk/{HALL}?return=2", 400, "return=2"),
        (f"/kiosk/{HALL}?return=soon", 400, "3–120"),
    ):
        response = await api.client.get(path)
        assert response.status_code == status and words in response.text and "<html" in response.text, path


@pytest.mark.anyio
async def test_the_check_in_button_is_there_in_a_hall_that_takes_bookings(booker: Booker) -> None:  # noqa: F811
    response = await booker.client.get(f"/kiosk/{BOOKING_HALL}")
    assert response.status_code == 200
    assert 'id="check-in-open"' in response.text and 'id="check-in-value"' in response.text
