"""Daily reports for staff: `GET /halls/{hall}/reports/daily` as JSON and `.../daily.csv`.

Both read the store's projections (tickets and ratings of the business day), so past days
work as well as today. A staff token is required: reports are for the hall's staff.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core import reports as core_reports
from qms.core.errors import InvalidInput
from qms.core.model import RatingLevel
from qms.core.reports import GroupBy, RatingRecord, ReportRow

from .auth import authenticate
from .bookings import read_date
from .errors import JSON
from .state import hall_service

COLUMNS = (
    "key", "name", "tickets", "finished", "no_shows", "wait_p50", "wait_p90",
    "handling_p50", "handling_p90", "ratings", "bad_ratings", "good_share",
)  # fmt: skip


def row_view(row: ReportRow) -> dict[str, Any]:
    share = row.good_share
    return asdict(row) | {"good_share": None if share is None else round(share, 4)}


async def _report(request: Request) -> tuple[str, date, GroupBy, list[ReportRow]]:
    authenticate(request)
    service = hall_service(request)
    params = request.query_params
    day = read_date(params.get("day"), "day") or service.now().date()
    by_text = params.get("by") or "service"
    try:
        by = GroupBy(by_text)
    except ValueError:
        choices = ", ".join(g.value for g in GroupBy)
        raise InvalidInput(f"by must be one of {choices}", code="invalid_group") from None
    tickets = await service.store.tickets(service.id, day)
    rows = await service.store.ratings(service.id, day)
    ratings = [RatingRecord(r["ticket"], r["window"], r["service"], RatingLevel(r["level"])) for r in rows]
    return service.id, day, by, core_reports.daily_report(service.config, tickets, ratings, by)


async def daily_report(request: Request) -> Response:
    """`GET /halls/{hall}/reports/daily?day=YYYY-MM-DD&by=service|window|department|channel` (staff)."""
    hall, day, by, rows = await _report(request)
    return JSON({"hall": hall, "day": day.isoformat(), "by": str(by), "rows": [row_view(r) for r in rows]})


async def daily_report_csv(request: Request) -> Response:
    """`GET /halls/{hall}/reports/daily.csv?day=&by=` (staff): the same rows as CSV, UTF-8 with a
    byte-order mark so that spreadsheet programs read the Chinese names right."""
    hall, day, by, rows = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        view = row_view(row)
        writer.writerow(["" if view[c] is None else view[c] for c in COLUMNS])
    filename = f"{hall}-{day.isoformat()}-{by}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
