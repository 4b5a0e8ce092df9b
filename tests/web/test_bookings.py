"""Online booking over HTTP: slots, book, errors with stable codes, cancel, check-in, nearby halls, admin."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from qms.booking.people import PersonHasher
from qms.core.booking import BookableService, BookingRules
from qms.core.nearby import HallSite, NeighbourHall
from qms.service import HallService
from qms.service.booking import BookingService
from qms.storage import SqliteStore
from qms.storage.bookings import SqliteBookingStore
from qms.web import create_app
from qms.web.booking_desk import BookingDesk
from tests.factories import at, small_hall
from tests.fakes import FakeWorkingDays, JumpClock
from tests.service.test_booking_service import valid_id
from tests.web.conftest import ACCOUNTS, SECRET, bearer

HALL, OTHER = "test-hall", "other-hall"
RULES = BookingRules(services=(BookableService("social", capacity=1), BookableService("tax", capacity=2)))
ID, PHONE = valid_id(1), "13812345678"


@dataclass
class Booker:
    client: httpx.AsyncClient
    clock: JumpClock
    calendar: FakeWorkingDays
    path: Path

    def url(self, path: str, hall: str = HALL) -> str:
        return f"/api/v1/halls/{hall}{path}"

    async def book(self, n: int = 1, *, expect: int = 201, hall: str = HALL, **body: Any) -> dict[str, Any]:
        data = {"service": "social", "date": "2026-11-24", "start": "09:00", "id_number": valid_id(n), "phone": PHONE}
        data.update(body)
        response = await self.client.post(self.url("/bookings", hall), json=data)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def booker(tmp_path: Path) -> AsyncIterator[Booker]:
    clock = JumpClock(at(10))
    path = tmp_path / "qms.db"
    store, bookings = SqliteStore(path), SqliteBookingStore(path)
    await store.open()
    await bookings.open()
    here = small_hall()
    there = replace(small_hall(), id=OTHER, name="另一个大厅")
    halls = {h.id: HallService(h, store, clock=clock) for h in (here, there)}
    calendar = FakeWorkingDays()
    hasher = PersonHasher(SECRET)
    site = HallSite("广州市", "越秀区", 23.1291, 113.2644)
    neighbour = NeighbourHall(
        "tianhe",
        "天河区政务服务中心",
        HallSite("广州市", "天河区", 23.1355, 113.3270),
        ("social",),
        "https://th.example/book",
    )
    desks = {
        HALL: BookingDesk(BookingService(halls[HALL], RULES, bookings, calendar), hasher, site, (neighbour,)),
        OTHER: BookingDesk(
            BookingService(halls[OTHER], RULES, bookings, calendar), hasher, HallSite("广州市", "越秀区", 23.13, 113.27)
        ),
    }
    for h in halls.values():
        await h.start()
    for d in desks.values():
        await d.service.start()
    app = create_app(halls, ACCOUNTS, SECRET, bookings=desks)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hall.test") as client:
            yield Booker(client, clock, calendar, path)
    finally:
        for d in desks.values():
            await d.service.stop()
        for h in halls.values():
            await h.stop()
        await bookings.close()
        await store.close()


@pytest.mark.anyio
async def test_slots_book_show_and_cancel(booker: Booker) -> None:
    overview = (await booker.client.get(booker.url("/booking"))).json()
    assert [d["date"] for d in overview["days"]] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-30",
    ]
    slots = (await booker.client.get(booker.url("/slots?service=social&date=2026-11-24"))).json()
    assert slots["bookable"] and slots["slots"][0] == {
        "start": "09:00", "end": "10:00", "starts_at": "2026-11-24T09:00:00+08:00",
        "capacity": 1, "booked": 0, "free": 1, "past": False,
    }  # fmt: skip
    made = (await booker.book())["booking"]
    assert made["id_masked"] == ID[:4] + "*" * 10 + ID[-4:] and made["phone_masked"] == "138****5678"
    assert made["state"] == "booked" and len(made["code"]) == 8
    shown = (await booker.client.get(booker.url(f"/bookings/{made['code']}"))).json()["booking"]
    assert shown == made
    slots = (await booker.client.get(booker.url("/slots?service=social&date=2026-11-24"))).json()
    assert slots["slots"][0]["free"] == 0
    mine = (await booker.client.post(booker.url("/bookings/lookup"), json={"id_number": ID, "phone": PHONE})).json()
    assert [b["code"] for b in mine["bookings"]] == [made["code"]]
    other_phone = {"id_number": ID, "phone": "13900000000"}
    assert (await booker.client.post(booker.url("/bookings/lookup"), json=other_phone)).json()["bookings"] == []
    cancelled = await booker.client.delete(booker.url(f"/bookings/{made['code']}"))
    assert cancelled.status_code == 200 and cancelled.json()["booking"]["state"] == "cancelled"
    # rescheduling: cancel + book
    await booker.book(start="10:00")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"id_number": "110105194912310021"}, 422, "invalid_id_number"),
        ({"phone": "1234"}, 422, "invalid_phone"),
        ({"service": "nope"}, 404, "unknown_service"),
        ({"service": "issuing"}, 409, "service_not_bookable"),
        ({"date": "2026-11-23", "start": "09:00"}, 409, "slot_past"),
        ({"date": "2026-11-28"}, 409, "not_a_working_day"),
        ({"date": "2026-12-24"}, 409, "outside_booking_window"),
        ({"start": "09:30"}, 404, "unknown_slot"),
        ({"start": "9am"}, 422, "invalid_start"),
        ({"date": "tomorrow"}, 422, "invalid_date"),
        ({"channel": "fax"}, 422, "invalid_input"),
        ({"extra": 1}, 422, "invalid_input"),
    ],
)
async def test_bad_bookings_answer_a_stable_code_and_change_nothing(
    booker: Booker, body: dict[str, Any], status: int, code: str
) -> None:
    error = await booker.book(expect=status, **body)
    assert error["error"]["code"] == code
    db = sqlite3.connect(booker.path)
    assert db.execute("SELECT count(*) FROM bookings").fetchone() == (0,)
    db.close()


@pytest.mark.anyio
async def test_duplicate_submit_blacklisted_and_idempotency_key(booker: Booker) -> None:
    first = (await booker.book())["booking"]
    assert (await booker.book(expect=409))["error"]["code"] == "duplicate_booking"
    headers = {"Idempotency-Key": "form-42"}
    body = {"service": "tax", "date": "2026-11-25", "start": "09:00", "id_number": valid_id(2), "phone": PHONE}
    one = await booker.client.post(booker.url("/bookings"), json=body, headers=headers)
    two = await booker.client.post(booker.url("/bookings"), json=body, headers=headers)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert first["code"] != one.json()["booking"]["code"]


@pytest.mark.anyio
async def test_a_full_slot_suggests_the_nearest_halls_with_free_slots(booker: Booker) -> None:
    await booker.book(1)
    full = await booker.client.post(
        booker.url("/bookings"),
        json={"service": "social", "date": "2026-11-24", "start": "09:00", "id_number": valid_id(2), "phone": PHONE},
    )
    assert full.status_code == 409
    data = full.json()
    assert data["error"]["code"] == "slot_full"
    halls = [(h["hall"], h["free"]) for h in data["nearby"]]
    assert halls == [(OTHER, 7), ("tianhe", None)]  # counted free places first, then neighbours on other servers
    assert data["nearby"][0]["distance_km"] == pytest.approx(0.6, abs=0.2)
    assert data["nearby"][1]["url"] == "https://th.example/book"
    # once the other hall is full that day, it is no longer offered
    for n, start in enumerate(["09:00", "10:00", "11:00", "13:30", "14:30", "15:30", "16:30"], start=10):
        await booker.book(n, hall=OTHER, start=start)
    again = await booker.book(3, expect=409)
    assert [h["hall"] for h in again["nearby"]] == ["tianhe"]


@pytest.mark.anyio
async def test_check_in_by_code_and_by_id_number(booker: Booker) -> None:
    made = (await booker.book())["booking"]
    await booker.book(2, service="tax")
    early = await booker.client.post(booker.url(f"/bookings/{made['code']}/check-in"))
    assert early.status_code == 409 and early.json()["error"]["code"] == "booking_too_early"
    booker.clock.jump(at(8, 40, day=24))
    done = await booker.client.post(booker.url(f"/bookings/{made['code']}/check-in"))
    assert done.status_code == 201, done.text
    ticket = done.json()["ticket"]
    assert (ticket["channel"], ticket["priority"], ticket["service"]) == ("booking", "booking", "social")
    assert done.json()["booking"]["state"] == "checked_in"
    by_id = await booker.client.post(booker.url("/check-in"), json={"id_number": valid_id(2)})
    assert by_id.status_code == 201 and by_id.json()["ticket"]["service"] == "tax"
    nobody = await booker.client.post(booker.url("/check-in"), json={"id_number": valid_id(3)})
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "no_booking_today"
    both = await booker.client.post(booker.url("/check-in"), json={"id_number": valid_id(3), "code": "X"})
    assert both.json()["error"]["code"] == "check_in_needs_code"
    cancelled_late = await booker.client.delete(booker.url(f"/bookings/{made['code']}"))
    assert cancelled_late.json()["error"]["code"] == "not_cancellable"


@pytest.mark.anyio
async def test_staff_look_up_and_lift_a_blacklist_entry_and_edit_the_calendar(booker: Booker) -> None:
    for n, day in enumerate(["2026-11-24", "2026-11-25", "2026-11-26"]):
        if n:
            booker.clock.jump(at(10, day=23 + n))
        await booker.book(date=day, service="tax" if n % 2 else "social")
        booker.clock.jump(at(11, day=24 + n))
        await booker.client.get(booker.url("/booking"))
    # three no-shows: not yet blacklisted (more than 3 are needed); the fourth blacklists
    await booker.client.post(booker.url("/check-in"), json={"code": "NOSUCH99"})  # wakes the actor
    booker.clock.jump(at(10, day=27))
    await booker.client.post(booker.url("/check-in"), json={"code": "NOSUCH99"})
    notices = await booker.client.get(booker.url("/booking/notices"), headers=bearer("root"))
    assert [n["kind"] for n in notices.json()["notices"]] == ["no_show_warning"] * 3
    assert (await booker.client.get(booker.url("/booking/notices"), headers=bearer("alice"))).status_code == 403
    booker.clock.jump(at(10, day=30))  # Monday 30th
    await booker.book(date="2026-12-01")
    booker.clock.jump(at(11).replace(month=12, day=1))
    await booker.client.post(booker.url("/check-in"), json={"code": "NOSUCH99"})
    listed = (await booker.client.get(booker.url(f"/blacklist?id_number={ID}"), headers=bearer("root"))).json()
    assert [(e["reason"], e["count"], e["id_masked"]) for e in listed["entries"]] == [
        ("no_shows", 4, ID[:4] + "*" * 10 + ID[-4:])
    ]
    refused = await booker.book(date="2026-12-03", expect=409)
    assert refused["error"]["code"] == "blacklisted"
    no_reason = await booker.client.post(
        booker.url("/blacklist/lift"), json={"id_number": ID, "reason": ""}, headers=bearer("root")
    )
    assert no_reason.status_code == 422
    lifted = await booker.client.post(
        booker.url("/blacklist/lift"), json={"id_number": ID, "reason": "住院证明已核实"}, headers=bearer("root")
    )
    assert lifted.status_code == 200 and lifted.json()["entry"]["lift_reason"] == "住院证明已核实"
    await booker.book(date="2026-12-03")
    # calendar: make Saturday 5 December a make-up working day
    put = await booker.client.put(
        booker.url("/calendar/2026-12-05"), json={"working": True, "note": "调休"}, headers=bearer("root")
    )
    assert put.status_code == 200
    days = (await booker.client.get(booker.url("/calendar?from=2026-12-05&days=1"))).json()["days"]
    assert days[0]["working"] and days[0]["override"]["note"] == "调休"
    assert "2026-12-05" in [d["date"] for d in (await booker.client.get(booker.url("/booking"))).json()["days"]]
    assert (
        await booker.client.put(booker.url("/calendar/2026-12-05"), json={"working": "yes"}, headers=bearer("root"))
    ).status_code == 422
    assert (await booker.client.delete(booker.url("/calendar/2026-12-05"), headers=bearer("alice"))).status_code == 403


@pytest.mark.anyio
async def test_a_hall_without_booking_says_so(booker: Booker) -> None:
    response = await booker.client.get("/api/v1/halls/nope/slots?service=social")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_hall"
    missing = await booker.client.get(booker.url("/slots"))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "service_required"
