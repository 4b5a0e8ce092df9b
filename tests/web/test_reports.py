"""Daily reports through the API and as CSV, read from the store: staff only, past days too."""

from __future__ import annotations

import csv
import io

import pytest

from qms.core import commands as c
from qms.core.model import RatingLevel

from .conftest import Api, bearer


async def served_day(api: Api) -> None:
    await api.issue("social")
    await api.issue("tax")
    await api.ok("w1", "open")
    api.clock.advance(600)
    await api.ok("w1", "call-next")
    api.clock.advance(300)
    await api.ok("w1", "finish", outcome="completed")
    await api.service.submit(c.RateService("w1", RatingLevel.DISSATISFIED))


@pytest.mark.anyio
async def test_the_daily_report_by_service_and_window(api: Api) -> None:
    await served_day(api)
    report = await api.get("/reports/daily?day=2026-11-23&by=service", headers=bearer("alice"))
    assert (report["day"], report["by"]) == ("2026-11-23", "service")
    rows = {r["key"]: r for r in report["rows"]}
    social = rows["social"]
    assert (social["tickets"], social["finished"], social["wait_p50"], social["handling_p90"]) == (1, 1, 10.0, 5.0)
    assert (social["ratings"], social["bad_ratings"], social["good_share"]) == (1, 1, 0.0)
    assert rows["tax"]["tickets"] == 1 and rows["tax"]["wait_p50"] is None
    windows = (await api.get("/reports/daily?by=window", headers=bearer("alice")))["rows"]
    assert [(r["key"], r["tickets"]) for r in windows] == [("w1", 1)]


@pytest.mark.anyio
async def test_a_past_day_reads_the_store(api: Api) -> None:
    await served_day(api)
    api.clock.advance(24 * 3600)
    await api.issue("social")  # the next day begins
    past = await api.get("/reports/daily?day=2026-11-23", headers=bearer("alice"))
    assert {r["key"]: r["tickets"] for r in past["rows"]} == {"social": 1, "tax": 1}
    today = await api.get("/reports/daily?day=2026-11-24", headers=bearer("alice"))
    assert {r["key"]: r["tickets"] for r in today["rows"]} == {"social": 1}


@pytest.mark.anyio
async def test_the_csv_has_a_header_and_one_line_per_group(api: Api) -> None:
    await served_day(api)
    response = await api.client.get(api.url("/reports/daily.csv?day=2026-11-23&by=channel"), headers=bearer("bob"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "yuexiu-2026-11-23-channel.csv" in response.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [(line["key"], line["tickets"], line["bad_ratings"]) for line in lines] == [("kiosk", "2", "1")]


@pytest.mark.anyio
async def test_a_cancelled_ticket_is_cancelled_in_the_report_and_the_csv_not_a_no_show(api: Api) -> None:
    """取消排队: counted apart from no-shows, in every grouping and in the CSV download."""
    await served_day(api)
    left = await api.issue("social")
    cancelled = await api.client.post(api.url(f"/tickets/{left['id']}/cancel"), json={"key": left["key"]})
    assert cancelled.status_code == 200, cancelled.text
    for by in ("service", "department", "channel"):
        rows = (await api.get(f"/reports/daily?by={by}", headers=bearer("alice")))["rows"]
        assert sum(r["cancelled"] for r in rows) == 1 and sum(r["no_shows"] for r in rows) == 0, (by, rows)
        assert sum(r["finished"] for r in rows) == 1, (by, rows)
    response = await api.client.get(api.url("/reports/daily.csv?by=service"), headers=bearer("bob"))
    lines = {line["key"]: line for line in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}
    assert (lines["social"]["tickets"], lines["social"]["cancelled"], lines["social"]["no_shows"]) == ("2", "1", "0")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("?by=colour", 422, "invalid_group"), ("?day=2026-13-01", 422, "invalid_date"), ("", 401, "auth_required")],
)
async def test_bad_requests_get_a_clear_error(api: Api, query: str, status: int, code: str) -> None:
    headers = bearer("alice") if status != 401 else {}
    for path in ("/reports/daily", "/reports/daily.csv"):
        response = await api.client.get(api.url(path + query), headers=headers)
        assert response.status_code == status and response.json()["error"]["code"] == code


@pytest.mark.anyio
async def test_by_staff_member_from_the_calls_and_over_a_range_of_days(api: Api) -> None:
    """alice serves the first day's ticket at w1; the next day bob serves one at w1 (alice's
    window yesterday) and is rated badly."""
    await served_day(api)
    api.clock.advance(24 * 3600)
    await api.issue("social")
    await api.ok("w1", "open", user="bob")
    await api.ok("w1", "call-next", user="bob")
    api.clock.advance(120)
    await api.ok("w1", "finish", user="bob", outcome="completed")
    await api.service.submit(c.RateService("w1", RatingLevel.VERY_DISSATISFIED))
    first = await api.get("/reports/daily?day=2026-11-23&by=staff", headers=bearer("alice"))
    assert [(r["key"], r["name"], r["tickets"], r["handling_p50"], r["bad_ratings"]) for r in first["rows"]] == [
        ("alice", "王丽", 1, 5.0, 1)
    ]
    both = await api.get("/reports/daily?from=2026-11-23&to=2026-11-24&by=staff", headers=bearer("alice"))
    assert (both["from"], both["to"]) == ("2026-11-23", "2026-11-24")
    rows = {r["key"]: r for r in both["rows"]}
    assert (rows["alice"]["tickets"], rows["bob"]["tickets"], rows["bob"]["handling_p50"]) == (1, 1, 2.0)
    assert (rows["bob"]["ratings"], rows["bob"]["bad_ratings"]) == (1, 1)
    services = await api.get("/reports/daily?from=2026-11-23&to=2026-11-24", headers=bearer("alice"))
    assert {r["key"]: r["tickets"] for r in services["rows"]} == {"social": 2, "tax": 1}
    response = await api.client.get(
        api.url("/reports/daily.csv?from=2026-11-23&to=2026-11-24&by=staff"), headers=bearer("bob")
    )
    assert "yuexiu-2026-11-23_2026-11-24-staff.csv" in response.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [(line["key"], line["name"], line["no_shows"]) for line in lines] == [
        ("alice", "王丽", "0"),
        ("bob", "李明", "0"),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?day=2026-11-23&from=2026-11-23", "invalid_range"),
        ("?from=2026-11-24&to=2026-11-23", "invalid_range"),
        ("?from=2026-01-01&to=2026-03-01", "range_too_long"),
        ("?from=yesterday", "invalid_date"),
    ],
)
async def test_a_wrong_range_is_refused(api: Api, query: str, code: str) -> None:
    response = await api.client.get(api.url("/reports/daily" + query), headers=bearer("alice"))
    assert response.status_code == 422 and response.json()["error"]["code"] == code
