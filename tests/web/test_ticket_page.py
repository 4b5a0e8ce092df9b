"""The ticket status page (一码办事) and its QR code as HTTP: what it shows, its friendly 404s,
no citizen's identifier anywhere on it; and the dispenser's QR link pointing at it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qms.config import load_settings, loads_hall
from qms.mqtt.link import DeviceLink
from qms.web.ticket_page import qr_svg
from tests.mqtt.test_serve import HALL_FILE

from .conftest import HALL, Api

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"
SECRETS = (PHONE, ID_NUMBER, "138****5678", "1101**********002X", "5678", "002X", "a note for staff")


def embedded(html: str, name: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


@pytest.mark.anyio
async def test_the_status_page_shows_the_ticket_and_nothing_personal(api: Api) -> None:
    mine = await api.issue("social", phone=PHONE, id_number=ID_NUMBER, note="a note for staff")
    response = await api.client.get(f"/t/{HALL}/{mine['id']}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert mine["number"] in html and "社保卡办理" in html and "Social security card" in html
    assert "越秀区政务服务中心" in html and "快到您了" in html and "Your turn is near" in html
    for secret in SECRETS:
        assert secret not in html, secret
    ticket = embedded(html, "ticket-initial")
    assert ticket["state"] == "waiting" and ticket["people_ahead"] == 0
    assert not {"id_masked", "phone_masked", "note", "staff", "steps"} & set(ticket)
    assert embedded(html, "ticket-settings") == {
        "hall": HALL,
        "ticket": mine["id"],
        "timezone": "Asia/Shanghai",
        "near": 3,
        "poll_seconds": 5,
        "api": f"/api/v1/halls/{HALL}/tickets/{mine['id']}",
        "events": f"/api/v1/halls/{HALL}/events",
        "rating": None,  # no key in the address: status only
        "cancel": None,
    }
    near = await api.client.get(f"/t/{HALL}/{mine['id']}?near=0")
    assert embedded(near.text, "ticket-settings")["near"] == 0


@pytest.mark.anyio
async def test_unknown_halls_tickets_and_bad_options_get_a_friendly_page(api: Api) -> None:
    mine = await api.issue()
    for path, status, words in (
        ("/t/nowhere/20261123-A001", 404, "没有这个大厅"),
        (f"/t/{HALL}/20261123-Z999", 404, "没有找到这张号票"),
        (f"/t/{HALL}/{mine['id']}?near=-1", 400, "near=-1"),
        (f"/t/{HALL}/{mine['id']}?near=51", 400, "0–50"),
        ("/t/nowhere/x/qr.svg", 404, "没有这个大厅"),
    ):
        response = await api.client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert words in response.text and "<html" in response.text, path
    missing = await api.client.get(f"/t/{HALL}/20261123-Z999/qr.svg")
    assert missing.status_code == 404


@pytest.mark.anyio
async def test_the_qr_code_is_an_svg_of_the_status_pages_address(api: Api) -> None:
    mine = await api.issue()
    response = await api.client.get(f"/t/{HALL}/{mine['id']}/qr.svg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    # the same drawing as of the page's absolute address, as the phone will open it
    assert response.content == qr_svg(f"http://hall.test/t/{HALL}/{mine['id']}")
    assert response.content.lstrip().startswith(b"<?xml") and b"<svg" in response.content


@pytest.mark.anyio
async def test_static_files_of_the_status_page_are_served(api: Api) -> None:
    for name in ("ticket/status.js", "ticket/ticket.css", "kiosk/kiosk.js", "kiosk/kiosk.css", "shared/socket.js"):
        response = await api.client.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.content) > 1000, name


@pytest.mark.anyio
async def test_the_printed_qr_code_opens_the_status_page(api: Api, tmp_path: Path) -> None:
    hall_file = loads_hall(HALL_FILE)
    settings = load_settings(data_dir=tmp_path, environ={"QMS_PUBLIC_URL": "http://hall.test/"})
    devices = DeviceLink(hall_file, settings, api.service)
    mine = await api.issue()
    url = devices.ticket_url(mine["id"])
    assert url == f"http://hall.test/t/{HALL}/{mine['id']}"
    page = await api.client.get(url)
    assert page.status_code == 200 and mine["number"] in page.text
