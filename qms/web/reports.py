"""Daily reports for staff: `GET /halls/{hall}/reports/daily` as JSON and `.../daily.csv`.

Both read the store's projections (tickets and ratings of the business day), so past days
work as well as today; `from` and `to` sum a range of up to `MAX_DAYS` days. Grouping by
staff member also reads the days' calls from the event log (who called which ticket, see
`qms.core.reports.step_staff`). A staff token is required: reports are for the hall's staff.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core import reports as core_reports
from qms.core.errors import InvalidInput
from qms.core.model import RatingLevel
from qms.core.reports import CallRecord, GroupBy, RatingRecord, ReportRow

from .auth import authenticate
from .bookings import read_date
from .errors import JSON
from .state import hall_service, web_state

MAX_DAYS = 31

COLUMNS = (
    "key", "name", "tickets", "finished", "no_shows", "cancelled", "wait_p50", "wait_p90",
    "handling_p50", "handling_p90", "ratings", "bad_ratings", "good_share",
)  # fmt: skip


def row_view(row: ReportRow) -> dict[str, Any]:
    share = row.good_share
    return asdict(row) | {"good_share": None if share is None else round(share, 4)}


def read_days(params: Mapping[str, str], today: date) -> tuple[date, date]:
    """The first and last day a report covers: `day`, or `from` and `to` (inclusive), or today."""
    day = read_date(params.get("day"), "day")
    first, last = read_date(params.get("from"), "from"), read_date(params.get("to"), "to")
    if day is not None and (first or last):
        raise InvalidInput("give either day or from and to, not both", code="invalid_range")
    if day is not None:
        return day, day
    first, last = first or last or today, last or first or today
    if last < first:
        raise InvalidInput(f"to ({last}) is before from ({first})", code="invalid_range")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", code="range_too_long")
    return first, last


async def _report(request: Request) -> tuple[str, date, date, GroupBy, list[ReportRow]]:
    authenticate(request)
    service = hall_service(request)
    params = request.query_params
    first, last = read_days(params, service.now().date())
    by_text = params.get("by") or "service"
    try:
        by = GroupBy(by_text)
    except ValueError:
        choices = ", ".join(g.value for g in GroupBy)
        raise InvalidInput(f"by must be one of {choices}", code="invalid_group") from None
    tickets, ratings, calls = [], [], []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        tickets += await service.store.tickets(service.id, day)
        ratings += [
            RatingRecord(r["ticket"], r["window"], r["service"], RatingLevel(r["level"]), r["staff"])
            for r in await service.store.ratings(service.id, day)
        ]
        if by is GroupBy.STAFF:
            calls += [
                CallRecord(e.ticket_id, e.window, e.staff, e.at) for e in await service.store.calls(service.id, day)
            ]
    names = {a.username: a.name for a in web_state(request).accounts.values()}
    rows = core_reports.daily_report(service.config, tickets, ratings, by, calls, names)
    return service.id, first, last, by, rows


async def daily_report(request: Request) -> Response:
    """`GET /halls/{hall}/reports/daily?day=YYYY-MM-DD&by=service|window|department|staff|channel`
    (staff), or `?from=&to=` for a range of days."""
    hall, first, last, by, rows = await _report(request)
    body = {"hall": hall, "day": first.isoformat(), "from": first.isoformat(), "to": last.isoformat(), "by": str(by)}
    return JSON(body | {"rows": [row_view(r) for r in rows]})


async def daily_report_csv(request: Request) -> Response:
    """`GET /halls/{hall}/reports/daily.csv?day=&by=` (or `from=&to=`, staff): the same rows as
    CSV, UTF-8 with a byte-order mark so that spreadsheet programs read the Chinese names right."""
    hall, first, last, by, rows = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        view = row_view(row)
        writer.writerow(["" if view[c] is None else view[c] for c in COLUMNS])
    days = first.isoformat() if first == last else f"{first.isoformat()}_{last.isoformat()}"
    filename = f"{hall}-{days}-{by}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
