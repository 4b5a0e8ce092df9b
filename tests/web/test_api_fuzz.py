"""Random bad input against every JSON endpoint of the API: never a 5xx, always the error shape
with a stable code, and a refused request changes nothing that is stored.

The requests are a seeded random mix (so a failure is repeatable with its seed): bodies of
random JSON, the API's own field names with values of every type (wrong ones, huge ones,
control characters, nesting), raw bytes that are not JSON, and path parameters both real and
made up, with and without a staff or admin token. Good requests are mixed in (issue, open,
call, check in) so that the bad ones meet a hall with tickets called, served and held, not
only an empty one. After every refused request the stored state (every table of the SQLite
file) must be byte for byte what it was; at the end, a hall started afresh from the file must
match the live one.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from qms.booking.people import PersonHasher
from qms.core.booking import BookableService, BookingRules
from qms.core.nearby import HallSite
from qms.service import HallService
from qms.service.booking import BookingService
from qms.storage import SqliteStore
from qms.storage.bookings import SqliteBookingStore
from qms.web import create_app
from qms.web.booking_desk import BookingDesk
from qms.web.bookings import BOOK_FIELDS
from qms.web.tickets import ISSUE_FIELDS
from qms.web.windows import ACTIONS
from tests.factories import at, small_hall
from tests.fakes import FakeWorkingDays, JumpClock
from tests.service.test_booking_service import valid_id
from tests.web.conftest import ACCOUNTS, SECRET, bearer

pytestmark = pytest.mark.anyio

HALL = "test-hall"
RULES = BookingRules(services=(BookableService("social", capacity=3), BookableService("tax", capacity=2)))
REQUESTS = 400  # about 5 s a seed; each refused one is checked against a digest of the whole file

FIELDS = (
    "service", "channel", "priority", "note", "id_number", "phone", "appointment_at", "escalation",
    "ticket", "window", "reason", "outcome", "next_service", "to_service", "to_window", "key", "level",
    "comment", "username", "password", "date", "start", "code", "status", "working", "id",
)  # fmt: skip
# the fields each endpoint reads (its own list where it has one), so that most bodies get past
# "unknown field" to the rules; an endpoint that reads no body gets names from FIELDS
TAKES = {
    "login": ("username", "password"),
    "tickets": ISSUE_FIELDS,
    "reactivate": (),
    "rating": ("key", "level"),
    "cancel": ("key",),
    "follow-up": ("status", "note"),
    "bookings": BOOK_FIELDS,
    "lookup": ("id_number", "phone"),
    "booking": (),
    "check-in": ("code", "id_number"),
    "lift": ("id_number", "reason"),
    "calendar": ("working", "note"),
}
STRINGS = (
    "", " ", "social", "tax", "issuing", "help", "nope", "w1", "tax-1", "A001", "completed", "transferred",
    "kiosk", "staff", "green", "booking", "elderly", "normal", "2026-11-24", "2026-02-30", "09:00", "25:61",
    "2026-11-23T10:00:00+08:00", "2026-11-23T10:00:00", "13812345678", "1234", valid_id(1), "110105194912310021",
    "\x00", "\u202e", "王丽", "x" * 5000, "'; DROP TABLE events; --", "../../etc/passwd", "<script>",
)  # fmt: skip


@dataclass
class Fuzzed:
    client: httpx.AsyncClient
    hall: HallService
    path: Path


@pytest.fixture
async def fuzzed(tmp_path: Path) -> AsyncIterator[Fuzzed]:
    path = tmp_path / "qms.db"
    store, bookings = SqliteStore(path), SqliteBookingStore(path)
    await store.open()
    await bookings.open()
    hall = HallService(small_hall(), store, clock=JumpClock(at(10)))
    desk = BookingDesk(
        BookingService(hall, RULES, bookings, FakeWorkingDays()),
        PersonHasher(SECRET),
        HallSite("广州市", "越秀区", 23.1291, 113.2644),
    )
    await hall.start()
    await desk.service.start()
    app = create_app({HALL: hall}, ACCOUNTS, SECRET, bookings={HALL: desk})
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hall.test") as client:
            yield Fuzzed(client, hall, path)
    finally:
        await desk.service.stop()
        await hall.stop()
        await bookings.close()
        await store.close()


def digest(path: Path) -> str:
    """Every row of every table of the file, hashed: what a refused request must not change."""
    h = hashlib.sha256()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            h.update(table.encode())
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):  # names from the file itself
                h.update(repr(row).encode())
    return h.hexdigest()


def value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, often of a type no field takes."""
    kind = rng.randrange(10 if depth < 2 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False))
    if kind == 2:
        return rng.choice((0, -1, 1, 7, 2**31, -(2**63), 10**30))
    if kind == 3:
        return rng.choice((0.5, -1e308, 1e308, 3.0))
    if kind in (4, 5, 6):
        return rng.choice(STRINGS)
    if kind in (7, 8):
        return [value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return body(rng, (), depth + 1)


def body(rng: random.Random, takes: tuple[str, ...] = (), depth: int = 0) -> dict[str, Any]:
    """An object of the endpoint's field names (sometimes another's, or misspelt) with random values."""
    out: dict[str, Any] = {}
    for _ in range(rng.randrange(6)):
        name = rng.choice(takes if takes and rng.random() < 0.85 else FIELDS)
        if rng.random() < 0.1:
            name = name[::-1]
        # mostly a value of the right type, so that requests get past the parser to the rules
        out[name] = rng.choice(STRINGS) if rng.random() < 0.6 else value(rng, depth)
    return out


RAW = (b"", b"{", b"[]", b"null", b'"text"', b"\xff\xfe\x00", b'{"service": NaN}', b'{"a": 1}' * 3, b"{}" + b" " * 10)


def endpoint(rng: random.Random, tickets: list[str], codes: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """A method, a path (real halls, windows, tickets and codes, or made-up ones) and the
    fields the endpoint reads."""
    ticket = rng.choice([*tickets, "nope", "20261123-A999", "%00", "x" * 300]) if tickets else "nope"
    code = rng.choice([*codes, "ABCDEFGH", "nope"]) if codes else "nope"
    window = rng.choice(("w1", "w2", "w3", "tax-1", "help-1", "w99", ""))
    action = rng.choice([*ACTIONS, "explode"])
    day = rng.choice(("2026-11-24", "2026-13-01", "today"))
    hall = HALL if rng.random() < 0.93 else rng.choice(("other", "..", "%2e"))
    base = f"/api/v1/halls/{hall}"
    method, path, what = rng.choice(
        (
            ("POST", "/api/v1/auth/login", "login"),
            ("POST", f"{base}/tickets", "tickets"),
            ("POST", f"{base}/tickets/{ticket}/reactivate", "reactivate"),
            ("POST", f"{base}/tickets/{ticket}/rating", "rating"),
            ("POST", f"{base}/tickets/{ticket}/cancel", "cancel"),
            ("POST", f"{base}/windows/{window}/{action}", action),
            ("POST", f"{base}/windows/{window}/{action}", action),
            ("POST", f"{base}/ratings/{rng.randrange(-1, 5)}/follow-up", "follow-up"),
            ("POST", f"{base}/bookings", "bookings"),
            ("POST", f"{base}/bookings/lookup", "lookup"),
            ("DELETE", f"{base}/bookings/{code}", "booking"),
            ("POST", f"{base}/bookings/{code}/check-in", "check-in"),
            ("POST", f"{base}/check-in", "check-in"),
            ("POST", f"{base}/blacklist/lift", "lift"),
            ("PUT", f"{base}/calendar/{day}", "calendar"),
            ("DELETE", f"{base}/calendar/{day}", "calendar"),
        )
    )
    takes = TAKES.get(what) or (ACTIONS[what].fields if what in ACTIONS else ())
    return method, path, takes


async def good_step(f: Fuzzed, rng: random.Random, tickets: list[str], codes: list[str]) -> None:
    """A request a hall really sees, so that bad ones meet tickets in every state."""
    step = rng.randrange(4)
    base = f"/api/v1/halls/{HALL}"
    if step == 0:
        made = await f.client.post(f"{base}/tickets", json={"service": rng.choice(("social", "issuing"))})
        assert made.status_code == 201, made.text
        tickets.append(made.json()["ticket"]["id"])
    elif step == 1:
        window = rng.choice(("w1", "w2", "w3"))
        action = rng.choice(("open", "call-next", "start", "finish", "hold"))
        await f.client.post(f"{base}/windows/{window}/{action}", json={}, headers=bearer("root"))
    elif step == 2:
        n = rng.randrange(1, 40)
        person = {"id_number": valid_id(n), "phone": "13812345678"}
        booked = await f.client.post(
            f"{base}/bookings", json={"service": "social", "date": "2026-11-24", "start": "09:00", **person}
        )
        if booked.status_code == 201:
            codes.append(booked.json()["booking"]["code"])
    else:
        await f.client.get(f"{base}/queues")


def check_error(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code < 400:
        return
    assert response.headers["content-type"].startswith("application/json"), what
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"].isascii() and error["code"], what
    assert isinstance(error["message"], str) and error["message"].strip(), what


@pytest.mark.parametrize("seed", [1, 2])
async def test_bad_input_is_refused_cleanly_and_changes_nothing(fuzzed: Fuzzed, seed: int) -> None:
    rng = random.Random(seed)
    tickets: list[str] = []
    codes: list[str] = []
    refused: Counter[str] = Counter()  # refusals by code
    for i in range(REQUESTS):
        if rng.random() < 0.25:
            await good_step(fuzzed, rng, tickets, codes)
            continue
        method, path, takes = endpoint(rng, tickets, codes)
        headers = rng.choice(({}, bearer("alice"), bearer("root"), {"Authorization": "Bearer nope"}))
        if rng.random() < 0.15:
            content = rng.choice(RAW)
        else:
            sent = body(rng, takes) if rng.random() < 0.9 else value(rng)
            content = json.dumps(sent, ensure_ascii=rng.random() < 0.5).encode()
        before = digest(fuzzed.path)
        response = await fuzzed.client.request(
            method, path, content=content, headers={"content-type": "application/json", **headers}
        )
        what = f"seed {seed} request {i}: {method} {path} {content[:200]!r}"
        check_error(response, what)
        if response.status_code >= 400:
            refused[response.json()["error"]["code"]] += 1
            assert digest(fuzzed.path) == before, f"{what} was refused ({response.text[:200]}) but changed the file"
    # the fuzz reached the checks deep inside, not only the JSON parser and the token check
    assert len(refused) >= 15, refused
    # a hall started afresh from the file is the live one
    live = await fuzzed.hall.committed()
    store = SqliteStore(fuzzed.path)
    await store.open()
    again = HallService(small_hall(), store, clock=JumpClock(at(10)))
    await again.start()
    try:
        restarted = await again.committed()
        assert restarted.tickets() == live.tickets() and restarted.windows() == live.windows()
        assert len(live.tickets()) >= 20, "the good requests made a hall worth fuzzing"
    finally:
        await again.stop()
        await store.close()


PAGES = (
    "/api/v1/health", "/api/v1/halls", "/api/v1/halls/{h}/queues", "/api/v1/halls/{h}/efficiency",
    "/api/v1/halls/{h}/reports/daily", "/api/v1/halls/{h}/reports/daily.csv", "/api/v1/halls/{h}/ratings/bad",
    "/api/v1/halls/{h}/windows", "/api/v1/halls/{h}/tickets", "/api/v1/halls/{h}/tickets/{t}",
    "/api/v1/halls/{h}/tickets/{t}/rating", "/api/v1/halls/{h}/booking", "/api/v1/halls/{h}/slots",
    "/api/v1/halls/{h}/bookings/{t}", "/api/v1/halls/{h}/blacklist", "/api/v1/halls/{h}/booking/notices",
    "/api/v1/halls/{h}/calendar", "/api/v1/halls/{h}/voice", "/api/v1/halls/{h}/voice/{t}.wav",
    "/book/{h}", "/halls/{h}/screen", "/console/{h}", "/t/{h}/{t}", "/t/{h}/{t}/qr.svg", "/kiosk/{h}",
    "/dashboard/{h}", "/reports/{h}", "/admin", "/admin/login", "/admin/{h}", "/admin/{h}/audit",
)  # fmt: skip
QUERY = ("date", "day", "service", "window", "from", "to", "since", "limit", "lang", "status", "page", "key", "hall")


async def test_random_queries_on_every_page_never_fail_the_server(fuzzed: Fuzzed) -> None:
    rng = random.Random(3)
    made = await fuzzed.client.post(f"/api/v1/halls/{HALL}/tickets", json={"service": "social"})
    ticket = made.json()["ticket"]["id"]
    ascii_values = [s for s in STRINGS if s.isascii()]
    for i in range(300):
        path = rng.choice(PAGES).format(
            h=rng.choice((HALL, HALL, HALL, "nope", "%00", "x" * 300)),
            t=rng.choice((ticket, "nope", "x" * 300, "%ff", "..")),
        )
        query = {rng.choice(QUERY): rng.choice(STRINGS) for _ in range(rng.randrange(4))}
        headers = rng.choice(
            (
                {},
                bearer("root"),
                bearer("alice"),
                {"Authorization": rng.choice(ascii_values)},
                {"Accept-Language": rng.choice(ascii_values)},
                {"Cookie": "qms_admin=" + rng.choice(ascii_values)},
            )
        )
        response = await fuzzed.client.get(path, params=query, headers=headers)
        what = f"request {i}: GET {path[:120]} {query}"
        assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
        if path.startswith("/api/") and response.status_code >= 400:
            check_error(response, what)
